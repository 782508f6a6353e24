"""The uncertain assumptions of a run in its summary: what was sampled, and what drives the finish date."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SampledAssumption(_Record):
    """One uncertain field: its distribution and the P10/P50/P90 of the values the replicas drew."""

    field: str = Field(description="Dotted scenario field")
    dist: str = Field(description="lognormal, normal, uniform, triangular or choice")
    source: str = Field(default="", description="Where the range comes from, or why")
    p10: float | str = Field(description="10th percentile of the drawn values [field's unit]")
    p50: float | str = Field(description="Median of the drawn values [field's unit]")
    p90: float | str = Field(description="90th percentile of the drawn values [field's unit]")


class FinishDriver(_Record):
    """An uncertain field's hold on the finish date across the replicas."""

    field: str = Field(description="Dotted scenario field")
    rho: float = Field(description="Spearman rank correlation of the field with the finish day [-]")
    share: float = Field(description="rho² over the sum of all fields' rho²: a rough share of the spread [-]")


class UncertaintySummary(_Record):
    """What the replicas sampled (Latin hypercube over replicas) and which assumptions drive the finish date.

    The P10-P90 of the run's figures then include both the assumptions' ranges and the random failures."""

    replicas: int = Field(description="Replicas, one Latin-hypercube sample each [-]")
    assumptions: tuple[SampledAssumption, ...] = Field(description="The uncertain fields, as drawn")
    finish_drivers: tuple[FinishDriver, ...] = Field(
        default=(), description="The (up to) three fields that move the finish day most, strongest first"
    )


def _shown(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:.4g}"


def uncertainty_lines(u: UncertaintySummary) -> list[str]:
    """The uncertainty in plain lines: the sampled ranges, then the finish date's drivers. [-]"""
    lines = [
        f"{len(u.assumptions)} uncertain assumptions sampled over {u.replicas} replicas (Latin hypercube):"
    ]
    for a in u.assumptions:
        lines.append(f"  {a.field} ({a.dist}): P10 {_shown(a.p10)}, P50 {_shown(a.p50)}, P90 {_shown(a.p90)}")
    if u.finish_drivers:
        shown = "; ".join(f"{d.field} (rho {d.rho:+.2f}, ~{d.share:.0%})" for d in u.finish_drivers)
        lines.append(f"What drives the finish-date spread: {shown}.")
    return lines
