"""A sweep's output folder: a manifest, one file per finished task, and the merged tables.

Layout of ``--out DIR``::

    manifest.json        what sweep this folder belongs to (its fingerprint)
    parts/*.json         one file per finished task, written atomically (a kill loses at most running tasks)
    results.parquet      one row per point x replica (written atomically at the end)
    summary.parquet      P10/P50/P90 of every figure per point
    summary.csv          the same as CSV
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from megacluster.errors import InputError
from megacluster.results.outdir import (
    OutputKind,
    OutputTarget,
    TargetState,
    check_output,
    classify,
    write_marker,
)
from megacluster.results.writers import to_jsonable, write_text_atomic
from megacluster.sweep.plan import SweepPlan

MANIFEST = "manifest.json"
PARTS = "parts"


def _manifest(plan: SweepPlan) -> dict[str, Any]:
    return {
        "sweep": plan.spec.name,
        "fingerprint": plan.spec.fingerprint(),
        "points": len(plan.points),
        "replicas": plan.spec.replicas,
        "spec": plan.spec.model_dump(mode="json"),
    }


SWEEP_FILES = (MANIFEST, PARTS, "results.parquet", "summary.parquet", "summary.csv")
"""Everything a sweep writes into its folder (the marker lists them, so only these are ever replaced)."""


def _fingerprint_in(folder: Path) -> str | None:
    try:
        old = json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return str(old.get("fingerprint")) if isinstance(old, dict) else None


def open_target(out_dir: Path | None, plan: SweepPlan, force: bool = False) -> OutputTarget:
    """Check a sweep's output folder before any work (InputError, nothing touched, when it may not be used):
    new, empty, or an earlier megacluster sweep — resumed when it is this sweep, replaced only with
    ``force`` when it is another. ``None`` means ``sweeps/<name>``."""
    target = check_output(
        out_dir, default=Path("sweeps") / plan.spec.name, kind=OutputKind.SWEEP, force=force
    )
    other = target.state is TargetState.OURS and _fingerprint_in(target.path) != plan.spec.fingerprint()
    if other and not force:
        raise InputError(
            target.label,
            None,
            "this folder holds another sweep's results (other settings); choose another --out, or add "
            "--force to replace them",
        )
    return target


def holds_other_sweep(folder: Path, plan: SweepPlan) -> bool:
    """Whether ``folder`` holds another sweep's results (to be replaced: allowed by :func:`open_target`)."""
    return (folder / MANIFEST).is_file() and _fingerprint_in(folder) != plan.spec.fingerprint()


def prepare(target: OutputTarget, plan: SweepPlan) -> None:
    """Create or reopen the sweep's folder (call under its lock): another sweep's files are removed only
    when :func:`open_target` allowed it; leftovers of killed writes are removed."""
    folder = target.path
    state = classify(folder, OutputKind.SWEEP, target.label)  # again, under the lock
    if state is TargetState.OURS and _fingerprint_in(folder) != plan.spec.fingerprint():
        for name in SWEEP_FILES:
            path = folder / name
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    write_marker(folder, OutputKind.SWEEP, list(SWEEP_FILES), {"sweep": plan.spec.name})
    (folder / PARTS).mkdir(exist_ok=True)
    for stale in (folder / PARTS).glob(".*.tmp"):
        stale.unlink(missing_ok=True)
    write_text_atomic(folder / MANIFEST, json.dumps(_manifest(plan), indent=2) + "\n")


def part_name(point: int, replicas: tuple[int, ...]) -> str:
    """File name of a task's rows."""
    return f"p{point:06d}-r{replicas[0]:05d}-{replicas[-1]:05d}.json"


def write_part(out_dir: Path, point: int, replicas: tuple[int, ...], rows: list[dict[str, Any]]) -> Path:
    """Write one finished task's rows atomically."""
    path = out_dir / PARTS / part_name(point, replicas)
    write_text_atomic(path, json.dumps(to_jsonable(rows)) + "\n")
    return path


def read_parts(out_dir: Path, drop_failed: bool = False) -> list[dict[str, Any]]:
    """Every row of every finished task; with ``drop_failed`` the failed rows' part files are deleted."""
    rows: list[dict[str, Any]] = []
    folder = out_dir / PARTS
    if not folder.is_dir():
        return rows
    for path in sorted(folder.glob("p*.json")):
        try:
            part = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            path.unlink(missing_ok=True)  # cannot happen with atomic writes; treat as not finished
            continue
        if drop_failed and any(r.get("error") for r in part):
            path.unlink()
            continue
        rows.extend(part)
    return rows


def done_pairs(rows: Iterable[dict[str, Any]]) -> set[tuple[int, int]]:
    """The (point, replica) pairs already finished."""
    return {(int(r["point"]), int(r["replica"])) for r in rows}


def _arrow_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns Parquet can store: mixed-type object columns become text."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if column.dtype == object:
            kinds = {type(v) for v in column if v is not None and not (isinstance(v, float) and v != v)}
            if len(kinds) > 1 and not kinds <= {int, float}:
                out[name] = column.map(lambda v: None if v is None else str(v))
    return out


def write_parquet_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write a table to Parquet via a temporary file and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        _arrow_safe(frame).to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write a table to CSV atomically."""
    write_text_atomic(path, frame.to_csv(index=False))
