"""One Monte Carlo replica's raw outcome, as the engine hands it to the results layer (plain data)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from megacluster.power.plant import PlantResult
from megacluster.power.policy import JobAllotment
from megacluster.reliability.job import JobResult


@dataclass(frozen=True)
class ReplicaRun:
    """One Monte Carlo replica: the plant's arrays, the job's GPUs and the job's result."""

    plant: PlantResult
    job_gpus: npt.NDArray[np.int64]
    job: JobResult | None
    allotment: JobAllotment | None = None
    """The power the plant allotted to the job's GPUs (None without a training run)."""
    replica_gpus: int = 0
    """GPUs of one data-parallel replica of the job (0 without a training run). [-]"""
