"""The ``[reliability]`` section of a scenario: interruptions, restarts, checkpoints, repair and spares."""

from __future__ import annotations

import enum
import math
from typing import Literal

from pydantic import Field, field_validator, model_validator

from megacluster.reliability import constants as c
from megacluster.reliability.causes import llama3_causes
from megacluster.reliability.checkpoint import AutoMethod, CheckpointMode, CheckpointPolicy
from megacluster.reliability.kinds import RestartTrigger
from megacluster.reliability.restart import peer_copy_s, restart_parts
from megacluster.units import SECONDS_PER_DAY, SECONDS_PER_HOUR, SECONDS_PER_MINUTE, TB, Frozen

LLAMA3_RATE_PER_GPU_HOUR = llama3_causes().total_rate_per_gpu_hour()
"""[D] facts.md 5.1: Llama 3 405B pre-training, 419 unexpected interruptions in 54 days on 16,384 H100
-> 419 / (16,384 x 1,296 h) = 1.973e-5 job interruptions per GPU-hour (sum of the cause table)."""

LLAMA3_PLANNED_PER_DAY = llama3_causes().planned_per_day()
"""[D] facts.md 5.1: 47 planned interruptions in 54 days -> 0.870 per day (per job)."""


class RestartModel(enum.StrEnum):
    """How long a restart takes."""

    PARTS = "parts"
    """The sum of its parts at the job's size (``restart.py``)."""
    FIXED = "fixed"
    """``restart_s``, every time."""


class ReliabilityConfig(Frozen):
    """Job interruptions and how the job recovers from them."""

    interruption_rate_per_gpu_hour: float = Field(
        default=LLAMA3_RATE_PER_GPU_HOUR,
        ge=0,
        le=1,
        description="Unexpected job interruptions per GPU-hour, all causes [1/(GPU h)] "
        "(default [D]: Llama 3 cause table, 419 / (16,384 x 1,296 h), facts.md 5.1)",
    )
    disabled_causes: tuple[str, ...] = Field(
        default=(),
        description="Cause ids of data/failure_causes.toml to switch off; their share of the rate is removed",
    )
    planned_interruptions_per_day: float = Field(
        default=LLAMA3_PLANNED_PER_DAY,
        ge=0,
        le=1000,
        description="Planned interruptions (maintenance) per day, per job [1/d] "
        "(default [D]: Llama 3, 47 in 54 days, facts.md 5.1)",
    )
    restart_model: RestartModel = Field(
        default=RestartModel.PARTS,
        description="'parts': each restart is the sum of its parts (detection, rescheduling, initialisation, "
        "checkpoint load, warm-up, re-shard) at the job's size; 'fixed': every restart takes restart_s "
        "(the default once restart_s is given)",
    )
    restart_s: float = Field(
        default=c.RESTART_S,
        ge=0,
        le=7 * SECONDS_PER_DAY,
        description="With restart_model 'fixed': the whole restart as one number [s] ([A] 10 min; giving "
        "restart_s selects 'fixed')",
    )
    restart_load: Literal["included", "from_size"] = Field(
        default="included",
        description="With restart_model 'fixed': 'included' (restart_s covers loading the checkpoint) or "
        "'from_size' (loading adds checkpoint size / storage_bandwidth_tb_s)",
    )
    detection_s: float = Field(
        default=c.DETECTION_S,
        ge=0,
        le=SECONDS_PER_DAY,
        description="Fault to teardown [s] ([A] 60 s: health checks see crashes in seconds, the NCCL "
        "watchdog waits 10 min by default for hangs)",
    )
    reschedule_spare_s: float = Field(
        default=c.RESCHEDULE_SPARE_S,
        ge=0,
        le=SECONDS_PER_DAY,
        description="Drain and swap in a hot spare [s] ([A] 60 s, warm standby as ByteRobust)",
    )
    reschedule_s: float = Field(
        default=c.RESCHEDULE_S,
        ge=0,
        le=SECONDS_PER_DAY,
        description="Drain and re-plan on fewer replicas without a spare [s] ([S] 'under 5 minutes', Crusoe)",
    )
    init_s_per_gpu: float = Field(
        default=c.INIT_S_PER_GPU,
        ge=0,
        le=10,
        description="Process-group and communicator initialisation per GPU [s] ([D] MegaScale: < 30 s on "
        "> 10,000 GPUs -> 3 ms per GPU)",
    )
    warmup_s: float = Field(
        default=c.WARMUP_S,
        ge=0,
        le=SECONDS_PER_DAY,
        description="Full-rate time lost before the job steps at full rate after a restart [s] ([A] 60 s)",
    )
    reshard_s: float = Field(
        default=c.RESHARD_S,
        ge=0,
        le=SECONDS_PER_DAY,
        description="Extra restart time when the replica count changes [s] ([A] 60 s)",
    )
    storage_read_tb_s: float | None = Field(
        default=None,
        gt=0,
        le=1000,
        description="Checkpoint read bandwidth from storage [TB/s] (default: storage_bandwidth_tb_s)",
    )
    in_memory_checkpoint: bool = Field(
        default=False,
        description="Checkpoint to peers' host memory (Gemini-style): a snapshot stall (async_stall_s) per "
        "checkpoint and a restart that loads each rank's shard from a peer; a re-shard still reads storage",
    )
    peer_bandwidth_gb_s: float = Field(
        default=c.PEER_BANDWIDTH_GB_S,
        gt=0,
        le=10_000,
        description="Bandwidth of a rank's restore from a peer's memory [GB/s] ([P] 400 Gb/s NIC per GPU)",
    )
    grow_threshold: float = Field(
        default=c.GROW_THRESHOLD,
        ge=0,
        le=1e6,
        description="Grow onto more replicas by a planned restart when gain >= threshold x cost [-] "
        "([A] 2; gain = extra throughput x mean time to the next interruption, cost = restart x throughput)",
    )
    layout_lookahead_h: float = Field(
        default=c.LAYOUT_LOOKAHEAD_H,
        ge=0,
        le=720,
        description="The layout chosen at a restart must fit the power at the deepest cap this far ahead [h] "
        "([A] 1 h)",
    )
    correlated_failures: bool = Field(
        default=True,
        description="Faults take out their blast radius (rack, leaf switch, site power), not just one node",
    )
    checkpoint_interval_min: float | Literal["auto"] = Field(
        default="auto",
        description="Compute time between checkpoints [min], or 'auto' for the Young/Daly optimum "
        "recomputed from the current interruption rate",
    )
    checkpoint_write_s: float | Literal["auto"] = Field(
        default="auto",
        description="Time to write one checkpoint to storage [s], or 'auto': checkpoint size / "
        "storage_bandwidth_tb_s, or 60 s when the size is unknown ([U] mlsysim default, facts-plant.md 9)",
    )
    storage_bandwidth_tb_s: float = Field(
        default=c.STORAGE_BANDWIDTH_TB_S,
        gt=0,
        le=1000,
        description="Sustained checkpoint write bandwidth [TB/s] "
        "([P via S] Llama 3 / Tectonic 2 TB/s, facts.md 5.1)",
    )
    checkpoint_mode: CheckpointMode = Field(
        default=CheckpointMode.SYNC,
        description="'sync': training stalls for the whole write; 'async': it stalls for an in-memory "
        "snapshot "
        "and the write runs in the background (a checkpoint counts once written)",
    )
    async_stall_s: float = Field(
        default=c.ASYNC_STALL_S,
        ge=0,
        le=SECONDS_PER_HOUR,
        description="Stall of an asynchronous checkpoint [s] ([S, weak] 'under 10 seconds', facts.md 5.3)",
    )
    auto_method: AutoMethod = Field(
        default=AutoMethod.DALY, description="Formula of the 'auto' interval: 'daly' (2006) or 'young' (1974)"
    )
    node_gpus: int = Field(
        default=c.NODE_GPUS,
        ge=1,
        le=1024,
        description="GPUs per server, the unit pulled for repair [-] ([P] HGX: 8)",
    )
    spares_gpus: int = Field(
        default=c.SPARES_GPUS,
        ge=0,
        le=10_000_000,
        description="Hot-spare GPUs that replace pulled nodes without shrinking the job [-] ([A] 0)",
    )
    repair_median_h: float = Field(
        default=c.REPAIR_MEDIAN_H,
        gt=0,
        le=8760,
        description="Median time a pulled node is out of the pool [h] ([A] 24 h, lognormal)",
    )
    repair_sigma: float = Field(
        default=c.REPAIR_SIGMA,
        ge=0,
        le=5,
        description="Log-standard-deviation of the repair time [-] ([A] 1.0)",
    )
    on_shortage: Literal["shrink", "wait"] = Field(
        default="shrink",
        description="When pulled nodes exceed the spares: 'shrink' restarts on fewer data-parallel replicas, "
        "'wait' holds the job until repairs return",
    )
    infant_mortality_factor: float = Field(
        default=c.INFANT_MORTALITY_FACTOR,
        ge=1,
        le=100,
        description="Hazard multiplier at the start of a fresh build, decaying to 1 [-] ([A] 1 = off)",
    )
    infant_mortality_decay_days: float = Field(
        default=c.INFANT_MORTALITY_DECAY_DAYS,
        gt=0,
        le=3650,
        description="Decay time of the infant-mortality excess hazard [d] ([A] 14 d)",
    )

    @model_validator(mode="before")
    @classmethod
    def _given_restart_is_fixed(cls, data: object) -> object:
        """A given restart_s means one number per restart, unless restart_model says otherwise."""
        if isinstance(data, dict) and "restart_s" in data and "restart_model" not in data:
            return {**data, "restart_model": RestartModel.FIXED}
        return data

    @field_validator(
        "interruption_rate_per_gpu_hour",
        "planned_interruptions_per_day",
        "restart_s",
        "detection_s",
        "reschedule_spare_s",
        "reschedule_s",
        "init_s_per_gpu",
        "warmup_s",
        "reshard_s",
        "storage_read_tb_s",
        "peer_bandwidth_gb_s",
        "grow_threshold",
        "layout_lookahead_h",
        "checkpoint_write_s",
        "checkpoint_interval_min",
        "storage_bandwidth_tb_s",
        "async_stall_s",
        "repair_median_h",
        "repair_sigma",
        "infant_mortality_factor",
        "infant_mortality_decay_days",
        mode="before",
    )
    @classmethod
    def _finite(cls, value: object) -> object:
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @field_validator("checkpoint_write_s")
    @classmethod
    def _write_non_negative(cls, value: float | str) -> float | str:
        if not isinstance(value, str) and not 0 <= value <= SECONDS_PER_DAY:
            raise ValueError(f"checkpoint_write_s must be between 0 and {SECONDS_PER_DAY:g} s, or 'auto'")
        return value

    @field_validator("disabled_causes")
    @classmethod
    def _known_causes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        known = llama3_causes().ids
        unknown = [v for v in value if v not in known]
        if unknown:
            raise ValueError(f"unknown cause(s) {', '.join(unknown)}; valid: {', '.join(known)}")
        return value

    @model_validator(mode="after")
    def _check(self) -> ReliabilityConfig:
        if not isinstance(self.checkpoint_interval_min, str):
            interval_s = float(self.checkpoint_interval_min) * SECONDS_PER_MINUTE
            if not interval_s >= c.MIN_FIXED_INTERVAL_MIN * SECONDS_PER_MINUTE:
                raise ValueError("checkpoint_interval_min must be at least 1 s (1/60 min), or 'auto'")
            write = self.checkpoint_write_s
            if not isinstance(write, str) and interval_s <= write:
                raise ValueError(
                    f"checkpoint_interval_min ({interval_s:g} s) must be longer than checkpoint_write_s "
                    f"({write:g} s)"
                )
        return self

    def write_s(self, checkpoint_bytes: float | None) -> float:
        """Time to persist one checkpoint: given, or size / bandwidth, or the 60 s fallback. [s]"""
        if not isinstance(self.checkpoint_write_s, str):
            return float(self.checkpoint_write_s)
        if checkpoint_bytes is None:
            return c.CHECKPOINT_WRITE_FALLBACK_S
        if not (checkpoint_bytes >= 0 and math.isfinite(checkpoint_bytes)):
            raise ValueError(
                f"checkpoint_bytes must be a finite non-negative number, got {checkpoint_bytes!r}"
            )
        return float(checkpoint_bytes) / (self.storage_bandwidth_tb_s * TB)

    def check_checkpoint(self, checkpoint_bytes: float | None) -> float:
        """Raise ValueError unless a fixed interval is longer than the write time; return the write time. [s]

        Call it where the checkpoint size becomes known (the write time may come from it).
        """
        write = self.write_s(checkpoint_bytes)
        if not isinstance(self.checkpoint_interval_min, str):
            interval_s = float(self.checkpoint_interval_min) * SECONDS_PER_MINUTE
            if interval_s <= write:
                raise ValueError(
                    f"checkpoint_interval_min ({interval_s:g} s) must be longer than the checkpoint write "
                    f"time ({write:g} s = {checkpoint_bytes or 0:.3g} B at "
                    f"{self.storage_bandwidth_tb_s:g} TB/s)"
                )
        return write

    def checkpoint_policy(self, checkpoint_bytes: float | None, gpus: int = 0) -> CheckpointPolicy:
        """When checkpoints are taken and what they cost, for a checkpoint of ``checkpoint_bytes`` sharded
        over ``gpus`` GPUs (in-memory checkpoints: a snapshot stall, then each rank's shard copied to a peer).

        Raises ValueError when a fixed interval is not longer than the write time.
        """
        write_s = self.check_checkpoint(checkpoint_bytes)
        sync = self.checkpoint_mode is CheckpointMode.SYNC
        fixed = self.checkpoint_interval_min
        mode = self.checkpoint_mode
        stall_s = write_s if sync else min(self.async_stall_s, write_s)
        if self.in_memory_checkpoint:
            mode, stall_s = CheckpointMode.ASYNC, self.async_stall_s
            write_s = peer_copy_s(checkpoint_bytes, gpus, self.peer_bandwidth_gb_s)
        return CheckpointPolicy(
            mode=mode,
            write_s=write_s,
            stall_s=stall_s,
            fixed_interval_s=None if isinstance(fixed, str) else float(fixed) * SECONDS_PER_MINUTE,
            auto_method=self.auto_method,
            max_interval_s=c.MAX_AUTO_INTERVAL_H * SECONDS_PER_HOUR,
            min_interval_s=c.MIN_AUTO_INTERVAL_S,
        )

    def restart_time_s(self, checkpoint_bytes: float | None, gpus: int = 0) -> float:
        """Restart after a failure: ``restart_s`` (plus the checkpoint load when 'from_size'), or the sum of
        the parts for a job of ``gpus`` GPUs without a spare or a re-shard (``restart.py``). [s]"""
        if self.restart_model is RestartModel.PARTS:
            return restart_parts(self, gpus, checkpoint_bytes, RestartTrigger.FAILURE).total_s
        if self.restart_load == "included" or checkpoint_bytes is None:
            return self.restart_s
        return self.restart_s + float(checkpoint_bytes) / (self.storage_bandwidth_tb_s * TB)

    def read_tb_s(self) -> float:
        """Checkpoint read bandwidth from storage. [TB/s]"""
        return self.storage_read_tb_s if self.storage_read_tb_s is not None else self.storage_bandwidth_tb_s

    def unexpected_rate_per_gpu_hour(self) -> float:
        """Rate of the enabled causes: the configured total less the disabled causes' share. [1/(GPU h)]"""
        shares = llama3_causes().shares()
        off = sum(
            s for cid, s in zip(llama3_causes().ids, shares, strict=True) if cid in self.disabled_causes
        )
        return self.interruption_rate_per_gpu_hour * (1.0 - float(off))
