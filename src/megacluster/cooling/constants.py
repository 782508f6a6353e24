"""Default constants of the cooling and climate models, each with its source (tags: power/constants.py)."""

from __future__ import annotations

# --- DOE-2 reference centrifugal chiller (EnergyPlus 'DOE-2 Centrifugal/5.50COP') ---------------------------

CHILLER_COP_REF = 5.5
CHILLER_T_CHW_REF_C = 6.67
CHILLER_T_COND_REF_C = 29.4
CHILLER_EIR_FT = (0.933884, -0.058212, 0.00450036, 0.00243, 0.000486, -0.001215)
CHILLER_CAP_FT = (0.257896, 0.0389016, -0.00021708, 0.0468684, -0.00094284, -0.00034344)
CHILLER_T_CHW_RANGE_C = (4.0, 10.0)
CHILLER_T_COND_RANGE_C = (24.0, 35.0)
"""[P via GitHub] facts-plant.md 6: LBL Modelica Buildings record DOE_2_Centrifugal_5_50COP: reference COP 5.5
at 6.67 °C leaving chilled water and 29.4 °C entering condenser water; biquadratic EIRFunT and CapFunT in
(T_chw, T_cond) [°C]; valid condenser range 24-35 °C. Inputs are clipped to the valid ranges (chilled water
4-10 °C assumed [A]) — outside them the curve is not extrapolated."""

AIR_COOLED_COP_AT_35C = 2.80
"""[D] facts-plant.md 6: ASHRAE 90.1 minimum air-cooled chiller 9.562 EER at 95 °F / 3.412 = COP 2.80."""

AIR_COOLED_COP_PER_K = 0.02
"""[D] facts-plant.md 6: the DOE-2 curve loses ~2 %/K of COP with condenser temperature (5.51 -> 4.81 from
29.4 to 35 °C); applied to the air-cooled chiller around 35 °C dry-bulb."""

# --- Chilled-water plant ------------------------------------------------------------------------------------

CHW_SUPPLY_C = 10.0
"""[A] chilled water supplied at 10 °C to the CDUs (direct-to-chip loop) and air handlers: the warm end of the
DOE-2 curve's range; Colossus runs 'a closed-loop chilled water system' (facts.md 1.7)."""

CHW_RANGE_K = 5.6
"""[D] facts-plant.md 6: AHRI 550/590 evaporator 54 -> 44 °F = 10 °F = 5.6 K."""

TOWER_APPROACH_K = 3.9
"""[D] AHRI 550/590 entering condenser water 85 °F (facts-plant.md 6) at the customary 78 °F design wet-bulb
of tower ratings [A] -> 7 °F = 3.9 K approach."""

ECONOMIZER_HX_APPROACH_K = 1.5
"""[A] plate heat exchanger approach of a water-side economiser."""

DRY_COOLER_SUPPLY_C = 40.0
"""[A] warm-water liquid cooling supply for a chiller-less dry-cooler plant (NVIDIA's '45-degree'
architecture, facts-plant.md 6, with a 5 K margin)."""

DRY_COOLER_APPROACH_K = 8.0
"""[A] dry-cooler approach (water leaving minus air entering)."""

LIQUID_LOOP_RANGE_K = 10.0
"""[A] range of a warm-water direct-to-chip loop (supply to return): 'picks up heat at roughly 25 °C and
returns at roughly 45 °C' ([U] facts-plant.md 6) spans 20 K; 10 K is the narrower, pump-heavier end."""

ELECTRICAL_LOSS_FRACTION = 0.04
"""[A] UPS and transformer losses: double-conversion UPS ~96-97 % plus ~1 % in transformers -> 4 % of IT."""

PUMP_FAN_FRACTION = 0.03
"""[A] CDU pumps, chilled/condenser-water pumps, air-handler and tower fans: 3 % of the heat moved."""

# --- Water --------------------------------------------------------------------------------------------------

EVAPORATION_L_PER_KWH = 1.60
"""[D] facts-plant.md 6: 3.6 MJ per kWh / latent heat 2.256 MJ/kg (970 Btu/lb) = 1.60 L evaporated per kWh of
heat rejected; eng-tips rule 0.03 gpm/ton = 1.55 L/kWh. Kept for comparison: the tower model below uses the
latent heat at the water's temperature and the latent share of the heat (``LATENT_FRACTION_*``)."""

LATENT_HEAT_KJ_PER_KG_AT_0C = 2501.0
LATENT_HEAT_KJ_PER_KG_PER_K = 2.38
"""[D] facts-regions.md 3.2: saturated-steam table (IAPWS values) h_fg 2,441.7 kJ/kg at 25 °C and 2,417.9 at
35 °C -> slope (2,417.9 - 2,441.7) / 10 K = -2.38 kJ/kg/K, intercept 2,441.7 + 25 x 2.38 = 2,501.2 kJ/kg at 0
°C (the table's 30 °C value 2,429.8 is reproduced within 0.2 kJ/kg)."""

LATENT_FRACTION_WARM_AIR = 0.95
"""[S] facts-regions.md 8.3 (eng-tips citing Wang's Handbook of Air Conditioning and Refrigeration): with the
entering air warmer than the leaving water, the sensible share of the tower's heat transfer is 'about 5%'."""

LATENT_FRACTION_COOL_AIR = 0.77
"""[S] facts-regions.md 8.3: with the entering air cooler than the leaving water the sensible share is 23 %
(Wang, via eng-tips); afcl.com: latent heat 'accounts for 75-80 percent of the heat transferred'."""

LATENT_FRACTION_SPAN_K = 10.0
"""[A] the latent share moves linearly from its warm-air to its cool-air value as the air goes from the
leaving water's temperature to 10 K below it: the sources give the two regimes, not the path between them."""

CONDENSER_RANGE_K = 5.2
"""[D] facts-regions.md 8.3: AHRI 550/590 water-cooled condenser 85 -> 94.3 °F: 9.3 °F = 5.2 K of range; sets
the water circulated per kWh of heat and so the drift."""

WATER_HEAT_CAPACITY_KJ_PER_KG_K = 4.186
"""[P] specific heat of liquid water near 25 °C (steam tables), 4.186 kJ/(kg K)."""

DRIFT_FRACTION = 0.0002
"""[S] facts-plant.md 6: drift 'D = 0.0002 x Circulation Rate' (cooling-tower practice page); modern
eliminators reach 0.001-0.005 % [U]: 0.02 % is the conservative end. Blowdown = evaporation / (cycles - 1) -
drift (the drift carries dissolved solids out too), make-up = evaporation + drift + blowdown."""

CYCLES_OF_CONCENTRATION = 5.0
"""[P via S] facts-regions.md 3.2: EPA: 'Water efficient cooling towers are operated to achieve 4 or 5 cycles
of concentration, or higher'; 'Many systems operate at two to four cycles ... six cycles or more might be
possible'. A new hyperscale plant is taken at the efficient end, 5 (range 3-6)."""

WUE_L_PER_KWH = 0.38
"""[S] facts-plant.md 6: LBNL 2024, average on-site WUE of US data centers 0.38 L/kWh (2023); used only with
the constant-PUE model."""

# --- Climate ------------------------------------------------------------------------------------------------

HOUR_OF_TMIN = 6.0
HOUR_OF_TMAX = 15.0
"""[A] daily temperature cycle: minimum near sunrise (~06:00), maximum mid-afternoon (~15:00) local standard
time, a common shape of diurnal temperature models."""

WETBULB_DEPRESSION_K = 8.0
"""[A] wet-bulb depression at the design dry-bulb when a climate gives no ASHRAE design pair (Memphis 9.5 K,
Abilene 14.7 K, Yakima 15.1 K: facts-plant.md 1)."""

# --- Synthetic weather --------------------------------------------------------------------------------------

ANOMALY_LAG1 = 0.7
"""[A] day-to-day persistence of daily temperature anomalies (lag-1 autocorrelation): warm and cold spells
last a few days in mid-latitude continental climates (an AR(1) with 0.7 has an e-folding time of ~2.8 days).
No station statistic was found; the calibration below fixes the hottest hours whatever this value."""

ANOMALY_SD_K = 3.0
"""[A] standard deviation of daily temperature anomalies around the monthly normals: typical of mid-latitude
summer day-to-day variability (2-4 K). The quantile map below pins the hottest hours to the ASHRAE statistics,
so this sets only how often moderate warm spells come."""

CALIBRATION_FROM_FRACTION = 0.05
"""[A] the quantile map leaves the coolest 95 % of a year's hours untouched and maps the hottest 5 % onto the
design points (1 %, 0.4 %, the mean annual maximum), linearly between them."""

WEATHER_SEED = 20_240_701
"""[A] seed of the synthetic weather: a fixed typical weather per site and year (replicas share it; weather is
not part of the Monte Carlo)."""

HUMIDITY_ANOMALY_MAX_K = 8.0
"""[A] largest standard deviation of the day-to-day dew-point anomaly searched when calibrating the wet-bulb
exceeded 0.4 % of the hours to the ASHRAE evaporation design wet-bulb. [K]"""

DEW_OFFSET_RANGE_K = (-10.0, 25.0)
"""[A] bounds of the dew-point depression below the daily minimum searched when calibrating the humidity to
the mean coincident wet-bulb. [K]"""

# --- Psychrometric table ------------------------------------------------------------------------------------

PSYCHRO_DRYBULB_C = (-45.0, 60.0)
PSYCHRO_DEWPOINT_C = (-50.0, 35.0)
PSYCHRO_STEP_K = 1.0
"""Grid of the wet-bulb table computed with psychrolib once per air pressure (dry-bulb x dew point, 1 K steps)
and interpolated bilinearly: within 0.02 K of psychrolib's own answer (tests/cooling/test_weather.py)."""

# --- Guards on model outputs ----------------------------------------------------------------------------

CHILLER_COP_RANGE = (1.5, 8.0)
"""[A] bounds on the chiller COP from the DOE-2 curve: its biquadratic is fitted on 24-35 °C condenser water
and 6.7-10 °C chilled water (facts-plant.md 6); outside, a polynomial can run away, so the COP is held within
the range of real centrifugal chillers (air-cooled at 95 °F ~2.8, best water-cooled ~7, facts-plant.md 6)."""

MAX_CAPACITY_FACTOR = 10.0
"""[A] numerical cap of the cooling capacity factor where the economiser carries the whole load (effectively
unlimited: far above any operating point). [-]"""
