"""Running a sweep's tasks on local processes, without Ray (the default for small sweeps without
``--address``: Ray's start-up, ~4-8 s, would be most of their wall time; docs/replicas.md has the figures).

One process per task, at most ``workers`` at once, forked where the platform can (it then starts in
milliseconds with the unit of work and the scenarios already in memory). A process that dies without
answering (killed, out of memory, ``os._exit``) loses its task only: the task's replicas are recorded as
failed, as the Ray runner records a lost task, and the sweep goes on.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterator, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

from megacluster.sweep.plan import Point, SweepPlan, Task
from megacluster.sweep.work import UnitOfWork, error_rows, run_replicas

Rows = list[dict[str, Any]]


def _child(conn: Connection, unit: UnitOfWork, point: Point, task: Task) -> None:
    """Run one task in the child process and send its rows (or why it failed as a whole) back."""
    try:
        rows = run_replicas(unit, point.scenario, task.point, point.values, task.replicas, task.seeds)
        conn.send(("rows", rows))
    except BaseException as exc:  # anything else (not picklable, interrupted): the task fails as a whole
        first = (str(exc).splitlines() or [""])[0]
        conn.send(("failed", f"task failed: {type(exc).__name__}: {first}"))
    finally:
        conn.close()


def local_results(
    plan: SweepPlan, tasks: Sequence[Task], unit: UnitOfWork, workers: int
) -> Iterator[tuple[Task, Rows]]:
    """Each task's rows as it finishes (in any order), ``workers`` processes at most at once."""
    fork = "fork" in mp.get_all_start_methods()
    context = mp.get_context("fork") if fork else mp.get_context("spawn")
    by_index = {p.index: p for p in plan.points}
    queue = list(reversed(tasks))
    running: dict[Connection, tuple[Task, Any]] = {}
    try:
        while queue or running:
            while queue and len(running) < workers:
                task = queue.pop()
                parent, child = context.Pipe(duplex=False)
                args = (child, unit, by_index[task.point], task)
                proc = context.Process(target=_child, args=args, daemon=True)
                proc.start()
                child.close()
                running[parent] = (task, proc)
            for conn in wait(list(running)):
                if not isinstance(conn, Connection):  # pragma: no cover - wait returns our connections
                    continue
                task, proc = running.pop(conn)
                yield task, _answer(conn, proc, task, by_index[task.point].values)
    finally:
        for conn, (_, proc) in running.items():  # the caller stopped early (Ctrl-C): stop our processes
            proc.terminate()
            proc.join()
            conn.close()


def _answer(conn: Connection, proc: Any, task: Task, values: Any) -> Rows:
    """The rows a finished child sent, or failed rows when it died without answering."""
    try:
        kind, payload = conn.recv()
    except (EOFError, OSError):
        proc.join()
        message = f"task failed: worker process died (exit code {proc.exitcode})"
        return error_rows(task.point, values, task.replicas, task.seeds, message)
    finally:
        conn.close()
    proc.join()
    if kind == "rows":
        rows: Rows = payload
        return rows
    return error_rows(task.point, values, task.replicas, task.seeds, str(payload))
