"""What the live pipeline tracks for the current activity: a rep or gait engine and its display values.

`ActivityTracker` wraps the streaming engine of one activity (`RepEngine` for rep exercises, `GaitEngine` for
running and walking, nothing while the activity is unknown) and keeps what the GUI shows: counts, phase,
the last rep's JSON, a rolling gait summary and the primary joint angle. Engines see exactly the
`PoseSample` stream the offline analysis feeds them, so a replay gives the live events.

Threads: a plain object owned by the analysis thread.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

import numpy as np

from coach.activities import GAIT_ACTIVITIES
from coach.gait.engine import Cycle, GaitEngine, MetricValue
from coach.gait.types import EventKind as GaitEventKind
from coach.gait.types import Foot, GaitEvent
from coach.gait.vertical import supports_front_view
from coach.kinematics.view import View
from coach.pose.types import PoseSample
from coach.reps.analyze import rep_to_json
from coach.reps.catalogue import ALIASES, CATALOGUE
from coach.reps.engine import Event, EventKind, RepEngine, RepState

__all__ = ["GAIT_SUMMARY_KEYS", "PRIMARY_ANGLE", "ActivityTracker", "canonical_activity"]

Reducer = Literal["mean", "min", "max"]

# The joint angle plotted live for each activity (angle names from coach.kinematics.angles, both sides
# combined). It is the rep signal itself where that is an angle; squats and lunges are counted on hip
# height (robust to the view) but coached on the knee angle, a hinge on the hip angle.
PRIMARY_ANGLE: dict[str, tuple[str, Reducer]] = {
    "squat": ("knee", "mean"),
    "deadlift": ("hip", "mean"),
    "pushup": ("elbow", "mean"),
    "lunge": ("knee", "min"),
    "jumping_jack": ("shoulder", "mean"),
    "bicep_curl": ("elbow", "min"),
    "lateral_raise": ("shoulder", "max"),
    "shoulder_press": ("shoulder", "mean"),
    "running": ("knee", "min"),
    "walking": ("knee", "min"),
}

# Gait summary: LiveResult.gait key -> (GaitEngine metric, rolling window in seconds). Medians, because a
# single mis-detected step must not make the display jump.
GAIT_SUMMARY_KEYS: dict[str, str] = {
    "cadence_spm": "cadence",
    "contact_ms": "ground_contact_time",
    "flight_ms": "flight_time",
    "overstride": "overstride",
    "vertical_osc": "vertical_oscillation",
    "trunk_lean": "trunk_lean",
}
_GAIT_WINDOW_S = 10.0

# Rep phase names, by which half of the rep moves away from rest: a squat goes down first (eccentric), a
# curl or a press goes up first (concentric).
_ECCENTRIC_PHASES = {RepState.REST: "top", RepState.OUT: "descent", RepState.TURN: "bottom",
                     RepState.BACK: "ascent", RepState.TOP: "top"}
_CONCENTRIC_PHASES = {RepState.REST: "bottom", RepState.OUT: "ascent", RepState.TURN: "top",
                      RepState.BACK: "descent", RepState.TOP: "bottom"}


def canonical_activity(activity: str | None) -> str | None:
    """The catalogue or gait name of `activity` (aliases resolved); None or "auto" -> None.

    Raises ValueError for a name the coach does not know, so the caller (GUI thread) hears at once.
    """
    if activity is None or activity == "auto":
        return None
    name = ALIASES.get(activity, activity)
    if name in CATALOGUE or name in GAIT_ACTIVITIES:
        return name
    raise ValueError(f"unknown activity {activity!r}; known: {', '.join([*CATALOGUE, *GAIT_ACTIVITIES])}")


def _reduce(values: tuple[float, float], how: Reducer) -> float:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return math.nan
    if how == "min":
        return min(finite)
    if how == "max":
        return max(finite)
    return sum(finite) / len(finite)


class ActivityTracker:
    """Engine and display state for one activity (None: unknown, nothing is counted)."""

    def __init__(self, activity: str | None) -> None:
        self.activity = canonical_activity(activity)
        self._rep: RepEngine | None = None
        self._gait: GaitEngine | None = None
        self._phases: Mapping[RepState, str] = _ECCENTRIC_PHASES
        if self.activity in CATALOGUE:
            spec = CATALOGUE[self.activity]
            self._rep = RepEngine(spec)
            self._phases = _ECCENTRIC_PHASES if spec.out_phase == "eccentric" else _CONCENTRIC_PHASES
        elif self.activity is not None:
            self._gait = GaitEngine(self.activity)
        self.reps = 0
        self.partial_reps = 0
        self.last_rep: dict | None = None
        self.gait_summary: dict | None = {} if self._gait is not None else None
        self.last_fault_cue: str | None = None
        self._foot_phase: dict[Foot, str] = {}
        self._steps = 0
        self._values_seen = 0
        self._cycles_seen = 0
        self.last_stride: dict | None = None  # the last scored stride: foot, start_s, end_s, index, anomaly
        self._primary = PRIMARY_ANGLE.get(self.activity or "")

    @property
    def is_gait(self) -> bool:
        return self._gait is not None

    def update(self, sample: PoseSample, view: str | None) -> list[Event | GaitEvent]:
        """Feed one sample (media-time order); returns the engine's events, oldest first."""
        if self._rep is not None:
            rep_events = self._rep.update(sample, view)
            self._on_rep_events(rep_events)
            return list(rep_events)
        if self._gait is not None:
            front = view == View.FRONT.value and supports_front_view(self._gait.activity)
            if view is not None and front != self._gait.front_view:
                # The view picks the event detector (forward motion, or feet heights from the front); a
                # change of camera view starts the gait analysis over rather than mixing the two.
                self._gait = GaitEngine(self._gait.activity, front_view=front)
                self._values_seen = 0
                self._cycles_seen = 0
            gait_events = self._gait.update(sample)
            if gait_events:
                self._on_gait_events(gait_events)
            return list(gait_events)
        return []

    def new_metric_values(self) -> list[MetricValue]:
        """Gait metric values (per step or stride) confirmed since the previous call; the cue policy reads
        overstride from them. Empty for rep exercises."""
        if self._gait is None or len(self._gait.values) == self._values_seen:
            return []
        fresh = self._gait.values[self._values_seen:]
        self._values_seen = len(self._gait.values)
        return fresh

    def new_cycles(self) -> list[Cycle]:
        """Gait cycles (one foot's contact to its next contact) completed since the previous call; the
        anomaly model scores each as a stride. Empty for rep exercises and for a front-view runner, whose
        engine builds no cycles (as offline)."""
        if self._gait is None or len(self._gait.cycles) == self._cycles_seen:
            return []
        fresh = self._gait.cycles[self._cycles_seen:]
        self._cycles_seen = len(self._gait.cycles)
        return fresh

    def attach_stride_anomaly(self, index: int, cycle: Cycle, anomaly: dict) -> dict:
        """Record the anomaly model's verdict on `cycle`, stride number `index`, as `last_stride` (a new
        dict each time: a `LiveResult` already published may hold the old one); returns it."""
        self.last_stride = {"index": index, "foot": cycle.foot.value,
                            "start_s": round(cycle.t0, 4), "end_s": round(cycle.t1, 4), "anomaly": anomaly}
        return self.last_stride

    def finish(self) -> list[Event | GaitEvent]:
        """End of the stream (stop, end of video, change of activity): close an open rep or set."""
        if self._rep is None:
            return []
        events = self._rep.finish()
        self._on_rep_events(events)
        return list(events)

    @property
    def phase(self) -> str:
        if self._rep is not None:
            state = self._rep.state
            if state is RepState.IDLE:
                return "idle"
            if state is RepState.SETTLING:
                return "settling"
            return self._phases[state]
        if self._gait is not None and self._foot_phase:
            # Events are confirmed a few frames late (GaitEvent.confirm_delay_s), so this lags as much.
            return "stance" if "stance" in self._foot_phase.values() else "swing"
        return "idle"

    def primary_angle(self, angles: Mapping[str, float]) -> float:
        """The activity's primary joint angle in degrees (NaN when hidden or no activity)."""
        if self._primary is None:
            return math.nan
        joint, how = self._primary
        return _reduce((angles[f"left_{joint}"], angles[f"right_{joint}"]), how)

    def primary_angle_of_features(self, features: Mapping[str, float]) -> float:
        """The same angle as `primary_angle`, read from `coach.reps.signals.frame_features` (which combines
        the sides the same way: "knee" is the mean, "knee_min" the min, "shoulder_max" the max), so a frame
        whose features the rep engine computes anyway costs nothing more."""
        if self._primary is None:
            return math.nan
        joint, how = self._primary
        return features.get(joint if how == "mean" else f"{joint}_{how}", math.nan)

    def attach_anomaly(self, rep_index: int, anomaly: dict) -> None:
        """Add the anomaly model's verdict to `last_rep` when it is still rep `rep_index`. A new dict, not
        an update in place: a `LiveResult` already published may hold the old one."""
        if self.last_rep is not None and self.last_rep.get("index") == rep_index:
            self.last_rep = {**self.last_rep, "anomaly": anomaly}

    # ------------------------------------------------------------------ internals
    def _on_rep_events(self, events: list[Event]) -> None:
        for ev in events:
            if ev.kind is EventKind.REP_COMPLETED and ev.rep is not None:
                self.reps += 1
                self.last_rep = rep_to_json(ev.rep)
            elif ev.kind is EventKind.PARTIAL_REP and ev.rep is not None:
                self.partial_reps += 1
                self.last_rep = rep_to_json(ev.rep)
            elif ev.kind is EventKind.FORM_FAULT and ev.fault is not None:
                self.last_fault_cue = ev.fault.cue
            if ev.rep is not None and ev.rep.faults:
                self.last_fault_cue = ev.rep.faults[0].cue

    def _on_gait_events(self, events: list[GaitEvent]) -> None:
        assert self._gait is not None
        for ev in events:
            if ev.kind is GaitEventKind.INITIAL_CONTACT:
                self._foot_phase[ev.foot] = "stance"
            elif ev.kind is GaitEventKind.TOE_OFF:
                self._foot_phase[ev.foot] = "swing"
        # Recomputed only when events arrive (a few per second), not per frame.
        summary: dict[str, float | int | None] = {}
        for key, metric in GAIT_SUMMARY_KEYS.items():
            values = self._gait.metric_series(metric, last_s=_GAIT_WINDOW_S)
            summary[key] = float(np.median(values)) if len(values) else None
        self._steps += sum(1 for e in events if e.kind is GaitEventKind.INITIAL_CONTACT)
        summary["steps"] = self._steps
        self.gait_summary = summary
