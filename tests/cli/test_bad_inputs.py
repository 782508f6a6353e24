"""Every bad input through every command: exit code 2, one line on stderr, no traceback, nothing written.

The corpus lives in ``tests/data/bad_inputs/``: scenarios (binary, not UTF-8, nested thousands of levels
deep, names that try to leave ``runs/``, NaN/inf numbers, out-of-range values, work that cannot fit),
training specs, published-runs tables and sweep files. Oversized work must be refused from its estimate,
before any simulation starts: the engine's ``simulate`` and the sizing's plant runs are replaced by a trap.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .entry import invoke

CORPUS = Path(__file__).resolve().parents[1] / "data" / "bad_inputs"
SCENARIOS = sorted((CORPUS / "scenarios").glob("*.toml"))
SPECS = sorted((CORPUS / "specs").glob("*.toml"))
RUNS = sorted((CORPUS / "runs").glob("*.csv"))
SWEEPS = sorted((CORPUS / "sweeps").glob("*.toml"))
OVERSIZED = {
    "oversized_two_second_year.toml": {"run", "compare", "size"},
    "oversized_replicas.toml": {"run", "compare"},
    "oversized_failure_storm.toml": {"run", "compare"},
}
"""Work that cannot fit, and the commands that would do it (``power`` and ``size`` run no training job and
``power`` no horizon, so they may accept these scenarios)."""

SCENARIO_COMMANDS = {
    "run": lambda p: ["run", str(p)],
    "compare": lambda p: ["compare", "colossus-2024", str(p)],
    "size": lambda p: ["size", str(p), "--target-gpus", "1000"],
    "power": lambda p: ["power", str(p)],
}


@pytest.fixture(autouse=True)
def _no_simulation_of_bad_input(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Work in an empty folder, and make any simulation fail loudly: bad input must stop before one."""

    def trap(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a simulation started for bad input")

    monkeypatch.setattr("megacluster.engine.simulate.simulate", trap)
    monkeypatch.setattr("megacluster.engine.sizing.size_plant", trap)
    monkeypatch.setattr("megacluster.engine.sizing.power_outlook", trap)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)


def _assert_refused(args: list[str]) -> str:
    result = invoke(args)
    assert result.code == 2, (args, result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert list(Path.cwd().iterdir()) == [], "bad input must write nothing"
    return lines[0]


def _cases() -> list[tuple[str, Path]]:
    out = []
    for path in SCENARIOS:
        for command in SCENARIO_COMMANDS:
            if path.name in OVERSIZED and command not in OVERSIZED[path.name]:
                continue
            out.append((command, path))
    return out


@pytest.mark.parametrize(("command", "path"), _cases(), ids=lambda v: v if isinstance(v, str) else v.stem)
def test_bad_scenario(command: str, path: Path) -> None:
    line = _assert_refused(SCENARIO_COMMANDS[command](path))
    if path.name in OVERSIZED:
        assert "would need" in line and "limit" in line, line  # the estimate and the limit are named


def test_every_corpus_folder_is_there() -> None:
    """An empty folder (e.g. one that git ignores) would silently skip its tests."""
    counts = {"scenarios": len(SCENARIOS), "specs": len(SPECS), "runs": len(RUNS), "sweeps": len(SWEEPS)}
    assert all(n >= 3 for n in counts.values()), counts


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
@pytest.mark.parametrize("command", ["estimate", "plan"])
def test_bad_spec(command: str, path: Path) -> None:
    _assert_refused([command, str(path)])


@pytest.mark.parametrize("path", RUNS, ids=lambda p: p.stem)
def test_bad_runs_table(path: Path) -> None:
    _assert_refused(["validate", "--runs", str(path)])


@pytest.mark.parametrize("path", SWEEPS, ids=lambda p: p.stem)
def test_bad_sweep(path: Path) -> None:
    _assert_refused(["sweep", str(path)])


@pytest.mark.parametrize(
    "args",
    [
        ["estimate", str(CORPUS)],
        ["plan", str(CORPUS / "specs")],
        ["run", str(CORPUS)],
        ["run", "colossus-2024", "--out", ".."],
        ["run", "colossus-2024", "--out", "."],
        ["run", "colossus-2024", "--out", "/"],
        ["run", "colossus-2024", "--out", "/dev/null"],
        ["run", "colossus-2024", "--out", "/proc/version"],
        ["run", "colossus-2024", "--max-memory", "lots"],
        ["run", "colossus-2024", "--max-time", "-3"],
        ["run", "colossus-2024", "--step", "soon"],
        ["run", "no-such-preset"],
        ["run"],
        ["run", "colossus-2024", "--bogus"],
        ["compare", "colossus-2024"],
        ["compare", "colossus-2024", "colossus-2025", "--out", str(CORPUS / "runs" / "binary.csv")],
        ["size", "colossus-2024", "--target-gpus", "1e12"],
        ["size", "colossus-2024", "--target-gpus", "1000000000000"],
        ["size", "colossus-2024", "--target-gpus", "0"],
        ["show", "no-such-preset"],
        ["validate", "--runs", str(CORPUS / "nope.csv")],
        ["sweep", str(CORPUS / "sweeps")],
    ],
    ids=lambda a: " ".join(a).replace(str(CORPUS), "corpus"),
)
def test_bad_arguments(args: list[str]) -> None:
    _assert_refused(args)


def test_the_oversized_message_names_estimate_and_limit() -> None:
    line = _assert_refused(["run", str(CORPUS / "scenarios" / "oversized_two_second_year.toml")])
    assert "15,768,000 steps" in line and "GiB" in line and "--max-memory" in line


def test_a_raised_memory_limit_is_honoured_but_time_still_bounds() -> None:
    line = _assert_refused(
        [
            "run",
            str(CORPUS / "scenarios" / "oversized_failure_storm.toml"),
            "--max-memory",
            "100T",
            "--max-time",
            "1h",
        ]
    )
    assert "time limit" in line
