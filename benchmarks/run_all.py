"""Run every benchmark in turn and print their figures: ``uv run python benchmarks/run_all.py``.

Each benchmark is its own script (run it alone for its options); each measures its ratios side by side in one
run, since absolute times on shared machines are noisy.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = (
    "bench_optimize.py",
    "bench_performance.py",
    "bench_plant.py",
    "bench_reliability.py",
    "bench_replicas.py",
    "bench_scale.py",
    "bench_sweep.py",
    "bench_sweep_executors.py",
    "bench_swings.py",
)


def main() -> int:
    """Run the benchmarks one after the other; exit non-zero if one fails."""
    failed = []
    for name in BENCHMARKS:
        print(f"\n=== {name} ===", flush=True)
        start = time.perf_counter()
        code = subprocess.call([sys.executable, str(HERE / name)])
        print(f"--- {name}: exit {code}, {time.perf_counter() - start:.1f} s wall", flush=True)
        if code != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
