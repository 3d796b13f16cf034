"""What the live overlay showed at each recorded frame, rebuilt from the stored event stream.

The live pipeline draws the rep counter, the phase and the cue banner from its engine's state; a session
stores the engine's events instead (docs/session_format.md), with the coach's corrections applied by the
reader. Walking those events in frame order gives, per row, the same counts (a deleted rep no longer
counts, an added one does), the phase the engine was in, and the cue on screen. Pure; any thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from coach.export.session_data import SessionData

# The live tracker's own phase words (private there, but the one definition): an export never names a
# phase differently from the live view.
from coach.live.activity import _CONCENTRIC_PHASES, _ECCENTRIC_PHASES, canonical_activity
from coach.overlay.compose import OverlayData
from coach.pose.types import Pose
from coach.reps.catalogue import CATALOGUE
from coach.reps.engine import RepState

__all__ = ["CUE_SHOWN_S", "overlay_timeline"]

# How long the live banner keeps a cue (coach.live.pipeline.CUE_DISPLAY_S; not imported from there because
# that module loads MediaPipe, which an export does not need; a test keeps the two equal).
CUE_SHOWN_S = 3.0

# Rep engine event -> the engine state right after it.
_STATE_AFTER: dict[str, RepState] = {
    "set_started": RepState.REST,
    "rep_started": RepState.OUT,
    "rep_bottom": RepState.BACK,
    "rep_completed": RepState.REST,
    "partial_rep": RepState.REST,
    "set_ended": RepState.REST,
}


def overlay_timeline(data: SessionData) -> list[OverlayData]:
    """One `OverlayData` per recorded row: pose, activity, rep counts (steps, in a run), phase and the cue
    on screen."""
    events = sorted(data.events, key=_frame_of)  # stable: same-frame events keep their recorded order
    activity = _activity(data.exercise)
    reps = partial = steps = 0
    state: RepState | None = None
    feet: dict[str, str] = {}
    cue: tuple[str, float] | None = None
    out: list[OverlayData] = []
    k = 0
    for row in range(data.frame_count):
        frame, t = int(data.frame_index[row]), float(data.media_ts[row])
        while k < len(events) and _frame_of(events[k]) <= frame:
            e = events[k]
            k += 1
            kind = e.get("type")
            if kind == "exercise_switched":
                activity = _activity(_str(e.get("exercise", e.get("to")))) or activity
                reps = partial = steps = 0  # the live tracker starts counting afresh for a new activity
                state, feet = None, {}
            elif kind == "rep_completed":
                reps += 1
            elif kind == "partial_rep":
                partial += 1
            elif kind == "cue" and isinstance(e.get("text"), str):
                cue = (e["text"], _time(e, t))
            elif kind == "gait_event" and e.get("kind") in ("initial_contact", "toe_off"):
                feet[str(e.get("foot"))] = "stance" if e["kind"] == "initial_contact" else "swing"
                if e["kind"] == "initial_contact":
                    steps += 1
            if isinstance(kind, str) and kind in _STATE_AFTER:
                state = _STATE_AFTER[kind]
        pose = _pose(data, row)
        shown_cue = cue[0] if cue is not None and t - cue[1] <= CUE_SHOWN_S else None
        out.append(OverlayData(pose, activity, reps, partial, _phase(activity, state, feet, pose), shown_cue,
                               steps))
    return out


def _pose(data: SessionData, row: int) -> Pose | None:
    return data.reader.pose(row)


def _phase(activity: str | None, state: RepState | None, feet: Mapping[str, str], pose: Pose | None) -> str:
    if pose is None or activity is None:
        return "idle"  # as live: nobody in view, nothing to be in a phase of
    spec = CATALOGUE.get(activity)
    if spec is not None:
        if state is None:
            return "idle"
        phases = _ECCENTRIC_PHASES if spec.out_phase == "eccentric" else _CONCENTRIC_PHASES
        return phases[state]
    if feet:
        return "stance" if "stance" in feet.values() else "swing"
    return "idle"


def _activity(name: str | None) -> str | None:
    try:
        return canonical_activity(name)
    except ValueError:
        return name  # a newer coach's activity: still labelled, just without a phase


def _frame_of(e: Mapping[str, Any]) -> int:
    f = e.get("frame")
    return f if isinstance(f, int) else 0


def _time(e: Mapping[str, Any], default: float) -> float:
    t = e.get("t")
    return float(t) if isinstance(t, int | float) and np.isfinite(t) else default


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None

