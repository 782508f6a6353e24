"""Base of every catalog entry."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CatalogEntry(BaseModel):
    """Base of every catalog entry: an id, a readable name and a source per number."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    id: str
    name: str
    source: dict[str, str] = Field(default_factory=dict)
