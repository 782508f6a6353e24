"""Errors that the command line turns into one clear message and exit code 2."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


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
