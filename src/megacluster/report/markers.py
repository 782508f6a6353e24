"""The events that explain a run's time charts — grid steps, generator fleets arriving and leaving, the
battery coming online, air-permit exceedances, the training start and its finish (P10/P50/P90 band) — read
from the resolved scenario and the summary, and drawn on every time chart as labelled vertical lines.

Times are the site's local standard time (naive), the simulation clock: scenario dates are local days.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from megacluster.report.layout import COLORS
from megacluster.results.assemble import Results


class MarkerKind(enum.StrEnum):
    """What a marker shows."""

    GRID = "grid"
    GENERATORS_ARRIVE = "generators_arrive"
    GENERATORS_LEAVE = "generators_leave"
    BATTERY = "battery"
    PERMIT = "permit"
    TRAINING_START = "training_start"
    TRAINING_FINISH = "training_finish"


MARKER_COLORS = {
    MarkerKind.GRID: COLORS["grid"],
    MarkerKind.GENERATORS_ARRIVE: COLORS["generators"],
    MarkerKind.GENERATORS_LEAVE: COLORS["generators"],
    MarkerKind.BATTERY: COLORS["battery"],
    MarkerKind.PERMIT: COLORS["permit"],
    MarkerKind.TRAINING_START: "#1a7f1a",
    MarkerKind.TRAINING_FINISH: "#1a7f1a",
}

FINISH_BAND_COLOR = "rgba(26,127,26,0.13)"
"""Fill of the finish date's P10–P90 band."""

MARKER_NAME_PREFIX = "marker:"
"""Every marker shape is named ``marker:<kind>`` (tests and the dashboard find them by it)."""


@dataclass(frozen=True)
class Marker:
    """One event on the time axis: when (local standard time), what kind, a short label for the chart and a
    sentence for the timeline; ``end`` makes it a band (the finish date's P10–P90)."""

    time: pd.Timestamp
    kind: MarkerKind
    label: str
    detail: str
    end: pd.Timestamp | None = None


def _midnight(day: dt.date) -> pd.Timestamp:
    return pd.Timestamp(day.isoformat())


def _fleet_text(count: int, unit: str | None, rating_mw: float | None) -> str:
    each = f"{rating_mw:g} MW" if rating_mw else "?"
    name = f"{unit} at {each}" if unit else f"units of {each}"
    total = f" = {count * rating_mw:,.0f} MW" if rating_mw else ""
    return f"{count} × {name}{total}"


def power_markers(results: Results) -> list[Marker]:
    """Grid steps, generator fleets arriving and leaving, the battery's first day. [-]"""
    power = results.scenario.power
    out: list[Marker] = []
    previous: float | None = None
    for step in power.grid:
        change = "" if previous is None else f" (from {previous:g} MW)"
        out.append(
            Marker(
                _midnight(step.start), MarkerKind.GRID, f"grid {step.mw:g} MW", f"grid {step.mw:g} MW{change}"
            )
        )
        previous = step.mw
    for i, fleet in enumerate(power.generators):
        what = _fleet_text(fleet.count, fleet.unit, fleet.rating_mw)
        if fleet.available_from is not None:
            out.append(
                Marker(
                    _midnight(fleet.available_from),
                    MarkerKind.GENERATORS_ARRIVE,
                    f"+{fleet.count} gen.",
                    f"generator fleet {i} arrives: {what}",
                )
            )
        if fleet.available_until is not None:
            out.append(
                Marker(
                    _midnight(fleet.available_until + dt.timedelta(days=1)),
                    MarkerKind.GENERATORS_LEAVE,
                    f"−{fleet.count} gen.",
                    f"generator fleet {i} leaves after {fleet.available_until}: {what}",
                )
            )
    battery = power.battery
    if battery is not None and battery.available_from is not None and battery.total_energy_mwh() > 0:
        size = f"{battery.total_power_mw():,.0f} MW / {battery.total_energy_mwh():,.0f} MWh"
        out.append(
            Marker(
                _midnight(battery.available_from), MarkerKind.BATTERY, "battery", f"battery online: {size}"
            )
        )
    return out


def permit_markers(results: Results) -> list[Marker]:
    """Each air-permit cap, where first exceeded. [-]"""
    out = []
    for ex in results.summary.permit.exceedances:
        cap = "NOx cap" if ex.kind.value == "nox_t" else "start-up cap"
        out.append(
            Marker(
                pd.Timestamp(ex.first_exceeded),
                MarkerKind.PERMIT,
                f"permit: {cap}",
                f"air permit of generator fleet {ex.fleet} ({ex.unit}): {cap} of {ex.limit:,.1f} for "
                f"{ex.year} first exceeded",
            )
        )
    return out


def training_markers(results: Results) -> list[Marker]:
    """The training start, and its finish: P50 line with the P10–P90 band across replicas. [-]"""
    training, summary = results.scenario.training, results.summary.training
    if training is None or summary is None:
        return []
    origin = _midnight(results.scenario.simulation.start)
    start = _midnight(training.start) if training.start else origin
    out = [Marker(start, MarkerKind.TRAINING_START, "training starts", "the training run starts")]
    p10, p50, p90 = summary.finish_day_p10, summary.finish_day_p50, summary.finish_day_p90
    if p50 is None and summary.finish_day is not None:
        p10 = p50 = p90 = summary.finish_day
    if p50 is None:
        return out
    at = origin + pd.Timedelta(days=p50)
    if p10 is not None and p90 is not None and p90 > p10:
        band_start, band_end = origin + pd.Timedelta(days=p10), origin + pd.Timedelta(days=p90)
        stamp = "%Y-%m-%d %H:%M" if band_end - band_start < pd.Timedelta(days=2) else "%Y-%m-%d"
        detail = (
            f"the training run finishes: P50 {at:%Y-%m-%d %H:%M}, P10–P90 {band_start.strftime(stamp)} – "
            f"{band_end.strftime(stamp)} ({summary.finished_fraction:.0%} of {results.summary.replicas} "
            "replicas finished)"
        )
        out.append(Marker(band_start, MarkerKind.TRAINING_FINISH, "finish P10–P90", detail, end=band_end))
        out.append(Marker(at, MarkerKind.TRAINING_FINISH, "finish P50", detail))
    else:
        out.append(
            Marker(
                at,
                MarkerKind.TRAINING_FINISH,
                "training finishes",
                f"the training run finishes: {at:%Y-%m-%d %H:%M}",
            )
        )
    return out


def run_markers(results: Results) -> list[Marker]:
    """Every marker of a run inside its horizon, in time order (what is there at the very start is the
    starting point, told by the story, not an event). [-]"""
    sim = results.scenario.simulation
    start = _midnight(sim.start)
    end = start + pd.Timedelta(days=sim.horizon_days)
    every = [*power_markers(results), *permit_markers(results), *training_markers(results)]
    inside = [
        m for m in every if start < m.time < end or (m.kind == MarkerKind.TRAINING_START and m.time == start)
    ]
    return sorted(inside, key=lambda m: (m.time, m.kind.value))


def marker_shapes(markers: Iterable[Marker]) -> list[dict[str, Any]]:
    """Plotly shapes of the markers: a dotted vertical line with its label along it (a band for P10–P90).
    [-]"""
    shapes: list[dict[str, Any]] = []
    for m in markers:
        color = MARKER_COLORS[m.kind]
        name = f"{MARKER_NAME_PREFIX}{m.kind.value}"
        if m.end is not None:
            shapes.append(
                {
                    "type": "rect",
                    "name": name,
                    "xref": "x",
                    "yref": "paper",
                    "x0": m.time,
                    "x1": m.end,
                    "y0": 0,
                    "y1": 1,
                    "fillcolor": FINISH_BAND_COLOR,
                    "line": {"width": 0},
                    "layer": "below",
                }
            )
            continue
        shapes.append(
            {
                "type": "line",
                "name": name,
                "xref": "x",
                "yref": "paper",
                "x0": m.time,
                "x1": m.time,
                "y0": 0,
                "y1": 1,
                "line": {"color": color, "width": 1, "dash": "dot"},
                "label": {
                    "text": m.label,
                    "textangle": -90,
                    "textposition": "end",
                    "xanchor": "right",
                    "font": {"size": 10, "color": color},
                },
            }
        )
    return shapes


def add_markers(figure: go.Figure, markers: Sequence[Marker]) -> go.Figure:
    """The figure with the markers drawn on its (time) x axis. [-]"""
    if markers:
        figure.update_layout(shapes=[*figure.layout.shapes, *marker_shapes(markers)])
    return figure


def timeline_rows(markers: Sequence[Marker]) -> list[tuple[str, str]]:
    """(local date and time, sentence) of each marker, for the report's timeline. [-]"""
    rows = []
    for m in markers:
        if m.end is not None:
            continue
        stamp = f"{m.time:%Y-%m-%d}" if (m.time.hour, m.time.minute) == (0, 0) else f"{m.time:%Y-%m-%d %H:%M}"
        rows.append((stamp, m.detail))
    return rows
