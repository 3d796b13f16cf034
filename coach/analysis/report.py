"""The JSON document `coach analyze --json` prints (schema 1). Keys are stable: later features fill values.

    {"schema": 1, "video": str, "fps": float, "frames": int, "frames_with_pose": int,
     "exercise": str | null, "exercise_confidence": float | null,
     "view": "front" | "side" | "oblique" | "unknown",
     "reps": int | null, "partial_reps": int | null, "rep_events": [...],
     "rules": {"checked": [...], "skipped": [...]} | null, "gait": {...} | null,
     "timing": {"wall_s": float, "pose_ms_per_frame": float, "decode_ms_per_frame": float,
                "rest_ms_per_frame": float, "lanes": int},
     "pose_model": str, "app_version": str}

`reps` is null when no rep exercise was analysed; `gait` is null when no gait activity was analysed. One
`rep_events` entry per rep (full or partial): index, start/bottom/end times and frames, partial flag,
metrics, faults and `anomaly` (autoencoder: score, threshold, top_joints, phase; null when the rep could
not be scored). `gait` is documented in `coach.gait.analyze`; its `strides` list carries one `anomaly` per
gait cycle. `exercise_confidence` is the classifier's, set only when the exercise was recognised (auto).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from coach import __version__
from coach.analysis.offline import ClipAnalysis

SCHEMA_VERSION = 1


def apply_personal_threshold(report: dict[str, Any], athlete: str, good_scores: list[float]) -> None:
    """Judge the report's rep (or, for a run, stride) anomalies by `athlete`'s personal threshold
    (`personal_threshold` over the scores of their reps or strides marked good form; each one's population
    threshold is the default), in place, and say so under ``"personal_threshold"`` (``threshold`` null when
    no marked rep has a score)."""
    from coach.ml.anomaly import personal_threshold  # onnxruntime: only when anomalies are rejudged

    applied = None
    strides = (report.get("gait") or {}).get("strides") or ()
    for event in [*(report.get("rep_events") or ()), *strides]:
        anomaly = event.get("anomaly")
        if isinstance(anomaly, dict) and good_scores:
            applied = round(personal_threshold(good_scores, default=float(anomaly["threshold"])), 3)
            anomaly["threshold"] = applied
    report["personal_threshold"] = {
        "athlete": athlete,
        "good_form_reps": len(good_scores),
        "threshold": applied,
    }


def build_report(analysis: ClipAnalysis, *, pose_model: Path) -> dict[str, Any]:
    """The schema-1 document for one analysed clip (plain JSON types only)."""
    t = analysis.timing
    reps = analysis.reps.to_json() if analysis.reps is not None else None
    if reps is not None:
        for event, anomaly in zip(reps["rep_events"], analysis.rep_anomalies, strict=True):
            event["anomaly"] = anomaly
    gait = analysis.gait.to_json() if analysis.gait is not None else None
    if gait is not None:
        gait["strides"] = analysis.stride_anomalies
    return {
        "schema": SCHEMA_VERSION,
        "video": str(analysis.video),
        "fps": _num(analysis.fps),
        "frames": analysis.frames,
        "frames_with_pose": analysis.frames_with_pose,
        "exercise": analysis.exercise,
        "exercise_confidence": None
        if analysis.exercise_confidence is None
        else round(analysis.exercise_confidence, 3),
        "view": analysis.view.value,
        "reps": reps["reps"] if reps else None,
        "partial_reps": reps["partial_reps"] if reps else None,
        "rep_events": reps["rep_events"] if reps else [],
        "rules": {"checked": reps["checked_rules"], "skipped": reps["skipped_rules"]} if reps else None,
        "gait": gait,
        "timing": {
            "wall_s": round(t.wall_s, 3),
            "pose_ms_per_frame": round(t.pose_ms_per_frame, 2),
            "decode_ms_per_frame": round(t.decode_ms_per_frame, 2),
            "rest_ms_per_frame": round(t.rest_ms_per_frame, 3),
            "lanes": t.lanes,
        },
        "pose_model": str(pose_model),
        "app_version": __version__,
    }


def _num(x: float) -> float | None:
    """JSON has no NaN: a missing number is null."""
    return None if not math.isfinite(x) else round(float(x), 4)
