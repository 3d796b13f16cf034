"""`AnalysisStep`: the per-frame analysis of one stream, shared by the live app and headless recording.

One frame in (media time, BGR image or its RGB conversion), and out comes what the coach concluded from it:
pose (VIDEO mode, media time) -> One Euro smoothing -> camera view -> the ONNX models' live state
(`coach.live.models.LiveModels`: exercise classifier, ring buffer of smoothed poses) -> the activity's rep
or gait engine (`coach.live.activity.ActivityTracker`) -> cue policy -> the anomaly score of each rep that
just ended. No drawing, no threads, no clock of its own, no Qt: `coach.live.pipeline` (live, with its
overlay, warnings and recording) and `coach.session.headless.record_session` (`coach record`) both run
their frames through this class, so a session recorded either way holds the same events, rep anomaly
scores, exercise switches and cues for the same frames.

Activity: `requested` is the caller's choice (`request_activity`, applied at the start of the next
frame); None is auto mode, where the exercise classifier's debounced label picks the engine. An explicit
choice is never overridden; the classifier still runs so `confidence` says how sure it is of the chosen
activity. In auto mode "idle" and "other" start no engine, but they do not end a recognised exercise
either: standing still between reps or sets would otherwise reset the count every pause, and the rep
engine already handles rest.

Anomaly: each finished rep (full or partial) is scored from the ring buffer of smoothed poses on the frame
its event arrives; the verdict goes into `tracker.last_rep["anomaly"]`, a `RepScored` event, and
`joint_colors` (per-joint attribution for the overlay), which stay until the next rep. For running and
walking each gait cycle the engine completes is scored the same way as a stride: `tracker.last_stride`, a
`StrideScored` event and `joint_colors`.

Per-frame work is computed once and shared: the rep engine's features (`coach.reps.signals`) also give the
primary angle. The camera view is re-estimated every `VIEW_INTERVAL_S` of media time (`IntervalView`); in
between the engine gets the last view. Each step's time goes into `clock` (`coach.live.meters.StepClock`;
the caller starts it and charges its own work).

What a frame produced (`StepOutput.emitted`) is in the order a session records it: a switch of activity
(`ActivitySwitched`, then the old engine's closing events), the engine's events, the cues for them, then
the `RepScored` / `StrideScored` verdicts.

Threads: not thread-safe; owned by the thread that owns `estimator` (the live analysis thread, or the
headless recorder's analysis loop).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import cv2
import numpy as np

from coach.capture.frame import Frame
from coach.gait.engine import MetricValue
from coach.gait.types import GaitEvent
from coach.kinematics.angles import body_angles
from coach.kinematics.view import View, ViewClassifier, estimate_yaw
from coach.live.activity import ActivityTracker, canonical_activity
from coach.live.meters import STEPS, StepClock
from coach.live.models import LiveModels, activity_of_label, joint_scores
from coach.live.types import ActivitySwitched, RepScored, StrideScored
from coach.ml.classifier import LiveState
from coach.pose.smoothing import PoseSmoother
from coach.pose.types import Pose, PoseSample
from coach.reps.engine import Event, EventKind, Rep
from coach.reps.signals import frame_features

__all__ = ["VIEW_INTERVAL_S", "AnalysisStep", "CuePolicyLike", "IntervalView", "LiveEvent", "StepOutput"]

log = logging.getLogger(__name__)

# The view is re-estimated at most this often (media seconds). An athlete needs about a second to turn
# 90 degrees, so 0.1 s adds at most ~9 degrees of lag on a fast turn and none on a steady camera; the
# classifier's hysteresis (coach.kinematics.view.HYSTERESIS_DEG) is unchanged, it just sees fewer samples.
# At 30 fps this saves two yaw estimates in three.
VIEW_INTERVAL_S = 0.1

# What the engines and the step itself report: the engines' events plus the step's own (auto mode
# switched activity; the anomaly model scored a rep or a stride).
LiveEvent = Event | GaitEvent | ActivitySwitched | RepScored | StrideScored

_CONVERT, _POSE, _SMOOTH, _VIEW, _MODELS, _ENGINE = (STEPS.index(n) for n in (
    "convert", "pose", "smooth", "view", "models", "engine"))


class CuePolicyLike(Protocol):
    """What the step uses of `coach.cues.CuePolicy` (injected: the live app runs without coach.cues)."""

    def on_events(self, events: list, t: float) -> list: ...
    def set_activity(self, activity: str | None) -> None: ...
    def set_speak_count(self, on: bool) -> None: ...


class IntervalView:
    """The camera view (front/side/...) from the yaw of the smoothed pose, estimated at most every
    `VIEW_INTERVAL_S` of media time (and on every frame while still unknown). A frame without shoulders or
    hips leaves the last view and retries on the next frame. Replaying stored poses through this gives the
    views the engines saw."""

    def __init__(self) -> None:
        self.classifier = ViewClassifier()
        self._t = -math.inf  # media time of the last yaw estimate

    def update(self, t: float, pose: Pose | None) -> str | None:
        """The view to give the engine at media time `t` (None: unknown, or nobody in view)."""
        if pose is None:
            return None
        views = self.classifier
        if t - self._t >= VIEW_INTERVAL_S or views.state is View.UNKNOWN:
            yaw = float(estimate_yaw(pose.landmarks, pose.world, pose.image_size))
            views.update(yaw)
            if yaw == yaw:  # not NaN
                self._t = t
        return None if views.state is View.UNKNOWN else views.state.value


@dataclass(frozen=True, slots=True)
class StepOutput:
    """What one frame produced (see the module docstring for the order of `emitted`).

    `pose` is the smoothed, unmirrored pose (None: nobody in view, even held through a gap); `person` is
    True when the pose model found someone in this very frame; `angle` the activity's primary angle in
    degrees (NaN when not measurable). `events` are `emitted` without the cues, `cues` the cues alone.
    """

    pose: Pose | None
    person: bool
    angle: float
    emitted: tuple[Any, ...]
    events: tuple[LiveEvent, ...]
    cues: tuple[Any, ...]


class AnalysisStep:
    """Per-frame analysis of one stream (see module docstring). `cue_policy` None: no cues (the banner text
    `banner` then shows the engine's last form fault)."""

    def __init__(
        self,
        estimator: Any,  # coach.pose.mediapipe_landmarker.PoseEstimator (detect(rgb, t) -> Pose | None)
        models: LiveModels,
        activity: str | None,
        cue_policy: CuePolicyLike | None,
    ) -> None:
        self.estimator = estimator
        self.models = models
        self.smoother = PoseSmoother()
        self.view = IntervalView()
        self.requested = canonical_activity(activity)
        self._wanted = self.requested
        self.tracker = ActivityTracker(self.requested)
        self.cue_policy = cue_policy
        if cue_policy is not None:
            cue_policy.set_activity(self.tracker.activity)
        self.clock = StepClock()
        self.joint_colors: dict[str, float] | None = None  # the last scored rep's attribution, per joint
        # Strides scored so far: numbered across activity switches, so a stride's number is unique in a
        # session (corrections and the library refer to it).
        self.strides_scored = 0
        self.banner: tuple[str, float] | None = None  # (cue text, media time issued) for a cue banner
        self.image_size: tuple[int, int] | None = None  # (w, h) of the last frame
        self.last_t: float | None = None  # media time of the last frame
        self._rgb: np.ndarray | None = None  # reused BGR->RGB buffer (MediaPipe copies its input)
        self._emitted: list[Any] = []
        self._events: list[LiveEvent] = []
        self._cues: list[Any] = []

    # ------------------------------------------------------------------ settings
    def request_activity(self, activity: str | None) -> None:
        """The user's choice (None: auto), applied at the start of the next `process`: the current engine's
        open set is closed and counts restart. Raises ValueError for an unknown name."""
        self._wanted = canonical_activity(activity)

    @property
    def activity(self) -> str | None:
        return self.tracker.activity

    @property
    def confidence(self) -> float | None:
        """The classifier's smoothed probability of the current activity (None before its first output)."""
        return self.models.confidence(self.tracker.activity)

    # ------------------------------------------------------------------ per frame
    def process(self, frame: Frame, rgb: np.ndarray | None = None) -> StepOutput:
        """Analyse one frame (media-time order). `rgb` is `frame.image` already converted to RGB, if the
        caller has it (the live capture thread converts); otherwise it is converted here. The caller
        starts `clock` for the frame."""
        clock = self.clock
        self._emitted, self._events, self._cues = [], [], []
        t = frame.media_ts
        self.last_t = t
        if self._wanted != self.requested:
            self._apply_request(self._wanted)
        if rgb is None:
            rgb = self._to_rgb(frame.image)
            clock.lap(_CONVERT)
        raw = self.estimator.detect(rgb, t)
        clock.lap(_POSE)

        lm, world = self.smoother.update(
            t, raw.landmarks if raw is not None else None, raw.world if raw is not None else None
        )
        h, w = frame.image.shape[:2]
        self.image_size = (w, h)
        # As offline (PoseTrack.has_pose on the smoothed track): a landmark held through a short gap still
        # counts as a pose; once everything has expired the engines see None and pause.
        pose = Pose(lm, world, (w, h)) if np.isfinite(lm[:, 0]).any() else None
        clock.lap(_SMOOTH)

        view = self.view.update(t, pose)
        clock.lap(_VIEW)

        state = self.models.observe(t, frame.index, lm, world, (w, h), pose is not None)
        if state is not None:
            self._on_classifier(state, frame.index)
        clock.lap(_MODELS)

        tracker = self.tracker
        angle = math.nan
        if pose is not None and tracker.activity is not None:
            if tracker.is_gait:
                angle = tracker.primary_angle(
                    {k: float(a) for k, a in body_angles(pose.pixels().astype(np.float64)).items()}
                )
            else:
                # The rep engine computes these same features for this same pose object: computed once
                # (frame_features keeps the last pose's features).
                angle = tracker.primary_angle_of_features(frame_features(pose))
        events = tracker.update(PoseSample(t, frame.index, pose), view)
        self._emit(events)
        values = tracker.new_metric_values()
        if events or values:
            self._cue([*events, *values], t)
        clock.lap(_ENGINE)
        if events:
            self._score_reps(events, (w, h))
        if tracker.is_gait:
            self._score_strides(t, frame.index, (w, h))
        clock.lap(_MODELS)
        return StepOutput(pose, raw is not None, angle, tuple(self._emitted), tuple(self._events),
                          tuple(self._cues))

    def finish(self) -> StepOutput:
        """End of stream: the engine closes its open rep or set; their anomaly scores and cues (stamped at
        the last frame). `pose` None, `angle` NaN."""
        self._emitted, self._events, self._cues = [], [], []
        events = self.tracker.finish()
        self._emit(events)
        if events and self.image_size is not None:
            self._score_reps(events, self.image_size)
        if events and self.last_t is not None:
            self._cue(list(events), self.last_t)
        return StepOutput(None, False, math.nan, tuple(self._emitted), tuple(self._events),
                          tuple(self._cues))

    # ------------------------------------------------------------------ internals
    def _emit(self, events: Sequence[LiveEvent]) -> None:
        self._emitted.extend(events)
        self._events.extend(events)

    def _apply_request(self, wanted: str | None) -> None:
        self.requested = wanted
        # Back to auto: take up what the classifier already recognises rather than waiting for it to switch
        # again (it would not: its label has not changed).
        state = self.models.state
        target = wanted if wanted is not None else activity_of_label(state.label if state else None)
        if target != self.tracker.activity:
            self._switch(target)

    def _switch(self, activity: str | None) -> None:
        """Close the current engine's set and start `activity`'s engine (counts restart)."""
        self._emit(self.tracker.finish())
        self.tracker = ActivityTracker(activity)
        if self.cue_policy is not None:
            self.cue_policy.set_activity(activity)
        self.banner = None
        self.joint_colors = None
        log.info("activity switched to %s", activity)

    def _on_classifier(self, state: LiveState, frame: int) -> None:
        """Auto mode: follow the classifier's debounced label (its hysteresis decides when it switches)."""
        if not state.switched or self.requested is not None:
            return
        target = activity_of_label(state.label)
        if target is None or target == self.tracker.activity:
            return  # idle/other keep a recognised exercise (see the module docstring)
        self._emit([ActivitySwitched(state.t, frame, self.tracker.activity, target, state.confidence)])
        self._switch(target)

    def _score_reps(self, events: Sequence[LiveEvent], image_size: tuple[int, int]) -> None:
        """Score this frame's finished reps (rarely more than one)."""
        exercise = self.tracker.activity
        if exercise is None or self.tracker.is_gait:
            return  # gait strides are not scored live
        scored: list[LiveEvent] = []
        for ev in events:
            if not (isinstance(ev, Event) and ev.rep is not None
                    and ev.kind in (EventKind.REP_COMPLETED, EventKind.PARTIAL_REP)):
                continue
            result = self.models.score_rep(exercise, ev.rep, image_size)
            self.joint_colors = joint_scores(result.channel_ratios) if result is not None else None
            if result is not None:
                anomaly = result.to_json()
                self.tracker.attach_anomaly(ev.rep.index, anomaly)
                scored.append(_rep_scored(ev.rep, anomaly))
        self._emit(scored)

    def _score_strides(self, t: float, frame: int, image_size: tuple[int, int]) -> None:
        """Score the gait cycles the engine completed on this frame (one at most, in practice)."""
        activity = self.tracker.activity
        if activity is None:
            return
        scored: list[LiveEvent] = []
        for cycle in self.tracker.new_cycles():
            result = self.models.score_stride(activity, cycle, image_size)
            if result is None:
                continue
            self.joint_colors = joint_scores(result.channel_ratios)
            self.strides_scored += 1
            stride = self.tracker.attach_stride_anomaly(self.strides_scored, cycle, result.to_json())
            scored.append(StrideScored(t, frame, stride["index"], stride["foot"], stride["start_s"],
                                       stride["end_s"], stride["anomaly"]))
        self._emit(scored)

    def _cue(self, events: list[Event | GaitEvent | MetricValue], t: float) -> None:
        if self.cue_policy is None:
            # Without a cue policy the banner still shows the form fault the engine found.
            if self.tracker.last_fault_cue and any(
                isinstance(e, Event) and e.rep is not None and e.rep.faults for e in events
            ):
                self.banner = (self.tracker.last_fault_cue, t)
            return
        cues = self.cue_policy.on_events(events, t)
        if cues:
            self.banner = (cues[0].text, t)  # most important first
            self._emitted.extend(cues)
            self._cues.extend(cues)

    def _to_rgb(self, image: np.ndarray) -> np.ndarray:
        if self._rgb is None or self._rgb.shape != image.shape:
            self._rgb = np.empty_like(image)
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB, dst=self._rgb)


def _rep_scored(rep: Rep, anomaly: dict) -> RepScored:
    return RepScored(rep.end_t, rep.end_frame, rep.index, anomaly)
