"""The report's "Power swings" section: the swings in words, the mitigation comparison table, a waveform
excerpt of the training window around its deepest dip, the failure-and-restart window (with the island's
frequency where there is one), the spectrum before and after, and the ramp distribution. Built from
``Results.swings`` only.
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import plotly.graph_objects as go

from megacluster.report.layout import COLORS, Chart, base_layout
from megacluster.report.page import table
from megacluster.report.sections import ReportContext
from megacluster.results.assemble import Results
from megacluster.results.swings import REGIME_WORDS, TRIP_FRACTION, swing_lines
from megacluster.transients.analysis import WindowRun
from megacluster.transients.metrics import ramp_histogram, spectrum
from megacluster.transients.summary import SwingAnalysis

EXCERPT_S = 120.0
"""Length of the waveform excerpt drawn at full resolution. [s]"""
COARSE_S = 0.5
"""Bucket of the failure window's chart (its whole length, as bucket means). [s]"""
SPECTRUM_POINTS = 400
"""Log-spaced frequency buckets of the spectrum chart (each shows its strongest bin). [-]"""
BEFORE, AFTER = "#444444", COLORS["battery"]

TABLE_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("swing_mw", "swing, peak to peak", "MW", ",.1f"),
    ("swing_1s_mw", "swing of 1-s means", "MW", ",.1f"),
    ("ramp_1s_mw_per_s", "largest ramp of 1-s means", "MW/s", ",.1f"),
    ("ramp_up_1min_mw_per_min", "largest rise of 1-min means", "MW/min", ",.1f"),
    ("ramp_down_1min_mw_per_min", "largest fall of 1-min means", "MW/min", ",.1f"),
    ("band_rms_mw", "RMS in the band", "MW", ",.2f"),
    ("dominant_in_band_hz", "dominant frequency in the band", "Hz", ".3g"),
)


def _excerpt(run: WindowRun) -> slice:
    """Samples of the excerpt: ``EXCERPT_S`` around the deepest 1-s dip of the unmitigated draw."""
    dt = run.inputs.dt_s
    x = run.unmitigated.facility_mw
    n = min(x.size, max(1, round(EXCERPT_S / dt)))
    width = max(1, round(1.0 / dt))
    means = np.convolve(x, np.ones(width) / width, mode="valid")
    start = int(np.clip(int(np.argmin(means)) + width // 2 - n // 3, 0, x.size - n))
    return slice(start, start + n)


def waveform_figure(run: WindowRun) -> go.Figure:
    """The site's draw before and the supply's draw after the mitigations, excerpt at full resolution. [MW]"""
    part = _excerpt(run)
    t = run.time_s[part]
    layout = base_layout(f"{REGIME_WORDS[run.inputs.point.regime.value]}: campus draw", "MW")
    layout["xaxis"] = {"title": {"text": "seconds into the window"}}
    fig = go.Figure(layout=layout)
    fig.add_trace(
        go.Scatter(x=t, y=run.unmitigated.facility_mw[part], name="unmitigated", line={"color": BEFORE})
    )
    fig.add_trace(go.Scatter(x=t, y=run.grid_mw[part], name="what the supply sees", line={"color": AFTER}))
    return fig


def _buckets(x: np.ndarray, size: int) -> np.ndarray:
    n = x.size // size
    return x[: n * size].reshape(n, size).mean(axis=1) if n else x


def failure_figure(run: WindowRun) -> go.Figure:
    """A failure window as bucket means; the island's frequency deviation on a second axis. [MW], [Hz]"""
    size = max(1, round(COARSE_S / run.inputs.dt_s))
    t = _buckets(run.time_s, size)
    layout = base_layout(f"{REGIME_WORDS[run.inputs.point.regime.value]}: campus draw", "MW")
    layout["xaxis"] = {"title": {"text": "seconds into the window"}}
    if run.island_before is not None:
        layout["yaxis2"] = {
            "title": {"text": "|frequency deviation| Hz"},
            "overlaying": "y",
            "side": "right",
            "rangemode": "nonnegative",
        }
    fig = go.Figure(layout=layout)
    before = _buckets(run.unmitigated.facility_mw, size)
    fig.add_trace(go.Scatter(x=t, y=before, name="unmitigated", line={"color": BEFORE}))
    fig.add_trace(
        go.Scatter(x=t, y=_buckets(run.grid_mw, size), name="what the supply sees", line={"color": AFTER})
    )
    if run.island_before is not None:
        units = run.inputs.point.island
        trip = TRIP_FRACTION * (units.nominal_hz if units is not None else 60.0)
        dev = _buckets(np.minimum(np.abs(run.island_before.deviation_hz), trip), size)
        fig.add_trace(
            go.Scatter(
                x=t,
                y=dev,
                name="island |frequency deviation|",
                yaxis="y2",
                line={"color": COLORS["curtailed"]},
            )
        )
    return fig


def _log_buckets(freq: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The strongest value in each of ``SPECTRUM_POINTS`` log-spaced frequency buckets (empty ones left
    out)."""
    keep = freq > 0
    f, v = freq[keep], values[keep]
    edges = np.geomspace(f[0], f[-1] * 1.0001, SPECTRUM_POINTS + 1)
    which = np.digitize(f, edges) - 1
    best = np.full(SPECTRUM_POINTS, -1.0)
    np.maximum.at(best, which.clip(0, SPECTRUM_POINTS - 1), v)
    centre = np.sqrt(edges[:-1] * edges[1:])
    mask = best >= 0
    return centre[mask], best[mask]


def spectrum_figure(run: WindowRun, band: tuple[float, float]) -> go.Figure:
    """Amplitude of each frequency before and after, log-log, with the utility band shaded. [MW]"""
    layout = base_layout(f"{REGIME_WORDS[run.inputs.point.regime.value]}: spectrum", "amplitude MW")
    layout["xaxis"] = {"title": {"text": "frequency Hz"}, "type": "log"}
    layout["yaxis"]["type"] = "log"
    layout["shapes"] = [
        {
            "type": "rect",
            "xref": "x",
            "yref": "paper",
            "x0": band[0],
            "x1": band[1],
            "y0": 0,
            "y1": 1,
            "fillcolor": "rgba(214,39,40,0.07)",
            "line": {"width": 0},
        }
    ]
    fig = go.Figure(layout=layout)
    for label, x, color in (
        ("unmitigated", run.unmitigated.facility_mw, BEFORE),
        ("what the supply sees", run.grid_mw, AFTER),
    ):
        spec = spectrum(x, run.inputs.dt_s)
        f, p = _log_buckets(spec.freq_hz, spec.power_mw2)
        fig.add_trace(go.Scatter(x=f, y=np.sqrt(2.0 * p), name=label, mode="lines", line={"color": color}))
    return fig


def ramp_figure(run: WindowRun) -> go.Figure:
    """Share of samples whose ramp exceeds each level, before and after, log-log. [MW/s]"""
    layout = base_layout(
        f"{REGIME_WORDS[run.inputs.point.regime.value]}: ramp distribution", "share of samples"
    )
    layout["xaxis"] = {"title": {"text": "ramp between samples MW/s"}, "type": "log"}
    layout["yaxis"]["type"] = "log"
    fig = go.Figure(layout=layout)
    for label, x, color in (
        ("unmitigated", run.unmitigated.facility_mw, BEFORE),
        ("what the supply sees", run.grid_mw, AFTER),
    ):
        levels, share = ramp_histogram(x, run.inputs.dt_s)
        keep = share > 0
        fig.add_trace(
            go.Scatter(x=levels[keep], y=share[keep], name=label, mode="lines", line={"color": color})
        )
    return fig


def _cell(value: Any, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def comparison_table(analysis: SwingAnalysis) -> str:
    """Every window's figures before and after the mitigations."""
    rows = []
    for w in analysis.summary.windows:
        for key, label, unit, spec in TABLE_ROWS:
            rows.append(
                (
                    REGIME_WORDS.get(w.regime, w.regime),
                    label,
                    _cell(getattr(w.unmitigated, key), spec),
                    _cell(getattr(w.mitigated, key), spec),
                    unit,
                )
            )
    header = ("window", "figure", "unmitigated", "mitigated", "unit")
    return table(header, rows, "swings-comparison", numeric=(2, 3))


def swing_charts(analysis: SwingAnalysis) -> list[Chart]:
    """The section's charts (none of them on the run's time axis). [-]"""
    runs = {w.inputs.point.regime.value: w for w in analysis.windows}
    steady = runs.get("training") or runs.get("capped") or analysis.windows[0]
    band = (analysis.config.limits.band_low_hz, analysis.config.limits.band_high_hz)
    charts = [
        Chart(
            "chart-swings-waveform",
            f"{EXCERPT_S:g} s of the window around its deepest dip, every sample.",
            waveform_figure(steady),
            time_chart=False,
        ),
        Chart(
            "chart-swings-spectrum",
            f"Amplitude by frequency; shaded: the {band[0]:g}-{band[1]:g} Hz band",
            spectrum_figure(steady, band),
            time_chart=False,
        ),
        Chart(
            "chart-swings-ramps",
            "Share of samples whose ramp exceeds each level.",
            ramp_figure(steady),
            time_chart=False,
        ),
    ]
    for key in ("failure_restart", "island_failure_restart"):
        if key in runs:
            charts.append(
                Chart(
                    f"chart-swings-{key.replace('_', '-')}",
                    f"The whole window in {COARSE_S:g}-s means"
                    + (
                        f"; red: the island's frequency deviation, cut at {TRIP_FRACTION:.0%} of nominal "
                        "(beyond it the units would trip and the linear model no longer holds)."
                        if runs[key].island_before is not None
                        else "."
                    ),
                    failure_figure(runs[key]),
                    time_chart=False,
                )
            )
    return charts


def swings_charts(results: Results) -> list[Chart]:
    """The section's charts of a run (none without swings): what the static export draws too. [-]"""
    return swing_charts(results.swings) if results.swings is not None else []


def swings_section(ctx: ReportContext) -> str:
    """The "Power swings" section ("" without a job whose phases the performance model knows)."""
    analysis = ctx.results.swings
    if analysis is None:
        return ""
    lines = "".join(f"<li>{html.escape(line)}</li>" for line in swing_lines(analysis.summary))
    return "\n".join(
        [
            '<h2 id="power-swings">Power swings</h2>',
            f'<p class="meta">Windows of {analysis.summary.window_s:g} s at '
            f"{analysis.summary.resolution_s * 1000:g} ms drawn at the run's operating points "
            "(docs/power-swings.md).</p>",
            f'<ul id="swings-story">{lines}</ul>',
            comparison_table(analysis),
            *(ctx.chart_html(chart) for chart in swings_charts(ctx.results)),
        ]
    )
