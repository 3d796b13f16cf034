"""Gait evaluation over a labels file (`coach eval gait LABELS.json`).

The pose pipeline is injected as `track_loader(video_path) -> PoseTrack`, so the CLI runs the real pipeline
while development and tests can replay cached poses. Expected values come from the labels file only.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from coach.activities import GAIT_ACTIVITIES
from coach.analysis.track import PoseTrack
from coach.gait.analyze import GaitAnalysis, _alternates, analyze_gait

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GaitEvalRow:
    clip: str
    activity: str
    fps: float
    cadence_spm: float
    cadence_label: float | None
    contact_ms: float
    duty_factor_pct: float
    steps: int
    alternation_ok: bool
    confidence: str = "ok"
    warnings: tuple[str, ...] = ()

    @property
    def cadence_error(self) -> float | None:
        if self.cadence_label is None:
            return None
        return self.cadence_spm - self.cadence_label


def alternates(analysis: GaitAnalysis, max_step_ratio: float = 1.6) -> bool:
    """True when every two contacts less than `max_step_ratio` median steps apart are on different feet."""
    return _alternates(analysis.events, max_step_ratio)


def evaluate_gait(
    labels_path: Path,
    track_loader: Callable[[Path], PoseTrack],
    *,
    time_scales: dict[str, float] | None = None,
) -> list[GaitEvalRow]:
    """Analyse every running/walking clip of `labels_path` ; `time_scales`: file -> factor."""
    data = json.loads(Path(labels_path).read_text())
    rows = []
    for entry in data["videos"]:
        activity = entry.get("movement")
        if activity not in GAIT_ACTIVITIES:
            continue
        video = Path(labels_path).parent / entry["file"]
        track = track_loader(video)
        a = analyze_gait(track, activity, time_scale=(time_scales or {}).get(entry["file"], 1.0))
        fps = (
            (len(track) - 1) / float(track.media_ts[-1] - track.media_ts[0])
            if len(track) > 1
            else math.nan
        )
        rows.append(
            GaitEvalRow(
                clip=video.stem,
                activity=activity,
                fps=fps,
                cadence_spm=a.cadence_spm,
                cadence_label=entry.get("cadence_spm"),
                contact_ms=a.metrics["ground_contact_time"].median,
                duty_factor_pct=a.metrics["duty_factor"].median,
                steps=a.steps,
                alternation_ok=alternates(a),
                confidence=a.quality.confidence,
                warnings=a.quality.warnings,
            )
        )
        log.info("evaluated %s: %.1f spm", video.name, a.cadence_spm)
    return rows


def format_table(rows: list[GaitEvalRow]) -> str:
    """A fixed-width text table, one line per clip."""

    def f(x: float | None, fmt: str) -> str:
        return "-" if x is None or not math.isfinite(x) else format(x, fmt)

    head = f"{'clip':<48} {'fps':>6} {'spm':>7} {'label':>7} {'contact ms':>10} {'duty %':>7} {'steps':>5} "
    head += "alternation confidence"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r.clip:<48} {f(r.fps, '.2f'):>6} {f(r.cadence_spm, '.1f'):>7} {f(r.cadence_label, '.1f'):>7} "
            f"{f(r.contact_ms, '.0f'):>10} {f(r.duty_factor_pct, '.1f'):>7} {r.steps:>5} "
            f"{'ok' if r.alternation_ok else 'NO':<11} {r.confidence}"
        )
        lines += [f"    ! {w}" for w in r.warnings]
    return "\n".join(lines)
