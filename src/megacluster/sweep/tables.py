"""The sweep's tables: every row (point x replica), and P10/P50/P90 per point."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from rich.table import Table

from megacluster.sweep.work import KEY_COLUMNS

QUANTILES = (10, 50, 90)


def results_table(rows: Sequence[dict[str, Any]], fields: Sequence[str]) -> pd.DataFrame:
    """One row per point x replica, sorted; key columns, then the varied fields, then the figures."""
    frame = pd.DataFrame(list(rows))
    if frame.empty:
        return pd.DataFrame(columns=[*KEY_COLUMNS, *fields])
    frame = frame.sort_values(["point", "replica"], kind="stable").reset_index(drop=True)
    for name in KEY_COLUMNS[:3]:
        frame[name] = frame[name].astype("int64") if name != "seed" else frame[name].astype("uint64")
    if "error" not in frame:
        frame["error"] = None
    frame["error"] = frame["error"].astype(object).where(frame["error"].notna(), None)
    head = [*KEY_COLUMNS, *fields]
    rest = sorted(c for c in frame.columns if c not in head)
    return frame[head + rest]


def figure_columns(frame: pd.DataFrame, fields: Sequence[str]) -> list[str]:
    """Numeric or boolean figure columns (not keys, not the varied fields)."""
    skip = set(KEY_COLUMNS) | set(fields)
    out = []
    for name in frame.columns:
        if name in skip:
            continue
        values = [v for v in frame[name] if v is not None and not (isinstance(v, float) and math.isnan(v))]
        ok_rows = frame["error"].isna() if "error" in frame else pd.Series(True, index=frame.index)
        numeric = all(isinstance(v, bool | int | float | np.number | np.bool_) for v in values)
        # a figure every replica left empty (a run that never finished) still gets its (empty) percentiles
        if numeric and (values or ok_rows.any()):
            out.append(name)
    return out


def _quantile(values: np.ndarray, q: float) -> float:
    """A percentile where a missing value (a run that never reached it) counts as +infinity."""
    if values.size == 0:
        return math.nan
    filled = np.where(np.isnan(values), np.inf, values)
    found = float(np.percentile(filled, q, method="inverted_cdf"))
    return found if math.isfinite(found) else math.nan


def summary_table(frame: pd.DataFrame, fields: Sequence[str]) -> pd.DataFrame:
    """Per point: the varied fields, replicas ok and failed, P10/P50/P90 of numeric figures,
    and the share of replicas where a yes/no figure is true."""
    figures = figure_columns(frame, fields)
    records = []
    for point, group in frame.groupby("point", sort=True):
        ok = group[group["error"].isna()]
        record: dict[str, Any] = {"point": int(str(point))}
        for name in fields:
            record[name] = group[name].iloc[0]
        record["replicas_ok"] = len(ok)
        record["replicas_failed"] = len(group) - len(ok)
        errors = group["error"].dropna()
        record["first_error"] = str(errors.iloc[0]) if len(errors) else None
        for name in figures:
            column = ok[name]
            if any(isinstance(v, bool | np.bool_) for v in column):
                record[f"{name}.share"] = (
                    float(np.mean([bool(v) for v in column if v is not None])) if len(ok) else None
                )
                continue
            values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
            for q in QUANTILES:
                record[f"{name}.p{q}"] = _quantile(values, q)
        records.append(record)
    return pd.DataFrame(records)


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float):
        if value == 0:
            return "0"
        magnitude = abs(value)
        if magnitude >= 1e6 or magnitude < 1e-3:
            return f"{value:.3g}"
        if magnitude >= 100:
            return f"{value:,.0f}"
        return f"{value:.3g}"
    return str(value)


def _header(dotted: str) -> str:
    """A dotted name over several lines, so that narrow columns stay readable."""
    parts = dotted.split(".")
    lines = [".".join(parts[:-1])] if len(parts) > 1 else []
    return "\n".join([*lines, parts[-1]])


def render_summary(summary: pd.DataFrame, fields: Sequence[str], report: Sequence[str], title: str) -> Table:
    """A rich table: the varied fields, replicas, and ``P50 [P10–P90]`` of the reported figures."""
    table = Table(title=title, show_lines=False)
    table.add_column("point", justify="right", no_wrap=True)
    for name in fields:
        table.add_column(_header(name), justify="right", no_wrap=True)
    table.add_column("ok/\nfailed", justify="right", no_wrap=True)
    shown = [r for r in report if f"{r}.p50" in summary.columns or f"{r}.share" in summary.columns]
    for name in shown:
        unit = "P50 [P10–P90]" if f"{name}.p50" in summary.columns else "share"
        table.add_column(f"{_header(name)}\n{unit}", justify="right", no_wrap=True)
    for _, row in summary.iterrows():
        cells = [
            str(row["point"]),
            *(_fmt(row[f]) for f in fields),
            f"{row['replicas_ok']}/{row['replicas_failed']}",
        ]
        for name in shown:
            if f"{name}.p50" in summary.columns:
                p10, p50, p90 = (row[f"{name}.p{q}"] for q in QUANTILES)
                same = _fmt(p10) == _fmt(p90)
                cells.append(_fmt(p50) if same else f"{_fmt(p50)} [{_fmt(p10)}–{_fmt(p90)}]")
            else:
                cells.append(_fmt(row[f"{name}.share"]))
        table.add_row(*cells)
    return table


def missing_report(summary: pd.DataFrame, report: Sequence[str]) -> list[str]:
    """Reported figures that no successful row has."""
    return [r for r in report if f"{r}.p50" not in summary.columns and f"{r}.share" not in summary.columns]
