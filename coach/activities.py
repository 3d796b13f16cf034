"""Names of the activities the coach knows, shared by the CLI, the engines and the models.

Rep exercises are counted by the rep engine; gait activities are analysed by the gait engine. The rep
engine's catalogue declares how each rep exercise is counted; this module only names them.
"""

from __future__ import annotations

REP_EXERCISES: tuple[str, ...] = (
    "squat",
    "deadlift",
    "pushup",
    "lunge",
    "jumping_jack",
    "bicep_curl",
    "lateral_raise",
    "shoulder_press",
)
GAIT_ACTIVITIES: tuple[str, ...] = ("running", "walking")
ACTIVITIES: tuple[str, ...] = REP_EXERCISES + GAIT_ACTIVITIES
AUTO = "auto"


def is_gait(activity: str | None) -> bool:
    return activity in GAIT_ACTIVITIES
