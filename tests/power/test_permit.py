"""The air-permit report: NOx and start-ups per calendar year, and each exceedance with its minute."""

from __future__ import annotations

import numpy as np
import pytest

from megacluster.power.config import AirPermit, GeneratorFleet, PermitMode, PermitPeriod
from megacluster.power.permit import permit_report
from megacluster.power.totals import PermitKind

# six hourly steps across New Year: three in 2024, three in 2025
TIMES = np.datetime64("2024-12-31T21:00", "s") + np.arange(6) * np.timedelta64(3600, "s")
YEARS = TIMES.astype("datetime64[Y]").astype(np.int64) + 1970
CALENDAR = PermitPeriod.CALENDAR_YEAR


def _fleet(permit: AirPermit | None, **kw: object) -> GeneratorFleet:
    return GeneratorFleet(rating_mw=2.5, count=2, forced_outage_rate=0.0, permit=permit, **kw)  # type: ignore[arg-type]


def test_years_are_totalled_and_exceedances_dated() -> None:
    # fleet 0: no permit, not reported; fleet 1: 1 t and 2 start-ups a year, reported
    gens = (  # issue 15: rolling 12 months is the default; these cases test calendar years
        _fleet(None),
        _fleet(AirPermit(nox_t_per_year=1.0, starts_per_year=2, mode=PermitMode.REPORT, period=CALENDAR)),
    )
    nox = np.array([[9.0] * 6, [0.4, 0.4, 0.4, 0.5, 0.5, 0.0]])
    starts = np.array([[5] * 6, [1, 0, 0, 1, 1, 1]])
    rep = permit_report(gens, TIMES, YEARS, nox, starts)
    assert len(rep.fleets) == 1
    f = rep.fleets[0]
    assert (f.fleet, f.mode, f.nox_t_per_year_cap, f.starts_per_year_cap) == (1, "report", 1.0, 2)
    assert [(y.year, y.starts) for y in f.years] == [(2024, 1), (2025, 3)]
    assert [y.nox_t for y in f.years] == pytest.approx([1.2, 1.0])
    # 2024: 0.8 t at 22:00, 1.2 t at 23:00 -> past 1 t at 23:00; 2025: 1.0 t exactly is within the cap;
    # start-ups: the third of 2025 (02:00) passes the cap of 2
    assert [(e.year, e.kind, e.first_exceeded) for e in rep.exceedances] == [
        (2024, PermitKind.NOX_T, "2024-12-31T23:00"),
        (2025, PermitKind.STARTS, "2025-01-01T02:00"),
    ]
    nox_2024, starts_2025 = rep.exceedances
    assert nox_2024.fleet == 1 and nox_2024.unit == "2.5 MW"
    assert nox_2024.limit == 1.0 and nox_2024.value == pytest.approx(1.2)
    assert starts_2025.limit == 2.0 and starts_2025.value == 3.0
    assert not rep.respected


def test_a_cap_exactly_reached_is_respected() -> None:
    gens = (_fleet(AirPermit(nox_t_per_year=0.3, starts_per_year=1, period=CALENDAR)),)
    nox = np.array([[0.1, 0.1, 0.1, 0.1, 0.1, 0.1]])
    starts = np.array([[1, 0, 0, 0, 0, 1]])
    rep = permit_report(gens, TIMES, YEARS, nox, starts)
    assert rep.respected and rep.exceedances == ()
    assert rep.fleets[0].mode == "respect"
    assert [y.nox_t for y in rep.fleets[0].years] == pytest.approx([0.3, 0.3])


def test_a_permit_without_caps_only_reports_the_years() -> None:
    gens = (_fleet(AirPermit(), unit="smt-130"),)
    rep = permit_report(gens, TIMES, YEARS, np.full((1, 6), 100.0), np.full((1, 6), 9))
    assert rep.respected and [y.starts for y in rep.fleets[0].years] == [27, 27]
    assert rep.fleets[0].nox_t_per_year_cap is None and rep.fleets[0].starts_per_year_cap is None


def test_a_catalog_unit_is_named_by_its_id() -> None:
    gens = (_fleet(AirPermit(starts_per_year=0), unit="smt-130"),)
    rep = permit_report(gens, TIMES, YEARS, np.zeros((1, 6)), np.array([[0, 0, 0, 0, 1, 0]]))
    (e,) = rep.exceedances
    assert e.unit == "smt-130" and e.kind == "starts" and e.first_exceeded == "2025-01-01T01:00"
