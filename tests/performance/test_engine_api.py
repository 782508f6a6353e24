"""The engine-facing API: throughput of catalog models on catalog accelerators, scaling with fewer GPUs."""

from __future__ import annotations

import numpy as np
import pytest

from megacluster.catalog import models
from megacluster.errors import InputError
from megacluster.performance.engine_api import job_performance


@pytest.mark.parametrize(
    ("model", "gpu", "gpus"),
    [("llama3-405b", "h100-sxm", 16384), ("gpt3-175b", "h200-sxm", 4096), ("grok3-proxy", "gb200", 65536)],
)
def test_catalog_models_get_a_layout(model: str, gpu: str, gpus: int) -> None:
    perf = job_performance(models()[model], gpu, gpus, 2048, "bf16")
    assert 0.05 < perf.mfu < 0.8
    assert perf.model_flop_per_s > 0 and perf.checkpoint_bytes > 0
    lay = perf.layout
    assert perf.replica_gpus == lay["tp"] * lay["pp"] * lay["cp"]
    assert perf.replica_gpus * lay["dp"] <= gpus


def test_throughput_scales_down_sensibly() -> None:
    perf = job_performance(
        models()["gpt3-175b"],
        "h100-sxm",
        1024,
        1024,
        "bf16",
        layout={
            "tp": 8,
            "pp": 8,
            "virtual_stages": 3,
            "micro_batch": 1,
            "recompute": "selective",
            "zero_stage": 1,
        },
    )
    assert perf.replica_gpus == 64 and perf.layout["dp"] == 16
    gpus = np.array([0, 63, 64, 128, 500, 1023, 1024, 5000])
    flop = perf.model_flop_per_s_at(gpus)
    assert flop[0] == flop[1] == 0.0
    assert flop[2] > 0
    assert np.all(np.diff(flop) >= 0)
    assert flop[-1] == pytest.approx(perf.model_flop_per_s) and flop[-2] == pytest.approx(
        perf.model_flop_per_s
    )
    assert np.all(flop <= perf.model_flop_per_s * (1 + 1e-12))


def test_fp8_and_bad_layouts() -> None:
    shape = models()["llama3-405b"]
    fp8 = job_performance(shape, "h100-sxm", 2048, 512, "fp8", layout={"tp": 8, "pp": 16})
    bf16 = job_performance(shape, "h100-sxm", 2048, 512, "bf16", layout={"tp": 8, "pp": 16})
    assert fp8.model_flop_per_s > bf16.model_flop_per_s
    with pytest.raises(InputError, match="tp"):
        job_performance(shape, "h100-sxm", 2048, 512, "bf16", layout={"tp": 3})
    with pytest.raises(InputError, match="gpu"):
        job_performance(shape, "h900", 2048, 512, "bf16")
