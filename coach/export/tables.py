"""CSV export: `frames.csv` (one row per recorded frame), `reps.csv` (one row per rep after corrections) and,
for a run, `strides.csv` (one row per scored stride).

Same conventions as the per-frame table of `coach analyze --out` (`coach.analysis.frame_table`): comma
separated, header in the first row, `.` as decimal point, an empty cell for a missing value (a spreadsheet
shows it blank, pandas reads NaN), angles in degrees with two decimals.

frames.csv columns:

    frame           the recorded frame's index (the numbers events refer to; gaps are frames the camera
                    dropped)
    time_s          media timestamp in seconds
    capture_ts      monotonic capture time in seconds (when the frame was grabbed)
    has_pose        1 if a person was found, else 0
    rep             number of the rep (after corrections) the frame lies in, empty between reps
    angle_<name>    joint angle from the smoothed image landmarks (coach/kinematics/angles.py: included angle,
                    180 = straight; trunk lean 0 = upright; thigh/shin signed from vertical)
    wangle_<name>   the same angle from the smoothed 3D world landmarks

reps.csv columns: rep (1-based after corrections), engine_index (the rep engine's number, empty for a rep
the coach added), set, exercise, partial (1/0), added (1/0), start_frame, end_frame, start_s, end_s, one
column per rep metric as recorded (`coach.reps.analyze.rep_to_json` names, e.g. duration_s, depth,
peak_trunk_lean_deg), faults (rule names joined by ';'), anomaly_score, anomaly_threshold, anomaly_flagged.

strides.csv columns (written only when the session has scored strides): stride (the recording's number),
foot (L/R), start_s, end_s, good_form (1/0), anomaly_score, anomaly_threshold, anomaly_flagged, top_joints
(joined by ';').

Pure functions of a `SessionData`; the caller's thread.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.export.errors import ExportError
from coach.export.session_data import RepRow, SessionData, StrideRow

__all__ = ["CsvExport", "export_csv", "frame_columns", "rep_columns", "rep_metric_names"]

FRAMES_CSV = "frames.csv"
REPS_CSV = "reps.csv"
STRIDES_CSV = "strides.csv"
STRIDE_COLUMNS = ("stride", "foot", "start_s", "end_s", "good_form", "anomaly_score", "anomaly_threshold",
                  "anomaly_flagged", "top_joints")


@dataclass(frozen=True, slots=True)
class CsvExport:
    """What `export_csv` wrote."""

    frames_path: Path
    reps_path: Path
    frames: int
    reps: int
    strides_path: Path | None = None  # None: no scored strides (not a run)
    strides: int = 0


def frame_columns(angle_names: Sequence[str]) -> list[str]:
    """frames.csv header for these angle names."""
    return ["frame", "time_s", "capture_ts", "has_pose", "rep",
            *(f"angle_{a}" for a in angle_names), *(f"wangle_{a}" for a in angle_names)]


def rep_metric_names(reps: Sequence[RepRow]) -> list[str]:
    """Every metric any rep has, in the order the engine writes them (first appearance)."""
    return list(dict.fromkeys(k for r in reps for k in r.metrics))


def rep_columns(metric_names: Sequence[str]) -> list[str]:
    """reps.csv header for these metric names."""
    return ["rep", "engine_index", "set", "exercise", "partial", "added", "start_frame", "end_frame",
            "start_s", "end_s", *metric_names, "faults", "anomaly_score", "anomaly_threshold",
            "anomaly_flagged"]


def export_csv(data: SessionData, out_dir: Path) -> CsvExport:
    """Write frames.csv and reps.csv into `out_dir` (created if needed). Raises `ExportError`."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        frames_path = _write_frames(data, out_dir / FRAMES_CSV)
        reps_path = _write_reps(data.reps, out_dir / REPS_CSV)
        strides_path = _write_strides(data.strides, out_dir / STRIDES_CSV) if data.strides else None
    except OSError as exc:
        raise ExportError(f"cannot write the CSV export to {out_dir}: {exc}") from exc
    return CsvExport(frames_path, reps_path, data.frame_count, len(data.reps), strides_path,
                     len(data.strides))


def _write_frames(data: SessionData, path: Path) -> Path:
    names = sorted(data.angles)  # sorted, as `coach analyze --out` orders them
    n = data.frame_count
    angles = np.stack([data.angles[a] for a in names], axis=1) if names else np.empty((n, 0))
    wangles = np.stack([data.world_angles[a] for a in names], axis=1) if names else np.empty((n, 0))
    reps = data.rep_of_frame()
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(frame_columns(names))
        for i in range(n):
            row: list[object] = [
                int(data.frame_index[i]),
                _cell(data.media_ts[i], 6),
                _cell(data.capture_ts[i], 6),
                int(data.has_pose[i]),
                int(reps[i]) if reps[i] else "",
            ]
            row += [_cell(v, 2) for v in angles[i]]
            row += [_cell(v, 2) for v in wangles[i]]
            writer.writerow(row)
    return path


def _write_reps(reps: Sequence[RepRow], path: Path) -> Path:
    metric_names = rep_metric_names(reps)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(rep_columns(metric_names))
        for r in reps:
            writer.writerow([
                r.index,
                _opt(r.engine_index),
                _opt(r.set_index),
                r.exercise or "",
                int(r.partial),
                int(r.added),
                _opt(r.start_frame),
                _opt(r.end_frame),
                _cell(r.start_s, 6),
                _cell(r.end_s, 6),
                *(_cell(r.metrics.get(m), 4) for m in metric_names),
                ";".join(r.fault_rules()),
                _cell(r.anomaly_score, 4),
                _cell(r.anomaly_threshold, 4),
                "" if r.anomaly_score is None or r.anomaly_threshold is None else int(r.flagged),
            ])
    return path


def _write_strides(strides: Sequence[StrideRow], path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(STRIDE_COLUMNS)
        for s in strides:
            writer.writerow([
                s.index, s.foot or "", _cell(s.start_s, 6), _cell(s.end_s, 6), int(s.good_form),
                _cell(s.anomaly_score, 4), _cell(s.anomaly_threshold, 4),
                "" if s.anomaly_score is None or s.anomaly_threshold is None else int(s.flagged),
                ";".join(s.anomaly_top_joints),
            ])
    return path


def _cell(value: float | None, digits: int) -> str:
    return "" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def _opt(value: int | None) -> object:
    return "" if value is None else value
