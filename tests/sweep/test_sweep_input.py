"""Bad sweep input: exit code 2 and one clear message before any work starts (no output folder)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from megacluster.cli.sweep import register

GOOD = """
name = "bad"
base = "tiny.toml"
seed = 1
replicas = 2
[design]
kind = "grid"
[[design.parameters]]
field = "power.generators[0].count"
values = [1, 2]
"""


def _cli(args: list[str]) -> tuple[int, str]:
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:  # keep 'sweep' a subcommand
        pass

    result = CliRunner().invoke(app, ["sweep", *args])
    return result.exit_code, result.output


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('field = "power.generators[0].count"', 'field = "power.batery.power_mw"', "did you mean 'battery'"),
        ('field = "power.generators[0].count"', 'field = "facility.peu"', "did you mean 'pue'"),
        ('field = "power.generators[0].count"', 'field = "power.generators[3].count"', "out of range"),
        ("values = [1, 2]", "values = [1, -2]", "point 1"),
        ("replicas = 2", "replicas = 0", "replicas must be between 1 and 10,000"),
        ('kind = "grid"', 'kind = "latin"', "expected one of the kinds 'grid', 'random'"),
        ('base = "tiny.toml"', 'base = "colosus-2024"', "did you mean 'colossus-2024'"),
        ("seed = 1", "seed = 1\n[fixed]\n'simulation.horizn_days' = 2", "did you mean 'horizon_days'"),
        ("values = [1, 2]", "values = []", "at least 1 item"),
        ("seed = 1", "seed = 1\nextra = 3", "unknown field 'extra'"),
        ("seed = 1", "seed = [", "invalid TOML"),
    ],
)
def test_bad_sweep_exits_2_before_work(
    write_sweep: Callable[[str], Path], tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in GOOD
    path = write_sweep(GOOD.replace(old, new))
    out = tmp_path / "out"
    code, output = _cli([str(path), "--out", str(out)])
    assert code == 2, output
    assert expected in output
    assert output.startswith("error: ") and "Traceback" not in output
    assert not out.exists()


def test_range_with_min_above_max_exits_2(write_sweep: Callable[[str], Path], tmp_path: Path) -> None:
    text = """
    name = "rnd"
    base = "tiny.toml"
    [design]
    kind = "random"
    samples = 3
    [[design.parameters]]
    field = "facility.pue"
    min = 1.5
    max = 1.2
    """
    code, output = _cli([str(write_sweep(text)), "--out", str(tmp_path / "out")])
    assert code == 2
    assert "'facility.pue': min 1.5 is greater than max 1.2" in output
    assert "design.parameters[0]" in output
    assert not (tmp_path / "out").exists()


def test_unreachable_address_exits_2(write_sweep: Callable[[str], Path], tmp_path: Path) -> None:
    port = _closed_port()
    out = tmp_path / "out"
    code, output = _cli([str(write_sweep(GOOD)), "--out", str(out), "--address", f"127.0.0.1:{port}"])
    assert code == 2
    assert f"no Ray cluster answers at 127.0.0.1:{port}" in output
    assert not out.exists()
    code, output = _cli([str(write_sweep(GOOD)), "--address", "nonsense"])
    assert code == 2 and "expected HOST:PORT" in output


def test_zero_workers_and_missing_file_exit_2(write_sweep: Callable[[str], Path], tmp_path: Path) -> None:
    code, output = _cli([str(write_sweep(GOOD)), "--workers", "0", "--out", str(tmp_path / "o")])
    assert code == 2 and "at least 1 worker" in output
    code, output = _cli([str(tmp_path / "nope.toml")])
    assert code == 2 and "file not found (expected a sweep file)" in output


def test_folder_of_another_sweep_is_refused(write_sweep: Callable[[str], Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    code, output = _cli([str(write_sweep(GOOD)), "--out", str(out)])
    assert code == 2 and "is not a megacluster output" in output
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_a_port_that_is_no_ray_cluster_exits_2(write_sweep: Callable[[str], Path], tmp_path: Path) -> None:
    """Something listens (here a bare socket) but it is not a Ray cluster: refused in seconds."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = int(server.getsockname()[1])
        out = tmp_path / "out"
        code, output = _cli([str(write_sweep(GOOD)), "--out", str(out), "--address", f"127.0.0.1:{port}"])
    assert code == 2, output
    assert f"127.0.0.1:{port} accepts connections but does not answer as a Ray cluster" in output
    assert not out.exists()
