"""Blast radii of the failure causes (reliability/causes.py) and the restart table's parts
(reliability/restart.py), by hand from the data files and the restart model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from megacluster.reliability import ReliabilityConfig
from megacluster.reliability.causes import RADII, BlastRadius, _parse, llama3_causes
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


def _row(cause: str) -> dict[BlastRadius, float]:
    table = llama3_causes()
    i = table.ids.index(cause)
    return {r: float(v) for r, v in zip(RADII, table.blast_matrix()[i], strict=True) if v}


def test_blast_shares_of_the_causes_from_the_data_file() -> None:
    # failure_causes.toml: network switch/cable 99 % one node, 0.5 % a leaf, 0.5 % a spine; power supply two
    # thirds one node, a third a rack
    assert _row("network_switch_cable") == pytest.approx(
        {BlastRadius.NODE: 0.99, BlastRadius.LEAF: 0.005, BlastRadius.SPINE: 0.005}
    )
    assert _row("power_supply") == pytest.approx({BlastRadius.NODE: 0.67, BlastRadius.RACK: 0.33})
    # without a blast table: one node when the cause pulls a node, else the whole job restarts in place
    assert _row("faulty_gpu") == {BlastRadius.NODE: 1.0}
    assert _row("software_bug") == {BlastRadius.JOB: 1.0}
    assert np.allclose(llama3_causes().blast_matrix().sum(axis=1), 1.0)


def test_repair_time_of_each_blast_radius() -> None:
    factors = dict(zip(RADII, llama3_causes().repair_factors(), strict=True))
    assert factors == pytest.approx(
        {
            BlastRadius.NODE: 1.0,
            BlastRadius.RACK: 0.33,
            BlastRadius.LEAF: 0.17,
            BlastRadius.SPINE: 0.0,
            BlastRadius.JOB: 0.0,
        }
    )


def test_which_causes_pull_a_node() -> None:
    table = llama3_causes()
    pulled = table.takes_node_out()
    assert pulled.dtype == np.bool_
    ids = table.ids
    assert pulled[ids.index("faulty_gpu")] and not pulled[ids.index("software_bug")]


def _raw(blast: dict[str, Any] | None = None, radius: dict[str, Any] | None = None) -> dict[str, Any]:
    cause: dict[str, Any] = {
        "label": "A",
        "count": 3,
        "domain": "gpu",
        "takes_node_out": True,
        "source": "[A] test",
    }
    if blast is not None:
        cause["blast"] = blast
    raw: dict[str, Any] = {
        "window": {"gpus": 1000, "days": 10.0, "unexpected": 3, "planned": 1},
        "causes": {"a": cause},
    }
    if radius is not None:
        raw["radius"] = radius
    return raw


def test_a_cause_table_reads_its_blast_and_radius_tables() -> None:
    table = _parse(_raw({"node": 0.25, "rack": 0.75}, {"rack": {"repair_factor": 0.5}}))
    assert table.causes[0].blast == ((BlastRadius.NODE, 0.25), (BlastRadius.RACK, 0.75))
    assert dict(zip(RADII, table.repair_factors(), strict=True))[BlastRadius.RACK] == 0.5
    # radii the file does not name: a node's own repair time for a node, nothing pulled otherwise
    bare = _parse(_raw())
    assert bare.causes[0].blast == ()
    assert bare.repair_factors().tolist() == [1.0 if r is BlastRadius.NODE else 0.0 for r in RADII]


@pytest.mark.parametrize("blast", [{"node": 0.5, "rack": 0.4}, {"node": 1.2, "rack": -0.2}, {"node": 0.999}])
def test_blast_shares_must_be_non_negative_and_add_up_to_one(blast: dict[str, float]) -> None:
    with pytest.raises(
        ValueError, match=r"^failure_causes.toml: a.blast shares must be non-negative and add up to 1$"
    ):
        _parse(_raw(blast))


def test_blast_shares_that_add_up_within_rounding_are_accepted() -> None:
    assert _parse(_raw({"node": 0.3333333, "rack": 0.6666667})).causes[0].blast[1][1] == 0.6666667
    assert _parse(_raw({"node": 1.0, "rack": 0.0})).causes[0].blast[1] == (BlastRadius.RACK, 0.0)


def test_loads_without_a_checkpoint_size_take_no_time() -> None:
    for size in (None, 0.0, -1.0):
        assert storage_load_s(size, 2.0) == 0.0
        assert peer_copy_s(size, 1024, 50.0) == 0.0
    assert storage_load_s(1.0, 1e-12) == pytest.approx(1.0)  # 1 byte at 1 B/s
    # one rank holds the whole checkpoint; no rank (a job being re-planned) counts as one
    assert peer_copy_s(CKPT, 1, 50.0) == pytest.approx(CKPT / 50e9)
    assert peer_copy_s(CKPT, 0, 50.0) == pytest.approx(CKPT / 50e9)


def test_a_given_restart_time_plus_the_load_from_its_size() -> None:
    cfg = ReliabilityConfig(restart_s=150.0, restart_load="from_size", storage_bandwidth_tb_s=2.0)
    p = restart_parts(cfg, 100_000, CKPT, RestartTrigger.FAILURE)
    assert p.fixed_s == pytest.approx(150.0 + 5.67 / 2.0) and p.total_s == p.fixed_s
    assert restart_parts(cfg, 100_000, None, RestartTrigger.FAILURE).fixed_s == 150.0


def test_restart_table_by_hand() -> None:
    # defaults: 60 s detection, 300 s re-plan (60 s with a hot spare), 3 ms per GPU, 60 s warm-up, 60 s
    # re-shard; 5.67 TB from storage at 2 TB/s, or each rank's shard from a peer at 50 GB/s
    (row,) = restart_table(ReliabilityConfig(), (16_384,), CKPT)
    assert list(row) == ["gpus", *PART_NAMES, "total_s", "hot_spare_s", "in_memory_s", "reshard_total_s"]
    init = 0.003 * 16_384
    assert row["gpus"] == 16_384.0
    assert row["detect_s"] == 60.0 and row["reschedule_s"] == 300.0 and row["fixed_s"] == 0.0
    assert row["init_s"] == pytest.approx(init) and row["load_s"] == pytest.approx(2.835)
    assert row["total_s"] == pytest.approx(60 + 300 + init + 2.835 + 60)
    assert row["hot_spare_s"] == pytest.approx(60 + 60 + init + 2.835 + 60)
    assert row["in_memory_s"] == pytest.approx(60 + 60 + init + CKPT / 16_384 / 50e9 + 60)
    assert row["reshard_total_s"] == pytest.approx(60 + 300 + init + 2.835 + 60 + 60)
    # without a checkpoint size nothing is loaded
    (bare,) = restart_table(ReliabilityConfig(), (16_384,), None)
    assert bare["load_s"] == 0.0 and bare["in_memory_s"] == pytest.approx(60 + 60 + init + 60)


def test_restart_anchors_are_labelled() -> None:
    anchors = restart_anchors()
    assert anchors and all(isinstance(a.label, str) and a.label and a.label != "None" for a in anchors)
    assert {a.kind for a in anchors} <= {"value", "upper", "lower", "none"}
    assert all(a.what and a.what != "None" for a in anchors)
