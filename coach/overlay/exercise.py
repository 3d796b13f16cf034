"""What the overlay shows for each activity: the joints that get angle arcs, target lines, bar path.

Joint names are `coach.kinematics.angles.JOINTS` names ("left_knee", ...); the angle drawn is that module's
included angle (180 = straight).
"""

from __future__ import annotations

from typing import Literal

__all__ = ["BAR_PATH_ACTIVITIES", "MAIN_JOINTS", "TARGET_LINES", "TargetLine"]

TargetLine = Literal["knee_height", "shoulder_height"]

_KNEES = ("left_knee", "right_knee")
_HIPS = ("left_hip", "right_hip")
_ELBOWS = ("left_elbow", "right_elbow")
_SHOULDERS = ("left_shoulder", "right_shoulder")

MAIN_JOINTS: dict[str, tuple[str, ...]] = {
    "squat": _KNEES + _HIPS,
    "deadlift": _HIPS + _KNEES,
    "pushup": _ELBOWS,
    "lunge": _KNEES,
    "jumping_jack": _SHOULDERS,
    "bicep_curl": _ELBOWS,
    "lateral_raise": _SHOULDERS,
    "shoulder_press": _ELBOWS + _SHOULDERS,
    "running": _KNEES + _HIPS,
    "walking": _KNEES,
}

# Squat and lunge depth: the hip crease should reach knee height (the catalogue's depth rule). Lateral
# raise: the arms stop at shoulder height (the catalogue's "arms_too_high" rule).
TARGET_LINES: dict[str, TargetLine] = {
    "squat": "knee_height",
    "lunge": "knee_height",
    "lateral_raise": "shoulder_height",
}

# Lifts where the hands hold the load: the wrists' midpoint traces the bar (or dumbbell) path.
BAR_PATH_ACTIVITIES: frozenset[str] = frozenset({"squat", "deadlift", "shoulder_press"})
