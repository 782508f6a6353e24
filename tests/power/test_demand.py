"""Bottom-up IT demand."""

from __future__ import annotations

import numpy as np
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


def test_100k_h100_breakdown_by_component() -> None:
    # README: 100,000 x h100-sxm = 119.4 MW (1,194 W per GPU); 12,500 servers of the hgx-h100 components
    p = it_breakdown_mw(H100, HGX, DemandConfig(), 100_000)
    assert p["cpus"] == pytest.approx(12_500 * 700e-6) and p["memory"] == pytest.approx(12_500 * 320e-6)
    assert p["nics"] == pytest.approx(12_500 * 310e-6) and p["nvswitch"] == pytest.approx(12_500 * 300e-6)
    assert p["local_storage"] == pytest.approx(12_500 * 180e-6) and p["fans"] == pytest.approx(
        12_500 * 600e-6
    )
    dc = 70.0 + 8.75 + 4.0 + 3.875 + 3.75 + 2.25 + 7.5
    assert p["psu_losses"] == pytest.approx(dc / 0.95 - dc)  # 80 PLUS Titanium, 95 %
    assert p["network"] == pytest.approx(100_000 * 102.5 * 1.125e-6) and p["storage"] == pytest.approx(2.5)
    assert p["total"] == pytest.approx(119.426, abs=1e-3)
    assert p["total"] == pytest.approx(sum(v for key, v in p.items() if key != "total"))


def test_per_gpu_power_terms_of_the_h100() -> None:
    # slope: 700 W TDP through 95 % supplies; fixed: 2,410 W of components / 0.95 / 8 GPUs + 115.3 W network
    # + 25 W storage; 1,194.3 W per GPU uncapped
    m = gpu_power_model(H100, HGX, DemandConfig())
    assert m.slope_w == pytest.approx(700 / 0.95)
    assert m.fixed_w == pytest.approx(2410 / 0.95 / 8 + 102.5 * 1.125 + 25.0)
    assert float(m.per_gpu_w()) == pytest.approx(1194.26, abs=0.01)
    # at the 60 % cap only the GPU's share shrinks
    assert float(m.per_gpu_w(0.6)) == pytest.approx(0.6 * 700 / 0.95 + m.fixed_w)
    assert m.load_fraction == 1.0
    # a GPU drawing 80 % of TDP is not capped by a 90 % cap
    light = gpu_power_model(H100, HGX, DemandConfig(gpu_load_fraction=0.8))
    assert float(light.per_gpu_w(0.9)) == pytest.approx(0.8 * 700 / 0.95 + m.fixed_w)


def test_server_without_components_uses_its_non_gpu_power() -> None:
    # DGX A100: 6.5 kW - 8 x 400 W = 3,300 W of non-GPU power, no supply losses on top
    a100 = catalog.accelerators()["a100-sxm4-80gb"]
    dgx = catalog.servers()["hgx-a100"]
    m = gpu_power_model(a100, dgx, DemandConfig())
    assert m.slope_w == 400.0 and m.fixed_w == pytest.approx(3300 / 8 + 102.5 * 1.125 + 25.0)
    p = it_breakdown_mw(a100, dgx, DemandConfig(), 8000)
    assert p["gpus"] == pytest.approx(3.2) and p["server_non_gpu"] == pytest.approx(3.3)
    assert p["psu_losses"] == 0.0 and p["total"] == pytest.approx(8000 * float(m.per_gpu_w()) * 1e-6)


def test_network_scales_with_tiers_and_parts() -> None:
    # 2 tiers: 3 ports x 0.5 x 20 W + 4 ends x 0.5 x 10 W = 50 W, x 1.125
    cfg = DemandConfig(network_tiers=2, switch_w_per_800g_port=20.0, optics_w_per_800g=10.0)
    assert network_w_per_gpu(cfg) == pytest.approx(50.0 * 1.125)


def test_throughput_is_clipped_to_uncapped() -> None:
    # a cap above the draw loses nothing; the 60 % cap of a GPU drawing 100 %: 0.6 ** 0.866 = 0.6427
    assert float(throughput_factor(0.9, 0.8, 0.866)) == 1.0
    assert float(throughput_factor(0.6, 1.0, 0.866)) == pytest.approx(0.6**0.866)
    assert float(throughput_factor(0.6, 0.8, 2.0)) == pytest.approx(0.75**2)
    assert float(throughput_factor(0.5, 0.0, 1.0)) == 1.0  # no draw: nothing to lose
    assert throughput_factor(np.array([0.6, 1.0]), 1.0, 1.0).tolist() == pytest.approx([0.6, 1.0])


def test_breakdown_at_a_lower_gpu_load() -> None:
    # GPUs at 80 % of TDP: 100,000 x 560 W = 56 MW; the rest of the server does not change
    p = it_breakdown_mw(H100, HGX, DemandConfig(gpu_load_fraction=0.8), 100_000)
    assert p["gpus"] == pytest.approx(56.0) and p["cpus"] == pytest.approx(8.75)
    dc = 56.0 + 8.75 + 4.0 + 3.875 + 3.75 + 2.25 + 7.5
    assert p["psu_losses"] == pytest.approx(dc / 0.95 - dc)


def test_a_server_with_a_supply_efficiency_but_no_component_list() -> None:
    # its non-GPU power is taken as given (it already holds the supply losses), and the GPUs are at TDP
    bare = HGX.model_copy(update={"cpu_w": None})
    assert not bare.has_components()
    m = gpu_power_model(H100, bare, DemandConfig())
    assert m.slope_w == 700.0 and m.fixed_w == pytest.approx(4600 / 8 + 102.5 * 1.125 + 25.0)
    p = it_breakdown_mw(H100, bare, DemandConfig(), 8000)
    assert p["server_non_gpu"] == pytest.approx(4.6) and p["psu_losses"] == 0.0
    assert p["total"] == pytest.approx(8000 * float(m.per_gpu_w()) * 1e-6)
