"""The Llama 3 cause table as rates; the [reliability] section's validation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

from megacluster.reliability import ReliabilityConfig, llama3_causes, mean_time_to_interruption_s
from megacluster.reliability.causes import Domain


def test_table_adds_up_to_the_paper() -> None:
    table = llama3_causes()
    assert sum(c.count for c in table.causes) == 419
    assert table.window.gpu_hours == 16_384 * 54 * 24
    assert table.total_rate_per_gpu_hour() == pytest.approx(419 / (16_384 * 1296))
    assert table.shares().sum() == pytest.approx(1.0)
    assert table.planned_per_day() == pytest.approx(47 / 54)
    assert all(c.source.startswith("[P") for c in table.causes)


def test_domains_and_repairs() -> None:
    causes = {c.id: c for c in llama3_causes().causes}
    assert causes["faulty_gpu"].domain is Domain.GPU and causes["faulty_gpu"].takes_node_out
    assert causes["software_bug"].domain is Domain.JOB and not causes["software_bug"].takes_node_out
    pulled = sum(c.count for c in causes.values() if c.takes_node_out)
    assert pulled == 419 - 54 - 7 - 2  # everything but software bugs, NCCL timeouts and dependencies


def test_default_rate_comes_from_the_table() -> None:
    cfg = ReliabilityConfig()
    assert cfg.interruption_rate_per_gpu_hour == pytest.approx(1.9733e-5, rel=1e-4)
    off = ReliabilityConfig(disabled_causes=("software_bug",))
    assert off.unexpected_rate_per_gpu_hour() == pytest.approx(cfg.interruption_rate_per_gpu_hour * 365 / 419)


def test_mtti_scales_inversely_with_gpus() -> None:
    rate = llama3_causes().total_rate_per_gpu_hour()
    mtti_h = mean_time_to_interruption_s(np.array([16_384.0, 131_072.0]), rate) / 3600.0
    assert mtti_h[0] == pytest.approx(1296 / 419)
    assert mtti_h[1] == pytest.approx(mtti_h[0] / 8)
    assert math.isinf(float(mean_time_to_interruption_s(0.0, rate)))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("interruption_rate_per_gpu_hour", -1e-5, "greater than or equal"),
        ("interruption_rate_per_gpu_hour", math.nan, "finite"),
        ("interruption_rate_per_gpu_hour", math.inf, "finite"),
        ("planned_interruptions_per_day", math.nan, "finite"),
        ("restart_s", -5.0, "greater than or equal"),
        ("checkpoint_write_s", -1.0, "between 0 and 86400"),
        ("checkpoint_interval_min", 0.0, "at least 1 s"),
        ("spares_gpus", -8, "greater than or equal"),
        ("repair_median_h", 0.0, "greater than"),
        ("disabled_causes", ("faulty_gpus",), "unknown cause"),
        ("on_shortage", "panic", "shrink"),
        ("checkpoint_mode", "lazy", "sync"),
        ("infant_mortality_factor", 0.5, "greater than or equal"),
    ],
)
def test_bad_input_is_rejected(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ReliabilityConfig.model_validate({field: value})


def test_interval_shorter_than_write_is_rejected() -> None:
    with pytest.raises(ValidationError, match="longer than checkpoint_write_s"):
        ReliabilityConfig(checkpoint_interval_min=1, checkpoint_write_s=120)


def test_write_time_auto() -> None:
    cfg = ReliabilityConfig()
    assert cfg.write_s(None) == 60.0  # [U] fallback
    assert cfg.write_s(4e12) == pytest.approx(2.0)  # 4 TB at 2 TB/s
    assert ReliabilityConfig(checkpoint_write_s=30).write_s(4e12) == 30.0
    assert ReliabilityConfig(storage_bandwidth_tb_s=7.0).write_s(7e12) == pytest.approx(1.0)


def test_existing_fields_still_accepted() -> None:
    cfg = ReliabilityConfig.model_validate(
        {
            "interruption_rate_per_gpu_hour": 2e-5,
            "restart_s": 300,
            "checkpoint_interval_min": "auto",
            "checkpoint_write_s": 60,
        }
    )
    assert cfg.restart_s == 300.0
    assert ReliabilityConfig(checkpoint_interval_min=30).checkpoint_interval_min == 30


def test_restart_time_split() -> None:
    assert ReliabilityConfig(restart_s=120).restart_time_s(4e12) == 120.0
    split = ReliabilityConfig(restart_s=120, restart_load="from_size")
    assert split.restart_time_s(4e12) == pytest.approx(122.0)  # + 4 TB at 2 TB/s
    assert split.restart_time_s(None) == 120.0
