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
    installed = int(ts["gpus_installed"].iloc[0])
    now = "and no GPUs installed yet" if installed == 0 else f"and {_fmt_int(installed)} GPUs installed"
    return (
        f"{supply} {now}. The {_fmt_int(ts['gpus_installed'].max())} GPUs installed by the end would "
        f"draw up to {ts['demand_full_mw'].max():.0f} MW of facility power at their compute peak."
    )


def _shortfall_lines(summary: Summary) -> list[str]:
    f = summary.power_story
    lines = []
    if f.short_hours > 0:
        lines.append(
            f"Power was short for {_hours(f.short_hours)} h: at worst ({f.worst_time}) "
            f"{f.gpus_powered_at_worst:,} of {f.gpus_installed_at_worst:,} installed GPUs ran, the others "
            "idle (which ones run and at what cap: the power policy, docs/job-layout.md)."
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
        lines += _generator_lines(f)
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
            f"({_fmt_int(homes.tennessee)} Tennessee homes) use over the same time; its peak draw of "
            f"{summary.facility_power_peak_mw:,.1f} MW equals the peak demand of "
            f"{_fmt_int(homes.us_peak_demand)} homes at 6 kW each."
        )
    return lines + plant_account_lines(summary)


def _generator_lines(f: Any) -> list[str]:
    """The generators in plain words: hours, energy and start-ups; emissions over the run and annualised;
    homes' worth on both bases (nameplate vs energy produced, average vs peak household demand)."""
    run_h = f.horizon_days * 24.0
    return [
        f"Generators: {f.generator_capacity_mw:.0f} MW nameplate. They ran in {f.generator_hours:,.0f} of "
        f"the run's {run_h:,.0f} hours and produced {f.generator_energy_mwh:,.0f} MWh "
        f"({f.generator_capacity_factor:.0%} of what the nameplate could give), with {f.generator_starts} "
        "start-ups.",
        f"Over the run ({f.horizon_days:,.0f} days) they emitted {f.generator_co2_t:,.0f} t CO2 and "
        f"{f.generator_nox_t:,.1f} t NOx; annualised, {f.generator_co2_t_per_year:,.0f} t CO2 and "
        f"{f.generator_nox_t_per_year:,.1f} t NOx a year.",
        f"Homes' worth of the generators: their nameplate equals the average draw of "
        f"{_fmt_int(f.generator_fleet_homes_us)} US homes (1.22 kW each) or the peak demand of "
        f"{_fmt_int(f.generator_fleet_homes_us_peak)} homes (6 kW each); the energy they actually produced "
        f"is what {_fmt_int(f.generator_homes_us_energy)} average US homes use over the same time.",
    ]


def plant_account_lines(summary: Summary) -> list[str]:
    """CO2 in its three conventions, water, N-1, the weather and the GPUs' mean draw, each saying what it
    counts."""
    lines = []
    e, g = summary.emissions_t, summary.grid
    if g is not None:
        lines.append(
            f"CO2 of the grid energy plus the fuel burnt on site: {e.co2_location_based:,.0f} t "
            f"location-based (grid at {g.location_kg_per_mwh:,.0f} kg/MWh, eGRID {g.egrid_subregion}), "
            f"{e.co2_market_based:,.0f} t market-based ({g.market_kg_per_mwh:,.0f} kg/MWh), "
            f"{e.co2_marginal:,.0f} t at the marginal rate ({g.marginal_kg_per_mwh:,.0f} kg/MWh); none "
            "counts upstream methane or embodied carbon."
        )
    w = summary.water
    if w is not None and w.makeup_m3 > 0:
        share = w.evaporation_m3 / w.makeup_m3
        lines.append(
            f"Cooling towers took in {w.makeup_m3:,.0f} m³ ({w.mean_day_gallons / 1e6:,.2f} million US "
            f"gallons a day on average, {w.peak_day_gallons / 1e6:,.2f} million on the highest day): "
            f"{w.wue_l_per_kwh_it:.2f} L per kWh of IT energy, {share:.0%} of it evaporated."
        )
    n1 = summary.n_minus_1
    if n1 is not None and n1.criterion != "not assessed":
        what = "one transformer, feeder or the largest unit" if n1.grid_assessed else "the largest unit"
        unassessed = " (the grid connection was not assessed: no [power.interconnect])"
        lines.append(
            f"N-1: for {_hours(n1.hours_at_risk)} h the peak draw was above what the supply gives with "
            f"{what} out{'' if n1.grid_assessed else unassessed}."
        )
    wx = summary.weather
    if wx is not None:
        lines.append(_weather_line(wx))
    d = summary.draw
    if d is not None and d.mean_to_peak_energy < 1.0:
        lines.append(
            f"The GPUs drew {d.gpu_mean_fraction:.0%} of TDP on average and {d.gpu_peak_fraction:.0%} at "
            f"their compute peak: energy is {d.mean_to_peak_energy:.0%} of what the peak all the time would "
            "use."
        )
    return lines


def _weather_line(wx: Any) -> str:
    design = f" (ASHRAE 1 %: {wx.design_1_c:.1f} °C)" if wx.design_1_c is not None else ""
    hottest = f" (site mean annual maximum {wx.design_max_mean_c:.1f} °C)" if wx.design_max_mean_c else ""
    event = f"; heat wave: {wx.heatwave}" if wx.heatwave else ""
    return (
        f"Weather ({wx.source}{event}): hottest {wx.hottest_c:.1f} °C{hottest}; above {wx.p99_c:.1f} °C "
        f"for 1 % of the time{design}; wet-bulb up to {wx.wetbulb_max_c:.1f} °C."
    )


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
