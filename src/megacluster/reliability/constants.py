"""Default constants of the reliability model, each with its source.

Tags: [P] primary, [S] secondary, [U] unverified, [D] derived (arithmetic given), [A] assumption.
The failure counts by cause live in ``data/failure_causes.toml``; units and physical constants (seconds per
hour, bytes per TB ...) in ``megacluster.units``.
"""

from __future__ import annotations

from megacluster.units import SECONDS_PER_MINUTE

RESTART_S = 600.0
"""The old single restart time, kept for reference (``[reliability] restart_s`` now defaults to the sum of the
parts below). [s]
[A] 10 min. FlashRecovery restores 4,800 devices in 150 s; typical stacks take minutes; mlsysim's placeholder
is 300 s (facts-plant.md 9). No restart time is published for Llama 3 (NOT FOUND in facts-plant.md 9)."""

# --- Restart from its parts (docs/reliability.md, "Restart time from its parts") ---------------------------

DETECTION_S = 60.0
"""Time from a fault to the job being torn down for restart. [s]
[A] between the two published ends: health checks and heartbeats catch a crashed rank or an XID error "within
seconds" (FlashRecovery, facts-plant.md 9; MegaScale and ByteRobust run such monitors), while a hang waits for
the collective watchdog, whose PyTorch default for NCCL is 10 min ([P] pytorch/pytorch PR #110947, "Change
ProcessGroupNCCL default timeout to 10 min"); large jobs shorten it. One minute, constant with job size (the
monitors are per node)."""

RESCHEDULE_SPARE_S = 60.0
"""Draining the failed node and putting a hot spare in its place (the spare is booted, checked and holds the
container). [s]
[A] ByteRobust keeps warm standby nodes for this (facts-plant.md 9, SOSP 2025); a minute to swap the host
list and start the processes. No published figure."""

RESCHEDULE_S = 300.0
"""Draining the failed node and re-planning the job without a spare: the scheduler re-plans whole replicas
on the nodes left and starts the processes. [s]
[S] Crusoe AutoClusters replaces failed nodes "in under 5 minutes" (facts.md 5.3); ByteDance: failover "often
more than 10 minutes" at 10,000 GPUs as a whole ([P via copy] ByteRobust, facts-swings.md 6). Five minutes,
constant with job size."""

INIT_S_PER_GPU = 3.0e-3
"""Process-group and communicator initialisation per rank (rendezvous, NCCL communicators). [s]
[D] MegaScale (NSDI'24, facts-swings.md 6): initialisation "under 5 seconds on 2048 GPUs, and ... under 30
seconds on more than 10,000 GPUs" after their fixes (1,047 s on 2,048 GPUs before): linear in the ranks
through the second point, 30 s / 10,000 = 3.0 ms per GPU (6.1 s at 2,048, a little above their < 5 s; 300 s
at 100,000, an extrapolation)."""

PEER_BANDWIDTH_GB_S = 50.0
"""Bandwidth at which a rank restores its shard from a peer's host memory (in-memory checkpoints). [GB/s]
[P] one 400 Gb/s NIC per GPU on H100 clusters (catalog/data/networks.toml ib-ndr400: 50 GB/s); Gemini
(Google 2023, facts.md 5.3) restores from redundant in-memory copies."""

WARMUP_S = 60.0
"""Time lost after the processes are up before the job steps at full rate (compilation or CUDA-graph
capture, allocator growth, data-loader prefetch, the first slow steps), in full-rate seconds. [s]
[A] one minute; Huawei MindCluster counts "compile" as one of the five parts of a fault's cost
(facts-plant.md 9) without a number; constant with job size."""

RESHARD_S = 60.0
"""Extra restart time when the number of data-parallel replicas changes: the optimizer states sharded over
the replicas (ZeRO-1) are re-partitioned as they load, the data loader re-split. [s]
[A] one minute; ByteCheckpoint (NSDI'25, facts-plant.md 9) does this at load time; no time per re-shard was
found. With in-memory checkpoints a re-shard also loads from storage (the peers hold the old layout)."""

GROW_THRESHOLD = 2.0
"""A planned restart onto more replicas happens when its expected gain is at least this many times its cost.
[-] [A] gain = extra throughput x the mean time to the next interruption; cost = the restart x the new
throughput. Twice over, because the supply that rose may fall again (the day's temperature swing) and the
time to the next interruption is only an expectation."""

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

LEAF_DOWNLINK_SERVERS = 64
"""Servers under one leaf switch of a rail-optimised fabric (one GPU of each). [-]
[A] a 51.2 Tb/s Spectrum-4 class leaf (SN5600, 64 x 800G = 128 x 400G, facts.md 1.3) with half its ports down:
64 GPUs, one per server on the same rail. A dead leaf leaves each of those servers without one of its rail
NICs, so [A] the 64 servers are out until the switch is swapped."""

LAYOUT_LOOKAHEAD_H = 1.0
"""How far ahead the layout chosen at a restart must fit the power at the deepest cap. [h]
[A] the operator plans the layout against the supply of the next hour (the plant's unit commitment looks ahead
over its start-up and ramp in the same way; the install schedule and the weather are known). A generator trip
inside that hour is foreseen here, which real operators cannot do: a mild optimism."""
