"""Streaming detection of initial contact, mid stance and toe off from the feet's positions.

Method (coordinate based, after Zeni et al., Gait & Posture 27:710-714, 2008; own implementation): relative
to the pelvis, a foot is furthest forward at initial contact (IC) and furthest back at toe off (TO). Rather
than follow each labelled foot, the detector follows two label-free envelopes of the feet's forward offsets
`d` (in leg lengths):

    front(t) = max(d_left, d_right)   one peak per step (IC of the front foot), one trough where the swing
                                      foot passes the stance foot (mid stance of the stance foot);
    back(t)  = min(d_left, d_right)   one trough per step (TO of the back foot).

Because max and min do not care which foot is which, MediaPipe's left/right swaps in side views cannot
create or hide events. Sides are then assigned by alternation (steps alternate L, R, L): the parity of the
step count is chosen by a running majority vote of the pose model's own labels at each contact, so a swap
costs at most a vote, never a label. Each TO belongs to the oldest contact still open (FIFO), which is right
for running (IC R, TO R, IC L ...) and for walking's double support (IC R, TO L, IC L, TO R).

Touchdown and lift-off refinement. The extremes are only proxies: a runner's swing foot reaches its most
forward point and starts to move back (swing retraction) before it lands, and keeps moving back after the
toe has left the ground, so extremes alone lengthen the contact. Each extreme is therefore refined with the
height of that foot's lowest point (the lowest of ankle, heel and toe, in leg lengths, image y up):

    IC = first frame at or after the forward extreme where the foot's descent has ended (its downward speed
         to the next frame has fallen below `descent_end_fraction` of its peak descent speed);
    TO = last frame before the backward extreme's rise, i.e. the first frame from the foot's lowest point on
         where its upward speed to the next frame exceeds `rise_fraction` of its peak rise speed.

Speeds, not heights against a ground level, so the far foot (higher in the image in an oblique view) and a
camera that drifts vertically need no ground estimate. When the foot hardly moves vertically (below
`min_vertical_speed`, e.g. a shuffling walker or a front view) the extreme itself is the event, which is the
prominence fallback. A refined IC is confirmed one frame after it; a pending forward extreme whose descent
has not ended `max_confirm_delay_s` after it falls back to the extreme, so the bound holds; a refined TO
earlier than the bound allows is clamped to the earliest frame that keeps it.

Step timing. A contact sooner than `min_step_fraction` of the typical step time after the last one is a
double detection (physiologically a cadence cannot jump by half within a step), besides the absolute
refractory `min_step_s`. Both are judged on the forward extremes the contacts come from, whose spacing is
steady, not on the refined touchdowns, which move by a frame either way. The typical step is the shorter of
two rolling medians: over accepted steps, and over the intervals between all candidate contacts (accepted or
not). The second breaks a lock onto every other step: once a false start or a run of missed contacts makes
the accepted rhythm twice the real one, the rejected contacts keep coming at the real rhythm and pull the
typical step back down, while an occasional double detection barely moves either median.

Glitches. The pose model sometimes draws the far leg somewhere else for a frame or more. The envelopes are
continuous through label swaps and leg crossings, so a jump in either of them faster than a foot can move
(`max_foot_speed`, real time, plus `jump_slack` of jitter) marks a glitch frame, which is handled like a
missing frame. (A gate on the landing foot's height above the ground and a prominence relative to the
stride's range were tried too and dropped: on real oblique and sprint footage they rejected true contacts
and broke the L/R alternation.) A change of the direction of travel (a turn) restarts the extremum search.
After a gap of 1.5 typical steps or more, whether one or two steps passed is decided by the pose model's
label under the voted side parity, not by a rhythm that bad tracking may have corrupted. Walking times
contact on the heel and toe off on the toe (`foot_points`), and a toe off closes a walking contact only
`min_contact_steps` typical steps after it (stance outlasts a step, so an earlier toe off is the other
foot's, ending double support).

Extrema are confirmed once the envelope has moved `prominence` leg lengths away from them, or at the latest
`max_confirm_delay_s` after them if it moved at least `min_prominence`; a candidate that cannot be confirmed
by then is dropped. So every event states its confirmation delay and none is later than the bound. All
times are real seconds (media time / `time_scale`), which makes the result independent of the frame rate.

The detector works on the pose it is given (the live pipeline's smoothed pose): the One Euro filter's lag on
fast foot motion is about 15 ms (see `coach.pose.smoothing`), a constant shift that cancels in cadence,
contact and flight times, while its jitter removal protects the prominence test.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from dataclasses import dataclass
from enum import Enum

import numpy as np

from coach.gait.features import (
    LEG_FEATURES,
    foot_heights,
    heel_toe_direction,
    heel_toe_offsets,
    leg_features,
    leg_length_px,
    pelvis_px,
    trunk_lean,
    wrist_crossover,
)
from coach.gait.types import EventKind, Foot, GaitEvent
from coach.pose.types import PoseSample

log = logging.getLogger(__name__)

_D = LEG_FEATURES.index("d")


@dataclass(frozen=True, slots=True)
class DetectorParams:
    """Tuning of `GaitEventDetector`; distances in leg lengths, times in real seconds."""

    prominence: float = 0.08
    min_prominence: float = 0.03
    max_confirm_delay_s: float = 0.15
    max_gap_s: float = 0.25  # a longer run of frames without both feet restarts the extremum search
    min_step_s: float = 0.18  # refractory period between contacts (330 steps/min)
    max_contact_s: float = 1.5  # an open contact older than this is closed without a toe off
    min_contact_s: float = 0.05
    # A toe off closes a contact only this many typical steps after it. Walking's stance outlasts a step
    # (duty factor > 50 %), so a toe off soon after a contact is the other foot's, ending double support.
    min_contact_steps: float = 0.0
    min_visibility: float = 0.3
    direction_window_s: float = 2.0
    leg_window_s: float = 2.0
    min_shoulder_width: float = 0.25  # leg lengths; narrower shoulders (side view) give no crossover
    # Vertical refinement (see the module docstring). Speeds in leg lengths per real second.
    descent_end_fraction: float = 0.3
    rise_fraction: float = 0.3
    min_vertical_speed: float = 0.5  # a runner's foot lands and lifts at ~2 leg lengths/s
    search_back_s: float = 0.2  # how far before the backward extreme lift-off is searched for
    min_step_fraction: float = 0.6  # of the rolling median step time
    # Tracking glitches (see "Glitches" in the module docstring).
    max_foot_speed: float = 12.0  # leg lengths per real second; a sprinter's swing foot reaches ~10
    jump_slack: float = 0.05  # leg lengths of pose jitter allowed on top of that
    # Which points of the foot time the events: "foot" (mean of ankle, heel and toe) or "heel_toe" (contact
    # from the heel, toe off from the toe, as walking's heel-to-toe roll needs).
    foot_points: str = "foot"

    def __post_init__(self) -> None:
        if not 0 < self.min_prominence <= self.prominence:
            raise ValueError("need 0 < min_prominence <= prominence")
        if self.max_confirm_delay_s <= 0 or self.max_gap_s <= 0 or self.min_step_s <= 0:
            raise ValueError("times must be positive")
        if self.foot_points not in ("foot", "heel_toe"):
            raise ValueError(f"foot_points must be 'foot' or 'heel_toe', not {self.foot_points!r}")

    @staticmethod
    def for_activity(activity: str) -> DetectorParams:
        """Defaults per gait activity: runners' contacts are short, walkers' long."""
        if activity == "running":
            # Sprinters step at up to ~5 Hz (0.2 s); extremes are timed to the frame, so at 25-30 fps such a
            # step can measure a frame short. The rhythm test (`min_step_fraction`) still rejects doubles.
            return DetectorParams(max_contact_s=0.6, min_step_s=0.16)
        if activity == "walking":
            return DetectorParams(
                max_contact_s=1.5,
                min_step_s=0.25,
                min_contact_s=0.3,  # even a fast walk keeps a foot down ~0.5 s
                foot_points="heel_toe",
                min_contact_steps=0.7,
            )
        raise ValueError(f"not a gait activity: {activity!r}")


def windowed_median(buf: deque[tuple[float, float]], t: float, v: float, window: float) -> float:
    """Append (t, v) to `buf` when v is finite, drop entries older than `window` seconds, and return the
    median of what is left (NaN when empty): the rolling leg length and direction of the gait detectors."""
    if math.isfinite(v):
        buf.append((t, v))
    while buf and buf[0][0] < t - window:
        buf.popleft()
    return float(np.median([x for _, x in buf])) if buf else float("nan")


class _Seek(Enum):
    MAXIMUM = "maximum"
    MINIMUM = "minimum"


@dataclass(frozen=True, slots=True)
class _Extremum:
    is_max: bool
    t: float
    frame_index: int
    row: int  # which raw leg (0 = model's left) held the envelope at the extremum
    confirmed_at: float
    # The forward extreme a refined contact came from. Step timing is judged on these: the touchdown
    # refinement can move a contact by a frame or two either way, which alone can push a sprinter's
    # 0.2 s step under the refractory period, while the extremes' spacing is steady.
    anchor_t: float = math.nan


class _ExtremumTracker:
    """Alternating maxima and minima of one signal with prominence and a confirmation deadline.

    The first extremum after a (re)start is swallowed: the signal may have started mid-slope, where the
    first sample would look like an extremum.
    """

    __slots__ = ("_cand", "_p", "_seek", "_warm")

    def __init__(self, params: DetectorParams) -> None:
        self._p = params
        self._seek = _Seek.MINIMUM
        self._cand: tuple[float, float, int, int] | None = None  # value, t, frame, row
        self._warm = False

    def reset(self) -> None:
        self._seek = _Seek.MINIMUM
        self._cand = None
        self._warm = False

    def update(self, t: float, dt: float, value: float, frame_index: int, row: int) -> _Extremum | None:
        """Feed one sample; `dt` is the last frame interval, so deadlines hold."""
        sign = 1.0 if self._seek is _Seek.MAXIMUM else -1.0
        if self._cand is None or sign * (value - self._cand[0]) > 0:
            self._cand = (value, t, frame_index, row)
            return None
        c_val, c_t, c_frame, c_row = self._cand
        moved = sign * (c_val - value)
        elapsed = t - c_t
        late = elapsed + dt > self._p.max_confirm_delay_s
        on_time = elapsed <= self._p.max_confirm_delay_s  # false after a short run of missing frames
        if on_time and (moved >= self._p.prominence or (late and moved >= self._p.min_prominence)):
            found = _Extremum(self._seek is _Seek.MAXIMUM, c_t, c_frame, c_row, t)
            self._seek = _Seek.MINIMUM if self._seek is _Seek.MAXIMUM else _Seek.MAXIMUM
            self._cand = (value, t, frame_index, row)
            warm, self._warm = self._warm, True
            return found if warm else None
        if late:
            # Too flat to be confirmed in time: forget it rather than confirm late.
            self._cand = (value, t, frame_index, row)
        return None


@dataclass(frozen=True, slots=True)
class GaitFrame:
    """What the detector measured in one frame (raw legs in the pose model's left/right order)."""

    t: float  # real seconds
    frame_index: int
    forward: float  # +1 runner faces image-right, -1 image-left
    leg_px: float
    pelvis_y: float  # pelvis height in leg lengths (image y up), for vertical oscillation
    trunk_lean: float
    legs: np.ndarray  # (2, len(LEG_FEATURES)), see `coach.gait.features`
    foot_low: np.ndarray  # (2,) height of each foot's lowest point, leg lengths, image y up (absolute)
    wrist_cross: np.ndarray  # (2,) wrist past the shoulders' mid-line towards the other side / shoulder width


class GaitEventDetector:
    """Streaming IC / mid stance / TO detector for one athlete.

    Feed every frame in order with `update`; it returns the events confirmed by that frame. Plain object,
    no clocks, no I/O: replaying the same samples gives the same events. Owned by the analysis thread.
    """

    def __init__(
        self, activity: str = "running", *, time_scale: float = 1.0, params: DetectorParams | None = None
    ) -> None:
        if not time_scale > 0:
            raise ValueError("time_scale must be positive")
        self.activity = activity
        self.time_scale = float(time_scale)
        self.params = params or DetectorParams.for_activity(activity)
        self._front = _ExtremumTracker(self.params)
        self._back = _ExtremumTracker(self.params)
        self._dirs: deque[tuple[float, float]] = deque()
        self._legs: deque[tuple[float, float]] = deque()
        self._last_valid_t: float | None = None
        self._last_t: float | None = None
        # Side assignment by alternation: step k gets side (k + parity) % 2, 0 = left.
        self._k = -1
        self._votes = [0.0, 0.0]
        self._last_ic: GaitEvent | None = None
        self._step_times: deque[float] = deque(maxlen=8)
        self._cand_steps: deque[float] = deque(maxlen=8)  # intervals between all candidate contacts
        self._last_cand_t: float | None = None
        self._last_anchor_t = -math.inf
        self._frame_dt = 0.0  # the last frame interval, real seconds
        self._open: deque[GaitEvent] = deque()  # contacts waiting for their toe off
        # (t, frame_index, d (2,), foot_low (2,)) of recent valid frames, for the vertical refinement.
        self._hist: deque[tuple[float, int, np.ndarray, np.ndarray]] = deque()
        self._pending_ic: _Extremum | None = None  # forward extreme waiting for its touchdown
        self._last_to_t = -math.inf
        self._gap_since_ic = False  # frames without both feet since the last contact
        self._last_env: tuple[float, float, float] | None = None  # (t, front, back) of the last sound frame
        self._forward: float | None = None  # direction of travel of the last measured frame
        self._px: np.ndarray | None = None  # the last measured frame's pixels (visibility-gated)
        self.rejected_frames = 0  # frames whose feet jumped faster than a foot can move
        self.last_frame: GaitFrame | None = None

    # -- per-frame measurement ---------------------------------------------------------------------------
    def _measure(self, sample: PoseSample, t: float) -> GaitFrame | None:
        pose = sample.pose
        if pose is None:
            return None
        px = pose.pixels().astype(np.float64)
        px[pose.visibility < self.params.min_visibility] = np.nan  # NaN visibility compares False: kept
        self._px = px
        direction = windowed_median(
            self._dirs, t, heel_toe_direction(px), self.params.direction_window_s
        )
        leg = windowed_median(self._legs, t, leg_length_px(px), self.params.leg_window_s)
        if not (math.isfinite(direction) and direction != 0 and leg > 0):
            return None
        forward = 1.0 if direction > 0 else -1.0
        legs = leg_features(px, forward, leg)
        low = foot_heights(px, leg)
        pelvis = pelvis_px(px)
        cross = wrist_crossover(px, leg, self.params.min_shoulder_width)
        return GaitFrame(
            t=t,
            frame_index=sample.frame_index,
            forward=forward,
            leg_px=leg,
            pelvis_y=float(-pelvis[1] / leg),
            trunk_lean=trunk_lean(px, forward),
            legs=legs,
            foot_low=low,
            wrist_cross=cross,
        )

    # -- events --------------------------------------------------------------------------------------------
    def _side_for_step(self, observed_row: int) -> Foot:
        self._votes[(observed_row - self._k) % 2] += 1.0
        parity = 0 if self._votes[0] >= self._votes[1] else 1
        return Foot.LEFT if (self._k + parity) % 2 == 0 else Foot.RIGHT

    def _steps_since_last(self, ratio: float, observed_row: int) -> int:
        """How many steps a contact `ratio` typical steps after the last one advances the alternation.

        Under 1.5 steps it is the next step (a missed step would leave about two). Beyond that the interval
        cannot tell a missed step from a slower one (or a rhythm gone wrong in bad tracking), so of the two
        whole numbers around `ratio` the one that names the foot as the pose model does (under the side
        parity the majority vote has settled on) wins: one label decides only what the rhythm cannot.
        """
        if ratio < 1.5:
            return 1
        lo = max(1, math.floor(ratio))
        parity = 0 if self._votes[0] >= self._votes[1] else 1
        return lo if (self._k + lo + parity) % 2 == observed_row else lo + 1

    def _on_contact(self, ext: _Extremum) -> GaitEvent | None:
        t = ext.anchor_t if math.isfinite(ext.anchor_t) else ext.t
        if self._last_ic is not None:
            dt = t - self._last_anchor_t
            if dt < self.params.min_step_s:
                log.debug("contact %.3f s after the last one ignored (refractory)", dt)
                return None
            # Every contact past the refractory period is a candidate, accepted or not: if the accepted
            # rhythm ever locks onto every other step (a false start, a run of missed contacts), the
            # rejected contacts keep arriving at the true rhythm, and the candidates' median exposes it.
            if self._last_cand_t is not None and not self._gap_since_ic:
                self._cand_steps.append(t - self._last_cand_t)
            self._last_cand_t = t
            typical = self._rhythm()
            if typical is not None and dt < self.params.min_step_fraction * typical:
                log.debug("contact %.3f s after the last one ignored (%.3f s steps)", dt, typical)
                return None
            # Steps missed in a dropout, an occlusion or bad tracking advance the alternation so the side
            # stays right; a long step may also just be a slower one (see `_steps_since_last`).
            # Judged on the shorter of the extremes' and the touchdowns' spacing: more than one step is
            # claimed only when both say so.
            spacing = min(dt, ext.t - self._last_ic.t)
            steps = (
                1
                if typical is None or not self._gap_since_ic
                else self._steps_since_last(spacing / typical, ext.row)
            )
            self._k += steps
            if steps == 1:
                self._step_times.append(dt)
        else:
            self._k = 0
            self._last_cand_t = t
        self._gap_since_ic = False
        self._last_anchor_t = t
        foot = self._side_for_step(ext.row)
        ev = GaitEvent(EventKind.INITIAL_CONTACT, foot, ext.t, ext.confirmed_at, ext.frame_index)
        self._last_ic = ev
        self._open.append(ev)
        return ev

    def _on_toe_off(self, ext: _Extremum) -> GaitEvent | None:
        while self._open and ext.t - self._open[0].t > self.params.max_contact_s:
            self._open.popleft()
        shortest = max(self.params.min_contact_s, self.params.min_contact_steps * self._typical_step())
        if not self._open or ext.t - self._open[0].t < shortest:
            return None
        ic = self._open.popleft()
        return GaitEvent(EventKind.TOE_OFF, ic.foot, ext.t, ext.confirmed_at, ext.frame_index)

    def _on_mid_stance(self, ext: _Extremum) -> GaitEvent | None:
        ic = self._last_ic
        if ic is None or ext.t <= ic.t or ext.t - ic.t > self.params.max_contact_s:
            return None
        return GaitEvent(EventKind.MID_STANCE, ic.foot, ext.t, ext.confirmed_at, ext.frame_index)

    def _rhythm(self) -> float | None:
        """The typical step time in real seconds, or None while there is no rhythm yet.

        One or two steps are no rhythm (the first may be a false start): trusted from three. The shorter of
        the accepted steps' and the candidates' medians: a double detection now and then barely moves the
        candidates' median, while a rhythm locked onto every other step halves it, so the lock breaks.
        """
        meds = [float(np.median(q)) for q in (self._step_times, self._cand_steps) if len(q) >= 3]
        return min(meds) if meds else None

    def _typical_step(self) -> float:
        return self._rhythm() or 0.0

    def _refine_contact(self, now: float, dt: float, final: bool) -> _Extremum | None:
        """The pending forward extreme refined to touchdown, once known (or at the deadline, unrefined)."""
        ext = self._pending_ic
        assert ext is not None
        p = self.params
        hist = list(self._hist)
        fallback = _Extremum(True, ext.t, ext.frame_index, ext.row, now, ext.t)
        peak_descent = 0.0
        for (t0, f0, d0, low0), (t1, _, d1, low1) in zip(hist, hist[1:], strict=False):
            if t0 < ext.t - p.search_back_s:
                continue
            # The front foot in each frame, whichever label the pose model gave it (labels may swap).
            v = (low1[int(np.argmax(d1))] - low0[int(np.argmax(d0))]) / (t1 - t0)
            if not math.isfinite(v):
                continue
            peak_descent = max(peak_descent, -v)
            if t0 >= ext.t and -v <= p.descent_end_fraction * peak_descent:
                if peak_descent < p.min_vertical_speed:
                    return fallback  # no landing seen in height: the extreme is the best estimate
                return _Extremum(True, t0, f0, ext.row, now, ext.t)
        if final or now - ext.t + dt > p.max_confirm_delay_s:
            return fallback
        return None

    def _refine_toe_off(self, ext: _Extremum) -> _Extremum | None:
        """The backward extreme refined to the frame the back foot starts to rise (see the module doc).

        None when the foot left the ground during missing frames: the lift-off cannot be timed, and the
        extreme (tens of ms later) would lengthen the contact, so that toe off is not reported.
        """
        p = self.params
        now = ext.confirmed_at
        hist = [h for h in self._hist if h[0] >= ext.t - p.search_back_s]
        if len(hist) < 3:
            return ext
        # Heights of the back foot, frame by frame (labels may swap; the back foot is the one behind).
        rows = [int(np.argmin(h[2])) for h in hist]
        lows = np.array([h[3][r] for h, r in zip(hist, rows, strict=True)])
        ts = np.array([h[0] for h in hist])
        # Forward differences of the same foot over each interval.
        v = np.diff(lows) / np.diff(ts)
        if not np.isfinite(lows).any() or not np.isfinite(v).any():
            return ext
        start = int(np.nanargmin(np.where(ts <= ext.t, lows, np.nan)))  # lowest point: still on the ground
        rising = v[start:]
        peak_rise = float(np.nanmax(rising)) if np.isfinite(rising).any() else 0.0
        if peak_rise < p.min_vertical_speed:
            return ext
        j = start + int(np.argmax(np.nan_to_num(rising, nan=-np.inf) >= p.rise_fraction * peak_rise))
        dts = np.diff(ts)
        if dts[min(j, len(dts) - 1)] > 1.5 * float(np.median(dts)):
            return None
        # Keep the confirmation bound: never name a lift-off the deadline has already passed.
        earliest = now - p.max_confirm_delay_s
        while j < len(ts) - 1 and ts[j] < earliest - 1e-9:
            j += 1
        return _Extremum(False, float(ts[j]), hist[j][1], rows[j], now)

    def _restart(self) -> None:
        """Forget the extremum search (after a long gap or a turn); the rhythm and sides are kept."""
        self._front.reset()
        self._back.reset()
        self._hist.clear()
        self._last_valid_t = None
        self._last_env = None

    def _signals(
        self, frame: GaitFrame | None, d: np.ndarray, t: float
    ) -> tuple[int, float, int, float] | None:
        """(front row, front envelope, back row, back envelope) of a sound frame; None for a glitch.

        A frame is a glitch when either envelope moved further since the last sound frame than a foot can
        move in that (real) time: max and min are continuous through label swaps and leg crossings, so
        only a tracking error makes them jump.
        """
        assert frame is not None
        p = self.params
        if p.foot_points == "heel_toe":
            assert self._px is not None
            ht = heel_toe_offsets(self._px, frame.forward, frame.leg_px)
            heel = np.where(np.isfinite(ht[:, 0]), ht[:, 0], d)
            toe = np.where(np.isfinite(ht[:, 1]), ht[:, 1], d)
            front_row, back_row = int(np.argmax(heel)), int(np.argmin(toe))
            front_v, back_v = float(heel[front_row]), float(toe[back_row])
        else:
            front_row = int(np.argmax(d))
            back_row = 1 - front_row
            front_v, back_v = float(d[front_row]), float(d[back_row])
        if self._last_env is not None:
            t0, f0, b0 = self._last_env
            allowed = p.max_foot_speed * (t - t0) + p.jump_slack
            if abs(front_v - f0) > allowed or abs(back_v - b0) > allowed:
                self.rejected_frames += 1
                return None
        self._last_env = (t, front_v, back_v)
        return front_row, front_v, back_row, back_v

    def update(self, sample: PoseSample) -> list[GaitEvent]:
        """Measure one frame; return the events this frame confirmed (in time order)."""
        t = sample.t / self.time_scale
        if self._last_t is not None and t <= self._last_t:
            raise ValueError("samples must arrive in strictly increasing time")
        dt = t - self._last_t if self._last_t is not None else 0.0
        self._last_t = t
        self._frame_dt = dt
        frame = self._measure(sample, t)
        self.last_frame = frame
        d = frame.legs[:, _D] if frame is not None else None
        events: list[GaitEvent] = []
        signals = self._signals(frame, d, t) if d is not None and np.isfinite(d).all() else None
        if frame is not None and self._forward is not None and frame.forward != self._forward:
            # The athlete turned round: extremes that straddle the turn are no steps, so restart as after a
            # long gap (the steps around a turn or a stop are not the gait being measured).
            self._restart()
            self._gap_since_ic = True
        if frame is not None:
            self._forward = frame.forward
        if signals is None:
            self._gap_since_ic = True
            if self._pending_ic is not None:
                ext = self._refine_contact(t, dt, final=False)
                if ext is not None:
                    self._pending_ic = None
                    ev = self._on_contact(ext)
                    events += [ev] if ev is not None else []
            if self._last_valid_t is not None and t - self._last_valid_t > self.params.max_gap_s:
                self._restart()
            return events
        self._last_valid_t = t
        assert frame is not None and d is not None
        front_row, front_v, back_row, back_v = signals
        self._hist.append((t, sample.frame_index, d.copy(), frame.foot_low))
        while (
            self._hist
            and self._hist[0][0] < t - 2 * self.params.search_back_s - self.params.max_confirm_delay_s
        ):
            self._hist.popleft()
        ext = self._front.update(t, dt, front_v, sample.frame_index, front_row)
        if ext is not None:
            if ext.is_max:
                if self._pending_ic is not None:  # a new extreme before the last one landed
                    old = self._refine_contact(t, dt, final=True)
                    ev = self._on_contact(old) if old is not None else None
                    events += [ev] if ev is not None else []
                self._pending_ic = ext
            else:
                ev = self._on_mid_stance(ext)
                events += [ev] if ev is not None else []
        if self._pending_ic is not None:
            ext = self._refine_contact(t, dt, final=False)
            if ext is not None:
                self._pending_ic = None
                ev = self._on_contact(ext)
                events += [ev] if ev is not None else []
        ext = self._back.update(t, dt, back_v, sample.frame_index, back_row)
        # One toe off per step: the lift-off seen in height and the backward extreme after it are one event.
        gap = max(self.params.min_step_s, self.params.min_step_fraction * self._typical_step())
        if ext is not None and not ext.is_max and ext.t - self._last_to_t > gap:
            refined = self._refine_toe_off(ext)
            ev = self._on_toe_off(refined) if refined is not None else None
            if ev is not None:
                self._last_to_t = ev.t
                events.append(ev)
        elif self._open and t - self._last_to_t > gap and len(self._hist) >= 2:
            # Lift-off seen as it happens: the back foot, behind the pelvis, rising clearly. Waiting for the
            # backward extreme instead can take longer than the confirmation bound allows.
            prev = self._hist[-2]
            v = (frame.foot_low[back_row] - prev[3][int(np.argmin(prev[2]))]) / (t - prev[0])
            if d[back_row] < 0 and v >= 2 * self.params.min_vertical_speed:
                now = _Extremum(False, t, sample.frame_index, back_row, t)
                refined = self._refine_toe_off(now)
                ev = self._on_toe_off(refined) if refined is not None else None
                if ev is not None:
                    self._last_to_t = ev.t
                    events.append(ev)
        events.sort(key=lambda e: e.t)
        return events
