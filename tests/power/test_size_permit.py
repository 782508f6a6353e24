"""Issue 15, done-when: ``size colossus-2025 --target-gpus 200000`` respects the permit's start-up cap and
rolling NOx limit or says which limit cannot be met, and a run shorter than one permit window is judged at
its annualised rate (a six-month partial window alone would hide a yearly exceedance)."""

from __future__ import annotations

import json
from types import SimpleNamespace

from cli.entry import invoke
from megacluster.power.sizing import annualised_over_caps
from megacluster.power.totals import PermitKind, PermitLimit


def _result(*limits: PermitLimit) -> SimpleNamespace:
    return SimpleNamespace(permit=SimpleNamespace(fleets=(SimpleNamespace(limits=limits),)))


def _limit(kind: PermitKind, cap: float | None, worst: float, per_year: float, years: float) -> PermitLimit:
    return PermitLimit(
        kind=kind, cap=cap, worst=worst, worst_window_end="2025-12", per_year=per_year, years_in_force=years
    )


def test_partial_window_is_judged_at_its_annualised_rate() -> None:
    half = _limit(PermitKind.NOX_T, 78.9, 70.0, 140.0, 0.5)  # within the cap over 6 months, not over 12
    lines = annualised_over_caps(_result(half), 4, "smt-130")  # type: ignore[arg-type]
    assert len(lines) == 1 and "NOx" in lines[0] and "140.0 t a year" in lines[0] and "6.0 months" in lines[0]


def test_full_windows_and_uncapped_quantities_are_left_to_the_windows() -> None:
    full = _limit(PermitKind.NOX_T, 78.9, 70.0, 140.0, 1.5)  # a full window was seen: its total decides
    uncapped = _limit(PermitKind.OPERATING_HOURS, None, 900.0, 1800.0, 0.5)
    within = _limit(PermitKind.STARTS, 22.0, 8.0, 16.0, 0.5)
    assert annualised_over_caps(_result(full, uncapped, within), 4, "smt-130") == []  # type: ignore[arg-type]


def test_size_colossus_2025_at_200k_names_the_limit_it_cannot_meet() -> None:
    out = invoke(["size", "colossus-2025", "--target-gpus", "200000", "--step", "1h", "--json"])
    assert out.code == 0, out.stderr
    answer = json.loads(out.stdout)
    assert "start-ups 22 per rolling 12 months from 2025-07-02" in answer["permit"]
    if answer["best"] is None:  # no lawful count: the answer names the caps
        assert answer["limits"], "an infeasible answer must say which limit cannot be met"
        assert any(line.startswith("NOx:") and "rolling 12 months" in line for line in answer["limits"])
    else:  # a lawful count: within every capped window, starts included
        for lim in answer["best"]["permit_limits"]:
            if lim["cap"] is not None:
                assert lim["worst"] <= lim["cap"] + 1e-6, lim
        assert answer["best"]["feasible"]
