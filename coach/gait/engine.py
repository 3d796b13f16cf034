"""`GaitEngine`: streaming gait events plus per-step metrics and time-normalised cycles.

Wraps `GaitEventDetector`, keeps a few seconds of per-frame features, and when an event is confirmed reads
the frames it needs (values at contact, peaks over stance, ranges over a stride). The live UI and the
offline `analyze_gait` feed it the same `PoseSample` stream, so both see the same numbers.

Which leg is which inside a cycle is decided without the pose model's labels (they swap in side views):
from a foot's contact to its mid stance its leg is the front one, until the other foot's mid stance it is
the back one, then the front one again until its next contact.

Threads: a plain object owned by the analysis thread; read `summary()` from that thread.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from coach.gait.compare import resample_cycle
from coach.gait.detector import DetectorParams, GaitEventDetector, GaitFrame
from coach.gait.features import LEG_FEATURES
from coach.gait.reference import JOINTS
from coach.gait.types import EventKind, Foot, GaitEvent
from coach.gait.vertical import VerticalEventDetector
from coach.pose.types import PoseSample

log = logging.getLogger(__name__)

_COL = {name: i for i, name in enumerate(LEG_FEATURES)}
# Hip->ankle length as a fraction of body height: thigh 0.245 H + shank 0.246 H (Winter, Biomechanics and
# Motor Control of Human Movement, 4th ed., 2009, segment lengths table).
LEG_FRACTION_OF_HEIGHT = 0.491


@dataclass(frozen=True, slots=True)
class MetricSpec:
    unit: str
    view_requirement: str
    activities: tuple[str, ...] = ("running", "walking")


# Events (and so every timing metric) come from forward motion in a side or oblique view, and for running
# from the feet's heights in a front view (`coach.gait.vertical`), which gives no mid stance and no phases.
EVENTS = "side or oblique view; running also front (from the feet's heights)"
SIDE = "side view"
METRICS: dict[str, MetricSpec] = {
    "cadence": MetricSpec("steps/min", EVENTS),
    "step_time": MetricSpec("ms", EVENTS),
    "ground_contact_time": MetricSpec("ms", EVENTS),
    "flight_time": MetricSpec("ms", EVENTS, ("running",)),
    "duty_factor": MetricSpec("%", EVENTS),
    "swing_time": MetricSpec("ms", EVENTS, ("walking",)),
    "double_support": MetricSpec("% of stride", EVENTS, ("walking",)),
    "step_time_asymmetry": MetricSpec("% (L - R)", EVENTS),
    "overstride": MetricSpec("leg lengths", SIDE, ("running",)),
    "knee_flexion_at_contact": MetricSpec("deg", SIDE, ("running",)),
    "knee_flexion_peak_stance": MetricSpec("deg", SIDE, ("running",)),
    "trunk_lean": MetricSpec("deg", SIDE, ("running",)),
    "vertical_oscillation": MetricSpec("leg lengths", "side or front view", ("running",)),
    "vertical_oscillation_cm": MetricSpec("cm", "side or front view, runner height given", ("running",)),
    "arm_swing": MetricSpec("deg", SIDE, ("running",)),
    "arm_crossover": MetricSpec("shoulder widths", "front or oblique view", ("running",)),
    "foot_strike_angle": MetricSpec("deg (+ heel first, - forefoot first)", SIDE, ("running",)),
}


@dataclass(frozen=True, slots=True)
class MetricValue:
    """One per-step or per-stride value of a metric."""

    name: str
    t: float  # real seconds, when the step/stride it belongs to ended
    value: float
    foot: Foot | None


@dataclass(frozen=True, slots=True)
class Cycle:
    """One stride of one foot, time-normalised: `curves[joint]` has `CYCLE_SAMPLES` points from contact."""

    foot: Foot
    t0: float
    t1: float
    toe_off_pct: float
    curves: dict[str, np.ndarray]


class GaitEngine:
    """Streaming gait analysis for one athlete: events, metric values and cycles as they are confirmed."""

    def __init__(
        self,
        activity: str = "running",
        *,
        time_scale: float = 1.0,
        runner_height_m: float | None = None,
        params: DetectorParams | None = None,
        buffer_s: float = 4.0,
        front_view: bool = False,
    ) -> None:
        """`front_view`: a runner filmed from the front or behind, so events come from the feet's heights
        (`VerticalEventDetector`; running only); the sagittal metrics and phase cycles then stay empty."""
        self.activity = activity
        self.front_view = front_view
        self.detector: GaitEventDetector | VerticalEventDetector = (
            VerticalEventDetector(activity, time_scale=time_scale)
            if front_view
            else GaitEventDetector(activity, time_scale=time_scale, params=params)
        )
        self.runner_height_m = runner_height_m
        self._buffer_s = buffer_s
        self._frames: deque[GaitFrame] = deque()
        self.events: list[GaitEvent] = []
        self.values: list[MetricValue] = []
        self.cycles: list[Cycle] = []
        self._ics: list[GaitEvent] = []
        self._tos: list[GaitEvent] = []
        self._mids: list[GaitEvent] = []

    # -- helpers -------------------------------------------------------------------------------------------
    def _add(self, name: str, t: float, value: float, foot: Foot | None = None) -> None:
        if self.activity in METRICS[name].activities and math.isfinite(value):
            self.values.append(MetricValue(name, t, float(value), foot))

    def _window(self, t0: float, t1: float) -> list[GaitFrame]:
        return [f for f in self._frames if t0 <= f.t <= t1]

    @staticmethod
    def _front_back(f: GaitFrame) -> tuple[int, int]:
        d = f.legs[:, _COL["d"]]
        front = int(np.nanargmax(d)) if np.isfinite(d).any() else 0
        return front, 1 - front

    def _frame_at(self, t: float) -> GaitFrame | None:
        for f in reversed(self._frames):
            if f.t == t:
                return f
        return None

    def _typical_step(self) -> float:
        """Median of the last eight intervals between contacts (inf until there are two)."""
        if len(self._ics) <= 2:
            return math.inf
        ics = self._ics[-9:]
        return float(np.median([b.t - a.t for a, b in zip(ics, ics[1:], strict=False)]))

    def _last(self, events: list[GaitEvent], foot: Foot | None, before: float) -> GaitEvent | None:
        for e in reversed(events):
            if e.t < before and (foot is None or e.foot is foot):
                return e
        return None

    # -- event handlers ------------------------------------------------------------------------------------
    def _on_contact(self, ev: GaitEvent) -> None:
        f = self._frame_at(ev.t)
        if f is not None:
            row, _ = self._front_back(f)
            self._add("overstride", ev.t, f.legs[row, _COL["d"]], ev.foot)
            self._add("knee_flexion_at_contact", ev.t, f.legs[row, _COL["knee_flexion"]], ev.foot)
            self._add("foot_strike_angle", ev.t, f.legs[row, _COL["foot_angle"]], ev.foot)
        prev = self._ics[-1] if self._ics else None
        typical = self._typical_step()
        if prev is not None and prev.foot is not ev.foot and 0 < ev.t - prev.t < 1.5 * typical:
            step = ev.t - prev.t
            self._add("step_time", ev.t, 1000 * step, ev.foot)
            self._add("cadence", ev.t, 60.0 / step, ev.foot)
            to = self._last(self._tos, prev.foot, ev.t)
            if to is not None and to.t > prev.t:
                self._add("flight_time", ev.t, 1000 * (ev.t - to.t), prev.foot)
        same = self._last(self._ics, ev.foot, ev.t)
        if same is not None:
            self._on_stride(same, ev)
        self._ics.append(ev)

    def _on_toe_off(self, ev: GaitEvent) -> None:
        ic = self._last(self._ics, ev.foot, ev.t)
        if ic is None:
            return
        contact = ev.t - ic.t
        step = self._typical_step()
        if contact > 1.6 * step:
            # Longer than any gait keeps a foot down (walking's stance is at most ~1.5 steps): the athlete
            # stopped or turned on that foot, which is not the gait being measured.
            return
        self._add("ground_contact_time", ev.t, 1000 * contact, ev.foot)
        last_ic = self._ics[-1]
        if last_ic.foot is not ev.foot and last_ic.t > ic.t:
            # Walking: the other foot landed before this one left the ground.
            stride = self._last(self._ics, ev.foot, ic.t)
            if stride is not None:
                self._add("double_support", ev.t, 100 * (ev.t - last_ic.t) / (ic.t - stride.t), ev.foot)
        ms = self._last(self._mids, ev.foot, ev.t)
        split = ms.t if ms is not None and ic.t < ms.t < ev.t else 0.5 * (ic.t + ev.t)
        peak = [
            f.legs[self._front_back(f)[0 if f.t < split else 1], _COL["knee_flexion"]]
            for f in self._window(ic.t, ev.t)
        ]
        if peak and np.isfinite(peak).any():
            self._add("knee_flexion_peak_stance", ev.t, float(np.nanmax(peak)), ev.foot)

    def _on_stride(self, ic0: GaitEvent, ic1: GaitEvent) -> None:
        stride = ic1.t - ic0.t
        if stride > 3.0 * (ic1.t - self._ics[-1].t if self._ics else stride):
            return
        typical = self._typical_step()
        if not 1.2 * typical <= stride <= 2.8 * typical:
            # Two steps of a steady gait make a stride; a stop, a turn or a missed contact inside it does not.
            return
        frames = self._window(ic0.t, ic1.t)
        if not frames:
            return
        to = next((e for e in self._tos if e.foot is ic0.foot and ic0.t < e.t < ic1.t), None)
        if to is not None:
            contact = to.t - ic0.t
            self._add("duty_factor", ic1.t, 100 * contact / stride, ic0.foot)
            self._add("swing_time", ic1.t, 1000 * (stride - contact), ic0.foot)
        pelvis = np.array([f.pelvis_y for f in frames])
        if np.isfinite(pelvis).sum() > 3:
            osc = float(np.nanmax(pelvis) - np.nanmin(pelvis))
            self._add("vertical_oscillation", ic1.t, osc, ic0.foot)
            if self.runner_height_m:
                self._add(
                    "vertical_oscillation_cm",
                    ic1.t,
                    100 * osc * LEG_FRACTION_OF_HEIGHT * self.runner_height_m,
                    ic0.foot,
                )
        lean = np.array([f.trunk_lean for f in frames])
        if np.isfinite(lean).any():  # a front view has none
            self._add("trunk_lean", ic1.t, float(np.nanmedian(lean)), ic0.foot)
        arms = np.array([f.legs[:, _COL["arm_angle"]] for f in frames])
        seen = np.isfinite(arms).sum(axis=0) > 3
        if seen.any():
            arms = arms[:, seen]
            self._add(
                "arm_swing", ic1.t, float(np.mean(np.nanmax(arms, 0) - np.nanmin(arms, 0))), ic0.foot
            )
        cross = np.array([f.wrist_cross for f in frames])
        if np.isfinite(cross).any():
            self._add("arm_crossover", ic1.t, float(np.nanmax(cross)), ic0.foot)
        self._cycle(ic0, ic1, frames, to)

    def _cycle(
        self, ic0: GaitEvent, ic1: GaitEvent, frames: list[GaitFrame], to: GaitEvent | None
    ) -> None:
        ms_own = next((e for e in self._mids if e.foot is ic0.foot and ic0.t < e.t < ic1.t), None)
        ms_other = next((e for e in self._mids if e.foot is not ic0.foot and ic0.t < e.t < ic1.t), None)
        if to is None or ms_own is None or ms_other is None or not ms_own.t < ms_other.t:
            return
        t = np.array([f.t for f in frames])
        rows = [self._front_back(f)[1 if ms_own.t <= f.t < ms_other.t else 0] for f in frames]
        curves = {
            j: resample_cycle(
                t,
                np.array([f.legs[r, _COL[j]] for f, r in zip(frames, rows, strict=True)]),
                ic0.t,
                ic1.t,
            )
            for j in JOINTS
        }
        pct = 100 * (to.t - ic0.t) / (ic1.t - ic0.t)
        self.cycles.append(Cycle(ic0.foot, ic0.t, ic1.t, pct, curves))

    # -- public --------------------------------------------------------------------------------------------
    def update(self, sample: PoseSample) -> list[GaitEvent]:
        """Process one frame; return the gait events it confirmed. Metrics and cycles grow."""
        events = self.detector.update(sample)
        frame = self.detector.last_frame
        if frame is not None:
            self._frames.append(frame)
        now = sample.t / self.detector.time_scale
        while self._frames and self._frames[0].t < now - self._buffer_s:
            self._frames.popleft()
        for ev in events:
            self.events.append(ev)
            if ev.kind is EventKind.INITIAL_CONTACT:
                self._on_contact(ev)
            elif ev.kind is EventKind.TOE_OFF:
                self._tos.append(ev)
                self._on_toe_off(ev)
            else:
                self._mids.append(ev)
        return events

    def metric_series(self, name: str, *, last_s: float | None = None) -> np.ndarray:
        """Values of one metric in time order (`last_s`: rolling window)."""
        vals = [v for v in self.values if v.name == name]
        if last_s is not None and vals:
            end = vals[-1].t
            vals = [v for v in vals if v.t >= end - last_s]
        return np.array([v.value for v in vals], dtype=np.float64)

    def step_time_asymmetry(self, *, last_s: float | None = None) -> float:
        """100 * (median left step - median right step) / their mean; a step is named by the foot landing."""
        steps = [v for v in self.values if v.name == "step_time"]
        if last_s is not None and steps:
            steps = [v for v in steps if v.t >= steps[-1].t - last_s]
        left = [v.value for v in steps if v.foot is Foot.LEFT]
        right = [v.value for v in steps if v.foot is Foot.RIGHT]
        if not left or not right:
            return float("nan")
        ml, mr = float(np.median(left)), float(np.median(right))
        return 100.0 * (ml - mr) / (0.5 * (ml + mr))
