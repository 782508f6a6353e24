"""Small helpers shared by the command-line commands: error handling, overrides, progress and output.

Only typer is imported at the top: everything else is imported where a command needs it, so that
``megacluster --help`` and ``megacluster presets`` start in a fraction of a second.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import typer

from megacluster.errors import MegaclusterError

P = ParamSpec("P")
R = TypeVar("R")


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a user error into one line on stderr and exit code 2, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except MegaclusterError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(code=2) from None

    return wrapper


def print_json(obj: Any) -> None:
    """Print an object as JSON on stdout and nothing else."""
    sys.stdout.write(json.dumps(obj, indent=2, default=_json_default) + "\n")


def _json_default(obj: Any) -> Any:
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def simulation_overrides(
    seed: int | None = None,
    step: str | None = None,
    days: float | None = None,
    replicas: int | None = None,
    start: str | None = None,
) -> dict[str, Any]:
    """Dotted scenario overrides from the usual command-line flags (``--step`` parsed to seconds)."""
    from megacluster.errors import InputError
    from megacluster.units import parse_duration_s

    out: dict[str, Any] = {}
    if seed is not None:
        out["simulation.seed"] = seed
    if replicas is not None:
        out["simulation.replicas"] = replicas
    if step is not None:
        try:
            out["simulation.step"] = parse_duration_s(step)
        except ValueError as exc:
            raise InputError("--step", None, str(exc)) from None
    if days is not None:
        out["simulation.horizon_days"] = days
    if start is not None:
        out["simulation.start"] = start
    return out


def work_limits(max_memory: str | None, max_time: str | None) -> tuple[float | None, float | None]:
    """``--max-memory`` and ``--max-time`` as bytes and seconds (None: the defaults). [B], [s]"""
    from megacluster.engine.budget import parse_bytes
    from megacluster.errors import InputError
    from megacluster.units import parse_duration_s

    memory = parse_bytes(max_memory) if max_memory is not None else None
    seconds = None
    if max_time is not None:
        try:
            seconds = parse_duration_s(max_time)
        except ValueError as exc:
            raise InputError("--max-time", None, str(exc)) from None
        if not 0 < seconds < float("inf"):
            raise InputError("--max-time", None, f"expected a positive duration (got {max_time!r})")
    return memory, seconds


HEATWAVE_HELP = (
    "Stress test: lay the site's sourced extreme heat event on the weather (Memphis: July 1980, 15 days "
    "above 100 F, 108 F peak; [site] heatwave)"
)
"""Help of ``--heatwave`` (run and size)."""

MAX_MEMORY_HELP = "Refuse runs estimated to need more memory, e.g. 20G (default: half the machine's)"
MAX_TIME_HELP = "Refuse runs estimated to take longer, e.g. 2h (default: 24h)"
FORCE_HELP = "Replace an earlier megacluster output in --out (never anything else)"
SET_HELP = (
    "Override one scenario field: --set dotted.field=VALUE (repeatable; VALUE is read as TOML, e.g. "
    "--set power.generators[0].count=20 --set simulation.start=2024-08-01, else as text)"
)


def set_overrides(pairs: list[str] | None) -> dict[str, Any]:
    """``--set a.b[0].c=VALUE`` pairs as dotted overrides; VALUE is a TOML value (number, date, array,
    inline table, quoted string) or, when it is none, plain text. The scenario's own validation then checks
    each field with the file and field in its message."""
    import tomllib

    from megacluster.errors import InputError

    out: dict[str, Any] = {}
    for pair in pairs or []:
        field, sep, raw = pair.partition("=")
        field = field.strip()
        if not sep or not field:
            raise InputError(
                "--set", None, f"expected FIELD=VALUE, e.g. simulation.horizon_days=30 (got {pair!r})"
            )
        try:
            value: Any = tomllib.loads(f"value = {raw.strip()}")["value"]
        except (tomllib.TOMLDecodeError, RecursionError):
            value = raw.strip()
        out[field] = value
    return out


class Progress:
    """A progress bar on stderr when stderr is a terminal (and nothing otherwise): ``advance()`` once per
    unit of work. Colours follow ``NO_COLOR``; stdout is never touched (``--json`` stays clean)."""

    def __init__(self, total: int | None, description: str) -> None:
        self.total = total
        self.description = description
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        from rich.console import Console

        console = Console(stderr=True)
        if not console.is_terminal:
            return self
        from rich import progress

        columns: list[Any] = [progress.SpinnerColumn(), progress.TextColumn("{task.description}")]
        if self.total is not None:
            columns += [progress.BarColumn(), progress.MofNCompleteColumn()]
        self._bar = progress.Progress(*columns, progress.TimeElapsedColumn(), console=console, transient=True)
        self._bar.__enter__()
        self._task = self._bar.add_task(self.description, total=self.total)
        return self

    def advance(self, step: int = 1) -> None:
        """One more unit of work done."""
        if self._bar is not None:
            self._bar.advance(self._task, step)

    def describe(self, text: str) -> None:
        """Say what is being done now."""
        if self._bar is not None:
            self._bar.update(self._task, description=text)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
