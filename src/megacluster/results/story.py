"""The run told in plain words and numbers, from the results only."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from megacluster.results.assemble import Results


def _fmt_int(x: float) -> str:
    return f"{round(x):,}"


def power_story(results: Results) -> list[str]:
    """Sentences on installed vs powered GPUs and the supply, month by month."""
    ts = results.timeseries
    lines: list[str] = []
    if ts.empty:
        return lines
    installed = ts["gpus_installed"].to_numpy()
    powered = ts["gpus_powered"].to_numpy()
    gap = installed - powered
    short = gap > 0
    first = ts["time"].iloc[0]
    lines.append(
        f"On {first.date()} the site had {ts['supply_capacity_mw'].iloc[0]:.0f} MW of supply "
        f"({ts['grid_capacity_mw'].iloc[0]:.0f} MW grid) for {_fmt_int(installed[0])} installed GPUs."
        if "grid_capacity_mw" in ts
        else f"On {first.date()} the site had {ts['supply_capacity_mw'].iloc[0]:.0f} MW of supply for "
        f"{_fmt_int(installed[0])} installed GPUs."
    )
    if short.any():
        worst = int(np.argmax(gap))
        days_short = float(short.mean() * len(ts) * results.summary.get("step_s", 300.0) / 86400.0)
        lines.append(
            f"Power limited the campus on {days_short:.0f} days: the largest gap was "
            f"{_fmt_int(gap[worst])} installed GPUs without power on {ts['time'].iloc[worst].date()} "
            f"({_fmt_int(powered[worst])} of {_fmt_int(installed[worst])} running)."
        )
        last_short = int(np.flatnonzero(short)[-1])
        if last_short < len(ts) - 1:
            lines.append(
                f"From {ts['time'].iloc[last_short + 1].date()} every installed GPU had power "
                f"({_fmt_int(installed[last_short + 1])} GPUs)."
            )
        else:
            lines.append("Installed GPUs were still short of power at the end of the horizon.")
    else:
        lines.append("Every installed GPU had power throughout the horizon.")
    return lines


def monthly_table(results: Results) -> pd.DataFrame:
    """Month by month, means: installed and powered GPUs, supply, demand, grid and generators. [-, MW]"""
    ts = results.timeseries.set_index("time")
    cols: dict[str, Any] = {
        "gpus_installed_mean": ts["gpus_installed"].resample("MS").mean(),
        "gpus_powered_mean": ts["gpus_powered"].resample("MS").mean(),
        "supply_mw_mean": ts["supply_capacity_mw"].resample("MS").mean(),
        "facility_mw_mean": ts["facility_power_mw"].resample("MS").mean(),
        "grid_mw_mean": ts["grid_mw"].resample("MS").mean(),
        "generators_mw_mean": ts["generators_mw"].resample("MS").mean(),
    }
    return pd.DataFrame(cols)
