"""Reading and printing summary figures: shared by the terminal text and the reports."""

from __future__ import annotations

from typing import Any


def dig(tree: Any, *keys: str) -> Any:
    """``tree[k1][k2]…`` or None when any level is missing."""
    for key in keys:
        if not isinstance(tree, dict) or key not in tree:
            return None
        tree = tree[key]
    return tree


def fmt(value: Any, spec: str = ",.0f") -> str:
    """A number as text ('–' for missing values, 'yes'/'no' for booleans)."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return format(value, spec)
    return str(value)
