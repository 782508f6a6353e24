"""Calibrate one accelerator's and one network's efficiency parameters to a team's own measured runs. [-]

``megacluster calibrate --runs MY_RUNS.csv`` reads runs in the published-runs format, keeps those on one
accelerator (and one network), measures how each efficiency parameter moves the predicted step times (the
sensitivity of log step time to log parameter, by finite differences), keeps the parameters the rows can
identify (pivoted QR of that sensitivity matrix: no parameter the rows do not move, none that only repeats
another), at most one fewer than the rows, fits them with bounded least squares on log(predicted / measured)
(``scipy.optimize.least_squares``), reports the leave-one-out error before and after, and writes an overlay
(``performance.overlay``) that every command accepts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from megacluster.errors import InputError
from megacluster.performance.estimator import best_index, candidate_layouts, execution
from megacluster.performance.layout import Execution, Layout
from megacluster.performance.overlay import Overlay
from megacluster.performance.params import efficiencies, hardware, networks
from megacluster.performance.spec import Geometry, TrainingSpec, geometry
from megacluster.performance.step_time import evaluate

BOUNDS: dict[str, tuple[str, float, float]] = {
    "gemm_efficiency": ("accelerator", 0.15, 0.98),
    "fp8_gemm_efficiency": ("accelerator", 0.15, 0.98),
    "hbm_efficiency": ("accelerator", 0.3, 1.0),
    "kernel_overhead_us": ("accelerator", 0.1, 50.0),
    "host_overhead_us": ("accelerator", 0.1, 100.0),
    "overlap_slowdown": ("accelerator", 0.01, 0.9),
    "scaleout_efficiency": ("network", 0.1, 1.0),
    "scaleup_efficiency": ("network", 0.1, 1.0),
    "alltoall_efficiency": ("network", 0.05, 1.0),
    "scaleout_latency_us": ("network", 0.1, 200.0),
}
"""Parameters calibrate may fit: (accelerator or network, lower bound, upper bound) in their own units. [-]
[A] Bounds wide enough for any real system (efficiencies as fractions of peak or line rate, overheads in us)
and away from zero so that logarithms stay finite."""

SENSITIVITY_STEP = 0.02
"""Relative change of a parameter to measure its effect on the step times. [-] [A] 2 %: larger than the
model's floating-point noise, small enough to stay local."""
IDENTIFIABLE = 1e-3
"""Smallest response a parameter must cause, as a change of log step time per change of log parameter on some
row, and the smallest diagonal of the pivoted QR relative to its first, for a parameter to count as
identifiable. [-] [A] a 1 % parameter change moving no step by 0.001 %, or a direction the kept parameters
already explain to 0.1 %, cannot be fitted from these rows."""


@dataclass(frozen=True)
class _Row:
    """A run prepared once: its shape, candidate layouts and execution; only the hardware changes."""

    spec: TrainingSpec
    g: Geometry
    lay: Layout
    ex: Execution


@dataclass
class Calibration:
    """The outcome of a calibration: what was fitted, its values, and the errors before and after. [-]"""

    accelerator: str
    network: str
    rows: list[str]
    fitted: dict[str, float]
    defaults: dict[str, float]
    unidentifiable: list[str]
    too_few_rows: list[str]
    sensitivity: dict[str, float]
    error_before: list[float]
    error_after_fit: list[float]
    error_loo: list[float] = field(default_factory=list)

    def overlay(self, runs_file: str) -> Overlay:
        """The overlay that applies the fitted values. [-]"""
        acc = {k: v for k, v in self.fitted.items() if BOUNDS[k][0] == "accelerator"}
        net = {k: v for k, v in self.fitted.items() if BOUNDS[k][0] == "network"}
        return Overlay(
            accelerators={self.accelerator: acc} if acc else {},
            networks={self.network: net} if net else {},
            calibration=self.summary(runs_file),
        )

    def summary(self, runs_file: str) -> dict[str, Any]:
        """Plain figures of the calibration (TOML- and JSON-ready). [-]"""
        med = lambda xs: float(np.median(np.abs(xs))) if xs else 0.0  # noqa: E731
        top = lambda xs: float(np.max(np.abs(xs))) if xs else 0.0  # noqa: E731
        return {
            "runs": runs_file,
            "accelerator": self.accelerator,
            "network": self.network,
            "rows": self.rows,
            "fitted": sorted(self.fitted),
            "defaults": self.defaults,
            "unidentifiable": self.unidentifiable,
            "identifiable_but_not_fitted": self.too_few_rows,
            "sensitivity": self.sensitivity,
            "median_abs_error_before": med(self.error_before),
            "max_abs_error_before": top(self.error_before),
            "median_abs_error_fit": med(self.error_after_fit),
            "median_abs_error_loo_after": med(self.error_loo),
            "max_abs_error_loo_after": top(self.error_loo),
        }


def _prepare(specs: Sequence[TrainingSpec]) -> list[_Row]:
    """Shapes, candidate layouts and executions of the runs (independent of the efficiencies). [-]"""
    rows = []
    for spec in specs:
        hw = hardware(spec.gpu, spec.network, None, spec.scaleout_gb_s_per_gpu)
        lay, _ = candidate_layouts(spec, hw)
        rows.append(_Row(spec=spec, g=geometry(spec), lay=lay, ex=execution(spec)))
    return rows


def _predict(rows: Sequence[_Row], overlay: Overlay | None) -> NDArray[np.float64]:
    """Predicted step time of every row under an overlay (the fastest fitting choice of blank knobs). [s]"""
    out = np.empty(len(rows))
    for i, r in enumerate(rows):
        hw = hardware(r.spec.gpu, r.spec.network, None, r.spec.scaleout_gb_s_per_gpu, overlay)
        res = evaluate(r.g, hw, r.lay, r.ex.precision, r.ex)
        out[i] = res["step_time_s"][best_index(res)]
    return out


def _overlay_for(acc: str, net: str, values: dict[str, float]) -> Overlay:
    """An overlay setting ``values`` on one accelerator and one network. [-]"""
    a = {k: v for k, v in values.items() if BOUNDS[k][0] == "accelerator"}
    n = {k: v for k, v in values.items() if BOUNDS[k][0] == "network"}
    return Overlay(accelerators={acc: a} if a else {}, networks={net: n} if n else {})


def defaults_of(acc: str, net: str) -> dict[str, float]:
    """The catalog's value of every calibratable parameter (the model's default where the catalog is
    silent). [-]"""
    hw = hardware(acc, net)
    return {
        "gemm_efficiency": hw.gemm_efficiency,
        "fp8_gemm_efficiency": hw.fp8_gemm_efficiency,
        "hbm_efficiency": hw.hbm_efficiency,
        "kernel_overhead_us": hw.kernel_overhead_s * 1e6,
        "host_overhead_us": hw.host_overhead_s * 1e6,
        "overlap_slowdown": hw.overlap_slowdown,
        "scaleout_efficiency": hw.scaleout_efficiency,
        "scaleup_efficiency": hw.scaleup_efficiency,
        "alltoall_efficiency": hw.alltoall_efficiency,
        "scaleout_latency_us": hw.scaleout_latency_s * 1e6,
    }


def sensitivity(rows: Sequence[_Row], acc: str, net: str, names: Sequence[str]) -> NDArray[np.float64]:
    """d log(step time) / d log(parameter) for every row (rows x names), by a forward difference. [-]"""
    base_values = defaults_of(acc, net)
    base = np.log(_predict(rows, None))
    cols = []
    for name in names:
        lo, hi = BOUNDS[name][1:]
        value = base_values[name]
        step = value * SENSITIVITY_STEP if value * (1 + SENSITIVITY_STEP) <= hi else -value * SENSITIVITY_STEP
        moved = np.log(_predict(rows, _overlay_for(acc, net, {name: max(value + step, lo)})))
        cols.append((moved - base) / np.log1p(step / value))
    return np.column_stack(cols) if cols else np.zeros((len(rows), 0))


def choose_parameters(
    jac: NDArray[np.float64], names: Sequence[str], limit: int
) -> tuple[list[str], list[str], list[str]]:
    """(parameters to fit, parameters the rows cannot identify, identifiable ones left out for want of
    rows): pivoted QR of the sensitivity matrix keeps the most informative parameters whose direction is not
    already explained by those kept, at most ``limit``. [-]"""
    from scipy.linalg import qr  # type: ignore[import-untyped]

    moving = [i for i in range(jac.shape[1]) if np.max(np.abs(jac[:, i])) > IDENTIFIABLE]
    dead = [names[i] for i in range(jac.shape[1]) if i not in moving]
    if not moving:
        return [], dead, []
    _, r, piv = qr(jac[:, moving], mode="economic", pivoting=True)
    diag = np.abs(np.diag(r))
    ok = [k < len(diag) and diag[k] > IDENTIFIABLE * diag[0] for k in range(len(piv))]
    keep = [names[moving[p]] for k, p in enumerate(piv) if ok[k]]
    collinear = [names[moving[p]] for k, p in enumerate(piv) if not ok[k]]
    return keep[:limit], dead + collinear, keep[limit:]


def fit(
    rows: Sequence[_Row], acc: str, net: str, names: Sequence[str], start: dict[str, float]
) -> dict[str, float]:
    """Bounded least squares of log(predicted / measured) over the rows for the named parameters, in log
    space from ``start``. [units of each parameter]"""
    from scipy.optimize import least_squares  # type: ignore[import-untyped]

    if not names:
        return {}
    measured = np.log([float(r.spec.measured_step_time_s or 0.0) for r in rows])
    lo = np.log([BOUNDS[n][1] for n in names])
    hi = np.log([BOUNDS[n][2] for n in names])
    x0 = np.clip(np.log([start[n] for n in names]), lo + 1e-9, hi - 1e-9)

    def residuals(x: NDArray[np.float64]) -> NDArray[np.float64]:
        values = dict(zip(names, np.exp(x), strict=True))
        return np.log(_predict(rows, _overlay_for(acc, net, values))) - measured

    result = least_squares(residuals, x0, bounds=(lo, hi), method="trf", diff_step=SENSITIVITY_STEP / 4)
    return {n: float(v) for n, v in zip(names, np.exp(result.x), strict=True)}


def select_rows(
    specs: Sequence[TrainingSpec], accelerator: str | None, network: str | None, file: str
) -> tuple[list[TrainingSpec], str, str]:
    """The runs of one accelerator and one network (named, or the only one in the file). [-]"""
    accs = sorted({s.gpu for s in specs})
    if accelerator is None:
        if len(accs) > 1:
            raise InputError(file, "--accelerator", f"the runs use {', '.join(accs)}; name one")
        accelerator = accs[0]
    if accelerator not in efficiencies():
        raise InputError(file, "--accelerator", f"'{accelerator}' has no efficiency entry in the catalog")
    mine = [s for s in specs if s.gpu == accelerator]
    if not mine:
        raise InputError(
            file, "--accelerator", f"no run uses '{accelerator}'; the runs use {', '.join(accs)}"
        )
    nets = sorted({s.network or efficiencies()[accelerator].default_network for s in mine})
    if network is None:
        if len(nets) > 1:
            raise InputError(file, "--network", f"the {accelerator} runs use {', '.join(nets)}; name one")
        network = nets[0]
    if network not in networks():
        raise InputError(file, "--network", f"unknown network '{network}'")
    mine = [s for s in mine if (s.network or efficiencies()[accelerator].default_network) == network]
    if not mine:
        raise InputError(file, "--network", f"no {accelerator} run is on '{network}'")
    return mine, accelerator, network


def calibrate(
    specs: Sequence[TrainingSpec],
    accelerator: str | None = None,
    network: str | None = None,
    params: Sequence[str] | None = None,
    file: str = "<runs>",
    leave_one_out: bool = True,
) -> Calibration:
    """Fit the efficiency parameters the runs identify (or those named) to their measured step times. [-]"""
    mine, acc, net = select_rows(specs, accelerator, network, file)
    names = list(params) if params else list(BOUNDS)
    unknown = [n for n in names if n not in BOUNDS]
    if unknown:
        raise InputError(file, "--params", f"'{unknown[0]}' is not calibratable; valid: {', '.join(BOUNDS)}")
    limit = len(mine) - 1  # one degree of freedom left to check the fit
    if limit < 1:
        raise InputError(
            file, "--runs", f"one run on {acc}/{net} cannot calibrate anything; give at least two"
        )
    if params and len(names) > limit:
        raise InputError(
            file,
            "--params",
            f"{len(mine)} runs support at most {limit} fitted parameter(s) (one degree of freedom is kept "
            f"to check the fit); asked for {len(names)}",
        )
    rows = _prepare(mine)
    jac = sensitivity(rows, acc, net, names)
    # asked for: as many as the rows support; chosen here: at most one per two rows, against over-fitting
    chosen, unidentifiable, too_few = choose_parameters(
        jac, names, limit if params else max(len(mine) // 2, 1)
    )
    if params and unidentifiable:
        raise InputError(file, "--params", f"these runs cannot identify {', '.join(unidentifiable)}")
    defaults = defaults_of(acc, net)
    measured = np.array([float(s.measured_step_time_s or 0.0) for s in mine])
    before = _predict(rows, None) / measured - 1.0
    fitted = fit(rows, acc, net, chosen, defaults)
    after = _predict(rows, _overlay_for(acc, net, fitted)) / measured - 1.0 if fitted else before
    loo: list[float] = []
    if leave_one_out and chosen:
        for i in range(len(rows)):
            rest = [r for j, r in enumerate(rows) if j != i]
            values = fit(rest, acc, net, chosen, fitted)
            pred = _predict([rows[i]], _overlay_for(acc, net, values))[0]
            loo.append(float(pred / measured[i] - 1.0))
    return Calibration(
        accelerator=acc,
        network=net,
        rows=[s.id for s in mine],
        fitted=fitted,
        defaults={n: defaults[n] for n in chosen},
        unidentifiable=unidentifiable,
        too_few_rows=too_few,
        sensitivity={n: float(np.max(np.abs(jac[:, i]))) for i, n in enumerate(names)},
        error_before=[float(x) for x in before],
        error_after_fit=[float(x) for x in after],
        error_loo=loo,
    )
