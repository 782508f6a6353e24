"""Errors that the command line turns into one clear message and exit code 2."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any


class MegaclusterError(Exception):
    """Base of every error the user can cause with bad input."""


class InputError(MegaclusterError):
    """Bad input: names the file, the field and what was expected.

    The CLI prints ``str(error)`` and exits with code 2.
    """

    def __init__(self, file: str | None, field: str | None, expected: str) -> None:
        self.file = file
        self.field = field
        self.expected = expected
        parts = []
        if file:
            parts.append(str(file))
        if field:
            parts.append(f"field '{field}'")
        where = ": ".join(parts)
        super().__init__(f"{where}: {expected}" if where else expected)


def nearest(name: str, choices: Iterable[str]) -> str | None:
    """The closest valid name to ``name``, or None when nothing is close."""
    found = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return found[0] if found else None


def unknown_choice_message(kind: str, name: str, choices: Iterable[str]) -> str:
    """Message for an unknown id: what was given, the nearest valid id and the valid ids."""
    choices = sorted(choices)
    close = nearest(name, choices)
    hint = f" (did you mean '{close}'?)" if close else ""
    return f"unknown {kind} '{name}'{hint}; valid: {', '.join(choices)}"


def with_file(error: InputError, file: str) -> InputError:
    """The same error, naming ``file`` when it named none."""
    if error.file:
        return error
    return InputError(file, error.field, error.expected)


MAX_INPUT_BYTES = 16 * 1024 * 1024
"""Largest input file read (scenario, sweep, spec, runs table); larger ones are refused unread. [B]"""

MAX_NESTING = 32
"""Deepest nesting of tables and arrays accepted in an input file. [-]"""


def read_text_file(path: Path, what: str) -> str:
    """The UTF-8 text of an input file; InputError naming the file for anything else (missing, a folder,
    unreadable, too large, binary or not UTF-8)."""
    label = str(path)
    try:
        if path.is_dir():
            raise InputError(label, None, f"is a folder; expected a {what}")
        if not path.is_file():
            raise InputError(label, None, f"file not found (expected a {what})")
        size = path.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise InputError(label, None, f"is {size:,} bytes; a {what} may have at most {MAX_INPUT_BYTES:,}")
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(label, None, f"cannot read the {what} ({exc.strerror or exc})") from None
    if b"\x00" in raw:
        raise InputError(label, None, f"is a binary file, not a {what} (UTF-8 text)")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            label, None, f"is not UTF-8 text (byte {exc.start}); save the {what} as UTF-8"
        ) from None


def check_nesting(data: Any, label: str, limit: int = MAX_NESTING) -> None:
    """InputError when tables/arrays nest deeper than ``limit`` (checked without recursion)."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise InputError(label, None, f"nested more than {limit} levels deep")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list | tuple):
            stack.extend((v, depth + 1) for v in node)
