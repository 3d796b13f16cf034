"""JSON export: the whole session as one document of plain JSON types (NaN and infinities become null).

    {"format": "coach.session_export", "export_schema": 1,
     "session": {"path", "id", "frames", "duration_s", "fps", "reps", "partial_reps", "events",
                 "frames_with_pose", "ok", "problems", "notes"},    # as `coach sessions verify` reports
     "manifest": {...},                                               # as stored
     "reps": [{"rep", "engine_index", "set", "exercise", "partial", "added", "start_frame", "end_frame",
               "start_s", "end_s", "metrics": {...}, "faults": [...], "anomaly": {...} | null}],
     "sets": [{"set", "exercise", "start_s", "end_s"}],
     "strides": [{"stride", "foot", "start_s", "end_s", "good_form", "anomaly": {...} | null}],  # a run's
     "gait": {"activity", "steps", "cadence_spm", "contact_ms", "stride_ms", "duty_factor_pct",
              "step_time_asymmetry_pct"} | null,
     "events": [...],                                                 # corrections applied
     "corrections": [...],                                            # as the coach made them
     "feedback": {"source": "rules", "text": str},                    # coach.feedback's written summary
     "per_frame": {"frame": [int], "time_s": [float], "capture_ts": [float], "has_pose": [bool],
                   "rep": [int | null], "angles": {name: [float | null]}, "world_angles": {...}}}

Angles carry two decimals (0.01 degree is far below what a webcam pose can resolve), times six.
Pure functions of a `SessionData`; the caller's thread.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from coach.export.errors import ExportError
from coach.export.session_data import SessionData
from coach.feedback import rule_based_summary, summary_from_events
from coach.session.events import to_plain

__all__ = ["EXPORT_SCHEMA", "export_json", "session_document", "written_summary"]

EXPORT_SCHEMA = 1


def written_summary(data: SessionData) -> str:
    """The rule-based written summary of the session (`coach.feedback`), grounded in its corrected events,
    its reps (strides) judged by the threshold the export shows them against."""
    return rule_based_summary(summary_from_events(data.judged_events, exercise=data.exercise))


def session_document(data: SessionData) -> dict[str, Any]:
    """The export document (see the module docstring) as plain JSON types."""
    report = data.verify()
    reps_in = data.rep_of_frame()
    doc: dict[str, Any] = {
        "format": "coach.session_export",
        "export_schema": EXPORT_SCHEMA,
        "session": {
            "path": str(data.path),
            "id": data.manifest.get("id"),
            "frames": report.frames,
            "duration_s": report.duration_s,
            "fps": report.fps,
            "reps": report.reps,
            "partial_reps": report.partial_reps,
            "events": report.events,
            "frames_with_pose": report.frames_with_pose,
            "ok": report.ok,
            "problems": list(report.problems),
            "notes": list(report.notes),
        },
        "manifest": data.manifest,
        "reps": [r.to_json() for r in data.reps],
        "strides": [s.to_json() for s in data.strides],
        "sets": [{"set": s.index, "exercise": s.exercise, "start_s": s.start_s, "end_s": s.end_s}
                 for s in data.summary.sets],
        "gait": asdict(data.gait) if data.gait is not None else None,
        "events": data.events,
        "corrections": data.corrections,
        "feedback": {"source": "rules", "text": written_summary(data)},
        "per_frame": {
            "frame": data.frame_index.tolist(),
            "time_s": _floats(data.media_ts, 6),
            "capture_ts": _floats(data.capture_ts, 6),
            "has_pose": data.has_pose.tolist(),
            "rep": [int(r) if r else None for r in reps_in],
            "angles": _angle_arrays(data.angles),
            "world_angles": _angle_arrays(data.world_angles),
        },
    }
    return to_plain(doc)


def export_json(data: SessionData, path: Path) -> Path:
    """Write the document to `path` (UTF-8, compact); raises `ExportError`."""
    path = Path(path)
    try:
        text = json.dumps(session_document(data), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError as exc:  # allow_nan=False: a NaN that escaped to_plain is a bug, not a silent "NaN"
        raise ExportError(f"the session does not convert to strict JSON: {exc}") from exc
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc}") from exc
    return path


def _floats(values: np.ndarray, digits: int) -> list[float | None]:
    return [v if math.isfinite(v) else None for v in np.round(values.astype(np.float64), digits).tolist()]


def _angle_arrays(angles: Mapping[str, np.ndarray]) -> dict[str, list[float | None]]:
    return {name: _floats(angles[name], 2) for name in sorted(angles)}
