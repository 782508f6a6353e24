"""The README's flagship excerpt is what `megacluster run colossus-2024` prints today: every line of the
excerpt (whitespace collapsed, since the terminal's width decides where lines wrap) appears in the output.
When a model change moves a figure, regenerate the excerpt from the command in the same commit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cli.entry import invoke

README = Path(__file__).resolve().parents[2] / "README.md"
pytestmark = pytest.mark.slow


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _excerpt() -> list[str]:
    """The lines of the first code block after the heading 'What the flagship shows'."""
    text = README.read_text("utf-8")
    section = text[text.index("## What the flagship shows") :]
    block = section[section.index("```\n") + 4 :]
    block = block[: block.index("```")]
    return [_collapse(line) for line in block.splitlines() if line.strip()]


def test_the_readme_excerpt_is_the_current_output(tmp_path: Path) -> None:
    outcome = invoke(["run", "colossus-2024", "--out", str(tmp_path / "flagship")])
    assert outcome.code == 0, outcome.stderr
    printed = _collapse(outcome.stdout)
    lines = _excerpt()
    assert len(lines) >= 10
    missing = [line for line in lines if line not in printed]
    assert not missing, missing
