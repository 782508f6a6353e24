"""Default constants of the reliability model, each with its source.

Tags: [P] primary, [S] secondary, [U] unverified, [D] derived (arithmetic given), [A] assumption.
The failure counts by cause live in ``data/failure_causes.toml``; units and physical constants (seconds per
hour, bytes per TB ...) in ``megacluster.units``.
"""

from __future__ import annotations

from megacluster.units import SECONDS_PER_MINUTE

RESTART_S = 600.0
"""Detection + reschedule + checkpoint load after an interruption. [s]
[A] 10 min. FlashRecovery restores 4,800 devices in 150 s; typical stacks take minutes; mlsysim's placeholder
is 300 s (facts-plant.md 9). No restart time is published for Llama 3 (NOT FOUND in facts-plant.md 9)."""

CHECKPOINT_WRITE_FALLBACK_S = 60.0
"""Checkpoint stall when neither a write time nor a checkpoint size is given. [s]
[U] mlsysim default checkpoint_time_s = 60 s (facts-plant.md 9)."""

STORAGE_BANDWIDTH_TB_S = 2.0
"""Sustained storage write bandwidth available to checkpoints. [TB/s]
[P via S] Llama 3 / Tectonic: '2 TB/s sustained throughput, and 7 TB/s peak' (facts.md 5.1)."""

ASYNC_STALL_S = 10.0
"""Training stall of an asynchronous (in-memory snapshot) checkpoint. [s]
[S, weak] practitioner blog: async checkpointing 'cuts checkpoint stall from 2-3 minutes to under 10 seconds'
(facts.md 5.3)."""

NODE_GPUS = 8
"""GPUs in one server (the unit pulled for repair). [-]
[P] NVIDIA HGX H100 / DGX H100: 8 GPUs per server (catalog/data/servers.toml)."""

SPARES_GPUS = 0
"""Hot-spare GPUs held for the job beyond its own. [-]
[A] none by default; GB200 practice reserves 8 of 72 GPUs per rack (~11 %, Clockwork, facts.md 5.3)."""

REPAIR_MEDIAN_H = 24.0
"""Median time a pulled node spends out of the pool (diagnose, swap, burn-in). [h]
[A] one day; no published figure for the Llama 3 cluster."""

REPAIR_SIGMA = 1.0
"""Shape (sigma of the log) of the lognormal repair time. [-]
Mean = median x exp(sigma^2 / 2) = 1.65 x median.
[A] lognormal, the shape usually fitted to HPC repair times (Schroeder & Gibson, DSN 2006 [U])."""

INFANT_MORTALITY_FACTOR = 1.0
"""Hazard multiplier at the start of a fresh build (1 = no infant mortality). [-]
[A] off by default. When on, the multiplier decays as 1 + (factor - 1) exp(-t / decay)."""

INFANT_MORTALITY_DECAY_DAYS = 14.0
"""Decay time of the infant-mortality excess hazard. [d]
[A] two weeks of burn-in failures after racks come up; no published figure at this scale."""

MAX_AUTO_INTERVAL_H = 24.0
"""Upper bound of the automatic checkpoint interval when the interruption rate is (near) zero. [h]
[A] checkpoint at least daily (facts-plant.md 9: MindCluster saves 'once an hour'; a day is a loose cap)."""

MIN_AUTO_INTERVAL_S = 60.0
"""Lower bound of the automatic checkpoint interval, for checkpoints that cost (almost) nothing. [s]
[A] one checkpoint a minute at most: a few optimizer steps of a large model."""

MIN_FIXED_INTERVAL_MIN = 1.0 / SECONDS_PER_MINUTE
"""Smallest fixed checkpoint interval accepted. [min] [A] one second."""
