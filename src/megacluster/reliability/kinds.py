"""The names of the job's events and of their causes: enums shared by the reliability model, the summary,
the event log, the report and the web payload."""

from __future__ import annotations

import enum


class EventKind(enum.StrEnum):
    """What happened to the training job (one row of ``events.parquet``)."""

    FAILURE = "failure"
    """An unexpected interruption: the job rolls back to its last checkpoint and restarts."""
    PLANNED = "planned"
    """A planned interruption (maintenance): the job checkpoints, stops and restarts."""
    REPAIR_DONE = "repair_done"
    """Nodes pulled by a failure return to the pool."""
    SUSPEND = "suspend"
    """The job lost all its GPUs (power or repairs): it waits; not an interruption of the count."""
    FINISH = "finish"
    """The final checkpoint completed."""

    @property
    def is_interruption(self) -> bool:
        """Whether the summary counts it as an interruption (unexpected or planned). [-]"""
        return self in (EventKind.FAILURE, EventKind.PLANNED)


class Cause(enum.StrEnum):
    """Why an event happened: the failure causes of ``data/failure_causes.toml`` (Llama 3's table), planned
    maintenance, or the loss of every GPU. A test keeps the failure causes equal to the data file's ids."""

    FAULTY_GPU = "faulty_gpu"
    GPU_HBM3 = "gpu_hbm3"
    SOFTWARE_BUG = "software_bug"
    NETWORK_SWITCH_CABLE = "network_switch_cable"
    HOST_MAINTENANCE = "host_maintenance"
    GPU_SRAM = "gpu_sram"
    GPU_SYSTEM_PROCESSOR = "gpu_system_processor"
    NIC = "nic"
    NCCL_WATCHDOG = "nccl_watchdog"
    SILENT_DATA_CORRUPTION = "silent_data_corruption"
    GPU_THERMAL_SENSOR = "gpu_thermal_sensor"
    SSD = "ssd"
    POWER_SUPPLY = "power_supply"
    SERVER_CHASSIS = "server_chassis"
    IO_EXPANSION_BOARD = "io_expansion_board"
    DEPENDENCY = "dependency"
    CPU = "cpu"
    SYSTEM_MEMORY = "system_memory"
    PLANNED_MAINTENANCE = "planned_maintenance"
    NO_GPUS = "no_gpus"
    NONE = ""


NON_FAILURE_CAUSES = frozenset({Cause.PLANNED_MAINTENANCE, Cause.NO_GPUS, Cause.NONE})
"""Causes that are not failure causes of the data file."""
