"""The air-permit report, as the permit reads: totals over rolling 12-month windows (each calendar month and
the eleven before it) or calendar years, counted from the day the permit takes effect; every capped quantity's
worst window, its annualised total and the minute its window first passed the cap.

Quantities: NOx (from the dispatch), CO, PM, VOC and formaldehyde (fuel x the fleet's AP-42 factors), start-up
/ shut-down events (start-ups), their hours (each start-up and its shut-down taking the unit's start-up time
[A]) and unit operating hours. The dispatch enforces the NOx (standing for every pollutant cap) and start-up
caps over the same windows (``state.Units.new_period``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from megacluster.power import constants as k
from megacluster.power.config import AirPermit, GeneratorFleet, PermitPeriod
from megacluster.power.supply import permit_step
from megacluster.power.totals import (
    PermitExceedance,
    PermitFleet,
    PermitKind,
    PermitLimit,
    PermitReport,
    PermitYear,
)
from megacluster.units import HOURS_PER_YEAR, SECONDS_PER_HOUR

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

EXCEEDANCE_SLACK = 1e-9
"""A running total passes its cap only by more than this (floating-point sums). [t or starts]"""

ROLLING_MONTHS = 12
"""Months of a rolling permit window. [-]"""

CAPS = {
    PermitKind.NOX_T: "nox_t_per_year",
    PermitKind.CO_T: "co_t_per_year",
    PermitKind.PM_T: "pm_t_per_year",
    PermitKind.VOC_T: "voc_t_per_year",
    PermitKind.HCHO_T: "hcho_t_per_year",
    PermitKind.STARTS: "starts_per_year",
    PermitKind.STARTUP_HOURS: "startup_hours_per_year",
    PermitKind.OPERATING_HOURS: "operating_hours_per_year",
}
"""Each quantity and the AirPermit field that caps it."""

POLLUTANTS = {
    PermitKind.CO_T: "co",
    PermitKind.PM_T: "pm",
    PermitKind.VOC_T: "voc",
    PermitKind.HCHO_T: "hcho",
}
"""The pollutants beyond NOx and their names in ``GeneratorFleet.pollutant_rates``."""

ALWAYS_REPORTED = (PermitKind.NOX_T, PermitKind.STARTS)
"""Quantities reported for every permitted fleet, capped or not."""


def window_starts(times: npt.NDArray[np.datetime64], period: PermitPeriod, first: int) -> IntArray:
    """For each step, the first step of its permit window (not before ``first``, the permit's first step):
    the start of the month eleven months back (rolling), or of its calendar year. [-]"""
    if period is PermitPeriod.ROLLING_12_MONTHS:
        months = times.astype("datetime64[M]").astype(np.int64)
        start = np.searchsorted(months, months - (ROLLING_MONTHS - 1), side="left")
    else:
        years = times.astype("datetime64[Y]").astype(np.int64)
        start = np.searchsorted(years, years, side="left")
    return np.maximum(np.asarray(start, dtype=np.int64), first)


def window_totals(amount: npt.ArrayLike, starts: IntArray, first: int) -> FloatArray:
    """Running total of ``amount`` over each step's window (0 before the permit's first step). [same unit]"""
    x = np.asarray(amount, dtype=np.float64)
    cum = np.concatenate(([0.0], np.cumsum(x)))
    total = cum[1:] - cum[starts]
    total[:first] = 0.0
    return np.asarray(total, dtype=np.float64)


def fleet_amounts(
    g: GeneratorFleet,
    nox_t: FloatArray,
    starts: IntArray,
    fuel_mmbtu: FloatArray | None,
    units_on: IntArray | None,
    dt_s: float | None,
) -> dict[PermitKind, FloatArray]:
    """Each quantity of one fleet at each step (the pollutants other than NOx and the hours only when fuel,
    units on and the step are known). [t, starts, h]"""
    out: dict[PermitKind, FloatArray] = {
        PermitKind.NOX_T: np.asarray(nox_t, dtype=np.float64),
        PermitKind.STARTS: np.asarray(starts, dtype=np.float64),
    }
    if fuel_mmbtu is not None:
        rates = g.pollutant_rates()
        for kind, name in POLLUTANTS.items():
            out[kind] = np.asarray(fuel_mmbtu * rates[name] * k.LB_T, dtype=np.float64)
    if dt_s is not None:
        event_h = 2.0 * g.startup() / SECONDS_PER_HOUR  # [A] a shut-down takes as long as a start-up
        out[PermitKind.STARTUP_HOURS] = np.asarray(starts, dtype=np.float64) * event_h
        if units_on is not None:
            out[PermitKind.OPERATING_HOURS] = np.asarray(units_on, dtype=np.float64) * dt_s / SECONDS_PER_HOUR
    return out


def _calendar_years(
    times: npt.NDArray[np.datetime64], years: IntArray, amounts: dict[PermitKind, FloatArray], first: int
) -> tuple[PermitYear, ...]:
    out = []
    for year in np.unique(years[first:]):
        sel = (years == year) & (np.arange(len(times)) >= first)
        out.append(
            PermitYear(
                year=int(year),
                nox_t=float(amounts[PermitKind.NOX_T][sel].sum()),
                starts=round(float(amounts[PermitKind.STARTS][sel].sum())),
            )
        )
    return tuple(out)


def _limits_and_exceedances(
    i: int,
    g: GeneratorFleet,
    permit: AirPermit,
    times: npt.NDArray[np.datetime64],
    amounts: dict[PermitKind, FloatArray],
    first: int,
) -> tuple[list[PermitLimit], list[PermitExceedance]]:
    """Each capped (or always reported) quantity's worst window, and each cap's first exceedance."""
    starts = window_starts(times, permit.period, first)
    span_years = max((len(times) - first), 0) / max(len(times), 1)
    horizon_h = _horizon_h(times)
    years_in_force = max(span_years * horizon_h / HOURS_PER_YEAR, 1e-9)
    limits, exceedances = [], []
    for kind, cap_field in CAPS.items():
        cap = getattr(permit, cap_field)
        if kind not in amounts or (cap is None and kind not in ALWAYS_REPORTED):
            continue
        total = window_totals(amounts[kind], starts, first)
        worst_at = int(np.argmax(total)) if total.size else 0
        worst = float(total[worst_at]) if total.size else 0.0
        end = str(times[worst_at].astype("datetime64[M]")) if total.size and first < len(times) else None
        limits.append(
            PermitLimit(
                kind=kind,
                cap=None if cap is None else float(cap),
                worst=worst,
                worst_window_end=end,
                per_year=float(amounts[kind][first:].sum()) / years_in_force,
                years_in_force=years_in_force,
            )
        )
        over = np.flatnonzero(total > float(cap) + EXCEEDANCE_SLACK) if cap is not None else np.zeros(0, int)
        if over.size:
            j = int(over[0])
            exceedances.append(
                PermitExceedance(
                    fleet=i,
                    unit=g.unit or f"{g.unit_rating_mw():g} MW",
                    year=int(times[j].astype("datetime64[Y]").astype(np.int64)) + 1970,
                    kind=kind,
                    limit=float(cap),
                    value=worst,
                    first_exceeded=str(times[j].astype("datetime64[m]")),
                    window=permit.period,
                )
            )
    return limits, exceedances


def _horizon_h(times: npt.NDArray[np.datetime64]) -> float:
    """Span of the steps, one step past the last. [h]"""
    if len(times) < 2:
        return 0.0
    t = times.astype("datetime64[s]").astype(np.int64)
    return float(t[-1] - t[0] + (t[1] - t[0])) / SECONDS_PER_HOUR


def permit_report(
    generators: tuple[GeneratorFleet, ...],
    times: npt.NDArray[np.datetime64],
    years: IntArray,
    nox_t_by_fleet: FloatArray,
    starts_by_fleet: IntArray,
    *,
    fuel_mmbtu_by_fleet: FloatArray | None = None,
    units_on_by_fleet: IntArray | None = None,
    dt_s: float | None = None,
) -> PermitReport:
    """Every permitted fleet's windows and calendar years, and each cap's first exceedance.

    ``years`` is the calendar year of each step; the per-fleet arrays have shape (fleets, steps). [t, -, h]"""
    fleets_out = []
    exceedances: list[PermitExceedance] = []
    for i, g in enumerate(generators):
        permit = g.permit
        if permit is None:
            continue
        first = permit_step(times, permit.effective_from)
        amounts = fleet_amounts(
            g,
            nox_t_by_fleet[i],
            starts_by_fleet[i],
            None if fuel_mmbtu_by_fleet is None else fuel_mmbtu_by_fleet[i],
            None if units_on_by_fleet is None else units_on_by_fleet[i],
            dt_s,
        )
        limits, found = _limits_and_exceedances(i, g, permit, times, amounts, first)
        exceedances += found
        fleets_out.append(
            PermitFleet(
                fleet=i,
                mode=permit.mode,
                period=permit.period,
                effective_from=permit.effective_from.isoformat() if permit.effective_from else None,
                nox_t_per_year_cap=permit.nox_t_per_year,
                starts_per_year_cap=permit.starts_per_year,
                years=_calendar_years(times, years, amounts, first),
                limits=tuple(limits),
            )
        )
    return PermitReport(fleets=tuple(fleets_out), exceedances=tuple(exceedances), respected=not exceedances)
