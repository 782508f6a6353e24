"""``megacluster restart-time``: restart time at 1k, 16k and 100k GPUs from its parts, against the published
figures (issue 12, "Done when")."""

from __future__ import annotations

import json

import pytest

from cli.entry import invoke
from megacluster.reliability import ReliabilityConfig
from megacluster.reliability.kinds import RestartTrigger
from megacluster.reliability.restart import restart_parts

CKPT = 405e9 * 14


def test_the_table_prints_each_size_with_its_parts_and_the_anchors() -> None:
    out = invoke(["restart-time"])
    assert out.code == 0, out.stderr
    for size in ("1,024", "16,384", "100,000"):
        assert any(line.strip().startswith(size) for line in out.stdout.splitlines()), size
    assert "FlashRecovery" in out.stdout and "MegaScale" in out.stdout and "Llama 3" in out.stdout
    assert "Kokolis" in out.stdout


def test_json_rows_are_the_sums_of_the_parts() -> None:
    out = invoke(["restart-time", "--json", "--gpus", "1024,16384,100000"])
    assert out.code == 0, out.stderr
    data = json.loads(out.stdout)
    assert [r["gpus"] for r in data["rows"]] == [1024, 16384, 100000]
    cfg = ReliabilityConfig()
    for row in data["rows"]:
        parts = restart_parts(cfg, int(row["gpus"]), CKPT, RestartTrigger.FAILURE)
        assert row["total_s"] == pytest.approx(parts.total_s)
        assert row["hot_spare_s"] < row["total_s"] < row["reshard_total_s"]
    # only the initialisation grows with the job: 3 ms per rank (MegaScale's fit)
    first, last = data["rows"][0], data["rows"][-1]
    assert last["total_s"] - first["total_s"] == pytest.approx(cfg.init_s_per_gpu * (100000 - 1024))
    assert {a["id"] for a in data["anchors"]} >= {"flashrecovery", "llama3_bound", "kokolis"}


def test_a_fixed_restart_time_is_one_number() -> None:
    out = invoke(["restart-time", "colossus-2024", "--json", "--set", "reliability.restart_s=150"])
    assert out.code == 0, out.stderr
    assert {r["total_s"] for r in json.loads(out.stdout)["rows"]} == {150.0}


@pytest.mark.parametrize("gpus", ["abc", "0", "1024,-5"])
def test_bad_sizes_exit_2_in_one_line(gpus: str) -> None:
    out = invoke(["restart-time", "--gpus", gpus])
    assert out.code == 2
    assert out.stdout == "" and len(out.stderr.strip().splitlines()) == 1
