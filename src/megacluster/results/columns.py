"""The columns of ``timeseries.parquet`` and ``events.parquet``: unit and meaning of each, written into the
Parquet files as Arrow field metadata (``unit``, ``description``) and listed in the README.

Convention: a column named ``*_mw`` (or ``*_c``, ``*_fraction``, ``gpus_*``) is the mean over the step; an
amount (``fuel_mmbtu``, ``co2_t``, ``nox_t``, ``water_m3``, ``cost_usd``) is the total **within the step**
(unit "… per step"), so that a column's sum is the run's total.
"""

from __future__ import annotations

from typing import Any

TIMESERIES_COLUMNS: dict[str, tuple[str, str]] = {
    "time": (
        "UTC",
        "Start of the step (timezone-aware, UTC; the simulation clock is the site's local standard time)",
    ),
    "ambient_c": ("°C", "Ambient dry-bulb temperature"),
    "gpus_installed": ("GPUs", "GPUs installed (racks online)"),
    "gpus_powered": ("GPUs", "GPUs the supply and cooling keep running"),
    "gpu_power_cap_fraction": ("-", "GPU power cap as a fraction of TDP (1 = uncapped)"),
    "throughput_factor": ("-", "Training throughput per powered GPU relative to uncapped"),
    "it_power_mw": ("MW", "IT power (servers, network, storage)"),
    "facility_power_mw": ("MW", "Facility power served (IT + cooling + losses)"),
    "pue": ("-", "Facility power / IT power"),
    "grid_mw": ("MW", "Power drawn from the grid"),
    "generators_mw": ("MW", "Power from on-site generators"),
    "generator_units_on": ("units", "Generator units running"),
    "battery_mw": ("MW", "Battery power, positive = discharge"),
    "battery_soc_mwh": ("MWh", "Battery state of charge at the end of the step"),
    "demand_full_mw": ("MW", "Facility power all installed GPUs would draw, uncapped"),
    "unserved_mw": ("MW", "Demand of installed GPUs left unserved"),
    "supply_capacity_mw": ("MW", "Grid capacity + battery discharge limit + available generator capacity"),
    "fuel_mmbtu": ("MMBtu per step", "Generator fuel burnt in the step (HHV)"),
    "co2_t": ("t per step", "CO2 of the step: grid energy at its carbon intensity + fuel burnt on site"),
    "nox_t": ("t per step", "NOx of on-site generation in the step"),
    "water_m3": ("m3 per step", "Cooling water consumed in the step"),
    "cost_usd": ("USD per step", "Grid energy and fuel cost of the step (no capital costs)"),
    "curtailed": ("bool", "GPUs capped or switched off, or demand unserved, in the step"),
    "job_gpus": ("GPUs", "GPUs the training job holds"),
    "cumulative_flop": ("FLOP", "Model FLOP committed by the end of the step (first replica)"),
    "cumulative_flop_p10": ("FLOP", "P10 across replicas of cumulative_flop (with replicas)"),
    "cumulative_flop_p50": ("FLOP", "P50 across replicas of cumulative_flop (with replicas)"),
    "cumulative_flop_p90": ("FLOP", "P90 across replicas of cumulative_flop (with replicas)"),
}
"""Every column the engine writes to timeseries.parquet: (unit, meaning)."""

EVENTS_COLUMNS: dict[str, tuple[str, str]] = {
    "replica": ("-", "Monte Carlo replica"),
    "time": ("UTC", "When it happened (timezone-aware, UTC)"),
    "time_s": ("s", "When it happened, seconds since the simulation start"),
    "kind": ("enum", "reliability.kinds.EventKind: failure, planned, repair_done, suspend, finish"),
    "cause": ("enum", "reliability.kinds.Cause: a failure cause id, planned_maintenance, no_gpus or ''"),
    "gpus_affected": ("GPUs", "GPUs pulled for repair, returned by a repair, or running at a planned stop"),
    "work_lost_s": ("s", "Compute rolled back to the last checkpoint"),
}
"""Every column of events.parquet: (unit, meaning)."""


def arrow_table(frame: Any, columns: dict[str, tuple[str, str]], file_metadata: dict[str, str]) -> Any:
    """A pyarrow Table of ``frame`` with each column's unit and meaning as field metadata and the run's
    provenance (megacluster version, scenario hash, …) as schema metadata."""
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = []
    for field in table.schema:
        unit, description = columns.get(field.name, ("", ""))
        fields.append(field.with_metadata({"unit": unit, "description": description}))
    metadata = dict(table.schema.metadata or {})
    metadata.update({k.encode(): v.encode() for k, v in file_metadata.items()})
    return table.cast(pa.schema(fields, metadata=metadata))


def columns_markdown(columns: dict[str, tuple[str, str]]) -> str:
    """A Markdown table of the columns."""
    lines = ["| column | unit | what |", "|---|---|---|"]
    lines += [f"| `{name}` | {unit} | {text} |" for name, (unit, text) in columns.items()]
    return "\n".join(lines) + "\n"
