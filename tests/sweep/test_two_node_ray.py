"""A sweep on a real two-node Ray cluster, and the loss of its worker node mid-sweep.

Two raylets on this machine behave as two machines (each ``ray start`` is its own node, with its own CPUs
and resources): the head (1 CPU) and a worker node (1 CPU, resource ``second_node``). The sweep joins
through ``address`` as ``megacluster sweep --address`` does; after a few finished tasks the worker node's
process group is stopped. The sweep must finish, with every (point, replica) row exactly once, no error,
and the same table as a run on this machine alone. Every Ray process the test starts is stopped at the
end, whatever happens (unique ports and a private temporary folder; never ``ray stop``, which would stop
other people's Ray).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console
from sweep_fakes import CountingUnit, calls

from megacluster.sweep import execute, plan_from_file
from megacluster.sweep.store import PARTS

# one Ray at a time: under pytest-xdist (-n) the Ray modules share one worker (--dist loadgroup)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray")]

SWEEP = """
name = "two-nodes"
base = "tiny.toml"
seed = 11
replicas = 2
replicas_per_task = 1
[design]
kind = "grid"
[[design.parameters]]
field = "power.generators[0].count"
values = [1, 2, 3, 4, 5, 6]
"""
ROWS = 6 * 2
START_TIMEOUT_S = 90.0
"""Longest wait for a node to join (a fresh 2-core CI machine needs ~5-10 s; a loaded one much more)."""

QUIET = Console(quiet=True)
RAY_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token", "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0"}


def _free_ports(n: int) -> list[int]:
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(n)]
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]


def _ray_start(args: list[str], temp_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    ray = Path(sys.executable).with_name("ray")
    ports = _free_ports(6)
    own = [
        f"--node-manager-port={ports[0]}",
        f"--object-manager-port={ports[1]}",
        f"--metrics-export-port={ports[2]}",
        f"--dashboard-agent-listen-port={ports[3]}",
        f"--dashboard-agent-grpc-port={ports[4]}",
        f"--runtime-env-agent-port={ports[5]}",
    ]
    command = [str(ray), "start", "--block", "--node-ip-address=127.0.0.1", f"--temp-dir={temp_dir}"]
    with log.open("ab") as out:
        return subprocess.Popen(
            command + own + args,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **RAY_ENV},
            start_new_session=True,  # its own process group: the raylet, its GCS and workers go with it
        )


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop one node we started: SIGTERM (it drains in about a second), then SIGKILL its process group."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=3)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def _alive_nodes(address: str) -> int:
    code = (
        "import ray; ray.init(address=%r, logging_level='ERROR'); print(sum(n['Alive'] for n in ray.nodes()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code % address],
        capture_output=True,
        text=True,
        env={**os.environ, **RAY_ENV},
        timeout=START_TIMEOUT_S,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    return int(lines[-1]) if lines and lines[-1].isdigit() else 0


def _wait_started(proc: subprocess.Popen[bytes], log: Path, deadline: float) -> None:
    """Wait until ``ray start`` says its node runs (or fail with the end of its log)."""
    while "Ray runtime started" not in log.read_text("utf-8", "replace"):
        if time.monotonic() > deadline or proc.poll() is not None:
            pytest.fail(f"a Ray node did not start:\n{log.read_text('utf-8', 'replace')[-3000:]}")
        time.sleep(0.2)


@pytest.fixture
def two_nodes(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """(address, the worker node's process): a head and a worker node, stopped at the end."""
    temp_dir = Path(tempfile.mkdtemp(prefix="mcray", dir="/tmp"))  # short: Ray's socket paths are limited
    gcs_port, client_port = _free_ports(2)
    address = f"127.0.0.1:{gcs_port}"
    started: list[subprocess.Popen[bytes]] = []
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        head = ["--head", f"--port={gcs_port}", f"--ray-client-server-port={client_port}", "--num-cpus=1"]
        started.append(_ray_start([*head, "--include-dashboard=false"], temp_dir, tmp_path / "head.log"))
        _wait_started(started[0], tmp_path / "head.log", deadline)
        worker = [f"--address={address}", "--num-cpus=1", '--resources={"second_node": 1}']
        started.append(_ray_start(worker, temp_dir, tmp_path / "worker.log"))
        _wait_started(started[1], tmp_path / "worker.log", deadline)
        assert _alive_nodes(address) == 2
        yield address, started[1]
    finally:
        for proc in started:  # both drain at once, then whatever is left is killed
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in reversed(started):
            _stop(proc)
        shutil.rmtree(temp_dir, ignore_errors=True)


def _kill_after(parts: Path, count: int, node: subprocess.Popen[bytes], killed: list[float]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if parts.exists() and len(list(parts.glob("p*.json"))) >= count:
            _stop(node)
            killed.append(time.monotonic())
            return
        time.sleep(0.05)


def test_losing_the_worker_node_mid_sweep_loses_nothing(
    two_nodes: tuple[str, subprocess.Popen[bytes]], write_sweep: Callable[[str], Path], tmp_path: Path
) -> None:
    """The sweep's driver is its own process (as ``megacluster sweep --address`` is), joined to the
    cluster; the worker node is stopped once three tasks have finished."""
    address, worker_node = two_nodes
    path = write_sweep(SWEEP)
    out, log = tmp_path / "out", tmp_path / "calls.log"
    killed: list[float] = []
    killer = threading.Thread(target=_kill_after, args=(out / PARTS, 3, worker_node, killed), daemon=True)
    killer.start()
    script = Path(__file__).with_name("sweep_fakes.py")
    driver = subprocess.run(
        [sys.executable, str(script), str(path), str(out), str(log), address],
        env={**os.environ, **RAY_ENV},
        capture_output=True,
        text=True,
        timeout=3 * START_TIMEOUT_S,
        check=False,
    )
    killer.join(timeout=30)
    assert driver.returncode == 0, driver.stderr[-3000:]
    assert killed, "the worker node was not stopped mid-sweep"
    assert worker_node.poll() is not None
    table = pd.read_parquet(out / "results.parquet")
    assert len(table) == ROWS and table["error"].isna().all()
    assert not table.duplicated(["point", "replica"]).any()
    assert len(list((out / PARTS).glob("p*.json"))) == ROWS
    # only the task running on the lost node ran again (1 CPU there, 1 replica per task)
    assert ROWS <= calls(log) <= ROWS + 1
    alone = execute(
        plan_from_file(path), tmp_path / "alone", unit=CountingUnit(tmp_path / "alone.log"), console=QUIET
    )
    pd.testing.assert_frame_equal(table, alone.results)
