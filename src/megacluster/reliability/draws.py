"""The job's hazard and its random inputs, all drawn up front in a fixed order.

The order is part of the contract: the same generator state gives the same failure candidates (times, causes,
thinning draws, repair times) and planned interruptions, so a run is reproducible from its seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from megacluster.reliability.causes import RADII, CauseTable
from megacluster.reliability.config import ReliabilityConfig
from megacluster.reliability.events import (
    assign_causes,
    draw_event_times,
    draw_poisson_times,
    infant_mortality_multiplier,
)
from megacluster.reliability.kinds import BlastRadius, Cause
from megacluster.reliability.repair import draw_repair_s
from megacluster.units import SECONDS_PER_DAY, SECONDS_PER_HOUR


@dataclass(frozen=True)
class Hazard:
    """What the job's interruption rates are, before thinning to the GPUs it runs on."""

    rate_s: float
    """Unexpected interruptions of the enabled causes per GPU-second. [1/(GPU s)]"""
    planned_s: float
    """Planned interruptions per second (per job). [1/s]"""
    mult: NDArray[np.float64]
    """Infant-mortality multiplier of the unexpected rate, per step. [-]"""

    @classmethod
    def of(cls, cfg: ReliabilityConfig, step_start_s: NDArray[np.float64]) -> Hazard:
        """The hazard a configuration gives on a step grid."""
        return cls(
            rate_s=cfg.unexpected_rate_per_gpu_hour() / SECONDS_PER_HOUR,
            planned_s=cfg.planned_interruptions_per_day / SECONDS_PER_DAY,
            mult=infant_mortality_multiplier(
                step_start_s,
                cfg.infant_mortality_factor,
                cfg.infant_mortality_decay_days * SECONDS_PER_DAY,
            ),
        )


@dataclass(frozen=True, slots=True)
class Draws:
    """Every random number of one run, as plain lists (the event loop indexes them one at a time)."""

    cand_t: list[float]
    """Failure candidates of the full job, in time order. [s]"""
    cand_cause: list[int]
    """Cause (index in the cause table) of each candidate. [-]"""
    cand_u: list[float]
    """Uniform draw of each candidate, compared with the share of the job's GPUs running to thin it. [-]"""
    cand_repair: list[float]
    """Repair time of the node a candidate pulls, if it pulls one. [s]"""
    planned_t: list[float]
    """Planned interruptions, in time order. [s]"""
    cand_blast: list[float] = field(default_factory=list)
    """Uniform draw of each candidate that picks its blast radius among its cause's shares. [-]"""
    site_t: list[float] = field(default_factory=list)
    """Site power events (job-level), in time order. [s]"""


@dataclass(frozen=True, slots=True)
class CauseMap:
    """What a failure candidate's draws mean: the causes a run books (the table's, then the site power event)
    and the blast radius each cause's draw picks, with the GPUs it takes out and its repair factor."""

    ids: tuple[str, ...]
    """Cause ids, in the order of the candidates' cause indices. [-]"""
    members: list[Cause]
    """The same as ``Cause`` members. [-]"""
    site: int
    """Index of the site power event. [-]"""
    blast_cdf: list[list[float]]
    """Cumulative share of each radius (``RADII`` order), per cause of the table. [-]"""
    radius_gpus: list[int]
    """GPUs each radius takes out (0: the whole job, nothing pulled). [-]"""
    radius_repair: list[float]
    """Repair time factor of each radius. [-]"""
    radius_names: list[str]
    """Each radius's name (the event log's). [-]"""

    @classmethod
    def of(
        cls, cfg: ReliabilityConfig, table: CauseTable, blast_gpus: tuple[int, int] | None, site: bool
    ) -> CauseMap:
        """The map for a configuration (``blast_gpus``: a rack's and a leaf's GPUs; ``site``: with site power
        events)."""
        ids = (*table.ids, Cause.SITE_POWER.value) if site else table.ids
        blast = table.blast_matrix()
        if not cfg.correlated_failures:
            blast = np.zeros_like(blast)
            node, job = RADII.index(BlastRadius.NODE), RADII.index(BlastRadius.JOB)
            blast[:, node] = table.takes_node_out()
            blast[:, job] = ~table.takes_node_out()
        node_gpus = cfg.node_gpus
        rack, leaf = blast_gpus or (8 * node_gpus, 64 * node_gpus)
        sizes = {BlastRadius.NODE: node_gpus, BlastRadius.RACK: rack, BlastRadius.LEAF: leaf}
        return cls(
            ids=ids,
            members=[Cause(c) for c in ids],
            site=len(table.ids),
            blast_cdf=np.cumsum(blast, axis=1).tolist(),
            radius_gpus=[int(sizes.get(r, 0)) for r in RADII],
            radius_repair=table.repair_factors().tolist(),
            radius_names=[r.value for r in RADII],
        )


def draw_job_events(
    hazard: Hazard,
    full_gpus: NDArray[np.int64],
    step_start_s: NDArray[np.float64],
    dt_s: float,
    start_s: float,
    end_s: float,
    cfg: ReliabilityConfig,
    table: CauseTable,
    rng: np.random.Generator,
    site_rate_per_s: NDArray[np.float64] | None = None,
) -> Draws:
    """Draw all of a run's random inputs from ``start_s`` to ``end_s``, in a fixed order (the blast draws and
    the site events after the older streams, which they leave as they were).

    ``full_gpus`` is the GPUs the full job runs on per step; candidates are drawn at the full job's hazard and
    thinned later to the GPUs actually running. ``site_rate_per_s`` is the per-step hazard of site power
    events (per job).
    """
    per_step = hazard.rate_s * hazard.mult * full_gpus
    cand_t = draw_event_times(per_step, step_start_s, dt_s, rng, t_from_s=start_s)
    m = cand_t.size
    causes = assign_causes(m, table.shares(cfg.disabled_causes), rng).tolist() if m else []
    thin_u = rng.random(m).tolist()
    repair = draw_repair_s(m, cfg.repair_median_h * SECONDS_PER_HOUR, cfg.repair_sigma, rng).tolist()
    planned = draw_poisson_times(hazard.planned_s, start_s, end_s, rng).tolist()
    blast = rng.random(m).tolist()
    site: list[float] = []
    if site_rate_per_s is not None and float(site_rate_per_s.max(initial=0.0)) > 0.0:
        site = draw_event_times(site_rate_per_s, step_start_s, dt_s, rng, t_from_s=start_s).tolist()
    return Draws(
        cand_t=cand_t.tolist(),
        cand_cause=causes,
        cand_u=thin_u,
        cand_repair=repair,
        planned_t=planned,
        cand_blast=blast,
        site_t=site,
    )
