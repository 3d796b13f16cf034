"""Per-frame CSV export (`coach analyze --out DIR` writes `frames.csv` and `frames_columns.txt`).

One row per video frame, comma-separated, header in the first row, `.` as decimal point, empty cell for a
missing value (a spreadsheet shows it blank, pandas reads it as NaN). Columns:

    frame           0-based frame index in the video
    time_s          media timestamp in seconds from the first frame
    has_pose        1 if a person was found, else 0
    view            per-frame camera view estimate (front / side / oblique / unknown)
    yaw_deg         body yaw relative to the camera, 0 = facing it, 90 = side-on
    <lm>_x, <lm>_y  landmark position as MediaPipe returned it, normalised to [0, 1] of image width/height
                    (origin top-left, y down); <lm> is the landmark name in lower case, e.g. left_knee
    <lm>_z          MediaPipe's relative depth (same scale as x; smaller = closer to the camera)
    <lm>_vis        visibility probability [0, 1]
    <lm>_pres       presence probability [0, 1]
    <lm>_wx/_wy/_wz world landmark in metres, origin between the hips, y down
    angle_<name>    joint angle in degrees from the smoothed image landmarks (conventions in
                    coach/kinematics/angles.py: included angle, 180 = straight; trunk lean 0 = upright)
    wangle_<name>   the same angle from the smoothed 3D world landmarks
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from coach.analysis.offline import ClipAnalysis
from coach.pose.landmarks import Landmark

_LM_FIELDS = ("x", "y", "z", "vis", "pres")
_WORLD_FIELDS = ("wx", "wy", "wz")


def column_names(angle_names: list[str]) -> list[str]:
    cols = ["frame", "time_s", "has_pose", "view", "yaw_deg"]
    for lm in Landmark:
        name = lm.name.lower()
        cols += [f"{name}_{f}" for f in _LM_FIELDS + _WORLD_FIELDS]
    cols += [f"angle_{a}" for a in angle_names]
    cols += [f"wangle_{a}" for a in angle_names]
    return cols


def write_frame_csv(analysis: ClipAnalysis, path: Path) -> Path:
    """Write the per-frame table; returns the path written."""
    raw = analysis.raw
    angle_names = sorted(analysis.angles)
    n = len(raw)
    per_lm = np.concatenate([raw.landmarks, raw.world], axis=2).reshape(n, -1)  # (N, 33*8)
    angles = np.stack([analysis.angles[a] for a in angle_names], axis=1) if angle_names else np.empty((n, 0))
    wangles = (
        np.stack([analysis.world_angles[a] for a in angle_names], axis=1) if angle_names else np.empty((n, 0))
    )
    has_pose = raw.has_pose
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(column_names(angle_names))
        for i in range(n):
            row: list[object] = [
                int(raw.frame_index[i]),
                f"{raw.media_ts[i]:.6f}",
                int(has_pose[i]),
                analysis.views[i].value,
                _cell(analysis.yaw_deg[i], 2),
            ]
            row += [_cell(v, 6) for v in per_lm[i]]
            row += [_cell(v, 2) for v in angles[i]]
            row += [_cell(v, 2) for v in wangles[i]]
            writer.writerow(row)
    path.with_name(path.stem + "_columns.txt").write_text(__doc__ or "", encoding="utf-8")
    return path


def _cell(value: float, digits: int) -> str:
    return "" if not np.isfinite(value) else f"{value:.{digits}f}"
