"""Errors that the command line turns into one clear message and exit code 2."""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pydantic is imported where an error is translated, so that light commands start fast
    from pydantic import BaseModel, ValidationError


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


def _field_names_at(root: type[BaseModel] | None, loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model reached by ``loc`` from ``root`` (for 'did you mean')."""
    from pydantic import BaseModel

    model: Any = root
    for part in loc:
        if isinstance(part, int) or not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        info = model.model_fields.get(str(part))
        if info is None:
            break
        model = _model_in(info.annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [info.alias or name for name, info in model.model_fields.items()]
    return []


def _model_in(annotation: Any) -> Any:
    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    if isinstance(annotation, types.UnionType):
        return None
    return None


_UNION_TAGS = {
    "str",
    "float",
    "int",
    "bool",
    "ClimateNormals",
    "ModelShape",
    "literal['auto']",
}
"""Parts of a pydantic error location that name a union's alternative, not a field."""


def _format_loc(loc: tuple[Any, ...], tags: frozenset[str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith("function-") or str(part) in _UNION_TAGS or str(part) in tags:
            continue
        else:
            out += ("." if out else "") + str(part)
    return out


def input_error_from(
    exc: ValidationError,
    label: str | None,
    root: type[BaseModel] | None = None,
    union_tags: frozenset[str] = frozenset(),
) -> InputError:
    """A pydantic validation error as one InputError: file (``label``), dotted field, what was expected.

    The one translator of the project (scenarios, sweeps, specs, web requests). In a union (a catalog id or
    an inline table) the alternative that got furthest says what is wrong; an unknown key names the nearest
    valid one among ``root``'s fields at that place; ``union_tags`` are the tag values of discriminated
    unions, left out of the dotted field.
    """
    errors = exc.errors()
    # in a union (a catalog id or an inline table) the alternative that got furthest says what is wrong
    deepest = max(len(e.get("loc", ())) for e in errors)
    err = next(e for e in errors if len(e.get("loc", ())) == deepest)
    loc = tuple(err.get("loc", ()))
    field = _format_loc(loc, union_tags) or None
    message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    if err.get("type") == "extra_forbidden":
        bad = str(loc[-1]) if loc else ""
        valid = _field_names_at(root, loc[:-1])
        close = nearest(bad, valid)
        hint = f" (did you mean '{close}'?)" if close else ""
        listed = f"; valid fields here: {', '.join(valid)}" if valid else ""
        message = f"unknown field '{bad}'{hint}{listed}"
    elif err.get("type") == "missing":
        message = "this field is required"
    elif err.get("type") in {"union_tag_invalid", "union_tag_not_found"}:
        expected = err.get("ctx", {}).get("expected_tags", "")
        message = f"expected one of the kinds {expected}"
    elif "input" in err and err.get("type") not in {"value_error"}:
        message = f"{message} (got {err['input']!r})"
    return InputError(label, field, message)
