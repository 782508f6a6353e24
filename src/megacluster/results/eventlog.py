"""The event log of every replica of a run, spooled to disk as each replica finishes.

A replica of the flagship logs ~26,000 events (interruptions, restarts, repairs, its finish): 100 replicas
held as one table took ~400 MB. The run keeps in memory only what its views read — the representative
(first) replica's whole log and every replica's finish row (``Results.events``) — and spools each replica's
log to a Parquet file of its own in a temporary folder that megacluster creates (``megacluster-events-*``
in the system's temporary folder) and removes when the log is no longer referenced. ``events.parquet`` is
written from the spool one replica at a time, in replica order: the same rows as the whole table gave.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any

import pandas as pd

from megacluster.reliability.kinds import EventKind

SPOOL_PREFIX = "megacluster-events-"
"""Prefix of the temporary folder a run's event log is spooled to. [-]"""


def framed(events: pd.DataFrame, replica: int, origin: pd.Timestamp) -> pd.DataFrame:
    """A replica's events with its number and each event's UTC time (from ``time_s`` after ``origin``). [-]"""
    frame = events.copy()
    frame.insert(0, "replica", replica)
    if "time_s" in frame:
        frame.insert(1, "time", origin + pd.to_timedelta(frame["time_s"], unit="s"))
    return frame


class EventLog:
    """Every replica's events, one Parquet file per replica in a spool folder of megacluster's own."""

    def __init__(self, origin: pd.Timestamp) -> None:
        self.origin = origin
        """The run's start as a UTC time (event times are seconds after it)."""
        self.folder = Path(tempfile.mkdtemp(prefix=SPOOL_PREFIX))
        self._parts: dict[int, Path] = {}
        self.rows = 0
        """Rows spooled so far. [-]"""
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.folder, True)

    def keep(self, replica: int, events: pd.DataFrame | None) -> pd.DataFrame | None:
        """Spool a replica's events; return what the run keeps in memory of them: the whole log of the
        representative replica (0), only the finish row of the others (None without a job). [-]"""
        if events is None:
            return None
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = self.folder / f"replica-{replica:06d}.parquet"
        pq.write_table(pa.Table.from_pandas(framed(events, replica, self.origin), preserve_index=False), path)
        self._parts[replica] = path
        self.rows += len(events)
        if replica == 0 or "kind" not in events:
            return events
        return events[events["kind"].astype("string") == EventKind.FINISH.value]

    def frame(self) -> pd.DataFrame:
        """The whole log as one table, in replica order (all of it in memory). [-]"""
        import pyarrow.parquet as pq

        parts = [pq.read_table(self._parts[i]).to_pandas() for i in sorted(self._parts)]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()

    def write(self, path: Path, to_table: Any) -> None:
        """Write the whole log to ``path`` one replica at a time, in replica order; ``to_table`` turns a
        replica's table into the Arrow table to write (column metadata, provenance). [-]"""
        import pyarrow.parquet as pq

        writer = None
        try:
            for i in sorted(self._parts):
                table = to_table(pq.read_table(self._parts[i]).to_pandas())
                if writer is None:
                    writer = pq.ParquetWriter(path, table.schema)
                writer.write_table(table.cast(writer.schema))
        finally:
            if writer is not None:
                writer.close()

    def close(self) -> None:
        """Remove the spool folder now (it is removed anyway once the log is no longer referenced). [-]"""
        self._cleanup()


def kept_digest(log: EventLog | None, replica: int, digest: Any) -> Any:
    """``digest`` (a ``ReplicaDigest``) with its events spooled to ``log`` and only what the run keeps of
    them left in memory (unchanged without a log). [-]"""
    if log is None:
        return digest
    return dataclasses.replace(digest, events=log.keep(replica, digest.events))
