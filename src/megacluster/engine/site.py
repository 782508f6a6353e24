"""What the plant needs from the site and the job besides its own sections: the weather (a typical-year file
or the synthetic generator, with the heat event when asked), the grid region, and the GPUs' draw profile from
the performance model's phase breakdown (the power-swing model's phase levels: ``transients``).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from megacluster import catalog
from megacluster.cooling.weather import Weather, weather_at
from megacluster.cooling.weatherfile import read_weather_file
from megacluster.engine.training import JobThroughput
from megacluster.errors import InputError
from megacluster.power.meandraw import DrawProfile
from megacluster.scenario.schema import Scenario
from megacluster.transients.config import TransientsConfig

TZ_TOLERANCE_H = 1e-6
"""A weather file's time zone must equal the site's to within this. [h]"""


@dataclass(frozen=True)
class PlantSite:
    """The weather at each step, the grid region and the GPUs' draw profile."""

    weather: Weather
    region: catalog.Region
    draw: DrawProfile


def site_weather(scenario: Scenario, times: npt.NDArray[np.datetime64]) -> Weather:
    """The weather at each step: the scenario's weather file (EPW or TMY3, its time zone checked against the
    site's), else the synthetic weather of its climate; the heat event on top when ``[site] heatwave``. [°C]

    Computed once per site, time grid and weather file in a process (the replicas of a run share it unless
    the site itself is uncertain; ~6 ms a flagship replica): its arrays are read-only. [°C]
    """
    t = np.ascontiguousarray(np.asarray(times).astype("datetime64[s]"))
    path = scenario.site.weather_file
    try:
        info = os.stat(path) if path is not None else None
        stamp = (info.st_mtime_ns, info.st_size) if info is not None else (0, 0)
    except OSError:
        return _weather(scenario, t)  # the reader says what is wrong with the file
    key = (scenario.site.model_dump_json(), hashlib.blake2b(t.tobytes(), digest_size=16).hexdigest(), *stamp)
    found = _WEATHER.get(key)
    if found is None:
        found = _weather(scenario, t)
        for array in (found.drybulb_c, found.wetbulb_c, found.dewpoint_c):
            array.flags.writeable = False
        if len(_WEATHER) >= WEATHER_CACHE:
            _WEATHER.pop(next(iter(_WEATHER)))
        _WEATHER[key] = found
    return found


_WEATHER: dict[tuple[str, str, int, int], Weather] = {}
WEATHER_CACHE = 4
"""Weathers a process keeps, by site, time grid and weather file (its modification time and size): a run's
replicas need one; a long-lived process (the web server, a sweep's worker) keeps the last few sites, each
~2 MB at 86,400 steps, oldest dropped first. [-]"""


def _weather(scenario: Scenario, times: npt.NDArray[np.datetime64]) -> Weather:
    climate = scenario.site.normals()
    path = scenario.site.weather_file
    if path is None:
        return weather_at(times, climate)
    found = read_weather_file(path)
    offset = scenario.site.utc_offset_hours()
    if abs(found.utc_offset_h - offset) > TZ_TOLERANCE_H:
        raise InputError(
            path,
            "site.weather_file",
            f"the file's clock is UTC{found.utc_offset_h:+g} h but the site runs on UTC{offset:+g} h; set "
            f"[site] utc_offset_h = {found.utc_offset_h:g} or give a file of the site's time zone",
        )
    return weather_at(times, climate, found.year)


def draw_profile(scenario: Scenario, perf: JobThroughput | None) -> DrawProfile:
    """The GPUs' draw over an iteration: a flat ``[power.demand] gpu_mean_fraction`` when given; else the
    job's phase breakdown (time shares of compute, exposed communication, pipeline bubble, data-parallel
    collectives and optimizer) at the power-swing model's phase levels; else, without a planned job, the
    measured mean."""
    demand = scenario.power.demand
    if demand.gpu_mean_fraction is not None:
        return DrawProfile.flat(demand.gpu_mean_fraction, "scenario [power.demand] gpu_mean_fraction")
    if scenario.training is None or perf is None or perf.layout is None:
        return DrawProfile.measured()
    from megacluster.engine.swings import phase_breakdown

    phases = phase_breakdown(scenario, perf.layout)
    config = scenario.transients or TransientsConfig()
    pp = config.phase_power
    times = (phases.compute_s, phases.exposed_comm_s, phases.bubble_s, phases.dp_comm_s, phases.optimizer_s)
    levels = (
        pp.compute_fraction,
        pp.communication_fraction,
        pp.idle_fraction,
        pp.communication_fraction,
        pp.optimizer_fraction,
    )
    shares = tuple(t / phases.step_s for t in times)
    labels = ("compute", "exposed communication", "pipeline bubble", "data-parallel collectives", "optimizer")
    mix = ", ".join(
        f"{name} {share:.1%}" for name, share in zip(labels, shares, strict=True) if share > 0.0005
    )
    source = (
        f"phase breakdown of the training job ({mix}) at the power-swing model's levels "
        f"(compute {pp.compute_fraction:g}, communication {pp.communication_fraction:g}, idle "
        f"{pp.idle_fraction:g}, optimizer {pp.optimizer_fraction:g} of TDP)"
    )
    return DrawProfile(
        shares=shares,
        levels=tuple(min(level, demand.gpu_load_fraction) for level in levels),
        floor=config.gpu_smoothing.floor_fraction,
        source=source,
    )


def plant_site(
    scenario: Scenario, times: npt.NDArray[np.datetime64], perf: JobThroughput | None
) -> PlantSite:
    """Everything the plant takes from the site and the job. [°C, -]"""
    return PlantSite(
        weather=site_weather(scenario, times),
        region=scenario.site.region_entry(),
        draw=draw_profile(scenario, perf),
    )
