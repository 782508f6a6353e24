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
    RESTART = "restart"
    """The job restarts on a layout (one row per restart, with its parts and the replicas it restarts on)."""
    POWER = "power"
    """The power (or the GPUs) given to the job no longer carries its layout, even capped: it stops to
    restart on fewer replicas."""
    GROW = "grow"
    """A planned restart to grow onto more replicas, because the gain outweighs the restart."""

    @property
    def is_interruption(self) -> bool:
        """Whether the summary counts it as an interruption (unexpected or planned). [-]"""
        return self in (EventKind.FAILURE, EventKind.PLANNED)


class Cause(enum.StrEnum):
    """Why an event happened: the failure causes of ``data/failure_causes.toml`` (Llama 3's table and the site
    power event), planned maintenance, a power shortfall, a grow restart, or the loss of every GPU. A test
    keeps the failure causes equal to the data file's ids."""

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
    SITE_POWER = "site_power"
    """A generator trip on an islanded campus: every running replica loses power (engine-driven hazard)."""
    PLANNED_MAINTENANCE = "planned_maintenance"
    NO_GPUS = "no_gpus"
    POWER_SHORTFALL = "power_shortfall"
    """The supply fell below what the job's layout draws at the deepest cap."""
    GROW = "grow"
    """More replicas fit (power or repairs): a planned restart onto them."""
    NONE = ""


NON_FAILURE_CAUSES = frozenset(
    {Cause.PLANNED_MAINTENANCE, Cause.NO_GPUS, Cause.POWER_SHORTFALL, Cause.GROW, Cause.NONE}
)
"""Causes that are not failure causes of the data file."""


class BlastRadius(enum.StrEnum):
    """What one fault takes out of the job: the GPUs pulled for repair, and with them every replica they
    touch."""

    NODE = "node"
    """One server (``node_gpus``)."""
    RACK = "rack"
    """A rack's shared power path (PDU, power shelf, busway tap-off): every server of the rack."""
    LEAF = "leaf"
    """A leaf switch: in a rail-optimised fabric one GPU in each server under it, so those servers."""
    SPINE = "spine"
    """A spine or core switch: traffic reroutes after a restart; nothing is pulled."""
    JOB = "job"
    """Software, a hang, a dependency or a site power event: the job restarts; nothing is pulled."""


class RestartTrigger(enum.StrEnum):
    """Why a restart happens (which of its parts it pays)."""

    FAILURE = "failure"
    """Detection, rescheduling, initialisation, checkpoint load, warm-up."""
    PLANNED = "planned"
    """Maintenance: no detection."""
    POWER = "power"
    """The supply fell: no detection (the plant knows), a smaller layout."""
    GROW = "grow"
    """More replicas fit: no detection."""
    RESUME = "resume"
    """After waiting with no GPUs or power: no detection."""
