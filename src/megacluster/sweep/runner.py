"""Running a sweep: on local processes when it is small and no cluster is named (Ray's start-up would be
most of its wall time), else on Ray: a local instance, or an existing cluster with ``address``.

The driver validates every point first, then submits one task per batch of replicas, writes each finished
task's rows to its own file as it arrives (so a killed sweep loses only running tasks), and at the end merges
the files into the results and summary tables, written atomically.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from megacluster.errors import InputError
from megacluster.results.outdir import OutputTarget, output_lock
from megacluster.sweep import store
from megacluster.sweep.local import local_results
from megacluster.sweep.plan import SweepPlan, Task
from megacluster.sweep.tables import results_table, summary_table
from megacluster.sweep.work import ENGINE, UnitOfWork, error_rows, run_replicas

LOCAL_MAX_TASKS = 64
"""[A] Most tasks a sweep without ``--address`` runs on local processes; more go to a local Ray. A judgement:
past it, Ray's start-up (~4-8 s idle, 34 s on a loaded 2-core machine; docs/replicas.md) is a small share of
the sweep, and Ray brings its scheduler and its re-runs of lost workers. Either way the rows are the same
(tests/sweep). [-]"""

TASK_RETRIES = 2
"""[A] Times Ray re-runs a task whose worker process or node died (a lost node's tasks run elsewhere);
an exception raised by the simulation is never retried: it is recorded in the task's rows. [-]"""

PROBE_TIMEOUT_S = 3.0
"""[A] How long to wait for a Ray cluster's address to answer before calling it unreachable. [s]"""


GCS_PROBE_METHOD = "/ray.rpc.NodeInfoGcsService/GetClusterId"
"""A cheap call every Ray cluster's control store (GCS) answers; an empty request is a valid one."""

GCS_ANSWERS = frozenset({"UNAUTHENTICATED", "PERMISSION_DENIED", "INVALID_ARGUMENT", "FAILED_PRECONDITION"})
"""gRPC refusals that still prove a GCS implements the method (a Ray 2.60 head answers an anonymous caller
UNAUTHENTICATED); a proxy or another HTTP/2 server answers UNIMPLEMENTED, a bare socket UNAVAILABLE."""


@dataclass(frozen=True)
class SweepOutcome:
    """What a sweep produced and how much work it did."""

    out_dir: Path
    results: pd.DataFrame
    summary: pd.DataFrame
    rows_computed: int
    rows_reused: int
    rows_failed: int
    tasks_run: int
    elapsed_s: float


def _split_address(address: str) -> tuple[str, int]:
    bare = address.split("://", 1)[-1].rstrip("/")
    host, sep, port = bare.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise InputError(
            "--address", None, f"expected HOST:PORT, ray://HOST:PORT or 'auto' (got {address!r})"
        )
    return host.strip("[]"), int(port)


def probe_address(address: str, timeout_s: float = PROBE_TIMEOUT_S) -> None:
    """InputError unless something listens at a Ray cluster's ``HOST:PORT`` (checked with a short timeout)."""
    import_ray()  # a cluster is of no use without Ray here: say how to install it first
    if address == "auto":
        return
    host, port = _split_address(address)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as exc:
        raise InputError(
            "--address", None, f"no Ray cluster answers at {host}:{port} within {timeout_s:g} s ({exc})"
        ) from None
    if not address.startswith("ray://"):  # a Ray Client server speaks another protocol
        _probe_gcs(host, port, timeout_s)


def _probe_gcs(host: str, port: int, timeout_s: float) -> None:
    """Ask the cluster's control store for its id: a port that accepts connections (a proxy, another
    server) but is no Ray cluster fails here in seconds, rather than after Ray's own long retries."""
    try:
        import grpc
    except ImportError:
        return
    channel = grpc.insecure_channel(f"{host}:{port}", options=[("grpc.enable_http_proxy", 0)])
    try:
        ask = channel.unary_unary(GCS_PROBE_METHOD, request_serializer=bytes, response_deserializer=bytes)
        ask(b"", timeout=timeout_s)
    except grpc.RpcError as exc:
        code = exc.code().name if hasattr(exc, "code") else type(exc).__name__
        if code in GCS_ANSWERS:
            return
        raise InputError(
            "--address",
            None,
            f"{host}:{port} accepts connections but does not answer as a Ray cluster ({code})",
        ) from None
    finally:
        channel.close()


RAY_MISSING = (
    "a sweep with --address or more than 64 tasks runs on Ray, which is an optional extra: install it with "
    "pip install 'megacluster[sweep]' (or, in a checkout, uv sync --extra sweep)"
)


def import_ray() -> Any:
    """The ``ray`` module; InputError saying how to install it when it is missing."""
    try:
        import ray
    except ImportError:
        raise InputError("sweep", None, RAY_MISSING) from None
    return ray


@contextmanager
def ray_session(address: str | None, workers: int) -> Iterator[None]:
    """Connect to Ray (or reuse the connection the caller already has); disconnect only what we opened."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if address is None:
        # local workers run this very interpreter (megacluster is installed in it): no need for Ray's
        # 'uv run' hook, which would copy the working folder and build a fresh environment for the workers
        os.environ.setdefault("RAY_ENABLE_UV_RUN_RUNTIME_ENV", "0")
    ray = import_ray()

    if ray.is_initialized():
        yield
        return
    options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": True, "logging_level": "ERROR"}
    try:
        if address is None:
            ray.init(num_cpus=workers, **options)
        else:
            ray.init(address=address, **{k: v for k, v in options.items() if k != "include_dashboard"})
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise InputError(
            "--address", None, f"cannot connect to the Ray cluster at {address!r}: {exc}"
        ) from None
    try:
        yield
    finally:
        ray.shutdown()


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("points · failures {task.fields[failures]}"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def execute(
    plan: SweepPlan,
    out_dir: str | Path | None,
    *,
    unit: UnitOfWork = ENGINE,
    workers: int = 1,
    address: str | None = None,
    retry_failed: bool = False,
    console: Console | None = None,
    force: bool = False,
) -> SweepOutcome:
    """Run (or resume) a planned sweep into ``out_dir`` (None: ``sweeps/<name>``); see the module docstring.

    The folder is checked before any work (see :func:`store.open_target`) and locked for the whole sweep.
    """
    if workers < 1:
        raise InputError("--workers", None, f"expected at least 1 worker (got {workers})")
    target = store.open_target(Path(out_dir) if out_dir is not None else None, plan, force)
    if address is not None:
        probe_address(address)
    with output_lock(target):
        return _execute(plan, target, unit, workers, address, retry_failed, console)


def _execute(
    plan: SweepPlan,
    target: OutputTarget,
    unit: UnitOfWork,
    workers: int,
    address: str | None,
    retry_failed: bool,
    console: Console | None,
) -> SweepOutcome:
    out_dir = target.path
    started = time.perf_counter()
    replacing = store.holds_other_sweep(out_dir, plan)
    previous = [] if replacing else store.read_parts(out_dir, drop_failed=retry_failed)
    tasks = plan.tasks(store.done_pairs(previous))
    console = console or Console(stderr=True)
    computed = 0
    on_ray = uses_ray(address, len(tasks))
    with ray_session(address, workers) if tasks and on_ray else nullcontext():
        store.prepare(target, plan)
        if tasks:
            answers = _ray_results(plan, tasks, unit) if on_ray else local_results(plan, tasks, unit, workers)
            computed = _run_tasks(plan, tasks, answers, out_dir, console)
    rows = store.read_parts(out_dir)
    results = results_table(rows, plan.fields)
    summary = summary_table(results, plan.fields)
    store.write_parquet_atomic(results, out_dir / "results.parquet")
    store.write_parquet_atomic(summary, out_dir / "summary.parquet")
    store.write_csv_atomic(summary, out_dir / "summary.csv")
    failed = int(results["error"].notna().sum()) if len(results) else 0
    return SweepOutcome(
        out_dir=out_dir,
        results=results,
        summary=summary,
        rows_computed=computed,
        rows_reused=len(previous),
        rows_failed=failed,
        tasks_run=len(tasks),
        elapsed_s=time.perf_counter() - started,
    )


def uses_ray(address: str | None, tasks: int) -> bool:
    """Whether a sweep of ``tasks`` tasks runs on Ray: when a cluster is named, when this process is
    already connected to Ray, or when it has more than :data:`LOCAL_MAX_TASKS` tasks. [-]"""
    if address is not None or tasks > LOCAL_MAX_TASKS:
        return True
    ray = sys.modules.get("ray")
    return bool(ray is not None and getattr(ray, "is_initialized", lambda: False)())


def _ray_results(
    plan: SweepPlan, tasks: list[Task], unit: UnitOfWork
) -> Iterator[tuple[Task, list[dict[str, Any]]]]:
    """Each task's rows as Ray finishes it (a task whose node was lost is re-run elsewhere first)."""
    import ray

    by_index = {p.index: p for p in plan.points}
    remote = ray.remote(num_cpus=1, max_retries=TASK_RETRIES, retry_exceptions=False)(run_replicas)
    unit_ref = ray.put(unit)
    scenario_refs: dict[int, Any] = {}
    pending: dict[Any, Task] = {}
    for task in tasks:
        point = by_index[task.point]
        if task.point not in scenario_refs:
            scenario_refs[task.point] = ray.put(point.scenario)
        ref = remote.remote(
            unit_ref, scenario_refs[task.point], task.point, point.values, task.replicas, task.seeds
        )
        pending[ref] = task
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)
        for ref in ready:
            task = pending.pop(ref)
            point = by_index[task.point]
            try:
                rows = ray.get(ref)
            except Exception as exc:  # the task died as a whole, retries spent: record it, go on
                first = (str(exc).splitlines() or [""])[0]
                message = f"task failed: {type(exc).__name__}: {first}"
                rows = error_rows(task.point, point.values, task.replicas, task.seeds, message)
            yield task, rows


def _run_tasks(
    plan: SweepPlan,
    tasks: list[Task],
    answers: Iterable[tuple[Task, list[dict[str, Any]]]],
    out_dir: Path,
    console: Console,
) -> int:
    """Write each task's rows as they arrive (one part file per task) under a progress bar. [-]"""
    remaining_per_point: dict[int, int] = {}
    for task in tasks:
        remaining_per_point[task.point] = remaining_per_point.get(task.point, 0) + 1
    computed = 0
    failures = 0
    with _progress(console) as progress:
        bar = progress.add_task(plan.spec.name, total=len(remaining_per_point), failures=0)
        for task, rows in answers:
            store.write_part(out_dir, task.point, task.replicas, rows)
            computed += len(rows)
            failures += sum(1 for r in rows if r.get("error"))
            remaining_per_point[task.point] -= 1
            finished_point = remaining_per_point[task.point] == 0
            progress.update(bar, advance=1 if finished_point else 0, failures=failures)
    return computed
