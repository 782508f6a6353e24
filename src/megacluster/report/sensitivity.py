"""The report's view of uncertain assumptions: the sampled ranges and the finish date's drivers (from a run's
summary), and the page of a sensitivity analysis (its ranked table and tornado chart)."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go

from megacluster.report.layout import Chart, base_layout
from megacluster.report.page import chart_block, page, table
from megacluster.results.uncertainty import UncertaintySummary
from megacluster.uncertainty.salib import COLUMNS, Method

if TYPE_CHECKING:
    from megacluster.engine.sensitivity import SensitivityResult

METHOD_WORDS = {
    Method.SOBOL: "Sobol indices (Saltelli design; first-order S1 and total ST, 95% bootstrap intervals)",
    Method.MORRIS: "Morris elementary effects (mu*, and mu* over the output's standard deviation; 95% "
    "intervals)",
    Method.GIVEN_DATA: "RBD-FAST first-order indices from the sweep's points (95% bootstrap intervals)",
}
"""What each method's table shows, in words. [-]"""


def _cell(value: float | str) -> str:
    return html.escape(value if isinstance(value, str) else f"{value:.4g}")


def assumptions_html(u: UncertaintySummary | None) -> str:
    """The run's uncertain assumptions as drawn (P10/P50/P90) and the three that drive the finish date. [-]"""
    if u is None:
        return ""
    rows = "".join(
        f"<tr><td><code>{html.escape(a.field)}</code></td><td>{html.escape(a.dist)}</td><td>{_cell(a.p10)}</td>"
        f"<td>{_cell(a.p50)}</td><td>{_cell(a.p90)}</td><td>{html.escape(a.source)}</td></tr>"
        for a in u.assumptions
    )
    out = (
        f'<p id="uncertain-assumptions">{len(u.assumptions)} uncertain assumptions, one Latin-hypercube '
        f"sample per replica ({u.replicas} replicas), on top of each replica's random failures:</p>\n"
        '<table class="uncertain"><tr><th>field</th><th>distribution</th><th>P10</th><th>P50</th><th>P90</th>'
        f"<th>source or reason</th></tr>{rows}</table>\n"
    )
    if u.finish_drivers:
        items = "".join(
            f"<li><code>{html.escape(d.field)}</code>: rank correlation {d.rho:+.2f} "
            f"(~{d.share:.0%} of the spread)</li>"
            for d in u.finish_drivers
        )
        out += f'<p>What drives the finish-date spread:</p>\n<ol id="finish-drivers">{items}</ol>\n'
    return out


def index_tornado(
    names: Sequence[str], index: Sequence[float], error: Sequence[float], title: str
) -> go.Figure:
    """Inputs ranked by a sensitivity index (total-order for Sobol, mu* for Morris), largest on top, with
    its confidence interval as error bars. [-]"""
    order = sorted(range(len(names)), key=lambda i: index[i])
    layout = base_layout(title, "", height=max(260, 90 + 34 * len(names)))
    layout["hovermode"] = "closest"
    layout["xaxis"] = {"title": {"text": "sensitivity index (bar) with its 95% confidence interval"}}
    fig = go.Figure(layout=layout)
    fig.add_trace(
        go.Bar(
            y=[names[i] for i in order],
            x=[index[i] for i in order],
            error_x={"type": "data", "array": [error[i] for i in order]},
            orientation="h",
            marker_color="#c0622b",
            name=title,
        )
    )
    return fig


def sensitivity_table(result: SensitivityResult) -> pd.DataFrame:
    """The ranked indices, one row per output x input (columns as the method names them). [-]"""
    return pd.DataFrame(result.rows)


def _figures(result: SensitivityResult) -> list[Chart]:
    _, _, rank, rank_conf = COLUMNS[result.method]
    charts = []
    frame = sensitivity_table(result)
    for i, output in enumerate(result.outputs):
        part = frame[frame["output"] == output]
        fig = index_tornado(
            list(part["input"]), list(part[rank].fillna(0.0)), list(part[rank_conf].fillna(0.0)), output
        )
        charts.append(
            Chart(
                f"chart-sensitivity-{i}",
                f"What moves {output}: {rank} per assumption, largest on top (bars: 95% interval).",
                fig,
                time_chart=False,
            )
        )
    return charts


def sensitivity_html(result: SensitivityResult, title: str) -> str:
    """The analysis as a page: what was run, the tornado charts and the ranked table. [-]"""
    cols = [c for c in dict.fromkeys(COLUMNS[result.method])]
    rows = [[str(r["output"]), str(r["input"]), *(f"{float(r[c]):.3f}" for c in cols)] for r in result.rows]
    step = "" if result.step_s != result.step_s else f" at {result.step_s / 60:.0f}-minute steps"
    unfinished = (
        f" {result.unfinished} runs had not finished by the horizon: their finish day is the horizon, a "
        "lower bound."
        if result.unfinished
        else ""
    )
    body = (
        f"<h1>{html.escape(title)}</h1>\n<p>{html.escape(METHOD_WORDS[result.method])}: {result.runs} model "
        f"runs{step} over {len(result.inputs)} uncertain assumptions, every run with the same seed (common "
        f"random numbers).{html.escape(unfinished)} Method and limits: docs/uncertainty.md.</p>\n"
        + "".join(chart_block(c) for c in _figures(result))
        + table(["output", "input", *cols], rows, "sensitivity-table", numeric=tuple(range(2, 2 + len(cols))))
    )
    return page(title, body)


def write_sensitivity(result: SensitivityResult, folder: Path, title: str) -> None:
    """sensitivity.csv (the table), sensitivity.json (the table and the design) and report.html. [-]"""
    frame = sensitivity_table(result)
    frame.to_csv(folder / "sensitivity.csv", index=False)
    meta = {
        "method": result.method.value,
        "inputs": list(result.inputs),
        "outputs": list(result.outputs),
        "base_samples": result.base,
        "runs": result.runs,
        "unfinished_runs": result.unfinished,
        "indices": json.loads(frame.to_json(orient="records")),
    }
    (folder / "sensitivity.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    (folder / "report.html").write_text(sensitivity_html(result, title), encoding="utf-8")
