"""The installed version of megacluster (from the package metadata; a bare source tree says 'unknown')."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def _read() -> str:
    try:
        return version("megacluster")
    except PackageNotFoundError:
        return "unknown"


__version__ = _read()
