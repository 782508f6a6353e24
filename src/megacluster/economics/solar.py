"""Solar PV output per MW AC at each hour, from pvlib: the sun's position, Ineichen clear-sky irradiance on a
fixed south-facing plane tilted at the latitude, scaled for clouds, a PVWatts DC model with cell temperature,
system losses, and clipped at the inverter (DC/AC ratio 1). pvlib is imported inside the function."""

from __future__ import annotations

from typing import Any

import numpy as np

from megacluster.economics import constants as k
from megacluster.economics.site import FloatArray

DEGREES_PER_HOUR_OF_OFFSET = 15.0
"""[D] The Earth turns 15 degrees an hour: a site's longitude is taken as its UTC offset x 15 (the centre
of its
standard-time zone; error up to ~40 minutes of solar time inside a zone). [deg/h]"""


def solar_profile(
    times_local: np.ndarray[Any, Any], latitude_deg: float, utc_offset_h: float, ambient_c: FloatArray
) -> FloatArray:
    """AC output per MW AC of a fixed-tilt PV plant for each hour starting at ``times_local`` (local
    standard time). [-]"""
    import pandas as pd
    import pvlib  # type: ignore[import-untyped]

    local = pd.DatetimeIndex(np.asarray(times_local).astype("datetime64[ns]"))
    mid = (local + pd.Timedelta(minutes=30) - pd.Timedelta(hours=utc_offset_h)).tz_localize("UTC")
    site = pvlib.location.Location(latitude_deg, utc_offset_h * DEGREES_PER_HOUR_OF_OFFSET, tz="UTC")
    sun = site.get_solarposition(mid)
    sky = site.get_clearsky(mid, model="ineichen", solar_position=sun)
    poa = pvlib.irradiance.get_total_irradiance(
        surface_tilt=abs(latitude_deg),
        surface_azimuth=180.0 if latitude_deg >= 0 else 0.0,
        solar_zenith=sun["apparent_zenith"],
        solar_azimuth=sun["azimuth"],
        dni=sky["dni"],
        ghi=sky["ghi"],
        dhi=sky["dhi"],
    )
    irradiance = np.nan_to_num(np.asarray(poa["poa_global"], dtype=np.float64)) * k.SOLAR_CLEARNESS
    cell_c = np.asarray(ambient_c, dtype=np.float64) + k.SOLAR_NOCT_RISE_K_PER_W_M2 * irradiance
    dc = pvlib.pvsystem.pvwatts_dc(irradiance, cell_c, 1.0, k.SOLAR_TEMP_COEFF_PER_K)
    ac = np.asarray(dc, dtype=np.float64) * (1.0 - k.SOLAR_SYSTEM_LOSSES)
    return np.clip(ac, 0.0, 1.0)
