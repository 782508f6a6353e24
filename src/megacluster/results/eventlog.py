"""The event log of every replica of a run, spooled to disk as each replica finishes.

A replica of the flagship logs ~26,000 events (interruptions, restarts, repairs, its finish): 100 replicas
held as one table took ~400 MB. The run keeps in memory only what its views read — the representative
(first) replica's whole log and every replica's finish row (``Results.events``) — and spools each replica's
log to an Arrow file of its own (uncompressed Arrow IPC: ~2.6 ms to write and ~0.9 ms to read a flagship
replica's log, where Parquet took ~8.4 and ~3.2 ms) in a temporary folder that megacluster creates
(``megacluster-events-*`` in the system's temporary folder) and removes when the log is no longer
referenced. ``events.parquet`` is written from the spool one replica at a time, in replica order: the same
rows as the whole table gave.

Each replica's cumulative FLOP curve (one float64 a step: 0.69 MB for the flagship) is spooled beside its
events as raw little-endian float64 (``curve-NNNNNN.f8``), and read back a block of steps at a time when the
P10/P50/P90 bands are computed (:class:`SpooledCurve`): held in memory, 100 flagship curves grew the running
process by ~69 MB while the replicas ran.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from megacluster.errors import InputError
from megacluster.reliability.kinds import EventKind

SPOOL_PREFIX = "megacluster-events-"
"""Prefix of the temporary folder a run's event log is spooled to, followed by the process id. [-]"""
ROW_GROUP_ROWS = 100_000
"""Rows of events.parquet's row groups, about (whole replicas are gathered until they reach it): with a row
group per flagship replica (~26,000 rows) writing the outputs of 100 replicas took ~1.9 s, with ~100,000-row
groups ~1.4 s (the writer's fixed cost per group); a reader holds one group at a time (~10 MB). [-]"""
PLAIN_COLUMNS = ("time", "time_s", "work_lost_s")
"""Columns of events.parquet written without dictionary encoding: nearly every value is distinct (1.7 million
times and 0.5 million losses in 100 flagship replicas' 2.6 million rows), so a dictionary only costs the
writer until it gives up on it. Without it: 0.84 -> 0.69 s to encode those rows, 54 -> 45 MB. [-]"""
PREPARED_NAME = "events-prepared.parquet"
"""The whole log written ahead into the spool folder (:meth:`EventLog.prepare`). [-]"""
_PART = re.compile(r"replica-\d{6}\.(arrow|parquet)|curve-\d{6}\.f8|events-prepared\.parquet")
"""A spooled file's name, the only files a spool folder holds: a replica's events, its FLOP curve, the log
written ahead (Parquet parts: those of earlier versions, removed with their stale folders). [-]"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_stale_spools(folder: Path | None = None) -> list[Path]:
    """Remove the spool folders that runs killed before their end left behind: only folders named by
    megacluster (``megacluster-events-PID-…``) whose process is gone and that hold nothing but replica
    files, in the temporary folder (or ``folder``). Returns those removed. [-]"""
    root = Path(folder or tempfile.gettempdir())
    removed = []
    for path in root.glob(f"{SPOOL_PREFIX}*-*"):
        pid = path.name[len(SPOOL_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or _alive(int(pid)) or path.is_symlink() or not path.is_dir():
            continue
        files = list(path.iterdir())
        if all(f.is_file() and not f.is_symlink() and _PART.fullmatch(f.name) for f in files):
            for f in files:
                f.unlink()
            path.rmdir()
            removed.append(path)
    return removed


def framed(events: pd.DataFrame, replica: int, origin: pd.Timestamp) -> pd.DataFrame:
    """A replica's events with its number and each event's UTC time (from ``time_s`` after ``origin``). [-]"""
    frame = events.copy()
    frame.insert(0, "replica", replica)
    if "time_s" in frame:
        frame.insert(1, "time", origin + pd.to_timedelta(frame["time_s"], unit="s"))
    return frame


@dataclass(frozen=True)
class Spool:
    """Where a run's replicas spool their events: a plain value a worker process can be handed."""

    folder: Path
    origin: pd.Timestamp
    """The run's start as a UTC time (event times are seconds after it)."""

    def part(self, replica: int) -> Path:
        """The file of one replica's events. [-]"""
        return self.folder / f"replica-{replica:06d}.arrow"

    def curve(self, replica: int) -> Path:
        """The file of one replica's cumulative FLOP curve. [-]"""
        return self.folder / f"curve-{replica:06d}.f8"


_CURVE_DTYPE = np.dtype("<f8")


@dataclass(frozen=True)
class SpooledCurve:
    """A replica's cumulative FLOP curve in its spool file: read a slice of steps at a time (what the bands
    need), so that the curves of every replica are not held at once. Valid while its log's spool exists."""

    path: Path
    size: int
    """Steps. [-]"""

    def __getitem__(self, steps: slice) -> npt.NDArray[np.float64]:
        """The curve over a slice of steps (a plain step slice: start and stop, no stride). [FLOP]"""
        start, stop, stride = steps.indices(self.size)
        if stride != 1:
            raise ValueError("a spooled curve is read in plain slices of steps")
        count = max(stop - start, 0)
        values = np.fromfile(self.path, dtype=_CURVE_DTYPE, count=count, offset=start * _CURVE_DTYPE.itemsize)
        if values.size != count:
            raise OSError(f"{self.path}: {values.size} of {count} steps could be read")
        return values.astype(np.float64, copy=False)


def spool_curve(spool: Spool, replica: int, curve: npt.NDArray[np.float64]) -> SpooledCurve:
    """Write a replica's cumulative FLOP curve to the spool; the handle that reads it back. [-]"""
    path = spool.curve(replica)
    np.ascontiguousarray(curve, dtype=_CURVE_DTYPE).tofile(path)
    return SpooledCurve(path, int(curve.size))


@dataclass(frozen=True)
class EventColumns:
    """One replica's event table as arrays (``jobtree.job_event_columns``), not yet a pandas frame: the log of
    a replica that the run does not keep whole goes to the spool straight from the arrays (~10 ms a flagship
    replica, where making the frame first took ~18), and only its finish row becomes a frame."""

    columns: dict[str, npt.NDArray[Any]]

    def __len__(self) -> int:
        """Rows. [-]"""
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def frame(self) -> pd.DataFrame:
        """The table as a frame (``jobtree.job_event_frame``). [-]"""
        return pd.DataFrame(self.columns)

    def finish_rows(self) -> pd.DataFrame:
        """The rows of kind 'finish' (every row without a kind column), as ``frame()`` filtered would give
        them: their row numbers as the index, names as pandas text even when no row is left. [-]"""
        kind = self.columns.get("kind")
        if kind is None:
            return self.frame()
        rows = np.flatnonzero(kind == EventKind.FINISH.value)
        return pd.DataFrame(
            {
                k: pd.array(v[rows], dtype="str") if v.dtype == object and v.size else v[rows]
                for k, v in self.columns.items()
            },
            index=rows,
        )

    def arrow(self, replica: int, origin: pd.Timestamp) -> Any:
        """``framed(frame(), replica, origin)`` as an Arrow table, made from the arrays (the same columns and
        types; without pandas' schema metadata). [-]"""
        import pyarrow as pa

        arrays = {"replica": pa.array(np.full(len(self), replica, dtype=np.int64))}
        if "time_s" in self.columns:
            arrays["time"] = pa.array(origin + pd.to_timedelta(self.columns["time_s"], unit="s"))
        for name, values in self.columns.items():
            text = values.dtype == object
            arrays[name] = pa.array(values, type=pa.large_string()) if text else pa.array(values)
        return pa.table(arrays)


def event_frame(events: pd.DataFrame | EventColumns) -> pd.DataFrame:
    """A replica's events as a frame. [-]"""
    return events.frame() if isinstance(events, EventColumns) else events


def spooled(spool: Spool | None, replica: int, digest: Any) -> tuple[Any, int]:
    """Write a replica's events and its FLOP curve (of its ``ReplicaDigest``) to the spool, wherever the
    replica ran; return the digest with only what the run keeps of them in memory — the whole log of the
    representative replica (0), the finish row of the others, a :class:`SpooledCurve` for the curve — and
    the rows written (unchanged and 0 without a spool). The events are a frame or :class:`EventColumns`; the
    representative's part is written from its frame, so that ``events.parquet`` (whose schema is its first
    part's) keeps pandas' schema metadata. [-]"""
    events = digest.events
    if spool is None or events is None:
        return digest, 0
    curve = digest.cumulative_flop
    if isinstance(curve, np.ndarray):
        digest = dataclasses.replace(digest, cumulative_flop=spool_curve(spool, replica, curve))
    import pyarrow as pa
    import pyarrow.feather as feather

    if isinstance(events, EventColumns) and replica != 0 and events.columns:
        table, kept = events.arrow(replica, spool.origin), events.finish_rows()
    else:
        frame = event_frame(events)
        table = pa.Table.from_pandas(framed(frame, replica, spool.origin), preserve_index=False)
        kept = frame
        if replica != 0 and "kind" in frame:
            kept = frame[frame["kind"].astype("string") == EventKind.FINISH.value]
    feather.write_feather(table, spool.part(replica), compression="uncompressed")
    return dataclasses.replace(digest, events=kept), table.num_rows


class EventLog:
    """Every replica's events, one Parquet file per replica in a spool folder of megacluster's own."""

    def __init__(self, origin: pd.Timestamp) -> None:
        remove_stale_spools()
        try:
            folder = Path(tempfile.mkdtemp(prefix=f"{SPOOL_PREFIX}{os.getpid()}-"))
        except OSError as exc:
            raise InputError(
                None,
                "TMPDIR",
                f"a writable temporary folder for the replicas' event logs ({tempfile.gettempdir()}: "
                f"{exc.strerror or exc})",
            ) from None
        self.spool = Spool(folder, origin)
        self.folder = self.spool.folder
        self._parts: dict[int, Path] = {}
        self.rows = 0
        """Rows spooled so far. [-]"""
        self._prepared: tuple[Hashable, Path, Future[None]] | None = None
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.folder, True)

    def note(self, replica: int, rows: int) -> None:
        """Record that ``replica``'s events (``rows`` of them) are in the spool. [-]"""
        if rows or self.spool.part(replica).exists():
            self._parts[replica] = self.spool.part(replica)
            self.rows += rows

    def keep(self, replica: int, digest: Any) -> Any:
        """Spool a replica's events from this process (:func:`spooled`) and record them. [-]"""
        kept, rows = spooled(self.spool, replica, digest)
        self.note(replica, rows)
        return kept

    def frame(self) -> pd.DataFrame:
        """The whole log as one table, in replica order (all of it in memory). [-]"""
        import pyarrow.feather as feather

        parts = [feather.read_table(self._parts[i]).to_pandas() for i in sorted(self._parts)]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def prepare(self, to_table: Callable[[Any], Any], key: Hashable) -> None:
        """Start writing the whole log as :meth:`write` would (``to_table``), into the spool folder, on a
        thread of its own, once every replica's events are in: the run is assembled and its other outputs
        written meanwhile (Arrow encodes without the interpreter's lock), and a later :meth:`write` for the
        same ``key`` moves the file into place. 100 flagship replicas (~1 s to write): the outputs were
        ready ~0.5 s sooner (docs/replicas.md). [-]"""
        if self._prepared is not None:
            raise RuntimeError("the event log is already being written ahead")
        path = self.folder / PREPARED_NAME
        thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="megacluster-events")
        self._prepared = (key, path, thread.submit(self._write, path, to_table))
        thread.shutdown(wait=False)

    def write(self, path: Path, to_table: Any, key: Hashable | None = None) -> None:
        """Write the whole log to ``path`` one replica at a time, in replica order; ``to_table`` turns a
        replica's Arrow table into the one to write (column metadata, provenance). The file written ahead
        for the same ``key`` (:meth:`prepare`) is moved there instead (copied across file systems). [-]"""
        if not self._take_prepared(path, key):
            self._write(path, to_table)

    def _take_prepared(self, path: Path, key: Hashable | None) -> bool:
        """Put the file written ahead at ``path`` if it was written for ``key``; else drop it. [-]"""
        if self._prepared is None:
            return False
        wanted, prepared, future = self._prepared
        self._prepared = None
        if future.exception() is not None or key is None or key != wanted:
            prepared.unlink(missing_ok=True)  # written again where wanted (a failure is raised there)
            return False
        try:
            os.replace(prepared, path)
        except OSError:  # another file system
            shutil.copyfile(prepared, path)
            prepared.unlink()
        return True

    def _write(self, path: Path, to_table: Any) -> None:
        """:meth:`write`'s writing. [-]"""
        import pyarrow as pa
        import pyarrow.feather as feather
        import pyarrow.parquet as pq

        writer = None
        batch: list[Any] = []  # replicas gathered into row groups of ~ROW_GROUP_ROWS rows
        rows = 0
        try:
            for i in sorted(self._parts):
                table = to_table(feather.read_table(self._parts[i]))
                if writer is None:
                    schema = _nanosecond_times(table.schema)
                    coded = [name for name in schema.names if name not in PLAIN_COLUMNS]
                    writer = pq.ParquetWriter(path, schema, use_dictionary=coded)
                batch.append(table.cast(writer.schema))
                rows += table.num_rows
                if rows >= ROW_GROUP_ROWS:
                    writer.write_table(pa.concat_tables(batch))
                    batch, rows = [], 0
            if batch and writer is not None:
                writer.write_table(pa.concat_tables(batch))
        finally:
            if writer is not None:
                writer.close()
            pa.default_memory_pool().release_unused()  # the parts' buffers, back to the system

    def close(self) -> None:
        """Remove the spool folder now (it is removed anyway once the log is no longer referenced), once the
        log written ahead, if any, is done. [-]"""
        if self._prepared is not None:
            self._prepared[2].exception()  # waits; its file goes with the folder
            self._prepared = None
        self._cleanup()


def _nanosecond_times(schema: Any) -> Any:
    """``schema`` with its event times in nanoseconds: pandas gives a replica's times the coarsest resolution
    that holds them (whole microseconds, say, when every event falls on one), and every replica's rows must
    fit the file's first schema. [-]"""
    import pyarrow as pa

    at = schema.get_field_index("time")
    if at < 0 or not pa.types.is_timestamp(schema.field(at).type):
        return schema
    field = schema.field(at)
    return schema.set(at, field.with_type(pa.timestamp("ns", tz=field.type.tz)))


def kept_digest(log: EventLog | None, replica: int, digest: Any) -> Any:
    """``digest`` (a ``ReplicaDigest``) with its events spooled to ``log`` from this process and only what
    the run keeps of them left in memory (unchanged without a log). [-]"""
    return digest if log is None else log.keep(replica, digest)
