"""Reading a preset's TOML text: which lines state a number, and whether a source tag stands by each."""

from __future__ import annotations

import re

TAG = re.compile(r"\[(P|S|D|A|U)\b")
"""A source tag: [P], [S], [D], [A], [U] (also '[P via S]', '[S, weak]')."""

NUMBER = re.compile(r"=\s*(\[?\s*\{[^}]*\d|[-+]?\d)")
"""A key whose value is a number, a date or an array of inline tables holding numbers."""

RUN_SETTINGS = {"step", "seed", "replicas", "horizon_days"}
"""Keys of how a run is computed, not facts about the campus."""


def untagged_lines(text: str) -> list[str]:
    """The lines of a preset that give a number without a source tag on the line itself, in the comment
    block right above it (a table's leading comment) or in the comment lines that continue it below."""
    lines = text.splitlines()
    missing = []
    for i, line in enumerate(lines):
        code = line.split("#", 1)[0]
        key = code.split("=", 1)[0].strip()
        if line.lstrip().startswith("#") or not NUMBER.search(code) or key in RUN_SETTINGS:
            continue
        if _tagged(lines, i):
            continue
        missing.append(line.strip())
    return missing


def _tagged(lines: list[str], i: int) -> bool:
    if TAG.search(lines[i]):
        return True
    j = i + 1  # continuation comments below (indented '#')
    while j < len(lines) and lines[j].lstrip().startswith("#") and lines[j].startswith(" "):
        if TAG.search(lines[j]):
            return True
        j += 1
    j = i - 1  # the comment block above, up to the table header or a blank line
    while j >= 0 and lines[j].strip() and not lines[j].lstrip().startswith("["):
        if lines[j].lstrip().startswith("#") and TAG.search(lines[j]):
            return True
        j -= 1
    return False
