"""Every field of ``summary.json`` with its description and unit, as Markdown table rows (the README's
output section is generated from it: ``uv run python scripts/write_summary_schema.py``)."""

from __future__ import annotations

import typing

from pydantic import BaseModel

from megacluster.results.summary import Summary

_OPAQUE = {"layout", "permit"}
"""Sub-models described in one row (their own fields are documented where they are defined)."""


def _submodel(annotation: object) -> type[BaseModel] | None:
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def field_rows(model: type[BaseModel] = Summary, prefix: str = "") -> list[tuple[str, str]]:
    """(dotted field, description ending in its unit) for every field, depth first."""
    out = []
    for name, info in model.model_fields.items():
        sub = _submodel(info.annotation)
        doc = (sub.__doc__ or "").strip().split("\n")[0] if sub is not None else ""
        out.append((prefix + name, info.description or doc))
        if sub is not None and name not in _OPAQUE:
            out += field_rows(sub, f"{prefix}{name}.")
    return out


def fields_markdown() -> str:
    """The fields as a Markdown table."""
    lines = ["| field | what [unit] |", "|---|---|"]
    lines += [f"| `{field}` | {text} |" for field, text in field_rows()]
    return "\n".join(lines) + "\n"
