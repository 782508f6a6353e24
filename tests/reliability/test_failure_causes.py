"""The Llama 3 cause table as rates; the [reliability] section's validation."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from pydantic import ValidationError

from megacluster.reliability import ReliabilityConfig, llama3_causes, mean_time_to_interruption_s
from megacluster.reliability.causes import CalibrationWindow, Domain, _parse


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


def test_disabled_causes_leave_the_rate_and_the_shares() -> None:
    table = llama3_causes()
    exposure = 16_384 * 1296
    assert table.total_rate_per_gpu_hour(("software_bug",)) == pytest.approx(365 / exposure)
    assert table.total_rate_per_gpu_hour(("software_bug", "faulty_gpu")) == pytest.approx(217 / exposure)
    shares = dict(zip(table.ids, table.shares(("software_bug",)), strict=True))
    assert shares["software_bug"] == 0.0
    assert shares["faulty_gpu"] == pytest.approx(148 / 365)
    assert sum(shares.values()) == pytest.approx(1.0)
    everything = table.shares(table.ids)
    assert everything.tolist() == [0.0] * len(table.ids)
    assert table.total_rate_per_gpu_hour(table.ids) == 0.0


def test_cause_shares_follow_the_llama3_table() -> None:
    shares = dict(zip(llama3_causes().ids, llama3_causes().shares(), strict=True))
    # [P via S] Llama 3 Table 5 counts over 419: faulty GPU 148, HBM3 72, software bug 54, switch/cable 35
    assert shares["faulty_gpu"] == pytest.approx(148 / 419)
    assert shares["gpu_hbm3"] == pytest.approx(72 / 419)
    assert shares["software_bug"] == pytest.approx(54 / 419)
    assert shares["network_switch_cable"] == pytest.approx(35 / 419)
    assert list(shares)[:3] == ["faulty_gpu", "gpu_hbm3", "software_bug"]  # file order


def test_table_fields_are_read() -> None:
    causes = {c.id: c for c in llama3_causes().causes}
    assert causes["faulty_gpu"].label == "Faulty GPU"
    assert causes["faulty_gpu"].count == 148
    assert llama3_causes().takes_node_out().tolist() == [c.takes_node_out for c in llama3_causes().causes]
    w = llama3_causes().window
    assert (w.gpus, w.days, w.unexpected, w.planned) == (16_384, 54.0, 419, 47)


def test_counts_that_do_not_add_up_are_refused() -> None:
    raw = {
        "window": {"gpus": 8, "days": 1.0, "unexpected": 3, "planned": 0},
        "causes": {
            "a": {"label": "A", "count": 1, "domain": "gpu", "takes_node_out": True, "source": "[A]"},
            "b": {"label": "B", "count": 1, "domain": "job", "takes_node_out": False, "source": "[A]"},
        },
    }
    with pytest.raises(ValueError, match="add up to 2, window says 3"):
        _parse(raw)
    raw["window"]["unexpected"] = 2  # type: ignore[index]
    table = _parse(raw)
    assert table.ids == ("a", "b")
    assert table.window == CalibrationWindow(gpus=8, days=1.0, unexpected=2, planned=0)
    a, b = table.causes
    assert (a.label, a.count, a.domain, a.takes_node_out, a.source) == ("A", 1, Domain.GPU, True, "[A]")
    assert (b.label, b.domain, b.takes_node_out) == ("B", Domain.JOB, False)
    raw["window"]["planned"] = 5  # type: ignore[index]
    assert _parse(raw).planned_per_day() == 5.0
    assert table.rates_per_gpu_hour() == {"a": 1 / 192, "b": 1 / 192}  # one in 8 GPUs x 24 h


def test_mtti_counts_planned_interruptions_per_job() -> None:
    # 24 planned a day and nothing else: one an hour, whatever the size
    assert float(mean_time_to_interruption_s(0.0, 0.0, 24.0)) == pytest.approx(3600.0)
    assert float(mean_time_to_interruption_s(1000.0, 0.0, 24.0)) == pytest.approx(3600.0)
    # 1,000 GPUs at 1e-3 per GPU-hour (one an hour) plus 24 planned a day: two an hour
    assert float(mean_time_to_interruption_s(1000.0, 1e-3, 24.0)) == pytest.approx(1800.0)


def test_the_config_derives_the_checkpoint_policy() -> None:
    sync = ReliabilityConfig(checkpoint_write_s=60).checkpoint_policy(None)
    assert (sync.mode, sync.write_s, sync.stall_s, sync.fixed_interval_s) == ("sync", 60.0, 60.0, None)
    assert sync.max_interval_s == 24 * 3600.0 and sync.min_interval_s == 60.0
    assert sync.auto_method == "daly"
    asyn = ReliabilityConfig(checkpoint_mode="async", async_stall_s=5.0).checkpoint_policy(4e12)
    assert (asyn.write_s, asyn.stall_s) == (pytest.approx(2.0), 2.0)  # the snapshot never outlasts the write
    asyn = ReliabilityConfig(checkpoint_mode="async", async_stall_s=5.0).checkpoint_policy(40e12)
    assert (asyn.write_s, asyn.stall_s) == (pytest.approx(20.0), 5.0)
    fixed = ReliabilityConfig(checkpoint_interval_min=30, auto_method="young").checkpoint_policy(None)
    assert fixed.fixed_interval_s == 1800.0 and fixed.auto_method == "young"
    with pytest.raises(ValueError, match="longer than the checkpoint write"):
        ReliabilityConfig(checkpoint_interval_min=1).checkpoint_policy(1e15)


def test_fixed_interval_checks() -> None:
    # the interval must exceed the write time, exactly at it is refused
    with pytest.raises(ValidationError, match="longer than checkpoint_write_s"):
        ReliabilityConfig(checkpoint_interval_min=1, checkpoint_write_s=60)
    assert ReliabilityConfig(checkpoint_interval_min=1, checkpoint_write_s=59.9).checkpoint_interval_min == 1
    assert ReliabilityConfig(checkpoint_interval_min=1 / 60, checkpoint_write_s=0).checkpoint_interval_min > 0
    with pytest.raises(ValidationError, match="at least 1 s"):
        ReliabilityConfig(checkpoint_interval_min=0.99 / 60)
    cfg = ReliabilityConfig(checkpoint_interval_min=2)
    assert cfg.check_checkpoint(239e12) == pytest.approx(119.5)  # 239 TB at 2 TB/s, under 120 s
    with pytest.raises(ValueError, match="120 s"):
        cfg.check_checkpoint(240e12)
    assert ReliabilityConfig().check_checkpoint(None) == 60.0


@pytest.mark.parametrize("value", [0.0, 86400.0])
def test_write_time_bounds_are_inclusive(value: float) -> None:
    assert ReliabilityConfig(checkpoint_write_s=value).write_s(None) == value


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_bad_checkpoint_sizes_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="checkpoint_bytes"):
        ReliabilityConfig().write_s(bad)


def test_mtti_of_an_idle_job_is_infinite_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = mean_time_to_interruption_s(np.array([0.0, 1000.0]), 1e-3)
    assert math.isinf(out[0]) and out[1] == pytest.approx(3600.0)
