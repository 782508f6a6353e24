"""The run's story in plain words for the report and the dashboard — the same sentences as the terminal
(``summary.power_story.lines`` and :func:`megacluster.results.text.training_lines`), plus a one-line
outcome to lead with."""

from __future__ import annotations

from dataclasses import dataclass

from megacluster.results.summary import Summary
from megacluster.results.text import training_lines


@dataclass(frozen=True)
class Story:
    """The outcome line and the story's paragraphs, each a list of sentences."""

    outcome: str
    power: tuple[str, ...]
    training: tuple[str, ...]


def outcome_line(summary: Summary) -> str:
    """``Training finished: yes (on 2025-02-28, day 242.8 of 300)`` or ``…: no (…)``; without a training
    run, the power outcome. [-]"""
    t = summary.training
    horizon = f"{summary.horizon_days:g}"
    if t is None:
        f = summary.power_story
        if f.short_hours > 0:
            return f"No training run; power was short for {f.short_hours:,.0f} h of the {horizon} days."
        return f"No training run; the supply ran every installed GPU for all {horizon} days."
    if t.finished and t.finish_day is not None:
        band = ""
        if summary.replicas > 1 and t.finish_date_p10 and t.finish_date_p90:
            band = f"; P10–P90 {t.finish_date_p10} – {t.finish_date_p90}, {summary.replicas} replicas"
        return f"Training finished: yes (on {t.finish_date}, day {t.finish_day:.1f} of {horizon}{band})"
    done = t.completed_flop / t.target_flop if t.target_flop else 0.0
    return (
        f"Training finished: no ({done:.0%} of the {t.target_flop:.3g} FLOP target by the end of the "
        f"{horizon}-day horizon)"
    )


def run_story(summary: Summary) -> Story:
    """The outcome, the power story and the training story of a run, as the terminal tells them. [-]"""
    training = tuple(training_lines(summary.training, summary.replicas)) if summary.training else ()
    return Story(outcome=outcome_line(summary), power=tuple(summary.power_story.lines), training=training)
