"""The [site] and [facility] sections: climate normals, design pair, cooling type and default PUE."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from megacluster import catalog
from megacluster.cooling.config import ClimateNormals, CoolingType, FacilityConfig, SiteConfig

FLAT = {"tmax_c": [30.0] * 12, "tmin_c": [20.0] * 12}


def test_design_pair_defaults() -> None:
    # no design pair: the hottest monthly maximum, and a wet-bulb 8 K below it
    hot = ClimateNormals(tmax_c=[20.0] * 11 + [33.0], tmin_c=[10.0] * 12)
    assert hot.design_pair_c() == (33.0, 25.0)
    assert ClimateNormals(**FLAT, design_drybulb_c=35.0, design_wetbulb_c=24.0).design_pair_c() == (
        35.0,
        24.0,
    )
    assert ClimateNormals(**FLAT, design_drybulb_c=35.0).design_pair_c() == (35.0, 27.0)
    assert ClimateNormals(**FLAT, design_wetbulb_c=21.0).design_pair_c() == (30.0, 21.0)
    # a wet-bulb given above the default dry-bulb is held at it
    assert ClimateNormals(**FLAT, design_wetbulb_c=32.0).design_pair_c() == (30.0, 30.0)


@pytest.mark.parametrize(
    ("normals", "words"),
    [
        (
            {"tmax_c": [30.0] * 11, "tmin_c": [20.0] * 12},
            "tmax_c needs 12 monthly values (January to December), got 11",
        ),
        (
            {"tmax_c": [30.0] * 12, "tmin_c": [20.0] * 13},
            "tmin_c needs 12 monthly values (January to December), got 13",
        ),
        (
            {"tmax_c": [30.0] * 12, "tmin_c": [20.0] * 5 + [31.0] + [20.0] * 6},
            "month 6: tmax_c 30.0 is below tmin_c 31.0",
        ),
        ({"tmax_c": [61.0] * 12, "tmin_c": [20.0] * 12}, "month 1: temperatures must lie in -60..60 °C"),
        ({"tmax_c": [30.0] * 12, "tmin_c": [-61.0] * 12}, "month 1: temperatures must lie in -60..60 °C"),
        ({**FLAT, "design_drybulb_c": 30.0, "design_wetbulb_c": 31.0}, "design_wetbulb_c cannot exceed"),
    ],
)
def test_bad_normals(normals: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError, match=words.replace("(", r"\(").replace(")", r"\)")):
        ClimateNormals(**normals)  # type: ignore[arg-type]


def test_limits_of_the_normals_are_accepted() -> None:
    edge = ClimateNormals(
        tmax_c=[60.0] * 12, tmin_c=[-60.0] * 12, design_drybulb_c=30.0, design_wetbulb_c=30.0
    )
    assert edge.design_pair_c() == (30.0, 30.0)
    assert ClimateNormals(tmax_c=[20.0] * 12, tmin_c=[20.0] * 12).design_pair_c() == (20.0, 12.0)


def test_site_climate_from_the_catalog_or_inline() -> None:
    mem = catalog.climates()["memphis"]
    n = SiteConfig(climate="memphis").normals()
    assert n.tmax_c == tuple(mem.tmax_c) and n.tmin_c == tuple(mem.tmin_c)
    assert n.design_pair_c() == (34.4, 24.9)
    inline = SiteConfig(climate=FLAT)
    assert isinstance(inline.climate, ClimateNormals) and inline.normals() == inline.climate
    assert SiteConfig().climate == "memphis"
    with pytest.raises(ValidationError, match="inline climate tmin_c: tmin_c needs 12"):
        SiteConfig(climate={"tmax_c": [30.0] * 12, "tmin_c": [20.0]})
    with pytest.raises(ValidationError, match="inline climate: month 1: tmax_c"):
        SiteConfig(climate={"tmax_c": [10.0] * 12, "tmin_c": [20.0] * 12})
    with pytest.raises(ValidationError, match="climate"):
        SiteConfig(climate="atlantis")


def test_cooling_type_and_default_pue() -> None:
    assert FacilityConfig().cooling_type() is CoolingType.CHILLER_TOWER
    assert FacilityConfig(pue=1.3).cooling_type() is CoolingType.CONSTANT_PUE
    assert FacilityConfig(pue=1.3, cooling="dry_cooler").cooling_type() is CoolingType.DRY_COOLER
    assert FacilityConfig().pue_value() == 1.2 and FacilityConfig(pue=1.5).pue_value() == 1.5


def test_utc_offset_of_the_site() -> None:
    # Memphis and Abilene keep US Central Standard Time (UTC-6); inline normals have no zone: UTC
    assert SiteConfig(climate="memphis").utc_offset_hours() == -6.0
    assert SiteConfig(climate=FLAT).utc_offset_hours() == 0.0
    assert SiteConfig(climate="memphis", utc_offset_h=1.0).utc_offset_hours() == 1.0
    assert SiteConfig(climate=FLAT, utc_offset_h=5.5).utc_offset_hours() == 5.5
