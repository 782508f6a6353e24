"""Every public milestone of the compute race is sourced: its citation resolves in the bibliography shipped
with the package and the quoted words are in the cited section."""

from __future__ import annotations

import re

import pytest

from megacluster.report.milestones import Milestone, campus_of, milestone_data, milestones_for
from megacluster.scenario.presets import preset_names
from megacluster.sources import source_section

MILESTONES = milestone_data().milestone


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("milestone", MILESTONES, ids=lambda m: f"{m.campus}:{m.date}")
def test_each_milestone_quotes_its_source(milestone: Milestone) -> None:
    name, section = milestone.source.split(" ")
    text = source_section(name, section)
    assert _flat(milestone.quote) in _flat(text), (milestone.source, milestone.quote)
    assert milestone.tag.value in {"P", "S", "D", "A", "U"}


@pytest.mark.parametrize("milestone", MILESTONES, ids=lambda m: f"{m.campus}:{m.date}")
def test_the_published_date_and_the_drawn_date_agree(milestone: Milestone) -> None:
    assert str(milestone.date.year) in milestone.when
    month = milestone.date.strftime("%B")
    assert month in milestone.when or month[:3] in milestone.when or "mid-" in milestone.when


def test_campuses_name_real_presets_and_every_milestone_a_campus() -> None:
    data = milestone_data()
    ids = [c.id for c in data.campus]
    assert len(ids) == len(set(ids))
    for campus in data.campus:
        assert set(campus.scenarios) <= set(preset_names()), campus.id
    assert {m.campus for m in data.milestone} <= set(ids)
    for preset in ("colossus-2024", "colossus-2025", "stargate-abilene", "llama3-meta-24k"):
        assert campus_of(preset) is not None, preset


def test_milestones_for_sorts_by_date() -> None:
    found = milestones_for(["xai-colossus", "stargate-abilene"])
    assert [m.date for m in found] == sorted(m.date for m in found)
    assert {m.campus for m in found} == {"xai-colossus", "stargate-abilene"}
    assert any(m.planned for m in found)  # Stargate phase 2, mid-2026, is a plan
