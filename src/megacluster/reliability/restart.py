"""Restart time from its parts: detection, rescheduling, initialisation, checkpoint load, warm-up, re-shard.

After an interruption a synchronous job is torn down and relaunched from its last checkpoint. Each part has
its own source and its own scaling (defaults in ``constants.py``):

- detection (failures only): health checks or the collective watchdog; constant with job size;
- rescheduling: drain the failed node and swap a hot spare in, or re-plan whole replicas without one;
- initialisation: process groups and communicators, linear in the ranks (MegaScale's fit);
- checkpoint load: the checkpoint read once from storage at its read bandwidth (the replicas share it by
  broadcast over the fabric, not counted), or each rank's shard from a peer's memory with in-memory
  checkpoints; grows with the model, not with the job;
- warm-up: full-rate time lost before the first steps run at full rate;
- re-shard: when the replica count changes (with in-memory checkpoints the load then reads storage).

A given ``restart_s`` replaces the parts by one number (plus the load when ``restart_load = 'from_size'``).
Pure functions.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property
from typing import TYPE_CHECKING

from megacluster.reliability.kinds import RestartTrigger
from megacluster.units import TB

if TYPE_CHECKING:
    from megacluster.reliability.config import ReliabilityConfig

GB = 1e9
"""Bytes per gigabyte (decimal, as network bandwidths are quoted). [B]"""


@dataclass(frozen=True)
class RestartParts:
    """One restart's parts. [s]"""

    detect_s: float = 0.0
    reschedule_s: float = 0.0
    init_s: float = 0.0
    load_s: float = 0.0
    warmup_s: float = 0.0
    reshard_s: float = 0.0
    fixed_s: float = 0.0
    """A given ``restart_s`` (every part in one number). [s]"""

    @cached_property
    def total_s(self) -> float:
        """The whole restart. [s]"""
        # spelled out and kept: the job's event loop asks for it at every restart (dataclasses.fields is slow)
        return (
            self.detect_s + self.reschedule_s + self.init_s + self.load_s + self.warmup_s + self.reshard_s
        ) + self.fixed_s

    def as_tuple(self) -> tuple[float, ...]:
        """The parts in ``PART_NAMES`` order. [s]"""
        return (
            self.detect_s, self.reschedule_s, self.init_s, self.load_s, self.warmup_s, self.reshard_s,
            self.fixed_s,
        )  # fmt: skip

    def as_dict(self) -> dict[str, float]:
        """The parts by name (``detect_s`` ... ``fixed_s``). [s]"""
        return dict(zip(PART_NAMES, self.as_tuple(), strict=True))


PART_NAMES = tuple(f.name for f in fields(RestartParts))
"""Names of the parts, in order (columns of the event log's restart rows)."""


def storage_load_s(checkpoint_bytes: float | None, read_tb_s: float) -> float:
    """Time to read one checkpoint from storage (0 without a size). [s]"""
    if checkpoint_bytes is None or checkpoint_bytes <= 0:
        return 0.0
    return float(checkpoint_bytes) / (read_tb_s * TB)


def peer_copy_s(checkpoint_bytes: float | None, gpus: int, peer_gb_s: float) -> float:
    """Time for each rank to copy its shard of the checkpoint to or from a peer's memory (0 without a size).
    [s]

    [A] the checkpoint is sharded over all ``gpus`` ranks (each piece held once, plus its peer copy).
    """
    if checkpoint_bytes is None or checkpoint_bytes <= 0:
        return 0.0
    return float(checkpoint_bytes) / max(int(gpus), 1) / (peer_gb_s * GB)


def restart_parts(
    cfg: ReliabilityConfig,
    gpus: int,
    checkpoint_bytes: float | None,
    trigger: RestartTrigger,
    *,
    spare: bool = False,
    reshard: bool = False,
) -> RestartParts:
    """The parts of one restart onto ``gpus`` GPUs. [s]

    ``spare``: a hot spare replaces the pulled node (else the job is re-planned); ``reshard``: the replica
    count changes. Detection is paid after failures only; a planned or grow restart relaunches on nodes it
    holds (the spare's swap time); a restart after a power stop or a wait re-plans.
    """
    if cfg.restart_model == "fixed":
        fixed = float(cfg.restart_s)
        if cfg.restart_load == "from_size":
            fixed += storage_load_s(checkpoint_bytes, cfg.storage_bandwidth_tb_s)
        return RestartParts(fixed_s=fixed)
    failure = trigger is RestartTrigger.FAILURE
    in_place = trigger in (RestartTrigger.PLANNED, RestartTrigger.GROW) or (failure and spare)
    from_peers = cfg.in_memory_checkpoint and not reshard
    load = (
        peer_copy_s(checkpoint_bytes, gpus, cfg.peer_bandwidth_gb_s)
        if from_peers
        else storage_load_s(checkpoint_bytes, cfg.read_tb_s())
    )
    return RestartParts(
        detect_s=cfg.detection_s if failure else 0.0,
        reschedule_s=cfg.reschedule_spare_s if in_place else cfg.reschedule_s,
        init_s=cfg.init_s_per_gpu * max(int(gpus), 0),
        load_s=load,
        warmup_s=cfg.warmup_s,
        reshard_s=cfg.reshard_s if reshard else 0.0,
    )


@dataclass(frozen=True)
class Anchor:
    """A published restart or recovery time (``data/restart_anchors.toml``)."""

    id: str
    label: str
    gpus: int
    """Job size it was measured at (0: none). [-]"""
    seconds: float
    """The figure (0 when none was found). [s]"""
    kind: str
    """'value', 'upper' (at most), 'lower' (at least) or 'none'."""
    what: str
    source: str


def restart_anchors() -> tuple[Anchor, ...]:
    """The published anchors, in file order."""
    import tomllib
    from importlib import resources

    text = (
        resources.files("megacluster.reliability").joinpath("data", "restart_anchors.toml").read_text("utf-8")
    )
    raw = tomllib.loads(text)
    return tuple(
        Anchor(
            id=key,
            label=str(v["label"]),
            gpus=int(v["gpus"]),
            seconds=float(v["seconds"]),
            kind=str(v["kind"]),
            what=str(v["what"]),
            source=str(v["source"]),
        )
        for key, v in raw.items()
    )


def restart_table(
    cfg: ReliabilityConfig, gpus: tuple[int, ...], checkpoint_bytes: float | None
) -> list[dict[str, float]]:
    """Restart after a failure at each job size: its parts without a spare, and the totals with a hot spare,
    with in-memory checkpoints (and a spare), and for a restart that also re-shards. [s]"""
    rows = []
    for g in gpus:
        base = restart_parts(cfg, g, checkpoint_bytes, RestartTrigger.FAILURE)
        spare = restart_parts(cfg, g, checkpoint_bytes, RestartTrigger.FAILURE, spare=True)
        memory = restart_parts(
            cfg.model_copy(update={"in_memory_checkpoint": True}),
            g,
            checkpoint_bytes,
            RestartTrigger.FAILURE,
            spare=True,
        )
        reshard = restart_parts(cfg, g, checkpoint_bytes, RestartTrigger.FAILURE, reshard=True)
        rows.append(
            {
                "gpus": float(g),
                **base.as_dict(),
                "total_s": base.total_s,
                "hot_spare_s": spare.total_s,
                "in_memory_s": memory.total_s,
                "reshard_total_s": reshard.total_s,
            }
        )
    return rows
