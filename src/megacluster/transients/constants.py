"""Default constants of the power-swing model, each with its source.

Tags: [P] primary, [S] secondary, [U] unverified placeholder, [D] derived (arithmetic shown), [A] assumption
(reason shown). "facts-swings.md §N" is the bibliography shipped in ``megacluster/sources``
(``megacluster sources facts-swings.md N`` prints it). Per-generator-class inertia and governor figures live
in ``catalog/data/generators.toml``; the generic values below stand in for a fleet given by its rating alone.
"""

from __future__ import annotations

# --- GPU power by phase of a training iteration (fractions of TDP) ---------------------------------------

COMPUTE_FRACTION = 1.0
"""GPU draw in the matrix-multiply phases (forward, backward, recompute). [-]
[D] the plant's GPU_LOAD_FRACTION (power/constants.py): with the hgx-h100 components a GPU at TDP gives
8.43 kW per server, the 8.4 kW measured under training (Latif et al., facts-plant.md 5); Patel et al. (ASPLOS
2024): "peak power draw across GPUs in LLM training iterations often reaches or exceeds their TDP"
(facts-swings.md §6)."""

COMMUNICATION_FRACTION = 0.30
"""GPU draw while it waits on exposed communication (TP/CP/EP all-reduces and all-to-alls, pipeline sends,
data-parallel collectives). [-]
[A] communication phases run "near idle power" (review of Choukse et al., facts-swings.md §1 [S]); set above
the allocated-idle draw (0.17) because the collective kernels, NVLink, NICs and HBM stay busy. No primary watt
figure was found (facts-swings.md §6, NOT FOUND). Check [D]: with these levels llama3-meta-24k's iteration
averages 0.83 of TDP against 0.88 from Newkirk et al.'s 76 % of 10.2 kW (power/constants.py)."""

IDLE_FRACTION = 0.17
"""GPU draw while allocated but idle: pipeline bubbles, checkpoint stalls, restarts. [-]
[D] H100 bare idle ~70 W ([U] facts-swings.md §6) + a CUDA context's +26-66 W ([P] arXiv 2605.23918, §6),
mid-range 46 W -> 116 W / 700 W = 0.166; applied as a fraction of TDP to other GPUs ([A])."""

OPTIMIZER_FRACTION = 0.5
"""GPU draw in the optimizer step (memory-bound element-wise updates). [-]
[A] HBM-bound kernels keep the memory system busy but not the tensor cores; the phase is milliseconds long in
every preset (ZeRO-sharded), so the value barely matters."""

# --- Desynchronisation ----------------------------------------------------------------------------------

JITTER_S = 0.01
"""Standard deviation of the offset of one rack's power transitions from the job's clock. [s]
[A] the GB300 note's heatmap shows GPUs switching in lockstep (facts-swings.md §2); clock skew, stragglers and
collective start-up spread transitions by milliseconds to tens of milliseconds. No measured figure found."""

STEP_TIME_CV = 0.02
"""Coefficient of variation of the iteration time, iteration to iteration (the whole job together). [-]
[A] data-dependent work (MoE routing imbalance, sequence packing) varies iteration times by a few percent; it
broadens the spectral lines. No measured figure found."""

# --- Slower non-GPU load --------------------------------------------------------------------------------

NON_GPU_TIME_CONSTANT_S = 10.0
"""Time constant of the servers' non-GPU draw (CPUs, fans, NICs) following the job's activity. [s]
[A] fans follow component temperatures over seconds to tens of seconds; CPUs are faster but a small share."""

COOLING_TIME_CONSTANT_S = 120.0
"""Time constant of the cooling plant's draw (chillers, pumps, towers) following the IT heat. [s]
[A] the chilled-water loop's thermal mass spreads heat steps over minutes; no measured figure found."""

# --- Storage and batteries ------------------------------------------------------------------------------

GB300_STORAGE_J_PER_GPU = 65.0
"""Energy storage in the GB300 NVL72 power shelves, per GPU. [J]
[P via copy] NVIDIA GB300 note: "65 joules/GPU of energy storage" (facts-swings.md §2); [D] 65 x 72 = 4.68 kJ
= 1.3 Wh per rack."""

RACK_STORAGE_DEPTH_FRACTION = 0.8
"""Share of a rack store's energy its ramp controller plans to use for the largest per-GPU step. [-]
[A] a margin of 20 % for the step's spread across the rack."""

BATTERY_RESPONSE_S = 0.11
"""Time constant of a site battery's inverters following their set point. [s]
[D] from [S] Hornsdale (Tesla) in grid-forming 'virtual machine mode': "reaching peak output in about
one-third of a second" (facts-swings.md §3), read as 95 % of a first-order step in 0.33 s: 3 tau = 0.33 s
-> 0.11 s."""

RAMP_TARGET_FRACTION = 0.9
"""Share of the tightest stated ramp limit that a battery's ramp limiter aims at. [-]
[A] a set point below the limit leaves room for what the inverters' lag lets through; without it a limiter
set exactly at the limit exceeds it by the lag's transients."""

BATTERY_RESTORE_S = 1800.0
"""Time constant with which a smoothing battery pulls its state of charge back to the middle. [s]
[A] much slower than the swings (seconds) and than a restart's ramp (minutes), so the pull does not add a
swing of its own; about the time between interruptions of a 100,000-GPU job (~35 min), so the battery is
recentred for the next one."""

BATTERY_CYCLE_LIFE = 4000.0
"""Full equivalent cycles of a lithium-iron-phosphate utility battery to its end of life. [-]
[U] facts-plant.md 7: "Megapack 2 XL ... 3,000-5,000 cycles" (simulator spec table); mid-range 4,000. Tesla's
warranty terms were not found."""

# --- Islanded generators (generic class, for fleets given by their rating alone) -------------------------

NOMINAL_FREQUENCY_HZ = 60.0
"""Nominal frequency of the North American grids and of generators built for them. [Hz]
[P] NERC: the Eastern, Western and Texas interconnections run at 60 Hz."""

INERTIA_H_S = 3.0
"""Inertia constant of a generating unit on its own rating (MW-s per MVA). [s]
[P, standard model] IEC CIM RotatingMachineDynamics.inertia: "Typical Value = 3" (facts-swings.md §4)."""

GOVERNOR_DROOP = 0.04
"""Permanent speed droop of a combustion-turbine governor. [-]
[P, standard model] GGOV1 / CIM GovCT1: "Permanent droop (R). Typical Value = 0.04" (facts-swings.md §4)."""

GOVERNOR_ACTUATOR_S = 0.5
"""Actuator time constant of the governor. [s]
[P, standard model] GGOV1: "Actuator time constant (Tact). Typical Value = 0.5" (facts-swings.md §4)."""

GOVERNOR_TURBINE_S = 0.5
"""Turbine lag time constant. [s]
[P, standard model] GGOV1: "Turbine lag time constant (Tb) ... Typical Value = 0.5" (facts-swings.md §4)."""

GOVERNOR_RATE_PU_PER_S = 0.10
"""Largest rate of change of the fuel valve, per unit of rating per second. [1/s]
[P, standard model] GGOV1: "Maximum valve opening rate (Ropen). Unit = PU/sec. Typical Value = 0.10"
(facts-swings.md §4); taken for closing too ([A])."""

LOAD_STEP_FRACTION = 0.25
"""Largest load step a gas unit accepts at once, fraction of its rating. [-]
[A] marine diesels accept 28-30 % of rating per step (Wärtsilä 32 / 26 manuals, [P] facts-swings.md §4) and
gas-fuelled units "generally smaller"; a two-shaft turbine took 90 % only with special controls (ASME GT1962).
No figure for the SMT-130 or LM2500 was found."""

ISLAND_FREQUENCY_LIMIT_FRACTION = 0.015
"""Largest frequency deviation an island of gas units should see, fraction of nominal. [-]
[A] ASME GT1962: a two-shaft turbine held "within a one and one half per cent band" under block loads
([P] facts-swings.md §4); ISO 8528-5 class G2 steady-state band ±1.5 % ([U] §4). 1.5 % of 60 Hz = 0.9 Hz."""

# --- What the grid cares about --------------------------------------------------------------------------

BAND_LOW_HZ = 0.1
BAND_HIGH_HZ = 20.0
"""The frequency band of utility oscillation limits. [Hz]
[S] review of Choukse et al.: "critical frequency range (e.g., (0.1)-(20 Hz))" (facts-swings.md §1)."""

RAMP_SHORT_S = 1.0
"""Averaging time of the per-second ramp figure (utility ramp limits in MW/s). [s]
[P via copy] Choukse et al.: ramp-up rate "typically expressed in megawatts per second (MW/s)" (§1)."""

RAMP_LONG_S = 60.0
"""Averaging time of the per-minute ramp figure (utility ramp limits in MW/min). [s]
[P via copy] NERC Level 2 report: utility load ramp limits "between 8 MW/min to 300 MW/min" (§5)."""
