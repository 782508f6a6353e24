"""The least-cost build's speed, its size-before-work estimate and the cost of time aggregation: CPU time,
wall time and peak memory of real solves of colossus-2025, each in a fresh subprocess, with the estimate
beside them (ratio >= 1 means the estimate errs on the high side, as intended) and, for each horizon, the
cost and build at every resolution asked against the first one's.

    uv run python benchmarks/bench_optimize.py [--start DATE] [--resolutions 1h,3h] [DAYS ...]
        (default: from 2025-01-01, auto resolution, 2 and 14 days)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from typing import Any

CHILD = """
import json, resource, sys, time, warnings
warnings.filterwarnings("ignore")
from megacluster.scenario.load import read_scenario_dict, scenario_from_dict, set_dotted
from megacluster.engine.optimize import estimate_optimize, site_inputs
from megacluster.economics.solve import solve_site
import pypsa  # noqa: F401  (loaded before the clock starts)
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
data, label = read_scenario_dict("colossus-2025")
data.pop("training", None)
set_dotted(data, "simulation.horizon_days", float(sys.argv[1]), label)
set_dotted(data, "simulation.start", sys.argv[2], label)
set_dotted(data, "economics.optimize.resolution", sys.argv[3], label)
site = site_inputs(scenario_from_dict(data, label))
est = estimate_optimize(site)
c0, t0 = cpu(), time.perf_counter()
_, result = solve_site(site, "bench")
units = {g.candidate: g.units for g in result.generators}
battery = result.battery.power_mw if result.battery else 0.0
print(json.dumps({"columns": est.columns, "est_s": est.seconds, "est_b": est.memory_bytes,
    "cpu_s": cpu() - c0, "wall_s": time.perf_counter() - t0,
    "rss_b": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024.0,
    "variables": result.solver.variables, "step_h": result.step_h, "cost": result.costs.total,
    "relaxed": result.solver.relaxed_objective_usd, "units": units, "battery_mw": battery}))
"""


def _solve(days: float, start: str, resolution: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(days), start, resolution],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main(days: list[float], start: str, resolutions: list[str]) -> None:
    print(f"colossus-2025 from {start}; cost ratios against the {resolutions[0]} solve of the same horizon")
    print(
        f"{'days':>5} {'res':>4} {'step h':>6} {'columns':>8} {'CPU s':>6} {'est s':>6} {'ratio':>5} "
        f"{'RSS MiB':>7} {'est MiB':>7} {'ratio':>5} {'wall s':>6} {'cost M$':>8} {'cost/1st':>8} "
        f"{'bound/1st':>9} {'batt MW':>7} units"
    )
    for d in days:
        first: dict[str, Any] | None = None
        for res in resolutions:
            r = _solve(d, start, res)
            first = first or r
            print(
                f"{d:>5g} {res:>4} {r['step_h']:>6g} {r['columns']:>8,} {r['cpu_s']:>6.1f} "
                f"{r['est_s']:>6.1f} {r['est_s'] / r['cpu_s']:>5.2f} {r['rss_b'] / 2**20:>7,.0f} "
                f"{r['est_b'] / 2**20:>7,.0f} {r['est_b'] / r['rss_b']:>5.2f} {r['wall_s']:>6.1f} "
                f"{r['cost'] / 1e6:>8.3f} {r['cost'] / first['cost']:>8.4f} "
                f"{r['relaxed'] / first['relaxed']:>9.4f} {r['battery_mw']:>7.1f} {r['units']}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("days", nargs="*", type=float, default=[2.0, 14.0])
    parser.add_argument("--start", default="2025-01-01")
    parser.add_argument("--resolutions", default="auto", help="comma-separated: auto, 1h, 2h, 3h, 6h")
    args = parser.parse_args()
    main(args.days, args.start, args.resolutions.split(","))
