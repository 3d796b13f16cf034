"""Which person to follow when several are in view: the largest and most central one."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from coach.pose.types import VISIBILITY, Pose


def prominence(pose: Pose) -> float:
    """Bounding-box area of the confidently visible landmarks, discounted by distance from the image centre.

    Area (in normalised units) favours the athlete nearest the camera; the centre discount (down to 0.5 at
    a corner) favours the one standing in front of the laptop over a passer-by at the edge.
    """
    lm = pose.landmarks
    visible = lm[:, VISIBILITY] >= 0.5
    pts = lm[visible, :2] if visible.sum() >= 4 else lm[:, :2]
    pts = pts[np.isfinite(pts).all(axis=1)]
    if len(pts) == 0:
        return 0.0
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    area = float(np.prod(np.clip(hi - lo, 0.0, None)))
    centre = (lo + hi) / 2.0
    off_centre = float(np.linalg.norm(centre - 0.5) / np.linalg.norm([0.5, 0.5]))
    return area * (1.0 - 0.5 * min(off_centre, 1.0))


def select_primary(poses: Sequence[Pose]) -> Pose | None:
    """The pose to coach among several detections (None for an empty list)."""
    if not poses:
        return None
    return max(poses, key=prominence)
