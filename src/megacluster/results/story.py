"""The run told in plain words and numbers, from its summary and time series only.

The same sentences appear in the terminal, in ``summary.json`` (``power_story.lines``) and in the report.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from megacluster.results.summary import Summary


def _fmt_int(x: float) -> str:
    return f"{round(x):,}"


def _hours(h: float) -> str:
    """Hours in a sentence: one decimal below ten. [h]"""
    return f"{h:,.1f}" if h < 10 else f"{h:,.0f}"


def local_times(times: pd.Series, utc_offset_h: float) -> pd.Series:
    """UTC-aware timestamps as the site's local standard time (naive), for calendar days and months."""
    utc = pd.to_datetime(times)
    if utc.dt.tz is not None:
        utc = utc.dt.tz_convert("UTC").dt.tz_localize(None)
    return utc + pd.Timedelta(hours=utc_offset_h)


def _opening(ts: pd.DataFrame, utc_offset_h: float) -> str:
    first = local_times(ts["time"].iloc[:1], utc_offset_h).iloc[0]
    supply = f"On {first.date()} the site had {ts['supply_capacity_mw'].iloc[0]:.0f} MW of supply"
    if "demand_full_mw" not in ts:
        return supply + "."
    return (
        f"{supply} for {_fmt_int(ts['gpus_installed'].iloc[0])} installed GPUs; all the GPUs installed by "
        f"the end would draw up to {ts['demand_full_mw'].max():.0f} MW."
    )


def _shortfall_lines(summary: Summary) -> list[str]:
    f = summary.power_story
    lines = []
    if f.short_hours > 0:
        lines.append(
            f"Power was short for {_hours(f.short_hours)} h: at worst ({f.worst_time}) "
            f"{f.gpus_powered_at_worst:,} of {f.gpus_installed_at_worst:,} installed GPUs could run."
        )
        if f.all_gpus_powered_from:
            lines.append(f"From {f.all_gpus_powered_from} the supply ran every installed GPU.")
    elif f.capped_hours > 0:
        lines.append("Every installed GPU kept running, but not always at full power.")
    else:
        lines.append("The supply ran every installed GPU, uncapped, at every step.")
    if f.capped_hours > 0:
        tail = f"; whole blocks were idled for {_hours(f.short_hours)} h" if f.short_hours > 0 else ""
        lines.append(f"GPU power was capped for {_hours(f.capped_hours)} h{tail}.")
    lines.append(
        f"Peak facility demand {f.peak_demand_mw:.1f} MW at up to {f.peak_ambient_c:.1f} °C ambient; "
        f"mean PUE {f.mean_pue:.3f}."
    )
    return lines


def _supply_lines(summary: Summary) -> list[str]:
    f = summary.power_story
    lines = []
    if f.generator_capacity_mw > 0:
        lines.append(
            f"Generators ({f.generator_capacity_mw:.0f} MW nameplate, "
            f"~{f.generator_fleet_homes_us:,.0f} average US homes' worth) ran {f.generator_hours:.0f} h at a "
            f"{f.generator_capacity_factor:.0%} capacity factor with {f.generator_starts} start-ups, "
            f"emitting {f.generator_co2_t_per_year:,.0f} t CO2 and {f.generator_nox_t_per_year:,.1f} t NOx "
            "per year."
        )
    if f.battery_energy_mwh > 0:
        lines.append(
            f"The battery delivered {f.battery_discharge_mwh:,.0f} MWh ({f.battery_cycles:.1f} full cycles)."
        )
    exceedances = summary.permit.exceedances
    if exceedances:
        lines.append(f"The air permit was exceeded {len(exceedances)} time(s).")
    for ex in exceedances:
        lines.append(
            f"Air permit of generator fleet {ex.fleet} ({ex.unit}): {ex.kind.value} {ex.value:,.1f} in "
            f"{ex.year} against a cap of {ex.limit:,.1f}, first exceeded {ex.first_exceeded}."
        )
    return lines


def power_story_lines(summary: Summary, ts: pd.DataFrame, utc_offset_h: float = 0.0) -> list[str]:
    """Sentences on the supply, installed vs powered GPUs, generators, battery, permits and homes (dates and
    times in the site's local standard time)."""
    if ts.empty:
        return []
    lines = [_opening(ts, utc_offset_h), *_shortfall_lines(summary), *_supply_lines(summary)]
    homes = summary.homes_equivalent
    energy = summary.energy_mwh.total
    if energy:
        lines.append(
            f"The campus used {energy:,.0f} MWh: what {_fmt_int(homes.us_average)} average US homes "
            f"({_fmt_int(homes.tennessee)} Tennessee homes) use over the same time."
        )
    return lines


def monthly_table(ts: pd.DataFrame, utc_offset_h: float = 0.0) -> pd.DataFrame:
    """Month by month (local calendar months), means: installed and powered GPUs, supply, demand, grid and
    generators. [-, MW]"""
    by_time = ts.assign(time=local_times(ts["time"], utc_offset_h).to_numpy()).set_index("time")
    cols: dict[str, Any] = {
        "gpus_installed_mean": by_time["gpus_installed"].resample("MS").mean(),
        "gpus_powered_mean": by_time["gpus_powered"].resample("MS").mean(),
        "supply_mw_mean": by_time["supply_capacity_mw"].resample("MS").mean(),
        "facility_mw_mean": by_time["facility_power_mw"].resample("MS").mean(),
        "grid_mw_mean": by_time["grid_mw"].resample("MS").mean(),
        "generators_mw_mean": by_time["generators_mw"].resample("MS").mean(),
    }
    return pd.DataFrame(cols)
