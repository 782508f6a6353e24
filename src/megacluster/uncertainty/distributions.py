"""What a scenario may write in place of a number: a distribution, truncated to the field's bounds.

``{ dist = "lognormal", p10 = 150, p90 = 1800 }`` (also ``normal`` by P10/P90, ``uniform``, ``triangular``,
``choice``). Every distribution maps a uniform number u in [0, 1) to a value through its quantile function,
restricted to the field's own bounds (a truncated distribution): Latin-hypercube u's give stratified values.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Annotated, Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import Field, model_validator
from scipy import stats  # type: ignore[import-untyped]

from megacluster.units import Frozen

Z90 = float(stats.norm.ppf(0.9))
"""[D] Standard-normal quantile at 0.9 (1.2816): P10 and P90 lie Z90 sigmas off the median. [-]"""

NEGLIGIBLE = 1e-9
"""Probability beyond a field's bound below which the truncation is left out (medians stay exact). [-]"""

ChoiceValue = float | dt.date | str
"""One value a ``choice`` may take: a number, a date, or a name (ordered as given when not comparable)."""


class _Dist(Frozen):
    source: str = Field(default="", max_length=500, description="Where the range comes from, or why [-]")


class LogNormal(_Dist):
    """Log-normal given by its 10th and 90th percentiles (median = sqrt(P10 x P90))."""

    dist: Literal["lognormal"]
    p10: float = Field(gt=0, description="10th percentile [field's unit]")
    p90: float = Field(gt=0, description="90th percentile [field's unit]")

    @model_validator(mode="after")
    def _order(self) -> LogNormal:
        if self.p90 <= self.p10:
            raise ValueError("p90 must be greater than p10")
        return self

    def frozen(self) -> Any:
        """The scipy distribution. [-]"""
        sigma = np.log(self.p90 / self.p10) / (2.0 * Z90)
        return stats.lognorm(s=sigma, scale=float(np.sqrt(self.p10 * self.p90)))


class Normal(_Dist):
    """Normal given by its 10th and 90th percentiles (truncated to the field's bounds)."""

    dist: Literal["normal"]
    p10: float = Field(description="10th percentile [field's unit]")
    p90: float = Field(description="90th percentile [field's unit]")

    @model_validator(mode="after")
    def _order(self) -> Normal:
        if self.p90 <= self.p10:
            raise ValueError("p90 must be greater than p10")
        return self

    def frozen(self) -> Any:
        """The scipy distribution. [-]"""
        return stats.norm(loc=(self.p10 + self.p90) / 2.0, scale=(self.p90 - self.p10) / (2.0 * Z90))


class Uniform(_Dist):
    """Uniform between low and high."""

    dist: Literal["uniform"]
    low: float = Field(description="Lowest value [field's unit]")
    high: float = Field(description="Highest value [field's unit]")

    @model_validator(mode="after")
    def _order(self) -> Uniform:
        if self.high <= self.low:
            raise ValueError("high must be greater than low")
        return self

    def frozen(self) -> Any:
        """The scipy distribution. [-]"""
        return stats.uniform(loc=self.low, scale=self.high - self.low)


class Triangular(_Dist):
    """Triangular between low and high, most likely at mode."""

    dist: Literal["triangular"]
    low: float = Field(description="Lowest value [field's unit]")
    mode: float = Field(description="Most likely value [field's unit]")
    high: float = Field(description="Highest value [field's unit]")

    @model_validator(mode="after")
    def _order(self) -> Triangular:
        if not self.low <= self.mode <= self.high or self.high <= self.low:
            raise ValueError("need low <= mode <= high and low < high")
        return self

    def frozen(self) -> Any:
        """The scipy distribution. [-]"""
        width = self.high - self.low
        return stats.triang(c=(self.mode - self.low) / width, loc=self.low, scale=width)


class Choice(_Dist):
    """One of a few values (e.g. grid dates), equally likely unless weighted."""

    dist: Literal["choice"]
    values: tuple[ChoiceValue, ...] = Field(min_length=1, max_length=1000, description="The values [-]")
    weights: tuple[float, ...] | None = Field(
        default=None, description="Relative weights (default equal) [-]"
    )

    @model_validator(mode="after")
    def _weights(self) -> Choice:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError("weights must have one entry per value")
            if min(self.weights) < 0 or sum(self.weights) <= 0:
                raise ValueError("weights must be >= 0 with a positive sum")
        return self

    def ordered(self) -> tuple[list[ChoiceValue], npt.NDArray[np.float64]]:
        """The values in ascending order (as given when not comparable), their cumulative probability. [-]"""
        weights = np.asarray(self.weights if self.weights is not None else [1.0] * len(self.values), float)
        order = list(range(len(self.values)))
        with contextlib.suppress(TypeError):  # mixed kinds: keep the given order
            order.sort(key=lambda i: self.values[i])
        cum = np.cumsum(weights[order]) / weights.sum()
        return [self.values[i] for i in order], cum

    def at(self, u: npt.ArrayLike) -> list[ChoiceValue]:
        """The value at each quantile u in [0, 1). [-]"""
        values, cum = self.ordered()
        idx = np.searchsorted(cum, np.asarray(u, float), side="right")
        return [values[min(int(i), len(values) - 1)] for i in np.atleast_1d(idx)]


Continuous = LogNormal | Normal | Uniform | Triangular
Distribution = Annotated[Continuous | Choice, Field(discriminator="dist")]
DIST_NAMES = ("lognormal", "normal", "uniform", "triangular", "choice")


def quantiles(
    dist: Continuous, u: npt.ArrayLike, low: float = -np.inf, high: float = np.inf
) -> npt.NDArray[np.float64]:
    """Values at quantiles u in [0, 1) of ``dist`` truncated to [low, high], the field's bounds. [unit]"""
    frozen = dist.frozen()
    a, b = float(frozen.cdf(low)), float(frozen.cdf(high))
    a = 0.0 if a < NEGLIGIBLE else a  # a bound in the far tail cuts nothing: keep the exact quantiles
    b = 1.0 if b > 1.0 - NEGLIGIBLE else b
    if b - a <= 1e-12:
        raise ValueError(f"the distribution has no mass inside the field's bounds [{low:g}, {high:g}]")
    x = frozen.ppf(a + np.asarray(u, float) * (b - a))
    return np.clip(np.asarray(x, float), low, high)


def median_of(dist: Continuous | Choice, low: float = -np.inf, high: float = np.inf) -> Any:
    """The median value (the ``--fixed`` run uses it): of the truncated distribution, or the weighted
    median choice. [field's unit]"""
    if isinstance(dist, Choice):
        return dist.at([0.5])[0]
    return float(quantiles(dist, [0.5], low, high)[0])


def spread_of(dist: Continuous | Choice, low: float = -np.inf, high: float = np.inf) -> tuple[Any, Any]:
    """The P10 and P90 values (as drawn, after truncation). [field's unit]"""
    if isinstance(dist, Choice):
        p10, p90 = dist.at([0.1, 0.9])
        return p10, p90
    p10, p90 = quantiles(dist, [0.1, 0.9], low, high)
    return float(p10), float(p90)
