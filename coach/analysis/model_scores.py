"""What the ONNX models add to an offline analysis: the exercise under `--exercise auto`, and an anomaly
score per rep and per gait stride. Models are loaded once per process (they are read-only after loading)."""

from __future__ import annotations

import functools
import logging

import numpy as np

from coach.analysis.track import PoseTrack
from coach.gait.analyze import GaitAnalysis
from coach.gait.engine import Cycle
from coach.ml import ExerciseClassifier, RepAnomalyScorer
from coach.ml.classifier import ClipClassification
from coach.reps.analyze import RepAnalysis

log = logging.getLogger(__name__)


@functools.cache
def _classifier() -> ExerciseClassifier:
    return ExerciseClassifier()


@functools.cache
def _scorer() -> RepAnomalyScorer:
    return RepAnomalyScorer()


def classify(track: PoseTrack) -> ClipClassification | None:
    """The clip's activity from the SMOOTHED track, or None when too little of it shows a person."""
    return _classifier().classify_track(track)


def rep_anomalies(track: PoseTrack, reps: RepAnalysis) -> list[dict | None]:
    """One `anomaly` JSON entry per rep record (None where the rep cannot be scored)."""
    scorer = _scorer()
    if not scorer.supports(reps.exercise):
        return [None] * len(reps.rep_records)
    rows = _rows(track)
    out: list[dict | None] = []
    for rep in reps.rep_records:
        # The whole movement, rest to rest: what the model was trained on.
        first, last = (rows.get(f) for f in rep.motion_span)
        out.append(_score(scorer, reps.exercise, track, first, last))
    return out


def stride_anomalies(track: PoseTrack, gait: GaitAnalysis, time_scale: float) -> list[dict]:
    """One entry per gait cycle: foot, start/end (s, real time) and the `anomaly` JSON."""
    scorer = _scorer()
    if not scorer.supports(gait.activity):
        return []
    out = []
    for cycle in gait.cycles:
        first, last = cycle_rows(track.media_ts, cycle, time_scale)
        anomaly = _score(scorer, gait.activity, track, first, last)
        if anomaly is not None:
            out.append(
                {
                    "foot": cycle.foot.value,
                    "start_s": round(cycle.t0, 4),
                    "end_s": round(cycle.t1, 4),
                    "anomaly": anomaly,
                }
            )
    return out


def cycle_rows(media_ts: np.ndarray, cycle: Cycle, time_scale: float = 1.0) -> tuple[int, int]:
    """(first, last) rows of `media_ts` a gait cycle spans: media time in [t0, t1). Cycle times are real
    seconds (media time / `time_scale`). The live ring buffer selects the same rows
    (`coach.live.models.PoseRing.span_time`), and training cuts strides with this."""
    first = int(np.searchsorted(media_ts, cycle.t0 * time_scale))
    last = int(np.searchsorted(media_ts, cycle.t1 * time_scale)) - 1
    return first, last


def _rows(track: PoseTrack) -> dict[int, int]:
    return {int(f): i for i, f in enumerate(track.frame_index)}


def _score(
    scorer: RepAnomalyScorer, exercise: str, track: PoseTrack, first: int | None, last: int | None
) -> dict | None:
    if first is None or last is None or last - first < 3:
        return None
    result = scorer.score_rep(exercise, track.landmarks, track.world, track.image_size, first, last)
    if not np.isfinite(result.score):
        return None
    return result.to_json()
