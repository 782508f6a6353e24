"""The weather a process keeps for the replicas of a run (``engine.site.site_weather``): the same weather for
the same site, grid and file; a new one when any of them changes; read-only arrays."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from megacluster.engine.site import site_weather
from megacluster.scenario.load import load_scenario

from .epw_fixture import memphis_design_year, write_epw

START, END = np.datetime64("2024-07-01T00:00"), np.datetime64("2024-07-03T00:00")
TIMES = np.arange(START, END, np.timedelta64(5, "m"))


def test_the_same_site_and_grid_share_one_read_only_weather() -> None:
    scenario = load_scenario("colossus-2024")
    first = site_weather(scenario, TIMES)
    assert site_weather(scenario, TIMES.copy()) is first
    with pytest.raises(ValueError, match="read-only"):
        first.drybulb_c[0] = 0.0
    assert site_weather(scenario, TIMES[:-1]) is not first  # another grid
    hot = load_scenario("colossus-2024", {"site.heatwave": True})
    assert site_weather(hot, TIMES) is not first  # another site


def test_a_weather_file_changed_on_disk_is_read_again(tmp_path: Path) -> None:
    db, dew = memphis_design_year()
    epw = write_epw(tmp_path / "memphis.epw", db, dew)
    scenario = load_scenario("colossus-2024", {"site.weather_file": str(epw)})
    before = site_weather(scenario, TIMES)
    assert site_weather(scenario, TIMES) is before
    write_epw(epw, db + 3.0, dew)
    os.utime(epw, ns=(os.stat(epw).st_atime_ns, os.stat(epw).st_mtime_ns + 1_000_000_000))
    after = site_weather(scenario, TIMES)
    assert after is not before
    np.testing.assert_allclose(after.drybulb_c, before.drybulb_c + 3.0, atol=1e-9)
