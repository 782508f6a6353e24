"""Static charts: ``--format png|svg|pdf`` draws every chart with kaleido; without kaleido the command stops
before any work with exit code 2 and the install hint."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from browser_support import require_chromium
from engine_results import engine_results
from typer.testing import CliRunner

from megacluster.cli import app
from megacluster.report.export import ImageFormat, export_charts
from megacluster.report.html import report_context

MAGIC = {ImageFormat.PNG: b"\x89PNG", ImageFormat.SVG: b"<svg", ImageFormat.PDF: b"%PDF"}


def _no_kaleido(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.import_module

    def fake(name: str, *args: Any) -> Any:
        if name == "kaleido":
            raise ImportError("No module named 'kaleido'", name="kaleido")
        return real(name, *args)

    monkeypatch.setattr("megacluster.report.export.importlib.import_module", fake)


@pytest.mark.parametrize(
    "command", [["run", "colossus-2024"], ["compare", "colossus-2024", "llama3-meta-24k"]]
)
def test_without_kaleido_exit_2_and_nothing_written(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_kaleido(monkeypatch)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, [*command, "--days", "2", "--step", "1h", "--format", "png", "--out", str(out)]
    )
    assert result.exit_code == 2, result.output
    assert "pip install 'megacluster[export]'" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


def test_unknown_format_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["run", "colossus-2024", "--format", "gif", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
@pytest.mark.parametrize("image_format", list(ImageFormat))
def test_every_chart_as_an_image(image_format: ImageFormat, tmp_path: Path) -> None:
    require_chromium()
    charts = report_context(engine_results(days=60, step_s=3600)).charts()
    written = export_charts(charts, tmp_path, image_format)
    assert [p.stem for p in written] == [c.id for c in charts if c.figure is not None]
    for path in written:
        head = path.read_bytes()[:200]
        assert MAGIC[image_format] in head, path
        assert path.stat().st_size > 5_000, path


@pytest.mark.slow
def test_run_writes_the_charts_beside_the_report(tmp_path: Path) -> None:
    require_chromium()
    out = tmp_path / "run"
    args = ["run", "colossus-2024", "--days", "30", "--step", "1h", "--format", "svg", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    svgs = sorted(p.name for p in out.glob("*.svg"))
    assert "chart-gpus.svg" in svgs and "chart-emissions.svg" in svgs
    marker = json.loads((out / ".megacluster-run.json").read_text())
    assert set(svgs) <= set(marker["files"])  # each image is listed: replaced only as megacluster's own
    again = CliRunner().invoke(app, [*args, "--force"])
    assert again.exit_code == 0, again.output
