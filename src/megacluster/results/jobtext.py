"""The training job's layout, restarts and power modes in plain words (terminal and report)."""

from __future__ import annotations

from megacluster.results.summary import TrainingSummary


def layout_lines(t: TrainingSummary) -> list[str]:
    """Restarts and what they cost, the job's modes, and what the power policy chose."""
    lines = []
    rt = t.restart_time_s
    if rt is not None and t.restarts:
        if rt.fixed:
            parts = f"restart_s {rt.fixed:,.0f} s each (one number)"
        else:
            parts = (
                f"detect {rt.detect:,.0f} + reschedule {rt.reschedule:,.0f} + init {rt.init:,.0f} + load "
                f"{rt.load:,.0f} + warm-up {rt.warmup:,.0f} + re-shard {rt.reshard:,.0f}"
            )
        lines.append(
            f"Restarts: {t.restarts:,} ({t.resizes:,} changed the replica count; {t.power_stops:,} "
            "after power "
            f"stops, {t.grow_restarts:,} to grow), {rt.mean / 60:.1f} min on average: {parts} s."
        )
    lost = t.lost_hours_by_cause
    if lost is not None:
        lines.append(
            f"Lost hours by cause: rework {lost.rework:,.0f}, restarts {lost.restart:,.0f}, re-shards "
            f"{lost.reshard:,.0f}, power stops {lost.power:,.0f}, repairs {lost.repairs:,.0f}."
        )
    mode = t.hours_by_mode
    if mode is not None:
        lines.append(
            f"Hours by mode: full {mode.full:,.0f}, capped {mode.capped:,.0f}, reduced {mode.reduced:,.0f}, "
            f"stopped {mode.stopped:,.0f}."
        )
    pc = t.power_choice
    if pc is not None and pc.hours_short > 0:
        lines.append(
            f"Power policy '{pc.policy}' (caps to {pc.target_cap_fraction:.0%} of TDP on average "
            "before idling "
            "blocks) "
            f"over {pc.hours_short:,.0f} h short of power: {pc.gain_vs_cap_first:+.1%} throughput vs "
            f"'cap_first', {pc.gain_vs_idle_first:+.1%} vs 'idle_first'."
        )
    return lines
