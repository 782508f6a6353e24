"""The power swings in plain words, from the summary's ``swings`` block (for ``run``'s text, the ``swings``
command and the report)."""

from __future__ import annotations

from megacluster.transients.summary import SwingsSummary, WindowSummary

TRIP_FRACTION = 0.05
"""Beyond a 5 % frequency deviation the units' protection would trip and a linear one-machine model no longer
holds; deviations beyond it are reported as such. [-]"""

REGIME_WORDS = {
    "training": "training",
    "capped": "capped training",
    "island": "training on islanded generators",
    "failure_restart": "failure and restart",
    "island_failure_restart": "failure and restart on the island",
    "no_job": "no job",
}
"""Readable names of the regimes."""


def _window(s: SwingsSummary, regime: str) -> WindowSummary | None:
    return next((w for w in s.windows if w.regime == regime), None)


def _deviation_text(hz: float, nominal_hz: float) -> str:
    if hz > TRIP_FRACTION * nominal_hz:
        return (
            f"more than {TRIP_FRACTION:.0%} of {nominal_hz:g} Hz (the units would trip; the linear model no "
            "longer holds)"
        )
    return f"{hz:.2f} Hz"


def swing_lines(s: SwingsSummary) -> list[str]:
    """The swings paragraph: amplitude and period, ramps, what the mitigations leave, hours and limits."""
    base = _window(s, "training") or _window(s, "capped") or s.windows[0]
    u = base.unmitigated
    freq = f"{1.0 / base.iteration_s:.2f} Hz" if base.iteration_s > 0 else "-"
    lines = [
        f"The {base.job_gpus:,}-GPU job swings the campus by {u.swing_mw:,.1f} MW peak to peak "
        f"({u.swing_share_of_job_peak:.0%} of its {base.job_peak_mw:,.0f} MW of servers) every "
        f"{base.iteration_s:.2f} s ({freq}) in {REGIME_WORDS[base.regime]}; ramps reach "
        f"{u.ramp_max_mw_per_s:,.0f} MW/s between {s.resolution_s * 1000:g}-ms samples and "
        f"{u.ramp_1s_mw_per_s:,.1f} MW/s on 1-s means."
    ]
    failure = _window(s, "failure_restart")
    if failure is not None:
        f = failure.unmitigated
        ramp = max(f.ramp_up_1min_mw_per_min, f.ramp_down_1min_mw_per_min)
        lines.append(
            f"A failure and restart moves the 1-min mean by {ramp:,.1f} MW/min "
            f"({s.interruptions_per_day:.1f} interruptions a day); checkpoints stall it "
            f"{s.checkpoints_per_day:,.0f} times a day."
        )
    if s.mitigations:
        m = base.mitigated
        lines.append(
            f"With {', '.join(s.mitigations)}: the supply sees {m.swing_mw:,.1f} MW peak to peak "
            f"({m.swing_1s_mw:,.1f} MW on 1-s means, against {u.swing_1s_mw:,.1f}), "
            f"{m.ramp_1s_mw_per_s:,.1f} MW/s on 1-s means (against {u.ramp_1s_mw_per_s:,.1f}), "
            f"{m.ramp_max_mw_per_s:,.0f} MW/s between samples, {m.band_rms_mw:,.1f} MW RMS in the band "
            f"(against {u.band_rms_mw:,.1f})" + _overhead(s, base) + "."
        )
    if s.battery_cycles_per_day is not None:
        life = (
            f"; its cycle life would last {s.battery_years_to_cycle_life:,.0f} years at this use alone"
            if s.battery_years_to_cycle_life is not None
            else ""
        )
        lines.append(
            f"The smoothing battery cycles {s.battery_cycles_per_day:.2f} times a day over the run "
            f"({s.battery_throughput_mwh_per_day or 0.0:,.0f} MWh a day){life}."
        )
    lines += _island_lines(s, s.nominal_frequency_hz)
    hours = ", ".join(f"{REGIME_WORDS.get(k, k)} {v:,.0f} h" for k, v in s.hours.items() if v >= 0.5)
    lines.append(f"Hours by regime: {hours}.")
    lines += _limit_lines(s)
    return lines


def _overhead(s: SwingsSummary, w: WindowSummary) -> str:
    """The floor's and ramp limits' energy and throttling, where they act. [-]"""
    if not {"gpu_floor", "gpu_ramp_limits"} & set(s.mitigations):
        return ""
    return (
        f"; the floor and ramp limits add {w.energy_overhead_fraction:.1%} to the energy and withhold "
        f"{w.throttled_fraction:.2%} of the GPUs' energy"
    )


def _island_lines(s: SwingsSummary, nominal_hz: float) -> list[str]:
    out = []
    for w in s.windows:
        isl = w.island
        if isl is None:
            continue
        step = (
            f"a {isl.largest_step_fraction:.0%} load step within 1 s exceeds the "
            f"{isl.step_limit_fraction:.0%} the units accept"
            if isl.step_limit_exceeded
            else f"load steps stay within the {isl.step_limit_fraction:.0%} the units accept"
        )
        out.append(
            f"Island ({REGIME_WORDS[w.regime]}, {isl.online_mw:,.0f} MW of generators carrying "
            f"{isl.share:.0%}, H {isl.inertia_h_s:g} s): frequency deviation "
            f"{_deviation_text(isl.max_deviation_hz, nominal_hz)} against a {isl.deviation_limit_hz:.2f} Hz "
            f"limit; {step}."
        )
    return out


def _limit_lines(s: SwingsSummary) -> list[str]:
    if s.limits_met is None:
        return []
    if s.limits_met:
        return ["The grid-facing draw meets every stated limit in every window."]
    misses = [
        f"{item.name} {item.value:,.1f} > {item.limit:g} {item.unit} ({REGIME_WORDS.get(w.regime, w.regime)})"
        for w in s.windows
        for item in (w.limits or ())
        if not item.passed
    ]
    return [f"Stated limits exceeded: {'; '.join(misses)}."]
