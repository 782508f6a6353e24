"""Running the real entry point (``megacluster.cli.main``) in-process: exit code, stdout, stderr.

Unlike typer's test runner this goes through ``main()``, so usage errors take the same one-line path as in a
terminal; any exception other than ``SystemExit`` escapes and fails the test with its traceback.
"""

from __future__ import annotations

import contextlib
import io
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """What one command did."""

    code: int
    stdout: str
    stderr: str


def invoke(args: list[str]) -> Outcome:
    """Run ``megacluster ARGS`` in this process."""
    from megacluster.cli import main

    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["megacluster", *args]
    code: int | str | None = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as exc:
        code = exc.code
    finally:
        sys.argv = argv
    return Outcome(
        code if isinstance(code, int) else (0 if code is None else 1), out.getvalue(), err.getvalue()
    )
