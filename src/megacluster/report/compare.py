"""Scenarios side by side: a key-figures table with the differences against the first scenario, the compute
race and overlaid charts, as ``compare.html`` + ``compare.json``.

Scenarios with different horizons are compared over a common window by default — each scenario's first N
days from its own start, N the shortest horizon — and the page says which window was used
(:func:`choose_window`; ``megacluster compare --window own`` keeps each scenario's own horizon).
"""

from __future__ import annotations

import datetime as dt
import enum
import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from megacluster.report.compare_charts import COMPARE_CHARTS, PER_COMPUTE, compare_charts
from megacluster.report.intensity import JOB_SHARE_NOTE, job_intensity
from megacluster.report.milestones import campus_of, milestones_for
from megacluster.report.page import chart_block, page, table
from megacluster.results.assemble import Results
from megacluster.results.format import fmt
from megacluster.results.keyfigures import ROWS, key_figures
from megacluster.results.writers import to_jsonable
from megacluster.scenario.schema import Scenario

__all__ = [
    "COMPARE_CHARTS",
    "CompareWindow",
    "WindowChoice",
    "choose_window",
    "compare_data",
    "compare_table",
]

SHARED_FILE_MODE = 0o644
"""Permissions of the written files: readable by others, like any file meant to be shared."""


class CompareWindow(enum.StrEnum):
    """Over which span scenarios with different horizons are compared."""

    COMMON = "common"
    """Each scenario's first N days from its own start, N the shortest horizon."""
    OWN = "own"
    """Each scenario over its own horizon (totals then cover different spans)."""


@dataclass(frozen=True)
class WindowChoice:
    """The window used, the horizon to impose on every scenario (None: each its own) and the statement."""

    choice: CompareWindow
    days: float | None
    statement: str


def choose_window(
    scenarios: Sequence[Scenario], choice: CompareWindow, days_given: float | None = None
) -> WindowChoice:
    """The comparison's window: ``days_given`` (the ``--days`` option) for all, else the shortest horizon
    (``common``) or each scenario's own (``own``), stated in words. [-]"""
    horizons = [s.simulation.horizon_days for s in scenarios]
    listed = ", ".join(f"{s.name} {h:g} days" for s, h in zip(scenarios, horizons, strict=True))
    if days_given is not None:
        return WindowChoice(
            choice, days_given, f"Every scenario over its first {days_given:g} days (--days)."
        )
    if len(set(horizons)) == 1:
        text = f"Every scenario over its own horizon: {horizons[0]:g} days, the same for all."
        return WindowChoice(choice, None, text)
    shortest = min(range(len(scenarios)), key=lambda i: horizons[i])
    days = horizons[shortest]
    if choice is CompareWindow.OWN:
        text = (
            f"Each scenario over its own horizon ({listed}): totals cover different spans "
            f"(--window common, the default, compares the first {days:g} days of each)."
        )
        return WindowChoice(choice, None, text)
    text = (
        f"Compared over a common window: each scenario's first {days:g} days from its own start (the "
        f"shortest horizon, {scenarios[shortest].name}'s; their own: {listed}). --window own compares each "
        "over its own horizon."
    )
    return WindowChoice(choice, days, text)


def labels_for(results: Sequence[Results]) -> list[str]:
    """One distinct label per scenario (its name, numbered when repeated)."""
    seen: dict[str, int] = {}
    out = []
    for r in results:
        name = r.scenario.name
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} #{seen[name]}")
    return out


def _difference(first: Any, other: Any, spec: str) -> tuple[str, str, float | None, float | None]:
    """Text and value of ``other - first`` and of the change in % of ``first`` (dates: days, no %). [-]"""
    if isinstance(first, str) and isinstance(other, str):
        try:
            days = (dt.date.fromisoformat(other) - dt.date.fromisoformat(first)).days
        except ValueError:
            return "–", "–", None, None
        return f"{days:+,d} d", "–", float(days), None
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (first, other))
    if not numbers:
        return "–", "–", None, None
    diff = float(other) - float(first)
    text = f"{diff * 100:+.1f} pp" if spec.endswith("%") else format(diff, "+" + (spec or ",.3g"))
    pct = diff / abs(float(first)) if first else None
    return text, ("–" if pct is None else f"{pct:+.1%}"), diff, pct


def _figure_rows(results: Sequence[Results]) -> list[tuple[str, str, str, str, list[Any], list[str]]]:
    """(key, label, unit, spec, values, texts) of every compared figure, in order. [-]"""
    specs = {row.key: row.spec for row in ROWS}
    rows: list[tuple[str, str, str, str, list[Any], list[str]]] = [
        (
            "start_date",
            "Start",
            "date",
            "",
            [r.summary.start_date for r in results],
            [r.summary.start_date for r in results],
        ),
        (
            "horizon_days",
            "Horizon",
            "days",
            ",.0f",
            [r.summary.horizon_days for r in results],
            [fmt(r.summary.horizon_days, ",.1f") for r in results],
        ),
    ]
    per_scenario = [{f.key: f for f in key_figures(r.summary)} for r in results]
    order: list[str] = []
    for figs in per_scenario:
        order += [k for k in figs if k not in order]
    for key in order:
        first = next(figs[key] for figs in per_scenario if key in figs)
        values = [to_jsonable(figs[key].value) if key in figs else None for figs in per_scenario]
        texts = [figs[key].text if key in figs else "–" for figs in per_scenario]
        rows.append((key, first.label.strip(), first.unit, specs.get(key, ""), values, texts))
    ratios = [job_intensity(r).per_yflop() for r in results]
    for key, label, unit in PER_COMPUTE:
        values = [q[key] for q in ratios]
        rows.append((key, label, unit, ",.1f", values, [fmt(v, ",.1f") for v in values]))
    return rows


def compare_table(results: Sequence[Results]) -> tuple[list[str], list[list[str]], list[dict[str, Any]]]:
    """Header, text rows and JSON rows: each figure for every scenario, then its difference (absolute and
    in %) against the first scenario."""
    names = labels_for(results)
    header = ["figure", *names]
    for name in names[1:]:
        header += [f"Δ {name}", f"Δ% {name}"]
    text_rows: list[list[str]] = []
    json_rows: list[dict[str, Any]] = []
    for key, label, unit, spec, values, texts in _figure_rows(results):
        diffs = [_difference(values[0], v, spec) for v in values[1:]]
        text_rows.append([label, *texts, *[t for d in diffs for t in d[:2]], unit])
        json_rows.append(
            {
                "key": key,
                "label": label,
                "unit": unit,
                "values": values,
                "diff_vs_first": [None, *[d[2] for d in diffs]],
                "diff_pct_vs_first": [None, *[d[3] for d in diffs]],
            }
        )
    return [*header, "unit"], text_rows, json_rows


def compare_data(results: Sequence[Results], window: WindowChoice | None = None) -> dict[str, Any]:
    """compare.json: the window used, each scenario's summary and the key-figures table with differences."""
    _, _, rows = compare_table(results)
    campuses = [c.id for r in results if (c := campus_of(r.scenario.name))]
    return {
        "window": None
        if window is None
        else {"choice": window.choice.value, "days": window.days, "statement": window.statement},
        "per_1e24_flop_convention": JOB_SHARE_NOTE,
        "scenarios": [
            {
                "label": label,
                "name": r.scenario.name,
                "description": r.scenario.description.strip(),
                "summary": to_jsonable(r.summary.model_dump(mode="json")),
                "per_1e24_flop": job_intensity(r).per_yflop(),
            }
            for label, r in zip(labels_for(results), results, strict=True)
        ],
        "key_figures": rows,
        "milestones": [m.model_dump(mode="json") for m in milestones_for(campuses)],
    }


def _milestone_table(results: Sequence[Results]) -> str:
    campuses = [c.id for r in results if (c := campus_of(r.scenario.name))]
    rows = [
        (
            str(n),
            m.when,
            m.campus,
            m.what + (" (planned)" if m.planned else ""),
            f"[{m.tag.value}] {m.source}",
        )
        for n, m in enumerate(milestones_for(campuses), start=1)
    ]
    if not rows:
        return ""
    body = table(("#", "when", "campus", "milestone", "source"), rows, "milestones", numeric=(0,))
    summary = (
        f"Public milestones of these campuses ({len(rows)}; numbered on the compute-race chart where the "
        "simulated window includes them; megacluster sources FILE SECTION prints a source)"
    )
    return f"<details><summary>{summary}</summary>{body}</details>\n"


def render_compare(results: Sequence[Results], window: WindowChoice | None = None) -> str:
    """compare.html: one self-contained page comparing the scenarios."""
    if len(results) < 2:
        raise ValueError("compare needs at least two scenarios")
    header, rows, _ = compare_table(results)
    names = labels_for(results)
    items = []
    for name, r in zip(names, results, strict=True):
        span = f"{r.summary.start_date} + {r.summary.horizon_days:g} days"
        what = html.escape(r.scenario.description.strip())
        items.append(f"<li><b>{html.escape(name)}</b>: {what} ({html.escape(span)})</li>")
    statement = window.statement if window is not None else ""
    charts = compare_charts(results, names)
    body = [
        f"<h1>megacluster — {html.escape(' vs '.join(names))}</h1>",
        f'<ul id="scenarios">{"".join(items)}</ul>',
        f'<p class="outcome" id="window">{html.escape(statement)}</p>' if statement else "",
        "<h2>Key figures</h2>",
        f'<p class="meta">Δ: each scenario minus the first ({html.escape(names[0])}); Δ%: that difference '
        f"in % of the first; pp: percentage points. Per 10²⁴ FLOP: {html.escape(JOB_SHARE_NOTE)}.</p>",
        '<div class="table-scroll">',
        table(header, rows, "compare-figures", numeric=tuple(range(1, len(header) - 1))),
        "</div>",
        "<h2>Charts</h2>",
        chart_block(charts[0]),
        _milestone_table(results),
        *(chart_block(chart) for chart in charts[1:]),
    ]
    return page(f"megacluster compare — {' vs '.join(names)}", "\n".join(part for part in body if part))


def write_compare(results: Sequence[Results], folder: Path, window: WindowChoice | None = None) -> Path:
    """Write compare.json and compare.html into ``folder`` (a staging folder of
    :func:`megacluster.results.outdir.write_output`, which puts the whole folder in place atomically)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    text = render_compare(results, window)
    data = json.dumps(to_jsonable(compare_data(results, window)), indent=2) + "\n"
    for name, content in (("compare.json", data), ("compare.html", text)):
        (folder / name).write_text(content, encoding="utf-8")
        (folder / name).chmod(SHARED_FILE_MODE)
    return folder
