"""How fast the training job runs on the GPUs it holds: the performance model, or a stated fallback."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from megacluster import catalog
from megacluster.errors import InputError
from megacluster.performance.layout import ParallelLayout
from megacluster.performance.memory import checkpoint_bytes_for
from megacluster.scenario.schema import Scenario


class JobThroughput(Protocol):
    """What the engine needs from a performance model of the training job."""

    @property
    def replica_gpus(self) -> int:
        """GPUs in one data-parallel replica (tp x pp x cp). [-]"""
        ...

    @property
    def mfu(self) -> float:
        """Model FLOP utilisation at the job's full size. [-]"""
        ...

    @property
    def checkpoint_bytes(self) -> float | None:
        """Size of one checkpoint (weights + optimizer states). [B]"""
        ...

    @property
    def layout(self) -> ParallelLayout | None:
        """The job's parallel layout (None: a constant-MFU stand-in has none)."""
        ...

    def model_flop_per_s_at(self, gpus: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """Job throughput when it holds ``gpus`` GPUs. [FLOP/s]"""
        ...


@dataclass(frozen=True)
class ConstantMfu:
    """Throughput at a fixed model FLOP utilisation: GPUs x peak x MFU."""

    peak_flop_s: float
    mfu: float
    replica_gpus: int
    checkpoint_bytes: float | None = None
    layout: ParallelLayout | None = None
    source: str = "constant MFU"

    def model_flop_per_s_at(self, gpus: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
        """Job throughput when it holds ``gpus`` GPUs. [FLOP/s]"""
        return np.asarray(gpus, dtype=np.float64) * self.peak_flop_s * self.mfu


@functools.lru_cache(maxsize=64)
def _cached_job_performance(
    shape_json: str,
    accelerator_id: str,
    job_gpus: int,
    global_batch: int,
    precision: str,
    layout_json: str | None,
    efficiency: str | None = None,
) -> JobThroughput:
    """The performance model's answer for one job, computed once per process (it is pure)."""
    from megacluster.performance.engine_api import job_performance
    from megacluster.performance.overlay import load_overlay

    return job_performance(
        catalog.ModelShape.model_validate_json(shape_json),
        accelerator_id,
        job_gpus,
        global_batch,
        precision,
        ParallelLayout.model_validate_json(layout_json) if layout_json else None,
        load_overlay(efficiency),
    )


def _replica_gpus(scenario: Scenario) -> int:
    """GPUs of one data-parallel replica: the layout's tp x pp x cp, else one server of the job's GPU. [-]"""
    training = scenario.training
    if training is not None and training.layout is not None:
        return training.layout.replica_gpus()
    accel = scenario.training_accelerator().id
    return next(f.server_entry().gpus_per_server for f in scenario.fleet if f.accelerator == accel)


def job_throughput(scenario: Scenario) -> tuple[JobThroughput, str]:
    """The job's throughput model and a note on where its efficiency comes from.

    The performance model plans the layout (or evaluates the given one); a bad layout is an InputError.
    ``training.mfu`` replaces the model by a constant MFU.
    """
    training = scenario.training
    if training is None:
        raise ValueError("scenario has no training run")
    accel = scenario.training_accelerator()
    shape = training.shape()
    precision = training.precision.value
    if training.mfu is not None:
        try:
            peak = accel.peak_flop_s(precision)
        except ValueError as exc:
            raise InputError(None, "training.precision", str(exc)) from None
        ckpt = checkpoint_bytes_for(shape.total_params())
        return ConstantMfu(peak, training.mfu, _replica_gpus(scenario), ckpt), "scenario training.mfu"
    layout = training.layout.model_dump_json() if training.layout else None
    efficiency = scenario.performance.efficiency if scenario.performance else None
    perf = _cached_job_performance(
        shape.model_dump_json(),
        accel.id,
        training.job_gpus,
        training.global_batch,
        precision,
        layout,
        efficiency,
    )
    return perf, "performance model"
