"""The run told in plain words and numbers, from the results only."""

from __future__ import annotations

from typing import Any

import pandas as pd

from megacluster.results.assemble import Results


def _fmt_int(x: float) -> str:
    return f"{round(x):,}"


def power_story(results: Results) -> list[str]:
    """Sentences on the supply, installed vs powered GPUs, generators, battery and permits."""
    ts = results.timeseries
    summary = results.summary
    lines: list[str] = []
    if ts.empty:
        return lines
    first = ts["time"].iloc[0]
    lines.append(
        f"On {first.date()} the site had {ts['supply_capacity_mw'].iloc[0]:.0f} MW of supply for "
        f"{_fmt_int(ts['gpus_installed'].iloc[0])} installed GPUs; all the GPUs installed by the end would "
        f"draw up to {ts['demand_full_mw'].max():.0f} MW."
        if "demand_full_mw" in ts
        else f"On {first.date()} the site had {ts['supply_capacity_mw'].iloc[0]:.0f} MW of supply."
    )
    story = summary.get("power_story")
    if isinstance(story, dict):
        lines.extend(str(line) for line in story.get("lines", []))
    permit = summary.get("permit")
    if isinstance(permit, dict):
        for ex in permit.get("exceedances", []):
            lines.append(
                f"Air permit of generator fleet {ex['fleet']} ({ex['unit']}): {ex['kind']} "
                f"{ex['value']:,.1f} in {ex['year']} against a cap of {ex['limit']:,.1f}, first exceeded "
                f"{ex['first_exceeded']}."
            )
    homes = summary.get("homes_equivalent")
    energy = summary.get("energy_mwh", {}).get("total")
    if isinstance(homes, dict) and energy:
        lines.append(
            f"The campus used {energy:,.0f} MWh: what {_fmt_int(homes.get('us_average', 0))} average US "
            f"homes ({_fmt_int(homes.get('tennessee', 0))} Tennessee homes) use over the same time."
        )
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
