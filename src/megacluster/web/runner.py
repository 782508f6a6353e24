"""Running one simulation in a forked worker process with a wall-clock limit.

A thread cannot be stopped; a process can. The worker inherits the simulator by ``fork`` (no pickling of
the function), sends back the finished JSON payload through a pipe, and is killed if it runs past the limit.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from megacluster.errors import InputError, MegaclusterError
from megacluster.results.assemble import Results
from megacluster.scenario.schema import Scenario
from megacluster.web.payload import simulation_payload

Simulator = Callable[[Scenario, int | None], Results]
"""``simulate(scenario, seed)``: the engine, or a stand-in in tests."""


class RunTimeout(Exception):
    """The simulation ran past its wall-clock limit and was stopped."""


@dataclass(frozen=True)
class RunFailure(Exception):
    """The simulation failed: a user error (``input``) or anything else."""

    kind: str
    message: str
    field: str | None = None


def _worker(
    conn: Connection, simulator: Simulator, scenario: Scenario, seed: int | None, points: int
) -> None:
    started = time.perf_counter()
    try:
        results = simulator(scenario, seed)
        conn.send(("ok", simulation_payload(results, points, time.perf_counter() - started)))
    except InputError as exc:
        conn.send(("input", str(exc), exc.field))
    except MegaclusterError as exc:
        conn.send(("input", str(exc), None))
    except Exception as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}", None))
    finally:
        conn.close()


def run_limited(
    simulator: Simulator, scenario: Scenario, seed: int | None, points: int, timeout_s: float
) -> Any:
    """The API payload of one simulation run in a child process; RunTimeout past ``timeout_s`` [s] (the
    child is killed), RunFailure if it raised or died."""
    ctx = mp.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_worker, args=(sender, simulator, scenario, seed, points), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(timeout_s):
            raise RunTimeout()
        try:
            message = receiver.recv()
        except EOFError:
            raise RunFailure(
                "error", f"the simulation worker stopped (exit code {process.exitcode})"
            ) from None
    finally:
        if process.is_alive():
            process.kill()
        process.join(timeout=5)
        receiver.close()
    if message[0] == "ok":
        return message[1]
    raise RunFailure(message[0], message[1], message[2])
