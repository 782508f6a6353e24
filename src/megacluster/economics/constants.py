"""Default constants of the economics models that are not catalog costs, each with its source tag.

Tags: [P] primary, [S] secondary, [D] derived (arithmetic shown), [A] assumption (reason shown), [U]
unverified. Costs, lives and the discount rate live in ``catalog/data/costs.toml``.
"""

from __future__ import annotations

SOLAR_CLEARNESS = 0.72
"""[A] Mean ratio of actual to clear-sky irradiance at a humid southern US site: no irradiance data is shipped
(pvlib's TMY files are for other sites), so the clear-sky profile is scaled by 0.72, the order of the annual
clear-sky index of the US south-east and Texas (TMY3 annual GHI ~4.6-5.4 kWh/m2/day against ~6.5 clear-sky).
It moves solar's energy one for one; docs/costs.md says so."""

SOLAR_SYSTEM_LOSSES = 0.14
"""[A] PVWatts' default system losses of 14 % (soiling, wiring, mismatch, availability; NREL PVWatts v5
manual, not in the project's bibliography)."""

SOLAR_TEMP_COEFF_PER_K = -0.004
"""[A] Power temperature coefficient of crystalline-silicon modules, -0.4 %/K (typical datasheet value)."""

SOLAR_NOCT_RISE_K_PER_W_M2 = 0.03
"""[A] Cell temperature above ambient per W/m2 of plane-of-array irradiance (about 30 K at 1,000 W/m2, the
rise of an open-rack module in light wind)."""

CHECK_TOLERANCE_OF_LOAD = 0.05
"""[A] The simulator and the optimiser agree when every source's energy differs by at most 5 % of the load's
energy: the issue's "~5 %" tolerance, taken on the load so that a source near zero is not judged by a
ratio."""
