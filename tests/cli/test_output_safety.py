"""A user's files survive every command that writes outputs.

Real user files are made in a temporary home: a folder with a document, a plain file, a link to a file
outside, the current folder with a document of its own. After every refused command they are byte-identical
(and so is everything else under the temporary root); accepted commands only ever create or replace
megacluster's own output folders.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from megacluster.results.outdir import MARKER

from .entry import invoke

SCENARIO = """
name = "tiny"
[simulation]
start = 2024-07-01
horizon_days = 2
step = "1h"
seed = 1
[[fleet]]
accelerator = "h100-sxm"
count = 512
install_start = 2024-07-01
install_end = 2024-07-01
[power]
grid = [ { from = 2024-07-01, mw = 5 } ]
[training]
model = "gpt3-175b"
target_flop = 1e21
job_gpus = 512
[training.layout]
tp = 8
pp = 8
"""

SWEEP = """
name = "tiny-sweep"
base = "tiny.toml"
replicas = 1
[design]
kind = "grid"
[[design.parameters]]
field = "simulation.seed"
values = [1, 2]
"""

Snapshot = dict[str, tuple[str, bytes]]


def snapshot(root: Path) -> Snapshot:
    """Every entry under ``root``: its kind and its bytes (a link: its target)."""
    out: Snapshot = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            if path.is_symlink():
                out[rel] = ("link", os.readlink(path).encode())
            elif path.is_dir():
                out[rel] = ("dir", b"")
            else:
                out[rel] = ("file", path.read_bytes())
    return out


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user's home with real files; the current folder is ``home/project``."""
    home = tmp_path / "home"
    project = home / "project"
    (project / "mydata").mkdir(parents=True)
    (project / "mydata" / "thesis.docx").write_bytes(b"PK\x03\x04 a precious document")
    (project / "notes.txt").write_text("my notes\n", encoding="utf-8")
    (project / "empty").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("outside the project\n", encoding="utf-8")
    (project / "link").symlink_to(tmp_path / "outside" / "secret.txt")
    (project / "dirlink").symlink_to(tmp_path / "outside")
    (project / "tiny.toml").write_text(SCENARIO, encoding="utf-8")
    (project / "sweep.toml").write_text(SWEEP, encoding="utf-8")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(project)
    return project


REFUSED_OUTS = [
    "mydata",
    "notes.txt",
    "link",
    "dirlink",
    ".",
    "..",
    "/",
    "/dev/null",
    "nothere/../mydata",
    "mydata/..",
    "HOME",
    "CWD",
]

COMMANDS: dict[str, Callable[[str], list[str]]] = {
    "run": lambda out: ["run", "tiny.toml", "--out", out],
    "run --force": lambda out: ["run", "tiny.toml", "--out", out, "--force"],
    "compare": lambda out: ["compare", "tiny.toml", "tiny.toml", "--out", out],
    "compare --force": lambda out: ["compare", "tiny.toml", "tiny.toml", "--out", out, "--force"],
    "sweep": lambda out: ["sweep", "sweep.toml", "--out", out, "--quiet"],
    "sweep --force": lambda out: ["sweep", "sweep.toml", "--out", out, "--quiet", "--force"],
}


@pytest.mark.parametrize("out", REFUSED_OUTS)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_user_files_are_untouched(home: Path, command: str, out: str) -> None:
    root = home.parent.parent
    before = snapshot(root)
    out = {"HOME": str(home.parent), "CWD": str(home)}.get(out, out)
    result = invoke(COMMANDS[command](out))
    assert result.code == 2, result
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert snapshot(root) == before


@pytest.mark.parametrize(
    "name", ["../../x", "/home/me/Documents", ".", "..", "a/b", "run\\u0000x", ".hidden", "mydata/.."]
)
def test_a_scenario_name_cannot_choose_where_to_write(home: Path, name: str) -> None:
    root = home.parent.parent
    (home / "shared.toml").write_text(f'extends = "colossus-2024"\nname = "{name}"\n', encoding="utf-8")
    before = snapshot(root)
    result = invoke(["run", "shared.toml", "--days", "1", "--step", "1h"])
    assert result.code == 2 and "name" in result.stderr, result
    assert snapshot(root) == before


def test_default_folder_is_replaced_explicit_needs_force(home: Path) -> None:
    assert invoke(["run", "tiny.toml"]).code == 0
    first = json.loads((home / "runs" / "tiny" / MARKER).read_text())
    assert invoke(["run", "tiny.toml"]).code == 0  # runs/<name> holds only megacluster outputs
    second = json.loads((home / "runs" / "tiny" / MARKER).read_text())
    assert first["run_id"] != second["run_id"]
    assert set(second["files"]) == {p.name for p in (home / "runs" / "tiny").iterdir()} - {MARKER}

    assert invoke(["run", "tiny.toml", "--out", "out"]).code == 0
    again = invoke(["run", "tiny.toml", "--out", "out"])
    assert again.code == 2 and "--force" in again.stderr
    assert invoke(["run", "tiny.toml", "--out", "out", "--force"]).code == 0
    assert invoke(["run", "tiny.toml", "--out", "empty"]).code == 0  # an empty folder holds nothing to lose
    assert (home / "empty" / "summary.json").is_file()


def test_a_user_file_inside_an_earlier_output_blocks_replacing_it(home: Path) -> None:
    assert invoke(["run", "tiny.toml", "--out", "out"]).code == 0
    (home / "out" / "my-analysis.ipynb").write_text("{}", encoding="utf-8")
    before = snapshot(home)
    for args in (["run", "tiny.toml", "--out", "out", "--force"], ["run", "tiny.toml"]):
        if args[-1] == "tiny.toml":
            (home / "runs").mkdir(exist_ok=True)
            os.rename(home / "out", home / "runs" / "tiny")
            before = snapshot(home)
        result = invoke(args)
        assert result.code == 2 and "did not write" in result.stderr, result
        assert snapshot(home) == before


def test_another_kind_of_output_is_not_replaced(home: Path) -> None:
    assert invoke(["compare", "tiny.toml", "tiny.toml", "--out", "cmp"]).code == 0
    before = snapshot(home)
    result = invoke(["run", "tiny.toml", "--out", "cmp", "--force"])
    assert result.code == 2 and "compare" in result.stderr
    assert snapshot(home) == before


def test_stale_temporary_folders_of_killed_runs_are_removed(home: Path) -> None:
    runs = home / "runs"
    stale = runs / ".tiny.megacluster-tmp-k1ll3d"
    stale.mkdir(parents=True)
    (stale / MARKER).write_text(json.dumps({"tool": "megacluster", "kind": "run", "files": []}))
    (stale / "summary.json").write_text("{half")
    foreign = runs / ".tiny.megacluster-tmp-notours"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("not megacluster's")
    assert invoke(["run", "tiny.toml"]).code == 0
    assert not stale.exists()
    assert (foreign / "keep.txt").read_text() == "not megacluster's"  # no marker: left alone
    assert sorted(p.name for p in runs.iterdir()) == [".tiny.megacluster-tmp-notours", "tiny"]


def test_bad_input_after_the_check_leaves_no_folder_behind(home: Path) -> None:
    (home / "late.toml").write_text(
        SCENARIO.replace("job_gpus = 512", "job_gpus = 32").replace('name = "tiny"', 'name = "late"'),
        encoding="utf-8",
    )
    result = invoke(["run", "late.toml", "--out", "a/b/c"])
    assert result.code == 2 and "layout" in result.stderr, result
    assert not (home / "a").exists() and not (home / "runs").exists()


def _cli(*args: str, cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "megacluster.cli", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


LONGER = ["--days", "60", "--step", "5min"]


@pytest.mark.slow
def test_two_runs_into_one_folder_one_wins_whole(home: Path) -> None:
    procs = [_cli("run", "tiny.toml", "--out", "same", *LONGER, cwd=home) for _ in range(2)]
    outcomes = [(p.wait(timeout=300), p.stderr.read().decode() if p.stderr else "") for p in procs]
    codes = sorted(code for code, _ in outcomes)
    assert codes == [0, 2], outcomes
    loser = next(err for code, err in outcomes if code == 2)
    assert "another megacluster command" in loser or "earlier megacluster run" in loser
    marker = json.loads((home / "same" / MARKER).read_text())
    assert sorted(marker["files"]) == sorted(p.name for p in (home / "same").iterdir() if p.name != MARKER)
    assert sorted(p.name for p in home.iterdir() if p.name.startswith(".same")) == []


@pytest.mark.slow
@pytest.mark.parametrize("delay_s", [0.3, 1.0, 2.0, 3.0])
def test_a_killed_run_leaves_no_partial_folder(home: Path, delay_s: float) -> None:
    proc = _cli("run", "tiny.toml", "--out", "killed", *LONGER, cwd=home)
    time.sleep(delay_s)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    target = home / "killed"
    if target.exists():  # it finished before the kill: then it is whole
        marker = json.loads((target / MARKER).read_text())
        assert set(marker["files"]) == {p.name for p in target.iterdir()} - {MARKER}
    assert invoke(["run", "tiny.toml", "--out", "killed", "--force", "--days", "1"]).code == 0
    leftovers = [p.name for p in home.iterdir() if p.name.startswith(".killed")]
    assert leftovers == []
