"""Layouts: the typed layout of scenarios and results, and arrays of layouts for the vectorised model."""

from __future__ import annotations

import numpy as np
import pytest

from megacluster.performance.layout import LAYOUT_KEYS, Layout, ParallelLayout, Recompute


def _cols(**changes: object) -> dict[str, object]:
    base: dict[str, object] = {k: 1 for k in LAYOUT_KEYS}
    return {**base, **changes}


def test_build_broadcasts_scalars_and_arrays() -> None:
    lay = Layout.build(**_cols(tp=np.array([1, 2, 4]), gb=64, recompute=2))
    assert len(lay) == 3
    np.testing.assert_array_equal(lay.tp, [1.0, 2.0, 4.0])
    np.testing.assert_array_equal(lay.gb, [64.0, 64.0, 64.0])
    assert lay.tp.dtype == np.float64 and lay.gb.flags.c_contiguous


def test_build_names_missing_columns() -> None:
    cols = _cols()
    del cols["fused"], cols["sp"]
    with pytest.raises(ValueError, match=r"layout columns missing: \['sp', 'fused'\]"):
        Layout.build(**cols)


def test_take_row_and_gpus() -> None:
    lay = Layout.build(**_cols(tp=np.array([1, 2, 4]), pp=np.array([8, 4, 2]), dp=3, cp=2))
    np.testing.assert_array_equal(lay.gpus(), [48.0, 48.0, 48.0])  # tp x pp x dp x cp
    sub = lay.take(np.array([2, 0]))
    np.testing.assert_array_equal(sub.tp, [4.0, 1.0])
    np.testing.assert_array_equal(sub.pp, [2.0, 8.0])
    row = lay.row(1)
    assert row == {**{k: 1 for k in LAYOUT_KEYS}, "tp": 2, "pp": 4, "dp": 3, "cp": 2}
    assert all(type(v) is int for v in row.values())


def test_micro_batches_per_step() -> None:
    # 64 sequences over 4 replicas in micro-batches of 2: 8 each; 3 per micro-batch: 6 (the last ragged)
    lay = Layout.build(**_cols(gb=64, dp=4, mb=np.array([2, 3, 16, 32])))
    np.testing.assert_array_equal(lay.micro_batches(), [8.0, 6.0, 1.0, 1.0])
    exact = Layout.build(**_cols(gb=3 * 0.1 * 10, dp=1, mb=1))  # 3.0000000000000004 sequences: still 3
    assert float(exact.micro_batches()[0]) == 3.0


def test_a_resolved_layout_from_a_row() -> None:
    row = {
        "tp": 8, "pp": 4, "dp": 16, "cp": 2, "ep": 4, "v": 3, "mb": 2, "gb": 512,
        "recompute": 2, "sp": 1, "zero": 3, "dp_overlap": 0, "fused": 1,
    }  # fmt: skip
    lay = ParallelLayout.from_row(row)
    assert lay == ParallelLayout(
        tp=8, pp=4, dp=16, cp=2, ep=4, virtual_stages=3, micro_batch=2, global_batch=512,
        recompute=Recompute.FULL, sequence_parallel=True, zero_stage=3, dp_overlap=False,
        fused_attention=True,
    )  # fmt: skip
    assert lay.replica_gpus() == 64
    assert ParallelLayout.from_row({**row, "recompute": 0}).recompute == Recompute.NONE
    assert ParallelLayout.from_row({**row, "recompute": 1}).recompute == "selective"
