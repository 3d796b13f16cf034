"""Trend metrics: one number per session, for plotting progress across sessions.

A rep metric's per-session value is the mean and median over that session's FULL reps (partial reps are
excluded: a half-depth attempt would pull the depth trend down without the athlete getting worse).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TREND_METRICS", "TrendMetric", "TrendPoint"]


@dataclass(frozen=True, slots=True)
class TrendMetric:
    """What a `--metric` name reads: a `reps` column, or a `gait_summaries` column (one value per session)."""

    name: str
    table: str  # "reps" or "gait_summaries"
    column: str
    label: str  # axis label, with unit


TREND_METRICS: dict[str, TrendMetric] = {
    "depth": TrendMetric("depth", "reps", "depth", "depth (the exercise's depth measure)"),
    "tempo": TrendMetric("tempo", "reps", "duration_s", "rep duration (s)"),
    "anomaly": TrendMetric("anomaly", "reps", "anomaly_score", "anomaly score"),
    "cadence": TrendMetric("cadence", "gait_summaries", "cadence_spm", "cadence (steps/min)"),
}


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """One session's value of a trend metric. For gait metrics mean == median and n is the step count."""

    session_id: str
    created: str
    athlete: str | None
    exercise: str | None
    mean: float
    median: float
    n: int
