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

ELECTRICAL_LOSS_FRACTION = 0.04
"""[A] UPS and transformer losses: double-conversion UPS ~96-97 % plus ~1 % in transformers -> 4 % of IT."""

PUMP_FAN_FRACTION = 0.03
"""[A] CDU pumps, chilled/condenser-water pumps, air-handler and tower fans: 3 % of the heat moved."""

# --- Water --------------------------------------------------------------------------------------------------

EVAPORATION_L_PER_KWH = 1.60
"""[D] facts-plant.md 6: 3.6 MJ per kWh / latent heat 2.256 MJ/kg (970 Btu/lb) = 1.60 L evaporated per kWh of
heat rejected; eng-tips rule 0.03 gpm/ton = 1.55 L/kWh."""

CYCLES_OF_CONCENTRATION = 5.0
"""[A] cooling-tower cycles of concentration; blowdown = evaporation / (cycles - 1) (facts-plant.md 6)."""

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

# --- Guards on model outputs ----------------------------------------------------------------------------

CHILLER_COP_RANGE = (1.5, 8.0)
"""[A] bounds on the chiller COP from the DOE-2 curve: its biquadratic is fitted on 24-35 °C condenser water
and 6.7-10 °C chilled water (facts-plant.md 6); outside, a polynomial can run away, so the COP is held within
the range of real centrifugal chillers (air-cooled at 95 °F ~2.8, best water-cooled ~7, facts-plant.md 6)."""

MAX_CAPACITY_FACTOR = 10.0
"""[A] numerical cap of the cooling capacity factor where the economiser carries the whole load (effectively
unlimited: far above any operating point). [-]"""
