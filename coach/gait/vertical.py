"""Streaming initial contact and toe off from the feet's heights, for runners and walkers filmed from the
front (or from behind).

In a front view the forward motion the side detector (`coach.gait.detector`) relies on is depth, invisible
in 2D. What stays visible is height: each foot rests on the ground through stance (its image height changes
slowly: on a treadmill the belt carries it back, a little higher in the image) and lifts clearly through
swing. So each foot runs its own small state machine over its ankle height `h` (image y up, in leg lengths):

    swing  -> contact   the foot came down at least `lift` below its highest point of this swing and its
                        descent has ended: its downward speed to the current frame has fallen below
                        `descent_end_fraction` of the swing's peak descent speed. IC is the previous frame
                        (the last one the foot was still moving down into), confirmed one frame later.
    contact -> swing    the foot rose `lift` above its lowest point since contact. TO is then placed back at
                        the first frame, from that lowest point on, whose upward speed reached
                        `rise_fraction` of the peak rise speed seen since: the slow heel rise of late stance
                        is not a lift-off, the fast rise of the swing is.

The ankle, not the foot's lowest point: in a front view the toe hides the heel, and the ankle is the foot
landmark the pose model tracks best from there. Sides are the pose model's own labels, which it keeps
reliably when the face is visible (the side-view swaps do not happen); events still alternate because each
foot can only land after it lifted. A toe off is confirmed once the foot rose `lift`; a runner's ankle rises
that far within ~100 ms of lift-off, and a later confirmation is clamped to `max_confirm_delay_s` (the
lift-off is then named at the earliest frame the bound allows), so every event states its delay within the
bound. Mid stance needs forward motion and is not reported from a front view.

Plain object, no clocks and no I/O, owned by the analysis thread; times are real seconds (media time /
`time_scale`), so the frame rate does not change the result.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from coach.gait.detector import GaitFrame, windowed_median
from coach.gait.features import LEG_FEATURES, foot_heights, leg_length_px, pelvis_px, wrist_crossover
from coach.gait.types import EventKind, Foot, GaitEvent
from coach.pose.types import PoseSample

__all__ = ["VerticalEventDetector", "VerticalParams", "supports_front_view"]

_FEET = (Foot.LEFT, Foot.RIGHT)  # index = the pose model's side (0 = its left)


def supports_front_view(activity: str) -> bool:
    """Whether events can be taken from a front view. Running only: a runner's foot lifts fast and high
    above a slow stance drift; a walker's foot lifts a few centimetres while the planted foot climbs as much
    in the image (it moves away from the camera for 0.6 s), so heights cannot tell a walker's contacts."""
    return activity == "running"


@dataclass(frozen=True, slots=True)
class VerticalParams:
    """Tuning of `VerticalEventDetector`; heights in leg lengths, speeds in leg lengths per real second."""

    lift: float = 0.08  # how far a foot must rise (or come down) to count as a swing
    descent_end_fraction: float = 0.3
    # Higher than the side detector's 0.3: in a front view a planted foot also climbs slowly (stance drift),
    # and the lift-off is where the rise turns fast, at about half the swing's peak rise speed.
    rise_fraction: float = 0.5
    min_vertical_speed: float = 0.5  # a swing slower than this is a shuffle or noise, not a step
    max_confirm_delay_s: float = 0.15
    max_gap_s: float = 0.25  # a foot unseen for longer starts over (its phase is unknown)
    min_contact_s: float = 0.05
    min_step_s: float = 0.16  # refractory between contacts of either foot (a sprinter's ~5 steps/s)
    max_contact_s: float = 1.5  # longer on the ground is standing: no toe off is reported for it
    min_visibility: float = 0.3
    leg_window_s: float = 2.0
    min_shoulder_width: float = 0.25
    settle: float = 0.02  # a landed foot may not sink further than this ...
    settle_s: float = 0.05  # ... for this long after the landing (then the contact is confirmed)
    toe_off_lift: float = 0.2  # rise above the contact's lowest point that ends it (stance drift is less)

    def __post_init__(self) -> None:
        if not self.lift > 0 or not 0 < self.descent_end_fraction < 1 or not 0 < self.rise_fraction < 1:
            raise ValueError("need lift > 0 and fractions in (0, 1)")

    @staticmethod
    def for_activity(activity: str) -> VerticalParams:
        """Defaults per activity; only running is supported (see `supports_front_view`)."""
        if not supports_front_view(activity):
            raise ValueError(f"events of {activity!r} cannot be taken from a front view")
        return VerticalParams(max_contact_s=0.6)


class _FootState:
    """One foot's phase and the recent heights it is judged on."""

    __slots__ = (
        "cand", "ground", "hist", "ic_t", "last_t", "low", "low_i", "on_ground", "peak_descent", "top"
    )
    # low_i: index in `hist` of the contact frame while the foot is on the ground

    def __init__(self) -> None:
        self.hist: deque[tuple[float, int, float]] = deque()  # (t, frame_index, h)
        self.on_ground: bool | None = None  # None: not known yet (waiting for a lift)
        self.low = math.inf  # lowest h while the phase is unknown
        self.top = -math.inf  # highest h of the current swing
        self.peak_descent = 0.0
        self.low_i = 0
        self.ic_t = math.nan
        self.last_t = -math.inf
        self.ground = math.nan  # the lowest h of this foot's last contact
        self.cand: tuple[float, int, float] | None = None  # landing candidate (t, frame_index, h)

    def restart(self) -> None:
        self.hist.clear()
        self.on_ground = None
        self.top = -math.inf
        self.peak_descent = 0.0
        self.ic_t = math.nan
        self.ground = math.nan
        self.cand = None
        self.low = math.inf


class VerticalEventDetector:
    """IC / TO from foot heights (front or back view); the same interface as `GaitEventDetector`."""

    def __init__(
        self, activity: str = "running", *, time_scale: float = 1.0, params: VerticalParams | None = None
    ) -> None:
        if not time_scale > 0:
            raise ValueError("time_scale must be positive")
        self.activity = activity
        self.time_scale = float(time_scale)
        self.params = params or VerticalParams.for_activity(activity)
        self._feet = (_FootState(), _FootState())
        self._legs: deque[tuple[float, float]] = deque()
        self._last_t: float | None = None
        self._last_ic_t = -math.inf
        self.last_frame: GaitFrame | None = None

    def _measure(self, sample: PoseSample, t: float) -> tuple[GaitFrame, np.ndarray] | None:
        pose = sample.pose
        if pose is None:
            return None
        px = pose.pixels().astype(np.float64)
        px[pose.visibility < self.params.min_visibility] = np.nan
        leg = windowed_median(self._legs, t, leg_length_px(px), self.params.leg_window_s)
        if not leg > 0:
            return None
        heights = foot_heights(px, leg)
        pelvis = pelvis_px(px)
        frame = GaitFrame(
            t=t,
            frame_index=sample.frame_index,
            forward=1.0,  # unknown in a front view; nothing here depends on it
            leg_px=leg,
            pelvis_y=float(-pelvis[1] / leg),
            trunk_lean=math.nan,
            legs=np.full((2, len(LEG_FEATURES)), np.nan),
            foot_low=heights,
            wrist_cross=wrist_crossover(px, leg, self.params.min_shoulder_width),
        )
        return frame, heights

    def _foot_update(self, side: int, t: float, frame_index: int, h: float) -> GaitEvent | None:
        p = self.params
        st = self._feet[side]
        if t - st.last_t > p.max_gap_s:
            st.restart()
        st.last_t = t
        prev = st.hist[-1] if st.hist else None
        st.hist.append((t, frame_index, h))
        while len(st.hist) > 2 and st.hist[0][0] < t - 2.0 * p.max_contact_s:
            st.hist.popleft()
            st.low_i = max(0, st.low_i - 1)
        if st.on_ground:
            return self._in_contact(side, st, t)
        if st.on_ground is None:
            # Phase unknown (start, after a gap or a stand): a landing counts only after a lift has been
            # seen, so a foot first seen half-way down its swing does not make a contact at the wrong time.
            st.low = min(st.low, h)
            if h - st.low >= p.toe_off_lift:
                st.on_ground = False
                st.top, st.peak_descent = h, 0.0
            return None
        # Swing: wait for the landing.
        st.top = max(st.top, h)
        if prev is None:
            return None
        if st.cand is not None:
            # A landing candidate stands once the foot stayed there for `settle_s`; sinking further means
            # it was a hesitation on the way down (or the lowest landmark switching), not the ground.
            c_t, c_frame, c_h = st.cand
            if h < c_h - p.settle:
                st.cand = None
            elif t - c_t >= p.settle_s - 1e-9:
                st.cand = None
                st.on_ground = True
                st.ic_t = c_t
                st.low_i = next(i for i in range(len(st.hist) - 1, -1, -1) if st.hist[i][0] <= c_t)
                return GaitEvent(EventKind.INITIAL_CONTACT, _FEET[side], c_t, t, c_frame)
            else:
                return None
        v = (h - prev[2]) / (t - prev[0])
        st.peak_descent = max(st.peak_descent, -v)
        # Down at least halfway from this swing's top to where the foot stood last time: a swing foot
        # slows on its way down (retraction), which must not pass for a landing.
        drop = p.lift if math.isnan(st.ground) else max(p.lift, 0.5 * (st.top - st.ground))
        if (
            st.top - h >= drop
            and st.peak_descent >= p.min_vertical_speed
            and -v <= p.descent_end_fraction * st.peak_descent
        ):
            st.cand = (prev[0], prev[1], prev[2])
        return None

    def _in_contact(self, side: int, st: _FootState, t: float) -> GaitEvent | None:
        p = self.params
        if t - st.ic_t > p.max_contact_s:
            st.on_ground = None  # standing: the next lift and landing start over, without a toe off
            st.top, st.peak_descent, st.low = st.hist[-1][2], 0.0, st.hist[-1][2]
            return None
        stance = list(st.hist)[st.low_i :]  # from the contact on
        hs = np.array([x[2] for x in stance])
        if hs[-1] - hs.min() < p.toe_off_lift:
            return None
        # Lifted. The lift-off is where the rise that lifted it began: walk back from now while the foot
        # was still rising at `rise_fraction` of that rise's peak speed. Walking back, not forward from the
        # contact: a planted foot also climbs in a front view (the belt carries it away from the camera, the
        # foot rolls), only more slowly, and a forward search would stop at that.
        st.on_ground = False
        st.top, st.peak_descent, st.ground = hs[-1], 0.0, float(hs.min())
        ts = np.array([x[0] for x in stance])
        v = np.diff(hs) / np.diff(ts)  # v[k]: from stance frame k to k + 1
        peak = float(v[-1])
        k = len(v) - 1
        while k > 0 and v[k - 1] > 0:
            peak = max(peak, float(v[k - 1]))
            k -= 1
        if peak < p.min_vertical_speed:
            return None
        j = len(v) - 1
        while j > k and v[j - 1] >= p.rise_fraction * peak:
            j -= 1
        earliest = t - p.max_confirm_delay_s
        while j < len(ts) - 1 and ts[j] < earliest - 1e-9:
            j += 1
        to_t = float(ts[j])
        if to_t - st.ic_t < p.min_contact_s:
            return None
        return GaitEvent(EventKind.TOE_OFF, _FEET[side], to_t, t, stance[j][1])

    def update(self, sample: PoseSample) -> list[GaitEvent]:
        """Measure one frame; return the events this frame confirmed (in time order)."""
        t = sample.t / self.time_scale
        if self._last_t is not None and t <= self._last_t:
            raise ValueError("samples must arrive in strictly increasing time")
        self._last_t = t
        measured = self._measure(sample, t)
        self.last_frame = measured[0] if measured is not None else None
        if measured is None:
            return []
        _, heights = measured
        events = []
        for side in (0, 1):
            if math.isfinite(heights[side]):
                ev = self._foot_update(side, t, sample.frame_index, float(heights[side]))
                if ev is None:
                    continue
                if ev.kind is EventKind.INITIAL_CONTACT:
                    # Feet land one at a time: a second landing within the refractory period is noise on
                    # a planted foot (the pose model's foot points jitter), not a step.
                    if ev.t - self._last_ic_t < self.params.min_step_s:
                        continue
                    self._last_ic_t = ev.t
                events.append(ev)
        events.sort(key=lambda e: e.t)
        return events
