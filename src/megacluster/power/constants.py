"""Default constants of the plant models, each with its source.

Tags as in ``../shared/facts.md``: [P] primary, [S] secondary, [U] unverified placeholder, [D] derived
(arithmetic shown), [A] assumption (reasoning shown). Catalog numbers (units, servers, climates) live in the
data files; this module holds the model coefficients and scenario defaults.
"""

from __future__ import annotations

from megacluster.units import HOURS_PER_YEAR

# --- Grid ---------------------------------------------------------------------------------------------------

DEFAULT_REGION = "us-average"
"""Grid region whose price and carbon intensity a ``[power]`` section built on its own defaults to (the US
average, catalog/data/regions.toml); a scenario's site names its own region, which the scenario fills in."""

POWER_FACTOR = 0.95
"""[A] load power factor behind a large substation: the Grant County EDC price assumes 'a 95% power factor'
(facts-regions.md 2.3); converts transformer MVA to MW."""

# --- Natural gas --------------------------------------------------------------------------------------------

FUEL_PRICE_USD_PER_MMBTU = 3.36
"""[P] facts-plant.md 3: EIA Electric Power Monthly Table 4.1, natural gas delivered to power plants, 2023
average $3.36/MMBtu (HHV)."""

CO2_KG_PER_MMBTU = 53.06
"""[P] facts.md 3: EIA voluntary-reporting coefficient, natural gas weighted national average
53.06 kg CO2/MMBtu (HHV)."""

HHV_PER_LHV = 1.1078
"""[D] facts-plant.md 3: DOE H2 Analysis Resource Center, natural gas HHV 1,089 / LHV 983 Btu/ft3 = 1.1078."""

NOX_LB_PER_MMBTU = {"uncontrolled": 0.32, "dln": 0.0992, "scr": 0.0099}
"""[S/U] facts.md 3: EPA AP-42 Table 3.1-1 (as transcribed), natural-gas turbines, NOx lb/MMBtu (HHV):
uncontrolled 0.32, dry low-NOx 0.0992, selective catalytic reduction 0.0099. Cross-check [D] facts-plant.md 4:
40 CFR 75 App. F gives 0.00368 lb/MMBtu per ppmvd at 15 % O2 -> DLN 25 ppm = 0.092, SCR 2 ppm = 0.0074."""

AP42_LB_PER_MMBTU = {"co": 0.082, "pm": 0.0066, "voc": 0.0021, "hcho": 0.00071}
"""[S] facts-regions.md 6.2: AP-42 Table 3.1-1/3.1-3 as transcribed (several GitHub files agree), natural-gas
turbines, uncontrolled, lb/MMBtu HHV: CO 0.082, PM10/PM2.5 0.0066, VOC 0.0021, formaldehyde 0.00071 ([P
filing] Lodi Energy Center AFC Table 5.1A-8: formaldehyde 7.10E-04). The AP-42 PDF itself was not read."""

OXIDATION_CATALYST_CO_FACTOR = 0.1
"""[S] facts-regions.md 6.2: 'oxidation catalyst: CO 0.0820 -> 0.0082 lb/MMBtu (90% reduction)' (AP-42 as
transcribed)."""

# --- Gas-turbine performance --------------------------------------------------------------------------------

PARTLOAD_LOAD_FRACTION = (0.30, 0.40, 0.50, 0.60, 0.70, 0.80, 0.90, 1.00)
PARTLOAD_RELATIVE_EFFICIENCY = (0.619, 0.701, 0.776, 0.846, 0.905, 0.946, 0.975, 1.000)
"""[P via GitHub] facts-plant.md 4: TransiEnt Modelica library (TU Hamburg), 'Typical gasturbine partload
efficiency': eta/eta_nom versus P/P_nom. Heat rate at part load = full-load heat rate / relative efficiency;
below 30 % load the 30 % value is held (units do not run there: minimum stable load)."""

ISO_AMBIENT_C = 15.0
"""[S] facts-plant.md 4: ISO reference conditions 15 °C, sea level, 60 % RH."""

DERATE_PER_C = 0.0068
"""[D] facts-plant.md 4: generic ISO correction curve, output factor 1.0 at 15 °C to 0.83 at 40 °C
-> (1 - 0.83) / 25 K = 0.68 %/K ([U] neqsim: ~0.7 %/K)."""

HEAT_RATE_PER_C = 0.0033
"""[D] facts-plant.md 4: generic ISO correction, heat-rate factor 1.10 at 45 °C -> 0.10 / 30 K = 0.33 %/K."""

MAX_AMBIENT_OUTPUT_FACTOR = 1.0
"""[A] below 15 °C a turbine could exceed its ISO rating, but the electrical generator and the package's
nameplate cap the output: we hold it at the rating."""

FORCED_OUTAGE_RATE = 0.05
"""[P via GitHub] facts-plant.md 4: NREL ReEDS outage_forced_static.csv, Gas-CT 0.05 (model input; GADS basis
unconfirmed)."""

HEAT_RATE_BTU_PER_KWH_HHV = 9717.0
"""[P via GitHub] facts-plant.md 4: NREL ATB 2024 Gas-CT heat rate 9.717 MMBtu/MWh (HHV convention); the heat
rate of a fleet given by its rating alone (as the catalog's mobile-2p5mw)."""

MIN_LOAD_FRACTION = 0.5
"""[A] dry low-NOx combustors hold their emission guarantee only above roughly half load (as the catalog's
smt-130); the minimum stable load of a fleet given by its rating alone."""

STARTUP_S = 600.0
"""[P] facts-plant.md 4: ISO 'quick-start' reserve reaches capacity within 10 minutes (Wartsila); the start-up
of a fleet given by its rating alone."""

RAMP_FRACTION_PER_MIN = 0.2
"""[A] full power ~5 min after synchronising: Siemens SGT-A45 'full power in less than eight minutes from
start' (facts.md 3); the up-ramp of a fleet given by its rating alone. [1/min]"""

MEAN_REPAIR_H = 24.0
"""[A] mean duration of a forced outage of a mobile turbine package: a day (swap of a module or a part by the
rental fleet's crew). No published figure found (facts.md 3: NOT FOUND)."""

# --- Battery ------------------------------------------------------------------------------------------------

BATTERY_SOC_MIN_FRACTION = 0.05
BATTERY_SOC_MAX_FRACTION = 1.0
"""[A] catalog energies are usable energies; a 5 % reserve is kept for the battery management system's
ride-through margin (Tesla's own reserve policy was not found)."""

BATTERY_ROUND_TRIP_EFFICIENCY = 0.85
"""[P via GitHub] facts-plant.md 7: NREL ATB 2024 utility-scale Li-ion round-trip efficiency 0.85 (AC to AC);
a battery given by its power and energy alone."""

BATTERY_RESERVE_FRACTION = 0.5
"""[A] the battery bridges start-ups and trips freely, but generators are committed to refill it once it falls
below half: a battery ahead of the generators in the merit order then stays ready for the next contingency
instead of draining over weeks of small deficits."""

# --- GPU power capping --------------------------------------------------------------------------------------

CAP_MIN_FRACTION = 0.6
"""[P] facts-plant.md 5: MIT Supercloud ran a system-wide 60 % power cap (Zhao et al., arXiv 2402.18593);
we do not cap deeper than 60 % of TDP and idle whole blocks instead."""

CAP_THROUGHPUT_EXPONENT = 0.866
"""[D] from [U] facts-plant.md 5 (factryze): 'capping an H100 at 600 W typically loses 10 to 15 % step
throughput'. Throughput = (cap / uncapped draw) ** a with 0.875 = (600/700) ** a -> a = ln 0.875 / ln 0.857 =
0.866. Placeholder: no primary H100 training curve was found; MIT (NAACL 2022) reports only a 'marginal'
slow-down at caps — so this is pessimistic."""

GPU_IDLE_FRACTION = 0.17
"""Draw of an idled GPU that stays allocated (CUDA context held, ready to rejoin the job) / TDP. [-]
[D] as the power-swing model's idle level (transients/constants.py IDLE_FRACTION): H100 bare idle ~70 W ([U]
facts-swings.md 6) + a CUDA context's +26-66 W ([P] arXiv 2605.23918), mid-range 46 W -> 116 W / 700 W =
0.166; [U] H200 idle 80.3 W (facts-plant.md 5) is the same order. Other GPUs: the same fraction ([A])."""

GPU_LOAD_FRACTION = 1.0
"""[A] GPUs of a synchronous training job are provisioned at TDP: the whole job swings to full power together
(facts.md 6, Llama 3). [D] With the hgx-h100 components this gives 8.43 kW per server, matching the 8.4 kW
maximum measured under training (facts-plant.md 5, Latif et al.). Newkirk et al.'s 76 % of 10.2 kW average
corresponds to 0.88 of TDP with the same components."""

GPU_MEAN_FRACTION_MEASURED = 0.88
"""[D] facts-plant.md 5: Newkirk et al., 'even computationally intensive workloads operate at only 76% of the
10.2 kW TDP rating' = 7.75 kW per 8-GPU HGX H100 server; with the hgx-h100 components (2,410 W of non-GPU
parts before 95 % power supplies; 8.43 kW at TDP) the GPUs average (7,750 x 0.95 - 2,410) / (8 x 700 W) =
0.884 of TDP. The mean draw of a campus without a training job to break down."""

GPU_MEAN_SOURCE = "[D] measured: 7.75 kW per HGX H100 server (Newkirk et al., 76 % of 10.2 kW) = 0.88 of TDP"
"""How the measured mean is labelled in the results."""

# --- Network and storage (per GPU) --------------------------------------------------------------------------

NETWORK_TIERS = 3
"""[P] facts.md 1.3: NVIDIA on Colossus: 'Across all three tiers of the network fabric'."""

SWITCH_W_PER_800G_PORT = 23.0
"""[A] a 51.2 Tb/s Spectrum-4 class switch (SN5600, 64 x 800G, facts.md 1.3) drawing ~1.5 kW without optics
-> 1,500 / 64 = 23 W per 800G port. No vendor power figure was found."""

OPTICS_W_PER_800G = 15.0
"""[S] 800G optical module 'typically between 13W and 18W' (tarluz.com FAQ); 15 W mid-range. A 400G end counts
half."""

FRONTEND_NETWORK_FRACTION = 0.125
"""[D] facts.md 1.3: each 8-GPU server has one more 400 GbE port (frontend/storage) beyond the 8 backend ports
-> 1/8 extra network per GPU."""

STORAGE_W_PER_GPU = 25.0
"""[A] shared flash storage: ~2,500 storage servers of ~1 kW for a 100k-GPU cluster ('exabytes of storage',
facts.md 1.2; Llama 3's Tectonic 7,500 SSD servers serve far more than one cluster)
-> 2.5 MW / 100k = 25 W."""

# --- Households ---------------------------------------------------------------------------------------------

HOME_US_KW = 10_715.0 / HOURS_PER_YEAR
"""[D] facts.md 4: EIA, 2020 average US residential customer 10,715 kWh/yr / 8,760 h = 1.223 kW."""

HOME_TN_KW = 1_128.0 * 12.0 / HOURS_PER_YEAR
"""[D] facts.md 4: Tennessee 1,128 kWh/month (state table on EIA 2020 data, [S]) x 12 / 8,760 h
= 1.545 kW."""

HOME_PEAK_KW = 6.0
"""[S] facts-regions.md 8.2: 'Per the American Public Power Association, the average residential peak demand
is 6 KW' (Los Alamos County utility page): one home's own monthly peak hour, not the diversified peak per home
a utility plans for, so homes counted at it are a lower bound. [kW]"""

# --- Permit -------------------------------------------------------------------------------------------------

SHORT_TON_T = 0.90718474
"""[P] definition: one US short ton = 2,000 lb = 0.907 t. The Memphis permit's '87 tons' are short tons."""

LB_T = 0.45359237e-3
"""[P] definition: one pound = 0.45359237 kg."""

# --- Software (not physics) ---------------------------------------------------------------------------------

COMPILED_MIN_STEPS = 20_000
"""[A] Fewest steps at which the dispatch runs on its compiled loop (``kernel.py``) by default: loading the
compiled loop from numba's cache costs a new process ~1 s (importing numba and the cached machine code), which
the interpreted loop spends on ~20,000-250,000 steps (4-50 us a step, benchmarks/bench_plant.py --kernels);
shorter runs (tests, short what-ifs) stay on the Python loop. Both loops give the same results to the bit."""
