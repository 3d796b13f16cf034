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

__all__ = ["primary_angle_name", "primary_angle_series"]


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
