"""From the job's GPU draw to the campus's: the servers' other parts, the rest of the campus and the cooling
plant, each with its own (slower) dynamics.

- The servers' fans follow the GPUs' heat with a first-order lag; the rest of the non-GPU IT (CPUs, memory,
  NICs, switches and optics, storage) is taken as steady — hosts stay busy through stalls and restarts.
- The rest of the campus (GPUs outside the job) draws what the 5-minute plant model gives it, steadily.
- Cooling (facility minus IT) is the operating point's overhead share of the IT draw, lagged by the cooling
  plant's time constant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def first_order_lag(x: npt.ArrayLike, dt_s: float, tau_s: float, initial: float | None = None) -> FloatArray:
    """A first-order lag (exact for a signal held over each interval): ``y += a (x - y)``, ``a = 1 -
    exp(-dt/tau)``, starting from ``initial`` (default: the first sample). [same unit as x]"""
    values = np.asarray(x, dtype=np.float64)
    if tau_s <= 0 or values.size == 0:
        return values.copy()
    a = 1.0 - math.exp(-dt_s / tau_s)
    y = float(values[0] if initial is None else initial)
    out = [0.0] * values.size
    for i, v in enumerate(values.tolist()):
        y += a * (v - y)
        out[i] = y
    return np.asarray(out, dtype=np.float64)


@dataclass(frozen=True)
class JobPower:
    """What one GPU of the job costs beyond its own draw, and how many GPUs switch together. [W]"""

    tdp_wall_w: float
    """The GPU's TDP seen at the wall (through the power supplies). [W]"""
    steady_non_gpu_w: float
    """Per GPU: server CPUs, memory, NICs, storage drives, power-supply losses, network and shared
    storage. [W]"""
    fan_w: float
    """Per GPU: the server's fans at full speed, at the wall. [W]"""
    fan_idle_fraction: float
    """Fan draw of an idle server as a fraction of full speed. [-]"""
    group_gpus: int
    """GPUs that switch together (one rack). [-]"""


@dataclass(frozen=True)
class Campus:
    """The campus around the job at an operating point of the year-long run."""

    other_it_mw: float
    """IT draw of everything but the job (GPUs outside it), steady. [MW]"""
    pue: float
    """Facility power / IT power at the operating point (5-minute plant model). [-]"""


@dataclass(frozen=True)
class FacilityWaveform:
    """The campus's draw in a window, by part. [MW]"""

    job_gpu_mw: FloatArray
    job_other_mw: FloatArray
    other_it_mw: float
    cooling_mw: FloatArray

    @property
    def job_it_mw(self) -> FloatArray:
        """The job's servers (GPUs and the rest). [MW]"""
        return self.job_gpu_mw + self.job_other_mw

    @property
    def it_mw(self) -> FloatArray:
        """All IT. [MW]"""
        return self.job_it_mw + self.other_it_mw

    @property
    def facility_mw(self) -> FloatArray:
        """IT plus cooling and losses. [MW]"""
        return self.it_mw + self.cooling_mw


def job_non_gpu_mw(
    gpu_mw: npt.ArrayLike, gpus: int, power: JobPower, peak_gpu_mw: float, dt_s: float, fan_tau_s: float
) -> FloatArray:
    """The job's servers beyond their GPUs: steady parts plus fans following the GPUs' heat. [MW]"""
    gpu = np.asarray(gpu_mw, dtype=np.float64)
    heat = gpu / peak_gpu_mw if peak_gpu_mw > 0 else np.zeros_like(gpu)
    initial = float(np.mean(heat[: max(1, heat.size // 10)]))
    fans = power.fan_idle_fraction + (1.0 - power.fan_idle_fraction) * first_order_lag(
        np.clip(heat, 0.0, 1.0), dt_s, fan_tau_s, initial
    )
    return np.asarray(gpus * (power.steady_non_gpu_w + power.fan_w * fans) / 1e6, dtype=np.float64)


def facility_power(
    job_gpu_mw: npt.ArrayLike,
    job_other_mw: npt.ArrayLike,
    campus: Campus,
    dt_s: float,
    cooling_tau_s: float,
) -> FacilityWaveform:
    """The campus's draw: the job, the rest of the IT and the lagged cooling plant. [MW]"""
    gpu = np.asarray(job_gpu_mw, dtype=np.float64)
    other = np.asarray(job_other_mw, dtype=np.float64)
    it = gpu + other + campus.other_it_mw
    initial = float(np.mean(it[: max(1, it.size // 10)]))
    cooling = (campus.pue - 1.0) * first_order_lag(it, dt_s, cooling_tau_s, initial)
    return FacilityWaveform(
        job_gpu_mw=gpu, job_other_mw=other, other_it_mw=campus.other_it_mw, cooling_mw=cooling
    )
