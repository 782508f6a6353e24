"""Start-up of the command line: ``megacluster --help`` and ``megacluster presets`` (target <= 0.3 s with
bytecode compiled), against importing what a simulation needs — measured side by side in one run.

    uv run python benchmarks/bench_startup.py

Bytecode: this environment may set PYTHONDONTWRITEBYTECODE=1; the benchmark unsets it, runs each command once
to compile, then times the median of several runs. It also prints the slowest imports of ``--help``
(``python -X importtime``).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from rich.console import Console
from rich.table import Table

RUNS = 7
TARGET_S = 0.3
CASES = [
    ("megacluster --help", ["-m", "megacluster.cli", "--help"]),
    ("megacluster --version", ["-m", "megacluster.cli", "--version"]),
    ("megacluster presets", ["-m", "megacluster.cli", "presets"]),
    ("import the engine (simulate)", ["-c", "import megacluster.engine.simulate"]),
    ("python (nothing)", ["-c", "pass"]),
]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _time(args: list[str]) -> float:
    times = []
    subprocess.run([sys.executable, *args], capture_output=True, env=_env(), check=True)  # compile
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], capture_output=True, env=_env(), check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _slowest_imports(limit: int = 8) -> list[tuple[str, float]]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "megacluster.cli", "--help"],
        capture_output=True,
        text=True,
        env=_env(),
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line[12:]:
            continue
        _, cumulative, name = (part.strip() for part in line[12:].split("|"))
        if cumulative.isdigit() and not name.startswith(" "):
            rows.append((name.strip(), int(cumulative) / 1e6))
    return sorted(rows, key=lambda r: -r[1])[:limit]


def main() -> None:
    table = Table(title=f"command-line start-up (median of {RUNS}, bytecode compiled)")
    for col in ("what", "seconds", "ratio to bare python", "target"):
        table.add_column(col, justify="left" if col == "what" else "right")
    bare = _time(CASES[-1][1])
    for label, args in CASES:
        seconds = bare if label.startswith("python") else _time(args)
        target = (
            f"<= {TARGET_S} s: {'met' if seconds <= TARGET_S else 'NOT met'}"
            if "megacluster" in label
            else ""
        )
        table.add_row(label, f"{seconds:.3f}", f"{seconds / bare:.1f}", target)
    console = Console(width=120)
    console.print(table)
    imports = Table(title="slowest top-level imports of `megacluster --help` (python -X importtime)")
    imports.add_column("module")
    imports.add_column("cumulative s", justify="right")
    for name, seconds in _slowest_imports():
        imports.add_row(name, f"{seconds:.3f}")
    console.print(imports)


if __name__ == "__main__":
    main()
