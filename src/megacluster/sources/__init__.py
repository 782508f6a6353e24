"""The project's bibliography of sourced facts, shipped inside the package so that a citation such as
"facts.md §5.1" or "facts-plant.md 9" resolves from an installed wheel:
``megacluster sources facts.md 5.1``."""

from __future__ import annotations

import re
from importlib import resources

from megacluster.errors import InputError, unknown_choice_message


def source_files() -> list[str]:
    """The bibliography's files."""
    folder = resources.files("megacluster.sources")
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".md"))


def source_text(name: str) -> str:
    """One bibliography file's text; InputError naming the files when unknown."""
    if not name.endswith(".md"):
        name += ".md"
    if name not in source_files():
        raise InputError(None, "FILE", unknown_choice_message("bibliography file", name, source_files()))
    return resources.files("megacluster.sources").joinpath(name).read_text("utf-8")


def source_section(name: str, section: str) -> str:
    """The section numbered ``section`` (e.g. '5.1' or '9') of a bibliography file, heading included, up to
    the next heading of the same or a higher level."""
    text = source_text(name)
    lines = text.splitlines()
    pattern = re.compile(rf"^(#+)\s+{re.escape(section.rstrip('.'))}[.\s]")
    for i, line in enumerate(lines):
        match = pattern.match(line)
        if match is None:
            continue
        level = len(match.group(1))
        end = next(
            (
                j
                for j in range(i + 1, len(lines))
                if (m := re.match(r"^(#+)\s", lines[j])) and len(m.group(1)) <= level
            ),
            len(lines),
        )
        return "\n".join(lines[i:end]).rstrip() + "\n"
    raise InputError(None, "SECTION", f"no section {section} in {name}")
