"""Public milestones of the compute race (``data/milestones.toml``): dated, sourced events of each campus,
and which scenarios simulate which campus."""

from __future__ import annotations

import datetime as dt
import enum
import tomllib
from collections.abc import Sequence
from functools import cache
from importlib import resources

from pydantic import Field, ValidationError

from megacluster.errors import input_error_from
from megacluster.units import Frozen

MILESTONES_FILE = "milestones.toml"
"""The data file, in ``megacluster/report/data/``."""


class SourceTag(enum.StrEnum):
    """How direct a source is."""

    PRIMARY = "P"
    SECONDARY = "S"
    DERIVED = "D"
    ASSUMPTION = "A"
    UNVERIFIED = "U"


class Campus(Frozen):
    """A campus of the race and the scenarios that simulate it."""

    id: str = Field(min_length=1, max_length=60, description="Campus id")
    name: str = Field(min_length=1, max_length=120, description="Campus name, for legends")
    scenarios: tuple[str, ...] = Field(default=(), description="Names of scenarios that simulate it")


class Milestone(Frozen):
    """A public, sourced event of a campus."""

    campus: str = Field(min_length=1, max_length=60, description="Campus id")
    date: dt.date = Field(description="Where the chart draws it (the day the wording implies)")
    when: str = Field(min_length=1, max_length=60, description="The date as published")
    what: str = Field(min_length=1, max_length=200, description="What happened, in a few words")
    source: str = Field(pattern=r"^[\w.-]+\.md [\d.]+$", description="Bibliography file and section")
    tag: SourceTag = Field(description="How direct the source is")
    quote: str = Field(min_length=1, max_length=300, description="Words of the cited section")
    planned: bool = Field(default=False, description="An announced plan, not an event that happened")


class MilestoneData(Frozen):
    """The whole data file."""

    campus: tuple[Campus, ...]
    milestone: tuple[Milestone, ...]


@cache
def milestone_data() -> MilestoneData:
    """The campuses and milestones of ``data/milestones.toml``, validated. [-]"""
    text = resources.files("megacluster.report").joinpath("data", MILESTONES_FILE).read_text("utf-8")
    try:
        return MilestoneData.model_validate(tomllib.loads(text))
    except ValidationError as exc:  # a broken data file: named like any bad input
        raise input_error_from(exc, MILESTONES_FILE, MilestoneData) from None


def campus_of(scenario_name: str) -> Campus | None:
    """The campus a scenario simulates, or None. [-]"""
    return next((c for c in milestone_data().campus if scenario_name in c.scenarios), None)


def milestones_for(campus_ids: Sequence[str]) -> list[Milestone]:
    """The milestones of these campuses, by date. [-]"""
    wanted = set(campus_ids)
    return sorted((m for m in milestone_data().milestone if m.campus in wanted), key=lambda m: m.date)
