"""Efficiency overlays: a user's own calibration of accelerators and networks, laid over the catalog. [-]

An overlay is a TOML file (``megacluster calibrate`` writes one)::

    [accelerators.h100-sxm]
    gemm_efficiency = 0.61
    host_overhead_us = 8.0

    [networks.ib-ndr400]
    scaleout_efficiency = 0.78

    [calibration]          # what was fitted, on which rows, and the errors before and after (informational)

Only the fields it names change; every other value comes from ``catalog/data/efficiency.toml`` and
``networks.toml``. ``estimate``, ``plan``, ``validate`` and ``run`` accept it (``--efficiency FILE``, or
``[performance] efficiency = "FILE"`` in a scenario).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from megacluster.errors import InputError, read_text_file, unknown_choice_message
from megacluster.performance.params import AcceleratorEfficiency, Network, efficiencies, networks

_FIXED = {"id", "name", "source", "default_network"}
ACCELERATOR_FIELDS = tuple(f for f in AcceleratorEfficiency.model_fields if f not in _FIXED)
"""Accelerator fields an overlay may set. [-]"""
NETWORK_FIELDS = tuple(f for f in Network.model_fields if f not in _FIXED)
"""Network fields an overlay may set. [-]"""


class Overlay(BaseModel):
    """Values that replace the catalog's, per accelerator and per network id. [-]"""

    model_config = ConfigDict(frozen=True, extra="forbid")

    accelerators: dict[str, dict[str, Any]] = Field(default_factory=dict)
    networks: dict[str, dict[str, Any]] = Field(default_factory=dict)
    calibration: dict[str, Any] = Field(default_factory=dict)
    file: str | None = None

    def accelerator(self, base: AcceleratorEfficiency) -> AcceleratorEfficiency:
        """The catalog entry with this overlay's values for it. [-]"""
        changes = self.accelerators.get(base.id)
        return base.model_copy(update=changes) if changes else base

    def network(self, base: Network) -> Network:
        """The catalog entry with this overlay's values for it. [-]"""
        changes = self.networks.get(base.id)
        return base.model_copy(update=changes) if changes else base


OVERLAY_HEAD = "# megacluster efficiency overlay (megacluster calibrate); load with --efficiency FILE\n"
"""The first line of every overlay megacluster writes: ``calibrate --force`` replaces only such a file."""


def _checked(
    table: Any, kind: str, known: dict[str, Any], fields: tuple[str, ...], model: type[BaseModel], file: str
) -> dict[str, dict[str, Any]]:
    """One table of an overlay, each entry validated against the catalog model. [-]"""
    if not isinstance(table, dict):
        raise InputError(file, kind, "expected a table of ids")
    out: dict[str, dict[str, Any]] = {}
    for key, entry in table.items():
        if key not in known:
            raise InputError(file, f"{kind}.{key}", unknown_choice_message(kind[:-1], key, known))
        if not isinstance(entry, dict):
            raise InputError(file, f"{kind}.{key}", "expected a table of fields")
        for name in entry:
            if name not in fields:
                raise InputError(
                    file, f"{kind}.{key}.{name}", f"not a calibratable field; valid: {', '.join(fields)}"
                )
        try:
            model.model_validate({**known[key].model_dump(), **entry})
        except ValidationError as exc:
            bad = exc.errors()[0]
            where = ".".join(str(p) for p in bad["loc"])
            raise InputError(file, f"{kind}.{key}.{where}", bad["msg"]) from None
        out[key] = dict(entry)
    return out


def overlay_from_mapping(data: dict[str, Any], file: str = "<overlay>") -> Overlay:
    """A checked overlay from a parsed TOML mapping. [-]"""
    unknown = [k for k in data if k not in ("accelerators", "networks", "calibration")]
    if unknown:
        raise InputError(file, unknown[0], "unknown table; an overlay has [accelerators.ID], [networks.ID]")
    accs = _checked(
        data.get("accelerators", {}),
        "accelerators",
        efficiencies(),
        ACCELERATOR_FIELDS,
        AcceleratorEfficiency,
        file,
    )
    nets = _checked(data.get("networks", {}), "networks", networks(), NETWORK_FIELDS, Network, file)
    calibration = data.get("calibration", {})
    if not isinstance(calibration, dict):
        raise InputError(file, "calibration", "expected a table")
    return Overlay(accelerators=accs, networks=nets, calibration=calibration, file=file)


def load_overlay(path: str | Path | None) -> Overlay | None:
    """Read an overlay TOML file (None: no overlay). [-]"""
    if path is None:
        return None
    p = Path(path)
    try:
        data = tomllib.loads(read_text_file(p, "efficiency overlay (TOML)"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(str(p), None, f"not valid TOML: {exc}") from None
    except RecursionError:
        raise InputError(str(p), None, "nested too deeply for an efficiency overlay") from None
    return overlay_from_mapping(data, str(p))


def overlay_to_toml(overlay: Overlay) -> str:
    """The TOML text of an overlay (what `load_overlay` reads back). [-]"""
    import tomli_w

    data: dict[str, Any] = {}
    if overlay.accelerators:
        data["accelerators"] = overlay.accelerators
    if overlay.networks:
        data["networks"] = overlay.networks
    if overlay.calibration:
        data["calibration"] = overlay.calibration
    return OVERLAY_HEAD + tomli_w.dumps(data)
