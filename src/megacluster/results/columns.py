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
    "wetbulb_c": ("°C", "Ambient wet-bulb temperature (psychrolib, from the dry-bulb and dew point)"),
    "gpus_installed": ("GPUs", "GPUs installed (racks online)"),
    "gpus_powered": ("GPUs", "GPUs the supply and cooling keep running"),
    "gpu_power_cap_fraction": ("-", "GPU power cap as a fraction of TDP (1 = uncapped)"),
    "throughput_factor": ("-", "Training throughput per powered GPU relative to uncapped"),
    "it_power_mw": ("MW", "IT power (servers, network, storage)"),
    "facility_power_mw": ("MW", "Facility power served (IT + cooling + losses), at the GPUs' mean draw"),
    "facility_peak_mw": ("MW", "Facility power at the GPUs' peak (compute-phase) draw: what supply carried"),
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
    "co2_t": (
        "t per step",
        "CO2 of the step: grid energy at its location-based carbon intensity + fuel burnt on site",
    ),
    "nox_t": ("t per step", "NOx of on-site generation in the step"),
    "water_m3": ("m3 per step", "Cooling-tower make-up water in the step (evaporation + drift + blowdown)"),
    "cost_usd": ("USD per step", "Grid energy and fuel cost of the step (no capital costs)"),
    "curtailed": ("bool", "GPUs capped or switched off, or demand unserved, in the step"),
    "job_gpus": ("GPUs", "GPUs of the training job's layout at the step's end (changes only at restarts)"),
    "job_running_gpus": ("GPUs", "GPUs computing for the training job at the step's end (0: restarting)"),
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
    "kind": (
        "enum",
        "reliability.kinds.EventKind: failure, planned, repair_done, suspend, finish, power (a stop: "
        "the power "
        "no longer carried the layout), grow (a planned restart onto more replicas), restart (one row per "
        "restart, with its parts)",
    ),
    "cause": (
        "enum",
        "reliability.kinds.Cause: a failure cause id, site_power, planned_maintenance, "
        "power_shortfall, grow, "
        "no_gpus or ''; on a restart row, what triggered it",
    ),
    "gpus_affected": (
        "GPUs",
        "GPUs pulled for repair, returned by a repair, running at a planned or power stop, or the GPUs a "
        "restart restarts on",
    ),
    "work_lost_s": ("s", "Compute rolled back to the last checkpoint"),
    "replicas": (
        "replicas",
        "Data-parallel replicas a restart (or a power or grow stop) restarts on, else the layout in force",
    ),
    "blast": ("enum", "reliability.kinds.BlastRadius of a failure: node, rack, leaf, spine, job (else '')"),
    "restart_s": ("s", "A restart row's whole restart (0 on other rows)"),
    "detect_s": ("s", "Restart part: failure detection"),
    "reschedule_s": ("s", "Restart part: drain and swap a spare in, or re-plan without one"),
    "init_s": ("s", "Restart part: process-group and communicator initialisation"),
    "load_s": ("s", "Restart part: checkpoint load (storage, or peers' memory)"),
    "warmup_s": ("s", "Restart part: full-rate time lost before full step rate"),
    "reshard_s": ("s", "Restart part: re-shard when the replica count changes"),
    "fixed_s": ("s", "Restart part: a given restart_s (restart_model 'fixed')"),
}
"""Every column of events.parquet: (unit, meaning)."""


def arrow_table(frame: Any, columns: dict[str, tuple[str, str]], file_metadata: dict[str, str]) -> Any:
    """A pyarrow Table of ``frame`` with each column's unit and meaning as field metadata and the run's
    provenance (megacluster version, scenario hash, …) as schema metadata."""
    import pyarrow as pa

    return with_metadata(pa.Table.from_pandas(frame, preserve_index=False), columns, file_metadata)


def with_metadata(table: Any, columns: dict[str, tuple[str, str]], file_metadata: dict[str, str]) -> Any:
    """``table`` (pyarrow) with each column's unit and meaning and the run's provenance (see
    :func:`arrow_table`). [-]"""
    import pyarrow as pa

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
