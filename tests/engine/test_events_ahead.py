"""events.parquet written ahead (``EventLog.prepare``) while the run is assembled: the same file as written
at the end, moved into place only for the provenance it was written for."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from megacluster.engine.simulate import simulate
from megacluster.results.assemble import Results
from megacluster.results.eventlog import PREPARED_NAME, EventLog
from megacluster.results.writers import write_run_files
from megacluster.scenario.load import load_scenario


@pytest.fixture(scope="module")
def ahead(small_scenario_path: Path) -> Results:
    return simulate(
        load_scenario(small_scenario_path), seed=7, replicas=3, workers=1, swings=False, events_ahead=True
    )


@pytest.fixture(scope="module")
def at_the_end(small_scenario_path: Path) -> Results:
    return simulate(load_scenario(small_scenario_path), seed=7, replicas=3, workers=1, swings=False)


def _writes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Record where the log is written from its parts (the writing itself unchanged)."""
    seen: list[Path] = []
    original = EventLog._write

    def counted(self: EventLog, path: Path, to_table: object) -> None:
        seen.append(path)
        original(self, path, to_table)

    monkeypatch.setattr(EventLog, "_write", counted)
    return seen


def test_the_file_written_ahead_is_moved_into_place_byte_for_byte(
    ahead: Results, at_the_end: Results, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ahead.event_log is not None
    written = _writes(monkeypatch)  # the file ahead was written before this: no writing from the parts now
    for name in ("ahead", "end"):
        (tmp_path / name).mkdir()
    write_run_files(ahead, tmp_path / "ahead")
    write_run_files(at_the_end, tmp_path / "end")
    assert written == [tmp_path / "end" / "events.parquet"]
    assert (tmp_path / "ahead" / "events.parquet").read_bytes() == (
        tmp_path / "end" / "events.parquet"
    ).read_bytes()
    assert not (ahead.event_log.folder / PREPARED_NAME).exists()
    assert pq.read_table(tmp_path / "ahead" / "events.parquet").num_rows == ahead.event_log.rows


def test_a_file_written_for_another_provenance_is_written_again(
    small_scenario_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = simulate(load_scenario(small_scenario_path), seed=7, replicas=3, workers=1, swings=False)
    log = results.event_log
    assert log is not None
    log.prepare(lambda table: table, key=("another run",))
    written = _writes(monkeypatch)
    write_run_files(results, tmp_path)
    assert written == [tmp_path / "events.parquet"]
    assert not (log.folder / PREPARED_NAME).exists()
    assert pq.read_table(tmp_path / "events.parquet").schema.metadata[b"seed"] == b"7"


def test_a_failed_write_ahead_falls_back_to_writing_at_the_end(
    small_scenario_path: Path, tmp_path: Path
) -> None:
    results = simulate(load_scenario(small_scenario_path), seed=7, replicas=3, workers=1, swings=False)
    log = results.event_log
    assert log is not None

    def broken(table: object) -> object:
        raise OSError("disk full")

    log.prepare(broken, key=("k",))
    log.write(tmp_path / "events.parquet", lambda table: table, key=("k",))
    assert pq.read_table(tmp_path / "events.parquet").num_rows == log.rows
    with pytest.raises(RuntimeError, match="already"):  # one file ahead at a time
        log.prepare(broken, key=("k",))
        log.prepare(broken, key=("k",))
    log.close()
    assert not log.folder.exists()
