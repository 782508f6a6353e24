"""The race page: ``race.html`` and ``race.json`` of ``megacluster race``.

Charts, by calendar date, of each campus's accelerators installed and powered, the training compute it could
deliver to the reference job (with the sourced public milestones, drawn by :func:`compute_race_figure`), the
FLOP it accumulates, its power drawn and its on-site CO2; a table ranks the campuses at chosen dates. Read
from :class:`megacluster.engine.race.RaceSeries` (the runs' Results and the performance model's answer for the
reference job); nothing is re-simulated here.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from megacluster.engine.race import RaceSeries, ReferenceJob, ReferenceRate, Standing, standings
from megacluster.report.compare_charts import color
from megacluster.report.layout import LEGEND_BELOW, Chart, base_layout
from megacluster.report.milestones import campus_of, milestones_for
from megacluster.report.page import chart_block, page, table
from megacluster.report.race import EFLOP, CampusSeries, compute_race_figure
from megacluster.results.format import fmt
from megacluster.results.writers import to_jsonable

RACE_CHARTS = ("race-compute", "race-accelerators", "race-power")
"""Element ids of the race page's charts, in page order."""

RANKING_TABLE = "race-ranking"
"""Element id of the ranking table."""

RACE_TITLES = (
    "The compute race: training compute deliverable to the reference job, by date",
    "Deliverable to the reference job",
)
"""Title and top panel title of the race page's compute chart (the reference job's FLOP/s, not peaks). [-]"""


def campus_key(series: RaceSeries) -> str:
    """The campus a run simulates (``data/milestones.toml``), else the run's own name. [-]"""
    campus = campus_of(series.scenario)
    return campus.id if campus else series.scenario


def campus_name(key: str) -> str:
    """A campus's readable name, or the key itself. [-]"""
    campus = next((c for c in _campuses() if c.id == key), None)
    return campus.name if campus else key


def _campuses() -> tuple[Any, ...]:
    from megacluster.report.milestones import milestone_data

    return milestone_data().campus


@dataclass(frozen=True)
class Race:
    """Everything the page, the JSON and the terminal show. [-]"""

    series: tuple[RaceSeries, ...]
    job: ReferenceJob
    rates: tuple[ReferenceRate, ...]
    dates: tuple[dt.date, ...]

    def standings(self) -> dict[dt.date, list[Standing]]:
        """The ranking at each date, runs of one campus grouped. [-]"""
        return {when: standings(self.series, when, campus_key) for when in self.dates}

    def campuses(self) -> list[str]:
        """Campus ids (of the milestones data) of the runs. [-]"""
        return list(dict.fromkeys(c.id for s in self.series if (c := campus_of(s.scenario))))


def _accelerators_figure(race: Race) -> go.Figure:
    """Installed (dotted) and powered (solid) accelerators by date. [GPUs]"""
    fig = go.Figure(layout=base_layout("Accelerators installed (dotted) and powered (solid)", "accelerators"))
    fig.update_layout(xaxis={"title": {"text": "date (UTC)"}}, hovermode="closest", height=460)
    for i, s in enumerate(race.series):
        c = color(i)
        fig.add_trace(go.Scatter(x=s.days, y=s.gpus_powered, name=s.label, mode="lines", line={"color": c}))
        dotted = {"color": c, "dash": "dot", "width": 1}
        installed = go.Scatter(
            x=s.days, y=s.gpus_installed, name=f"{s.label} (installed)", mode="lines", line=dotted
        )
        fig.add_trace(installed)
    return fig


def _power_figure(race: Race) -> go.Figure:
    """Facility power drawn (top) and CO2 of on-site generation accumulated (bottom), by date. [MW], [kt]"""
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.1,
        subplot_titles=["Power drawn (facility, daily mean) [MW]", "On-site CO2, accumulated [kt]"],
    )
    fig.update_layout(
        title={"text": "Power drawn and on-site emissions by date", "x": 0.01, "xanchor": "left"},
        template="plotly_white",
        height=600,
        margin={"l": 70, "r": 30, "t": 80, "b": 40},
        legend=dict(LEGEND_BELOW),
        hovermode="closest",
    )
    fig.update_yaxes(rangemode="nonnegative")
    fig.update_xaxes(title_text="date (UTC)", row=2, col=1)
    for i, s in enumerate(race.series):
        line = {"color": color(i), "width": 2}
        fig.add_trace(
            go.Scatter(x=s.days, y=s.facility_mw, name=s.label, mode="lines", line=line, legendgroup=s.label),
            row=1,
            col=1,
        )
        co2 = go.Scatter(
            x=s.days,
            y=s.onsite_co2_t / 1e3,
            name=s.label,
            mode="lines",
            line=line,
            legendgroup=s.label,
            showlegend=False,
        )
        fig.add_trace(co2, row=2, col=1)
    return fig


def race_charts(race: Race) -> list[Chart]:
    """The race page's charts, in :data:`RACE_CHARTS` order. [-]"""
    colors = [color(i) for i in range(len(race.series))]
    campuses = [
        CampusSeries(
            label=s.label,
            campus=(c.id if (c := campus_of(s.scenario)) else None),
            days=s.days,
            effective_flop_s=s.delivered_flop_s,
            cumulative_flop=s.cumulative_flop,
            mfu=None,
        )
        for s in race.series
    ]
    rates = "; ".join(f"{r.name} {r.mfu:.1%}" for r in race.rates)
    compute = (
        "Training compute each campus could deliver, daily means by calendar date: its powered accelerators "
        "x their throughput under power caps x what one accelerator sustains in the reference job (dense "
        f"peak x the performance model's MFU: {rates}); below, the same accumulated from each run's start. "
        "Diamonds: "
        "sourced public milestones (hollow: planned; hover for the source), listed under the table."
    )
    accelerators = (
        "Accelerators installed (dotted, end of day) and kept running by the supply and cooling (solid, "
        "daily mean); every kind counted alike (a GB300 and an H100 are one accelerator each)."
    )
    power = (
        "Facility power served (IT + cooling + losses) and the CO2 of the gas burnt on site (turbines, "
        "engines; scope 1), accumulated from each run's start; grid electricity's CO2 is not in this chart."
    )
    return [
        Chart(
            RACE_CHARTS[0],
            compute,
            compute_race_figure(campuses, colors, titles=RACE_TITLES),
            time_chart=False,
        ),
        Chart(RACE_CHARTS[1], accelerators, _accelerators_figure(race), time_chart=False),
        Chart(RACE_CHARTS[2], power, _power_figure(race), time_chart=False),
    ]


def fleet_text(fleet: Sequence[tuple[str, int]]) -> str:
    """``110,000 gb200 + 440,000 gb300`` (catalog ids). [-]"""
    if not fleet:
        return "–"
    return " + ".join(f"{n:,} {a}" for a, n in fleet)


RANKING_HEADER = (
    "date",
    "rank",
    "campus (run)",
    "accelerators installed",
    "powered",
    "deliverable [EFLOP/s]",
    "accumulated since the run's start [FLOP]",
    "power drawn [MW]",
    "on-site CO2 [kt]",
)


def ranking_rows(race: Race) -> list[list[str]]:
    """The ranking table's rows: every campus at every date. [-]"""
    rows = []
    for when, ranked in race.standings().items():
        for r in ranked:
            if r.rank is None:
                rows.append(
                    [when.isoformat(), "–", campus_name(r.key), "not simulated on this date", *["–"] * 5]
                )
                continue
            name = f"{campus_name(r.key)} ({r.label})" if r.key != r.label else r.label
            rows.append(
                [
                    when.isoformat(),
                    str(r.rank),
                    name,
                    fleet_text(r.fleet),
                    fmt(r.gpus_powered, ",.0f"),
                    fmt(r.delivered_flop_s / EFLOP, ",.1f"),
                    fmt(r.cumulative_flop, ".2e"),
                    fmt(r.facility_mw, ",.0f"),
                    fmt(r.onsite_co2_t / 1e3, ",.1f"),
                ]
            )
    return rows


def _rates_table(race: Race) -> str:
    header = (
        "accelerator",
        "dense peak [TFLOP/s]",
        "MFU (reference job)",
        "per accelerator [TFLOP/s]",
        "layout",
    )
    rows = [
        (
            r.name,
            fmt(r.peak_flop_s / 1e12, ",.0f"),
            f"{r.mfu:.1%}",
            fmt(r.flop_s_per_gpu / 1e12, ",.0f"),
            r.layout,
        )
        for r in race.rates
    ]
    return table(header, rows, "race-rates", numeric=(1, 2, 3))


def _milestones_list(race: Race) -> str:
    rows = [
        (
            m.when,
            campus_name(m.campus),
            m.what + (" (planned)" if m.planned else ""),
            f"[{m.tag.value}] {m.source}",
        )
        for m in milestones_for(race.campuses())
    ]
    if not rows:
        return ""
    body = table(("when", "campus", "milestone", "source"), rows, "race-milestones")
    summary = f"Public milestones ({len(rows)}; megacluster sources FILE SECTION prints a source)"
    return f"<details><summary>{summary}</summary>{body}</details>"


def render_race(race: Race) -> str:
    """race.html: one self-contained page. [-]"""
    charts = race_charts(race)
    runs = "".join(
        f"<li><b>{html.escape(s.label)}</b> ({html.escape(campus_name(campus_key(s)))}): "
        f"{html.escape(s.start.isoformat())} + {len(s.days)} days</li>"
        for s in race.series
    )
    body = [
        "<h1>megacluster — the compute race</h1>",
        f'<p class="outcome" id="reference-job">Measured with one reference job: '
        f"{html.escape(race.job.describe())}.</p>",
        f'<ul id="runs">{runs}</ul>',
        chart_block(charts[0]),
        "<h2>Ranking</h2>",
        '<p class="meta">At each date the campuses are ranked by the training compute they could deliver '
        "that day (daily mean); a campus with several runs counts the one starting last that covers the date."
        "</p>",
        '<div class="table-scroll">',
        table(RANKING_HEADER, ranking_rows(race), RANKING_TABLE, numeric=(1, 4, 5, 6, 7, 8)),
        "</div>",
        _milestones_list(race),
        "<h2>The reference job on each accelerator</h2>",
        _rates_table(race),
        *(chart_block(chart) for chart in charts[1:]),
    ]
    return page("megacluster race", "\n".join(part for part in body if part))


def race_data(race: Race) -> dict[str, Any]:
    """race.json: the reference job, the rates, every campus's daily series and the rankings. [-]"""
    return {
        "reference_job": {**to_jsonable(race.job.__dict__), "description": race.job.describe()},
        "rates": [{**r.__dict__, "flop_s_per_gpu": r.flop_s_per_gpu} for r in race.rates],
        "campuses": [
            {
                "label": s.label,
                "scenario": s.scenario,
                "campus": campus_key(s),
                "campus_name": campus_name(campus_key(s)),
                "start": s.start.isoformat(),
                "days": [d.isoformat() for d in s.days],
                "gpus_installed": s.gpus_installed,
                "gpus_powered": s.gpus_powered,
                "delivered_flop_s": s.delivered_flop_s,
                "cumulative_flop": s.cumulative_flop,
                "facility_mw": s.facility_mw,
                "onsite_co2_t": s.onsite_co2_t,
                "installed_by_accelerator": s.installed_by_accelerator,
            }
            for s in race.series
        ],
        "standings": {
            when.isoformat(): [{**r.__dict__, "when": when.isoformat()} for r in ranked]
            for when, ranked in race.standings().items()
        },
        "milestones": [m.model_dump(mode="json") for m in milestones_for(race.campuses())],
    }


def write_race(race: Race, folder: Path) -> Path:
    """Write race.html and race.json into ``folder`` (a staging folder of
    :func:`megacluster.results.outdir.write_output`). [-]"""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    data = json.dumps(to_jsonable(race_data(race)), indent=2) + "\n"
    (folder / "race.json").write_text(data, encoding="utf-8")
    (folder / "race.html").write_text(render_race(race), encoding="utf-8")
    return folder
