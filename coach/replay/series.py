"""The activity's primary joint angle for every recorded frame (no Qt).

Angles are not stored in a session (docs/session_format.md); they are recomputed from the stored, smoothed
landmarks with `coach.kinematics.angles`, combining both sides as the live plot does
(`coach.live.activity.PRIMARY_ANGLE`). One vectorised pass over the whole session. Pure; any thread.
"""

from __future__ import annotations

import warnings

import numpy as np

from coach.kinematics.angles import angles_from_landmarks
from coach.live.activity import PRIMARY_ANGLE

__all__ = ["extreme_row", "primary_angle_name", "primary_angle_series"]


def primary_angle_name(activity: str | None) -> str | None:
    """The joint plotted for `activity` ("knee", "hip", ...), None when the activity has none."""
    entry = PRIMARY_ANGLE.get(activity or "")
    return entry[0] if entry else None


def primary_angle_series(
    landmarks: np.ndarray, image_size: tuple[int, int], activity: str | None
) -> np.ndarray:
    """(N,) degrees from (N, 33, 5) normalised landmarks; NaN where neither side is measurable, or
    everywhere when the activity has no primary angle."""
    lm = np.asarray(landmarks)
    entry = PRIMARY_ANGLE.get(activity or "")
    if entry is None or not len(lm):
        return np.full(len(lm), np.nan)
    joint, how = entry
    angles = angles_from_landmarks(lm, image_size)
    both = np.stack([angles[f"left_{joint}"], angles[f"right_{joint}"]], axis=1).astype(np.float64)
    reducer = {"mean": np.nanmean, "min": np.nanmin, "max": np.nanmax}[how]
    with warnings.catch_warnings():
        # A frame with neither side measured is an all-NaN row: NaN out is the policy, not a problem.
        warnings.simplefilter("ignore", RuntimeWarning)
        return reducer(both, axis=1)


def extreme_row(angle: np.ndarray, start_row: int, end_row: int) -> int:
    """The bottom of a rep spanning rows `start_row..end_row`: the row whose primary angle lies farthest
    from the angle at the rep's ends (the rest position). That is the deepest knee bend of a squat and the
    highest arm of a lateral raise alike, so no per-exercise direction is needed. NaN samples are skipped;
    without any measured sample (or ends) the middle row is returned."""
    if not 0 <= start_row <= end_row < len(angle):
        raise ValueError(f"rows {start_row}..{end_row} are not inside the session (0..{len(angle) - 1})")
    seg = np.asarray(angle[start_row:end_row + 1], dtype=np.float64)
    ends = seg[[0, -1]]
    ok = np.isfinite(seg)
    if not ok.any():
        return (start_row + end_row) // 2
    # Both ends unmeasured: the rest position is taken as where the range spends most of its time.
    rest = float(np.nanmean(ends)) if np.isfinite(ends).any() else float(np.nanmedian(seg))
    deviation = np.where(ok, np.abs(seg - rest), -1.0)
    return start_row + int(np.argmax(deviation))
