"""Hardware parameters of the performance model, read from the catalog in the model's units."""

from __future__ import annotations

import pytest

from megacluster.errors import InputError
from megacluster.performance.params import efficiencies, hardware, networks


def test_h100_on_ndr400_in_model_units() -> None:
    hw = hardware("h100-sxm")
    assert (hw.accelerator, hw.network) == ("h100-sxm", "ib-ndr400")
    assert hw.peak16_flop_s == pytest.approx(989.4e12, rel=1e-15)  # H100 SXM datasheet, dense BF16
    assert hw.peak8_flop_s == pytest.approx(1978.9e12, rel=1e-15)
    assert hw.hbm_bytes == pytest.approx(80 * 2**30, rel=1e-15)  # '80 GB' of HBM3 = 80 GiB, at 3.35 TB/s
    assert hw.hbm_bytes_s == pytest.approx(3.35e12, rel=1e-15)
    assert hw.scaleup_bytes_s == pytest.approx(450e9, rel=1e-15)  # 900 GB/s NVLink, both directions
    assert hw.domain_gpus == 8
    assert hw.scaleout_bytes_s == pytest.approx(50e9, rel=1e-15)  # one 400 Gb/s NIC per GPU
    assert hw.kernel_overhead_s == pytest.approx(4e-6, rel=1e-12)
    assert hw.scaleup_latency_s == pytest.approx(3e-6, rel=1e-12)
    assert hw.scaleout_latency_s == pytest.approx(5e-6, rel=1e-12)
    assert hw.scaleout_rails == 8
    eff, net = efficiencies()["h100-sxm"], networks()["ib-ndr400"]
    assert (hw.gemm_efficiency, hw.hbm_efficiency) == (eff.gemm_efficiency, eff.hbm_efficiency)
    assert (hw.fused_attention, hw.usable_fraction) == (eff.fused_attention, eff.memory_usable_fraction)
    assert hw.overlap_slowdown == eff.overlap_slowdown
    assert (hw.scaleup_efficiency, hw.scaleout_efficiency) == (
        net.scaleup_efficiency,
        net.scaleout_efficiency,
    )


def test_peak_by_precision() -> None:
    hw = hardware("h100-sxm")
    assert hw.gemm_peak_flop_s("fp8") == hw.peak8_flop_s
    assert hw.gemm_peak_flop_s("bf16") == hw.gemm_peak_flop_s("fp16") == hw.peak16_flop_s
    assert hardware("a100-sxm4-80gb").peak8_flop_s == 0.0  # no fp8 on Ampere


def test_network_and_nic_bandwidth_overrides() -> None:
    hw = hardware("h100-sxm", "ib-xdr800")
    assert hw.network == "ib-xdr800"
    assert hw.scaleout_bytes_s == pytest.approx(networks()["ib-xdr800"].scaleout_gb_s_per_gpu * 1e9)
    assert hardware("h100-sxm", scaleout_gb_s_per_gpu=12.5).scaleout_bytes_s == pytest.approx(12.5e9)


@pytest.mark.parametrize(
    ("args", "field", "message"),
    [
        (("h900",), "gpu", "unknown accelerator 'h900'"),
        (("h100-sxm", "ib-ndr4000"), "network", "unknown network 'ib-ndr4000'"),
    ],
)
def test_unknown_names_are_input_errors(args: tuple[str, ...], field: str, message: str) -> None:
    with pytest.raises(InputError, match=message) as exc:
        hardware(*args, file="spec.toml")
    assert exc.value.field == field and exc.value.file == "spec.toml"


def test_an_accelerator_without_efficiencies_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    known = {k: v for k, v in efficiencies().items() if k != "h100-sxm"}
    monkeypatch.setattr("megacluster.performance.params.efficiencies", lambda: known)
    with pytest.raises(InputError, match="unknown accelerator 'h100-sxm'") as exc:
        hardware("h100-sxm", file="spec.toml")
    assert exc.value.field == "gpu" and exc.value.file == "spec.toml"


@pytest.mark.parametrize(
    ("loader", "section", "file"),
    [
        (efficiencies, "efficiency", "catalog/data/efficiency.toml"),
        (networks, "networks", "catalog/data/networks.toml"),
    ],
)
def test_a_bad_catalog_entry_names_its_file_and_key(
    monkeypatch: pytest.MonkeyPatch, loader: object, section: str, file: str
) -> None:
    tables = {section: {"bad": {"id_typo": 1}}}
    monkeypatch.setattr("megacluster.performance.params.raw_catalog", lambda name: tables.get(name, {}))
    with pytest.raises(InputError) as exc:
        loader.__wrapped__()  # type: ignore[attr-defined]  # the uncached loader
    assert (exc.value.file, exc.value.field) == (file, "bad")
    assert "id_typo" in exc.value.expected
