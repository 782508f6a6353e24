"""Energy and emissions per unit of compute, charged to the training job alone.

Dividing the whole campus's energy over an arbitrary horizon by one job's FLOP mixes in every idle or other
GPU and every day after the job finished. Here the job is charged, step by step, its share of the campus:
the GPUs it holds over the GPUs powered, times the facility power (IT, cooling and losses) and the step's
CO2 and NOx, from its start to its finish (steps where it holds no GPUs cost it nothing). Divided by the
model FLOP it committed. First replica (the one whose series the results hold).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from megacluster.results.assemble import Results
from megacluster.units import SECONDS_PER_HOUR

YFLOP = 1e24
"""Compute is compared per 10^24 model FLOP. [FLOP]"""

JOB_SHARE_NOTE = (
    "charged to the training job only: its share of the powered GPUs times the facility's power and "
    "emissions, from its start to its finish, divided by the model FLOP it committed (first replica)"
)
"""What the per-compute figures include, in words (for labels and captions)."""


@dataclass(frozen=True)
class JobIntensity:
    """The training job's share of the campus's energy and emissions, and what it computed."""

    energy_mwh: float
    """Facility energy charged to the job. [MWh]"""
    co2_t: float
    """CO2 charged to the job (grid and on-site). [t]"""
    nox_t: float
    """NOx charged to the job. [t]"""
    flop: float
    """Model FLOP the job committed. [FLOP]"""
    held_hours: float
    """Hours the job held GPUs. [h]"""

    def per_yflop(self) -> dict[str, float | None]:
        """Energy, CO2 and NOx per 10^24 model FLOP (None when the job computed nothing). [MWh, t]"""
        scale = self.flop / YFLOP
        if scale <= 0:
            return {
                "energy_mwh_per_1e24_flop": None,
                "co2_t_per_1e24_flop": None,
                "nox_t_per_1e24_flop": None,
            }
        return {
            "energy_mwh_per_1e24_flop": self.energy_mwh / scale,
            "co2_t_per_1e24_flop": self.co2_t / scale,
            "nox_t_per_1e24_flop": self.nox_t / scale,
        }


def _array(results: Results, name: str) -> np.ndarray:
    ts = results.timeseries
    if name not in ts.columns:
        return np.zeros(len(ts))
    return np.nan_to_num(np.asarray(ts[name], dtype=np.float64))


def job_intensity(results: Results) -> JobIntensity:
    """The job's share of energy, CO2 and NOx over its lifetime (see the module). [MWh, t, FLOP, h]"""
    job, powered = _array(results, "job_gpus"), _array(results, "gpus_powered")
    share = np.divide(job, powered, out=np.zeros_like(job), where=powered > 0).clip(0.0, 1.0)
    dt_h = results.summary.step_s / SECONDS_PER_HOUR
    flop = _array(results, "cumulative_flop")
    return JobIntensity(
        energy_mwh=float(np.sum(_array(results, "facility_power_mw") * share) * dt_h),
        co2_t=float(np.sum(_array(results, "co2_t") * share)),
        nox_t=float(np.sum(_array(results, "nox_t") * share)),
        flop=float(flop[-1]) if len(flop) else 0.0,
        held_hours=float(np.count_nonzero(job > 0) * dt_h),
    )
