"""Behaviour of the site section: the climate's normals and design statistics as the weather model gets them,
its sourced heat event (on only when asked), the design points the synthetic weather is calibrated to, and the
grid region."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from megacluster import catalog
from megacluster.cooling import constants as k
from megacluster.cooling.config import DEFAULT_REGION, ClimateNormals, HeatWave, SiteConfig

PLAIN = {"tmax_c": [20.0] * 12, "tmin_c": [10.0] * 12}


def test_catalog_climate_normals_are_the_catalog_entry() -> None:
    normals = SiteConfig(climate="yakima").normals()
    entry = catalog.climates()["yakima"]
    assert normals.tmax_c == tuple(entry.tmax_c)
    assert normals.tmin_c == tuple(entry.tmin_c)
    assert normals.design_drybulb_c == 33.6
    assert normals.design_wetbulb_c == 18.5
    assert normals.drybulb_0p4_c == 35.4
    assert normals.wetbulb_0p4_c == 19.2
    assert normals.drybulb_max_mean_c == 38.2
    assert normals.wetbulb_evap_0p4_c == 20.2
    assert normals.elevation_m == 324.0
    assert normals.heatwave is None  # off unless asked


def test_catalog_heatwave_is_laid_on_only_when_asked() -> None:
    event = SiteConfig(climate="yakima", heatwave=True).normals().heatwave
    assert event == HeatWave(
        name="Yakima, August 1971: all-time high 110 F on 10 August",
        month=8,
        first_day=7,
        days=5,
        peak_day=10,
        threshold_c=37.8,
        peak_c=43.3,
    )
    memphis = SiteConfig(climate="memphis", heatwave=True).normals().heatwave
    assert memphis is not None
    assert (memphis.month, memphis.first_day, memphis.days, memphis.peak_day) == (7, 6, 15, 13)
    assert (memphis.threshold_c, memphis.peak_c) == (37.8, 42.2)
    assert memphis.name.startswith("Memphis, July 1980")


def test_inline_normals_keep_their_own_heatwave_only_when_asked() -> None:
    wave = {"month": 6, "first_day": 1, "days": 3, "peak_day": 2, "threshold_c": 30.0, "peak_c": 33.0}
    on = SiteConfig(climate={**PLAIN, "heatwave": wave}, heatwave=True).normals()
    assert on.heatwave == HeatWave(**wave)
    assert on.tmax_c == (20.0,) * 12
    off = SiteConfig(climate={**PLAIN, "heatwave": wave}).normals()
    assert off.heatwave is None
    assert off.tmax_c == (20.0,) * 12


def test_heatwave_without_a_sourced_event_is_refused() -> None:
    with pytest.raises(ValidationError, match="heatwave = true needs a sourced event"):
        SiteConfig(climate=PLAIN, heatwave=True)


def test_inline_climate_error_names_the_field() -> None:
    with pytest.raises(ValidationError, match="inline climate tmax_c"):
        SiteConfig(climate={"tmax_c": [20.0] * 11, "tmin_c": [10.0] * 12})
    with pytest.raises(ValidationError, match=r"inline climate: month 1: tmax_c 5\.0 is below tmin_c 10\.0"):
        SiteConfig(climate={"tmax_c": [5.0] * 12, "tmin_c": [10.0] * 12})


def test_region_given_else_the_climates_else_the_us_average() -> None:
    assert SiteConfig(climate="yakima").region_id() == "nwpp-grant-pud"
    assert SiteConfig(climate="memphis").region_id() == "tva-mlgw"
    assert SiteConfig(climate=PLAIN).region_id() == DEFAULT_REGION == "us-average"
    assert SiteConfig(climate="yakima", region="tva-mlgw").region_id() == "tva-mlgw"
    assert SiteConfig(climate=PLAIN).region_entry() == catalog.regions()["us-average"]


def test_hot_points_are_the_known_design_dry_bulbs_in_order() -> None:
    full = SiteConfig(climate="memphis").normals()
    assert full.hot_points_c() == ((0.01, 34.4), (0.004, 35.6), (0.0, 37.0))
    assert ClimateNormals(**PLAIN).hot_points_c() == ()
    only_04 = ClimateNormals(**PLAIN, drybulb_0p4_c=30.0)
    assert only_04.hot_points_c() == ((0.004, 30.0),)
    only_max = ClimateNormals(**PLAIN, drybulb_max_mean_c=33.0)
    assert only_max.hot_points_c() == ((0.0, 33.0),)


def test_coincident_pair_prefers_the_hotter_design_point() -> None:
    full = SiteConfig(climate="memphis").normals()
    assert full.coincident_pair_c() == (35.6, 25.2)
    one_pct = ClimateNormals(**PLAIN, design_drybulb_c=30.0, design_wetbulb_c=21.0, drybulb_0p4_c=31.0)
    assert one_pct.coincident_pair_c() == (30.0, 21.0)  # 0.4 % dry-bulb without its wet-bulb
    half = ClimateNormals(**PLAIN, design_drybulb_c=30.0, wetbulb_0p4_c=22.0)
    assert half.coincident_pair_c() is None
    assert ClimateNormals(**PLAIN).coincident_pair_c() is None


def test_design_pair_defaults() -> None:
    plain = ClimateNormals(**PLAIN)
    assert plain.design_pair_c() == (20.0, 20.0 - k.WETBULB_DEPRESSION_K)
    given = ClimateNormals(**PLAIN, design_drybulb_c=30.0, design_wetbulb_c=21.0)
    assert given.design_pair_c() == (30.0, 21.0)
