"""The air-permit report: each permitted fleet's NOx and start-ups per calendar year, and every exceedance."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from megacluster.power.config import GeneratorFleet
from megacluster.power.totals import PermitExceedance, PermitFleet, PermitKind, PermitReport, PermitYear

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

EXCEEDANCE_SLACK = 1e-9
"""A running total passes its cap only by more than this (floating-point sums). [t or starts]"""


def permit_report(
    generators: tuple[GeneratorFleet, ...],
    times: npt.NDArray[np.datetime64],
    years: IntArray,
    nox_t_by_fleet: FloatArray,
    starts_by_fleet: IntArray,
) -> PermitReport:
    """Yearly NOx and start-ups of every fleet with a permit, and each exceedance with the minute it happened.

    ``years`` is the calendar year of each step; the per-fleet arrays have shape (fleets, steps). [t, -]"""
    fleets_out = []
    exceedances = []
    for i, g in enumerate(generators):
        if g.permit is None:
            continue
        per_year = []
        for year in np.unique(years):
            sel = years == year
            nox_cum = np.cumsum(nox_t_by_fleet[i][sel])
            st_cum = np.cumsum(starts_by_fleet[i][sel])
            per_year.append(
                PermitYear(
                    year=int(year),
                    nox_t=float(nox_cum[-1]) if len(nox_cum) else 0.0,
                    starts=int(st_cum[-1]) if len(st_cum) else 0,
                )
            )
            t_sel = times[sel]
            for kind, cum, limit in (
                (PermitKind.NOX_T, nox_cum, g.permit.nox_t_per_year),
                (PermitKind.STARTS, st_cum, g.permit.starts_per_year),
            ):
                if limit is None:
                    continue
                over = np.nonzero(cum > limit + EXCEEDANCE_SLACK)[0]
                if len(over):
                    exceedances.append(
                        PermitExceedance(
                            fleet=i,
                            unit=g.unit or f"{g.unit_rating_mw():g} MW",
                            year=int(year),
                            kind=kind,
                            limit=float(limit),
                            value=float(cum[-1]),
                            first_exceeded=str(t_sel[over[0]].astype("datetime64[m]")),
                        )
                    )
        fleets_out.append(
            PermitFleet(
                fleet=i,
                mode=g.permit.mode,
                nox_t_per_year_cap=g.permit.nox_t_per_year,
                starts_per_year_cap=g.permit.starts_per_year,
                years=tuple(per_year),
            )
        )
    return PermitReport(fleets=tuple(fleets_out), exceedances=tuple(exceedances), respected=not exceedances)
