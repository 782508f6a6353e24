"""Keeping the solver's and PyPSA's chatter off the user's terminal while the least-cost build is built and
solved (``--json`` prints only JSON on stdout)."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import warnings
from collections.abc import Iterator

QUIET_WARNINGS = (
    r".*absent slots.*",  # linopy: the start-up constraint's first hour is masked on purpose
    r".*include_objective_constant.*",  # PyPSA: the objective is read back part by part, not from the solver
    r".*infers the `str` dtype.*",  # PyPSA and pandas 3
)
"""Library warnings about choices made here on purpose, kept off the user's terminal (regular expressions)."""


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Keep the solver's and PyPSA's chatter off stdout (``--json`` prints only JSON): file descriptor 1 goes
    to stderr while the model is built and solved, and their loggers say only warnings."""
    loggers = [logging.getLogger(name) for name in ("pypsa", "linopy", "highspy")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.WARNING)
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        with contextlib.redirect_stdout(sys.stderr), warnings.catch_warnings():
            for message in QUIET_WARNINGS:
                warnings.filterwarnings("ignore", message=message)
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)
