"""Run a command and measure it as a user sees it: wall time, CPU time of the process tree, and the peak of
the tree's memory, sampled every 0.1 s as the sum of each process's proportional set size (PSS, Linux
``/proc/PID/smaps_rollup``): pages shared by forked workers count once in total, where summed resident sizes
would count them in every process. Used by ``bench_replicas.py``.
"""

from __future__ import annotations

import os
import resource
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TreeRun:
    """One command's measured cost."""

    returncode: int
    wall_s: float
    """Wall time. [s]"""
    cpu_s: float
    """User + system CPU time of the command and all its children. [s]"""
    peak_pss_mb: float
    """Peak of the summed PSS of the process tree. [MB]"""
    peak_rss_mb: float
    """Peak of the summed RSS of the process tree (shared pages counted in each process). [MB]"""
    driver_peak_pss_mb: float
    """Peak PSS of the command's own process. [MB]"""


def _tree(pid: int) -> list[int]:
    out = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
            for child in children:
                out += _tree(int(child))
    except OSError:  # the process ended while we looked
        pass
    return out


def _memory(pid: int) -> tuple[float, float]:
    """(PSS, RSS) of one process. [MB]"""
    pss = rss = 0.0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = float(line.split()[1]) / 1024
            elif line.startswith("Rss:"):
                rss = float(line.split()[1]) / 1024
    except OSError:
        pass
    return pss, rss


def measure(command: Sequence[str], period_s: float = 0.1, **popen: object) -> TreeRun:
    """Run ``command`` to its end and measure it (its output is discarded). [s, MB]"""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **popen)  # type: ignore[call-overload]
    peak_pss = peak_rss = driver = 0.0
    while proc.poll() is None:
        total_pss = total_rss = 0.0
        for pid in _tree(proc.pid):
            pss, rss = _memory(pid)
            total_pss += pss
            total_rss += rss
            if pid == proc.pid:
                driver = max(driver, pss)
        peak_pss, peak_rss = max(peak_pss, total_pss), max(peak_rss, total_rss)
        time.sleep(period_s)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return TreeRun(proc.returncode, wall, cpu, peak_pss, peak_rss, driver)
