"""Restart time from its parts (reliability/restart.py): known values, the triggers, the mitigations."""

from __future__ import annotations

import pytest

from megacluster.reliability import ReliabilityConfig
from megacluster.reliability.checkpoint import AutoMethod, CheckpointMode
from megacluster.reliability.kinds import RestartTrigger
from megacluster.reliability.restart import (
    PART_NAMES,
    peer_copy_s,
    restart_anchors,
    restart_parts,
    restart_table,
    storage_load_s,
)

CKPT = 405e9 * 14  # [D] Llama 3 405B: 5.67 TB


def test_failure_restart_at_100k_gpus_adds_up_its_parts() -> None:
    # 60 s detection + 300 s re-plan + 3 ms x 100,000 = 300 s init + 5.67 TB / 2 TB/s = 2.835 s + 60 s warm-up
    p = restart_parts(ReliabilityConfig(), 100_000, CKPT, RestartTrigger.FAILURE)
    assert (p.detect_s, p.reschedule_s, p.warmup_s, p.reshard_s, p.fixed_s) == (60.0, 300.0, 60.0, 0.0, 0.0)
    assert p.init_s == pytest.approx(300.0)
    assert p.load_s == pytest.approx(2.835)
    assert p.total_s == pytest.approx(722.835)
    assert list(p.as_dict()) == list(PART_NAMES)


def test_initialisation_grows_with_the_ranks_and_nothing_else_does() -> None:
    cfg = ReliabilityConfig()
    small, big = (restart_parts(cfg, g, CKPT, RestartTrigger.FAILURE) for g in (1024, 131_072))
    assert big.init_s / small.init_s == pytest.approx(128.0)
    for part in ("detect_s", "reschedule_s", "load_s", "warmup_s"):
        assert getattr(big, part) == getattr(small, part)


def test_triggers_pay_their_parts() -> None:
    cfg = ReliabilityConfig()
    planned = restart_parts(cfg, 16_384, CKPT, RestartTrigger.PLANNED)
    power = restart_parts(cfg, 16_384, CKPT, RestartTrigger.POWER)
    spare = restart_parts(cfg, 16_384, CKPT, RestartTrigger.FAILURE, spare=True)
    reshard = restart_parts(cfg, 16_384, CKPT, RestartTrigger.FAILURE, reshard=True)
    assert planned.detect_s == power.detect_s == 0.0 and spare.detect_s == 60.0
    assert planned.reschedule_s == spare.reschedule_s == 60.0 and power.reschedule_s == 300.0
    assert reshard.reshard_s == 60.0 and reshard.total_s == pytest.approx(spare.total_s + 240.0 + 60.0)


def test_in_memory_checkpoints_load_from_peers_unless_the_layout_changes() -> None:
    cfg = ReliabilityConfig(in_memory_checkpoint=True, storage_read_tb_s=1.0)
    memory = restart_parts(cfg, 16_384, CKPT, RestartTrigger.FAILURE)
    # each rank's shard: 5.67 TB / 16,384 = 346 MB at 50 GB/s = 6.9 ms
    assert memory.load_s == pytest.approx(CKPT / 16_384 / 50e9)
    assert memory.load_s == pytest.approx(peer_copy_s(CKPT, 16_384, 50.0))
    resharded = restart_parts(cfg, 16_384, CKPT, RestartTrigger.FAILURE, reshard=True)
    assert resharded.load_s == pytest.approx(storage_load_s(CKPT, 1.0)) == pytest.approx(5.67)
    policy = cfg.checkpoint_policy(CKPT, 16_384)
    assert policy.mode is CheckpointMode.ASYNC and policy.stall_s == cfg.async_stall_s
    assert policy.write_s == pytest.approx(CKPT / 16_384 / 50e9)


def test_a_given_restart_time_is_one_number() -> None:
    cfg = ReliabilityConfig(restart_s=150.0)
    assert cfg.restart_model == "fixed"
    p = restart_parts(cfg, 100_000, CKPT, RestartTrigger.FAILURE, reshard=True)
    assert p.total_s == p.fixed_s == 150.0
    explicit = ReliabilityConfig(restart_s=150.0, restart_model="parts")
    assert restart_parts(explicit, 1024, CKPT, RestartTrigger.FAILURE).fixed_s == 0.0
    assert ReliabilityConfig().restart_time_s(CKPT, 100_000) == pytest.approx(722.835)


def test_saxena_interval_grows_with_the_restart_time() -> None:
    # tau = sqrt(2 (M + R) delta + delta^2): M = 1 h, delta = 60 s -> R = 0: 657.9 s; R = 600 s: 720.0 s
    policy = ReliabilityConfig(auto_method=AutoMethod.SAXENA, checkpoint_write_s=60.0).checkpoint_policy(None)
    assert policy.interval_s(3600.0, 0.0) == pytest.approx((2 * 3600 * 60 + 3600) ** 0.5)
    assert policy.interval_s(3600.0, 600.0) == pytest.approx((2 * 4200 * 60 + 3600) ** 0.5)
    young = ReliabilityConfig(auto_method=AutoMethod.YOUNG, checkpoint_write_s=60.0).checkpoint_policy(None)
    assert young.interval_s(3600.0, 600.0) == young.interval_s(3600.0, 0.0)  # Young ignores the restart


def test_restart_table_and_anchors() -> None:
    rows = restart_table(ReliabilityConfig(), (1024, 16_384, 100_000), CKPT)
    assert [r["gpus"] for r in rows] == [1024, 16_384, 100_000]
    assert all(r["hot_spare_s"] < r["total_s"] < r["reshard_total_s"] for r in rows)
    anchors = {a.id: a for a in restart_anchors()}
    assert anchors["flashrecovery"].gpus == 4800 and anchors["flashrecovery"].seconds == 150.0
    assert anchors["llama3_bound"].seconds == pytest.approx(0.1 * 54 * 86400 / 466, abs=1.0)
    assert all(a.source.startswith("[") for a in anchors.values())
