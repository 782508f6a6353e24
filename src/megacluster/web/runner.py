"""Running one simulation in a forked worker process with a wall-clock limit, a memory cap and cancellation.

A thread cannot be stopped; a process can. The worker inherits the simulator by ``fork`` (no pickling of
the function), caps its own address space, sends back the finished JSON payload through a pipe, and is
killed if it runs past the limit or the caller cancels (its client went away).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import signal
import stat
import threading
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

CANCEL_POLL_S = 0.1
"""How often the thread waiting on a worker checks for cancellation and the time limit. [s]
A tenth of a second adds no noticeable delay; each check is one ``poll`` on a pipe."""

JOIN_TIMEOUT_S = 5.0
"""How long to wait for a killed worker to be reaped. [s]
SIGKILL ends a process at once; this only guards against a wedged kernel."""


class RunTimeout(Exception):
    """The simulation ran past its wall-clock limit and was stopped."""


class RunCancelled(Exception):
    """The caller cancelled the run (its client went away) and the worker was stopped."""


@dataclass(frozen=True)
class RunFailure(Exception):
    """The simulation failed: a user error (``input``), the memory cap (``memory``) or anything else."""

    kind: str
    message: str
    field: str | None = None


def address_space_bytes() -> int | None:
    """This process's virtual size now (Linux ``/proc/self/statm``), None where it cannot be read. [B]"""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def cap_memory(growth_bytes: int) -> int | None:
    """Limit this process's address space to its present size plus ``growth_bytes``; the limit set, or None
    where the present size cannot be read (then nothing is capped; the estimate still refuses large runs). [B]

    Why ``RLIMIT_AS`` over the present size: a forked worker starts with the server's whole address space
    mapped (interpreter, libraries, thread stacks, reserved malloc arenas: ~400 MB, ~150 MB of it resident),
    so an absolute cap would charge the server's image to the run and depend on what the server had loaded.
    Counting from the present size, every new mapping of the run counts: heap, numpy's mmap'd arrays,
    stacks, files. ``RLIMIT_DATA`` would leave file mappings and stacks out and ``RLIMIT_RSS`` is not
    enforced by Linux, so the address space is the one limit under which the run's new memory cannot pass
    ``growth_bytes``. Past it, allocations fail with MemoryError instead of the machine running out.
    """
    present = address_space_bytes()
    if present is None:
        return None
    limit = present + growth_bytes
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    return limit


def close_inherited_sockets(keep: int) -> int:
    """Close the sockets a forked worker inherited from the server (the listening socket, every client's
    connection, the event loop's wake-up pair), keeping standard streams and ``keep``; how many. [-]

    While a worker holds a copy of a connection, closing it in the server sends nothing to the client, and a
    client that closes its end in the same process (tests) is never seen as gone.
    """
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        return 0
    closed = 0
    for fd in fds:
        if fd <= 2 or fd == keep:
            continue
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.close(fd)
                closed += 1
        except OSError:
            continue  # the listing's own descriptor, already closed
    return closed


def _worker(
    conn: Connection,
    simulator: Simulator,
    scenario: Scenario,
    seed: int | None,
    points: int,
    memory_bytes: int | None,
) -> None:
    started = time.perf_counter()
    outcome: tuple[str, Any, str | None]
    close_inherited_sockets(keep=conn.fileno())
    try:
        if memory_bytes is not None:
            cap_memory(memory_bytes)
        results = simulator(scenario, seed)
        payload = simulation_payload(results, points, time.perf_counter() - started)
        del results
        outcome = ("ok", payload, None)
    except MemoryError:
        outcome = ("memory", "", None)  # sent after the except block has let go of the run's frames
    except InputError as exc:
        outcome = ("input", str(exc), exc.field)
    except MegaclusterError as exc:
        outcome = ("input", str(exc), None)
    except Exception as exc:
        outcome = ("error", f"{type(exc).__name__}: {exc}", None)
    try:
        conn.send(outcome)
    except MemoryError:
        conn.send(("memory", "", None))
    finally:
        conn.close()


def _stopped(exitcode: int | None) -> str:
    """Why a worker ended without an answer, in words."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"the simulation worker was killed ({name}; if SIGKILL, the machine may be out of memory)"
    return f"the simulation worker stopped (exit code {exitcode})"


def run_limited(
    simulator: Simulator,
    scenario: Scenario,
    seed: int | None,
    points: int,
    timeout_s: float,
    memory_bytes: int | None = None,
    cancel: threading.Event | None = None,
) -> Any:
    """The API payload of one simulation run in a child process whose new memory is capped at
    ``memory_bytes`` [B] (None: uncapped).

    RunTimeout past ``timeout_s`` [s] and RunCancelled once ``cancel`` is set (the child is killed in both);
    RunFailure if it raised, ran out of its memory (kind ``memory``) or died.
    """
    ctx = mp.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(
        target=_worker, args=(sender, simulator, scenario, seed, points, memory_bytes), daemon=True
    )
    process.start()
    sender.close()
    deadline = time.monotonic() + timeout_s
    try:
        while not receiver.poll(max(0.0, min(CANCEL_POLL_S, deadline - time.monotonic()))):
            if cancel is not None and cancel.is_set():
                raise RunCancelled()
            if time.monotonic() >= deadline:
                raise RunTimeout()
        try:
            message = receiver.recv()
        except EOFError:
            process.join(timeout=JOIN_TIMEOUT_S)
            raise RunFailure("error", _stopped(process.exitcode)) from None
    finally:
        if process.is_alive():
            process.kill()
        process.join(timeout=JOIN_TIMEOUT_S)
        receiver.close()
    if message[0] == "ok":
        return message[1]
    raise RunFailure(message[0], message[1], message[2])
