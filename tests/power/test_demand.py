"""Bottom-up IT demand."""

from __future__ import annotations

import pytest

from megacluster import catalog
from megacluster.power.config import DemandConfig
from megacluster.power.demand import (
    gpu_power_model,
    gpu_power_w,
    it_breakdown_mw,
    network_w_per_gpu,
    throughput_factor,
)

H100 = catalog.accelerators()["h100-sxm"]
HGX = catalog.servers()["hgx-h100"]


def test_server_from_components_matches_measured_maximum() -> None:
    # (8 x 700 W + 2,410 W of components) / 0.95 = 8,431.6 W; Latif et al. measured 8.4 kW max in training
    m = gpu_power_model(
        H100,
        HGX,
        DemandConfig(
            network_tiers=3, storage_w_per_gpu=0.0, switch_w_per_800g_port=0.0, optics_w_per_800g=0.0
        ),
    )
    assert 8 * float(m.per_gpu_w(1.0)) == pytest.approx(8431.58, abs=0.01)


def test_network_per_gpu_by_hand() -> None:
    # 3 tiers: 5 ports x 0.5 x 23 W + 6 ends x 0.5 x 15 W = 57.5 + 45 = 102.5 W, x 1.125 frontend = 115.3 W
    assert network_w_per_gpu(DemandConfig()) == pytest.approx(102.5 * 1.125)


def test_100k_h100_it_load_from_components() -> None:
    parts = it_breakdown_mw(H100, HGX, DemandConfig(), 100_000)
    assert parts["gpus"] == pytest.approx(70.0)  # Tom's Hardware: '100,000 H100 GPUs consume around 70 MW'
    assert 100 < parts["total"] < 150  # SemiAnalysis: >150 MW of datacenter capacity including overhead
    m = gpu_power_model(H100, HGX, DemandConfig())
    assert parts["total"] == pytest.approx(100_000 * float(m.per_gpu_w(1.0)) / 1e6)


def test_cap_and_throughput() -> None:
    assert float(gpu_power_w(700.0, 1.0, 0.8)) == pytest.approx(560.0)
    assert float(gpu_power_w(700.0, 0.7, 0.8)) == pytest.approx(490.0)
    assert float(throughput_factor(1.0, 1.0, 0.866)) == 1.0
    assert float(throughput_factor(600 / 700, 1.0, 0.866)) == pytest.approx(0.875, abs=1e-3)
