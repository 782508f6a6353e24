"""Static images of the charts (PNG, SVG, PDF) for people who put figures in documents, drawn by kaleido (the
optional extra ``megacluster[export]``), which drives a headless Chrome or Chromium.

Offline: kaleido is given the plotly.js of the installed plotly package and no MathJax.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from megacluster.errors import InputError
from megacluster.report.layout import Chart

INSTALL_HINT = "pip install 'megacluster[export]' (or, in a checkout, uv sync --extra export)"
"""How to get kaleido."""

EXPORT_WIDTH_PX = 1200
"""Width of an exported chart (at scale 1; PNG is drawn at scale 2). [px]"""


class ImageFormat(enum.StrEnum):
    """A static image format of the charts."""

    PNG = "png"
    SVG = "svg"
    PDF = "pdf"


def require_kaleido(option: str = "--format") -> Any:
    """The kaleido module; InputError with the install hint when it is missing (checked before any work)."""
    try:
        return importlib.import_module("kaleido")
    except ImportError:
        raise InputError(
            None, option, f"static charts need kaleido, which is not installed: {INSTALL_HINT}"
        ) from None


def export_charts(charts: Sequence[Chart], folder: Path, image_format: ImageFormat) -> list[Path]:
    """Write each chart with a figure as ``folder/<chart id>.<format>``; the files written. The images go
    straight into the output folder (not a sub-folder), so that the output folder's marker lists each of
    them and a file a user adds beside them is never replaced (:mod:`megacluster.results.outdir`). [-]"""
    kaleido = require_kaleido()
    folder.mkdir(parents=True, exist_ok=True)
    jobs = []
    paths = []
    for chart in charts:
        if chart.figure is None:
            continue
        path = folder / f"{chart.id}.{image_format.value}"
        height = chart.figure.layout.height or 400
        opts = {"format": image_format.value, "width": EXPORT_WIDTH_PX, "height": height}
        if image_format is ImageFormat.PNG:
            opts["scale"] = 2
        jobs.append({"fig": chart.figure, "path": str(path), "opts": opts})
        paths.append(path)
    if not jobs:
        return []
    try:
        kaleido.write_fig_from_object_sync(jobs, kopts={"mathjax": False})
    except Exception as exc:  # kaleido's errors (no browser, a browser that fails) have no common base
        raise InputError(
            None,
            "--format",
            f"kaleido could not draw the charts ({type(exc).__name__}: {exc}); it needs Chrome or Chromium: "
            "install one (e.g. apt-get install chromium) or point BROWSER_PATH at it",
        ) from None
    for path in paths:
        path.chmod(0o644)
    return paths
