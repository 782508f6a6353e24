"""Sizing the swing mitigations against the scenario's stated limits: the smallest site battery (under the
section's smoothing controller) and the smallest GPU power floor. The engine re-draws the windows for each
floor tried (the same random draws each time), so a smaller floor or battery is shown to fail.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from megacluster.power import constants as pk
from megacluster.scenario.schema import Scenario
from megacluster.transients.analysis import battery_spec, site_facility
from megacluster.transients.config import SmoothingController
from megacluster.transients.sizing import BatterySizing, FloorSizing, size_battery, size_floor
from megacluster.transients.summary import SwingAnalysis


@dataclass(frozen=True)
class SwingSizing:
    """The smallest battery and the smallest floor that keep every window within the stated limits."""

    controller: str
    ramp_mw_per_s: float | None
    """Ramp the battery's limiter allows (None under a low-pass). [MW/s]"""
    battery: BatterySizing
    floor: FloorSizing
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready. [-]"""
        return asdict(self)


def size_swings(scenario: Scenario, analysis: SwingAnalysis) -> SwingSizing | None:
    """Size a battery and a floor for the limits of ``[transients.limits]`` (None when none is stated)."""
    config = analysis.config
    limits = config.limits
    if not limits.stated():
        return None
    note = ""
    if (
        config.battery.controller is SmoothingController.RAMP_LIMITER
        and limits.tightest_ramp_mw_per_s() is None
        and config.battery.ramp_mw_per_s is None
    ):
        low_pass = config.battery.model_copy(update={"controller": SmoothingController.LOW_PASS})
        config = config.model_copy(update={"battery": low_pass})
        note = "no ramp limit stated: the battery is sized under a low-pass controller"
    plant = scenario.power.battery
    rte = config.battery.round_trip_efficiency or (
        plant.efficiency() if plant is not None else pk.BATTERY_ROUND_TRIP_EFFICIENCY
    )
    base = battery_spec(1.0, 1.0, rte, config)
    dt = config.resolution
    loads = [w.mitigated.facility_mw for w in analysis.windows]
    battery = size_battery(loads, dt, base, limits)

    def site_loads(floor: float) -> list[Any]:
        return [
            site_facility(w.inputs, config, floor, mitigate=True)[0].facility_mw for w in analysis.windows
        ]

    floor = size_floor(site_loads, dt, config)
    ramp = base.ramp_mw_per_s if base.controller is SmoothingController.RAMP_LIMITER else None
    return SwingSizing(
        controller=base.controller.value, ramp_mw_per_s=ramp, battery=battery, floor=floor, note=note
    )
