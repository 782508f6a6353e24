"""Scenarios side by side: a key-figures table and overlaid charts, as ``compare.html`` + ``compare.json``.

Built from each scenario's Results only (the catalog supplies the accelerators' peak FLOP/s).
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from megacluster.report.downsample import downsample
from megacluster.report.figures import Chart, base_layout
from megacluster.report.page import chart_block, page, table
from megacluster.results.assemble import Results
from megacluster.results.format import fmt
from megacluster.results.keyfigures import key_figures, per_compute
from megacluster.results.writers import to_jsonable
from megacluster.scenario.schema import Scenario
from megacluster.units import SECONDS_PER_DAY

SHARED_FILE_MODE = 0o644
"""Permissions of the written files: readable by others, like any file meant to be shared."""

COMPARE_MAX_POINTS = 4000
"""Most points per scenario and series in compare.html. [-]"""

COMPARE_CHARTS = (
    "compare-gpus",
    "compare-compute",
    "compare-flop",
    "compare-flop-elapsed",
    "compare-intensity",
)
"""Element ids of the comparison charts, in page order."""

_PER_COMPUTE = (
    ("energy_mwh_per_1e24_flop", "Energy per 10²⁴ FLOP", "MWh"),
    ("co2_t_per_1e24_flop", "CO2 per 10²⁴ FLOP", "t"),
    ("nox_t_per_1e24_flop", "NOx per 10²⁴ FLOP", "t"),
)


def mean_peak_flop_s(scenario: Scenario) -> float:
    """Dense peak of the fleet's accelerators at the training precision (BF16 without training),
    averaged over the delivered GPUs. [FLOP/s per GPU]"""
    precision = scenario.training.precision.value if scenario.training else "bf16"
    total = 0.0
    count = 0
    for delivery in scenario.fleet:
        accel = scenario.fleet_accelerator(delivery)
        try:
            peak = accel.peak_flop_s(precision)
        except ValueError:
            peak = accel.peak_flop_s("bf16")
        total += peak * delivery.count
        count += delivery.count
    return total / count if count else 0.0


def labels_for(results: Sequence[Results]) -> list[str]:
    """One distinct label per scenario (its name, numbered when repeated)."""
    seen: dict[str, int] = {}
    out = []
    for r in results:
        name = r.scenario.name
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} #{seen[name]}")
    return out


def _color(i: int) -> str:
    palette = qualitative.D3
    return palette[i % len(palette)]


def _series(results: Results) -> pd.DataFrame:
    return downsample(results.timeseries, max_points=COMPARE_MAX_POINTS)


def _intensity_figure(results: Sequence[Results], names: list[str]) -> go.Figure:
    """Energy, CO2 and NOx per 10^24 model FLOP completed, one bar per scenario."""
    intensity = make_subplots(
        rows=1, cols=3, subplot_titles=[f"{label} [{unit}]" for _, label, unit in _PER_COMPUTE]
    )
    intensity.update_layout(
        title={"text": "Energy and emissions per unit of compute", "x": 0.01},
        template="plotly_white",
        height=380,
        showlegend=False,
        margin={"l": 60, "r": 30, "t": 80, "b": 40},
    )
    ratios = [per_compute(r.summary) for r in results]
    for col, (key, _, _) in enumerate(_PER_COMPUTE, start=1):
        values = [np.nan if q[key] is None else q[key] for q in ratios]
        intensity.add_trace(
            go.Bar(x=names, y=values, marker_color=[_color(i) for i in range(len(names))], name=key),
            row=1,
            col=col,
        )
    return intensity


def compare_charts(results: Sequence[Results]) -> list[Chart]:
    """Overlaid charts: GPUs powered, compute online, FLOP accumulated (by date), energy and emissions
    per unit of compute."""
    names = labels_for(results)
    series = [_series(r) for r in results]
    elapsed_axis = {"xaxis": {"title": {"text": "days since the scenario's start"}}}
    gpus = go.Figure(layout=base_layout("GPUs powered", "GPUs") | elapsed_axis)
    compute = go.Figure(
        layout=base_layout("Compute online (powered GPUs × dense peak)", "EFLOP/s") | elapsed_axis
    )
    flop = go.Figure(layout=base_layout("Model FLOP accumulated by date", "FLOP"))
    flop_elapsed = go.Figure(
        layout=base_layout("Model FLOP accumulated since the start", "FLOP") | elapsed_axis
    )
    for i, (name, r, ts) in enumerate(zip(names, results, series, strict=True)):
        color = _color(i)
        times = pd.to_datetime(ts["time"])
        days = (
            np.asarray((times - times.iloc[0]).dt.total_seconds() / SECONDS_PER_DAY)
            if len(ts)
            else np.zeros(0)
        )
        powered = np.asarray(ts.get("gpus_powered", pd.Series(np.zeros(len(ts)))), dtype=np.float64)
        gpus.add_trace(go.Scatter(x=days, y=powered, name=name, mode="lines", line={"color": color}))
        installed = ts.get("gpus_installed")
        if installed is not None:
            gpus.add_trace(
                go.Scatter(
                    x=days,
                    y=np.asarray(installed, dtype=np.float64),
                    name=f"{name} (installed)",
                    mode="lines",
                    line={"color": color, "dash": "dot", "width": 1},
                )
            )
        eflops = powered * mean_peak_flop_s(r.scenario) / 1e18
        compute.add_trace(go.Scatter(x=days, y=eflops, name=name, mode="lines", line={"color": color}))
        cumulative = ts.get("cumulative_flop_p50", ts.get("cumulative_flop"))
        if cumulative is not None:
            flop.add_trace(
                go.Scatter(
                    x=ts["time"],
                    y=np.asarray(cumulative, dtype=np.float64),
                    name=name,
                    mode="lines",
                    line={"color": color},
                )
            )
            flop_elapsed.add_trace(
                go.Scatter(x=days, y=np.asarray(cumulative, dtype=np.float64), name=name, mode="lines")
            )
            flop_elapsed.data[-1].line = {"color": color}
        target = r.summary.training.target_flop if r.summary.training is not None else None
        if target is not None and len(ts):
            dashed = {"color": color, "dash": "dash", "width": 1}
            ends = [ts["time"].iloc[0], ts["time"].iloc[-1]]
            flop.add_trace(
                go.Scatter(x=ends, y=[target, target], name=f"{name} target", mode="lines", line=dashed)
            )
            flop_elapsed.add_trace(
                go.Scatter(
                    x=[0, days[-1]], y=[target, target], name=f"{name} target", mode="lines", line=dashed
                )
            )
    intensity = _intensity_figure(results, names)
    captions = (
        "Powered GPUs (solid) and installed GPUs (dotted) of each scenario.",
        "Powered GPUs times the fleet's mean dense peak FLOP/s at the training precision.",
        "Cumulative model FLOP by calendar date (P50 across replicas when several); targets dashed.",
        "The same, against days since each scenario's start.",
        "Facility energy, CO2 and NOx divided by the model FLOP completed in the horizon.",
    )
    figures = (gpus, compute, flop, flop_elapsed, intensity)
    return [Chart(cid, cap, fig) for cid, cap, fig in zip(COMPARE_CHARTS, captions, figures, strict=True)]


def compare_table(results: Sequence[Results]) -> tuple[list[str], list[list[str]], list[dict[str, Any]]]:
    """Header, text rows and JSON rows of the key figures of every scenario (union of the figures)."""
    names = labels_for(results)
    per_scenario = [{f.key: f for f in key_figures(r.summary)} for r in results]
    order: list[str] = []
    for figs in per_scenario:
        order += [k for k in figs if k not in order]
    rows: list[list[str]] = []
    json_rows: list[dict[str, Any]] = []
    for key in order:
        first = next(figs[key] for figs in per_scenario if key in figs)
        texts = [figs[key].text if key in figs else "–" for figs in per_scenario]
        values = [to_jsonable(figs[key].value) if key in figs else None for figs in per_scenario]
        rows.append([first.label, *texts, first.unit])
        json_rows.append({"key": key, "label": first.label, "unit": first.unit, "values": values})
    ratios = [per_compute(r.summary) for r in results]
    for key, label, unit in _PER_COMPUTE:
        values = [q[key] for q in ratios]
        rows.append([label, *[fmt(v, ",.1f") for v in values], unit])
        json_rows.append({"key": key, "label": label, "unit": unit, "values": values})
    return ["figure", *names, "unit"], rows, json_rows


def compare_data(results: Sequence[Results]) -> dict[str, Any]:
    """compare.json: each scenario's summary and the key-figures table."""
    _, _, rows = compare_table(results)
    return {
        "scenarios": [
            {
                "label": label,
                "name": r.scenario.name,
                "description": r.scenario.description.strip(),
                "summary": to_jsonable(r.summary.model_dump(mode="json")),
                "per_1e24_flop": per_compute(r.summary),
            }
            for label, r in zip(labels_for(results), results, strict=True)
        ],
        "key_figures": rows,
    }


def render_compare(results: Sequence[Results]) -> str:
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
    descriptions = "".join(items)
    body = [
        f"<h1>megacluster — {html.escape(' vs '.join(names))}</h1>",
        f'<ul id="scenarios">{descriptions}</ul>',
        "<h2>Key figures</h2>",
        table(header, rows, "compare-figures", numeric=tuple(range(1, len(names) + 1))),
        "<h2>Charts</h2>",
        *(chart_block(chart) for chart in compare_charts(results)),
    ]
    return page(f"megacluster compare — {' vs '.join(names)}", "\n".join(body))


def write_compare(results: Sequence[Results], folder: Path) -> Path:
    """Write compare.json and compare.html into ``folder`` (a staging folder of
    :func:`megacluster.results.outdir.write_output`, which puts the whole folder in place atomically)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    text = render_compare(results)
    data = json.dumps(to_jsonable(compare_data(results)), indent=2) + "\n"
    for name, content in (("compare.json", data), ("compare.html", text)):
        (folder / name).write_text(content, encoding="utf-8")
        (folder / name).chmod(SHARED_FILE_MODE)
    return folder
