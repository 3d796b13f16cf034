"""The streaming rep engine: one `RepEngine` per athlete stream turns `PoseSample`s into rep events.

How a rep is recognised (all exercise knowledge comes from the catalogue entry):
- The primary signal x is turned into an excursion e >= 0 away from the athlete's rest value
  (``e = (x - rest) * direction``). The rest value is learned while the athlete is at rest: it follows moves
  toward the rest end quickly and moves toward the working end slowly, so a slow descent is not absorbed
  into "rest", and it is clamped to the catalogue's plausible band so walking in or sitting down cannot
  drag it anywhere absurd.
- REST -> OUT when e stays beyond ``start`` for ``min_dwell_s`` (rep_started; set_started first if no set
  is open). OUT -> TURN when e passes the turn threshold. The turn is confirmed once e has fallen
  ``hysteresis`` below its peak (rep_bottom, stamped at the peak). The rep ends when e stays below
  ``start - hysteresis`` for ``min_dwell_s``: rep_completed if it had turned, partial_rep if it only got past
  ``start``. The count and timing of the rep are fixed there, but the events wait (state TOP, at most
  ``top_window_s``) until the athlete has arrived at the top - the signal stops approaching rest for
  ``top_settle_s`` or turns away again - because lockout-type rules must see the top, which a deadlift
  reaches well after it crosses the return threshold. Reps shorter than ``min_rep_s`` are jitter and are
  dropped; reps longer than ``max_rep_s`` or interrupted by a pose gap longer than ``max_gap_s`` are
  abandoned (the athlete sat down, racked the bar, walked off) and nothing counts
  until the athlete is back at rest.
- After ``adapt_after`` full reps, the turn threshold becomes ``partial_fraction`` of the median range of
  the athlete's own last full reps (never looser than the catalogue's), so a partial rep is judged against
  this athlete's full reps.
- set_ended is emitted after ``set_timeout_s`` without a rep starting, or by `finish()`.

Deterministic: the engine reads only the samples (media time ``sample.t``), never a clock, so replaying the
same samples gives the same events. Not thread-safe: owned by the thread that feeds the stream.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import Enum

import numpy as np

from coach.pose.types import PoseSample
from coach.reps.catalogue import ExerciseSpec, FormRule, Phase, Test
from coach.reps.signals import frame_features

__all__ = ["MOTION_ONSET", "Event", "EventKind", "Fault", "Rep", "RepEngine", "RepState"]

log = logging.getLogger(__name__)

# A rep's movement begins (ends) where the primary signal is this share of the rep's own excursion away
# from rest: relative, so a shallow rep is cut at its own onset like a deep one, and above the smoothed
# signal's noise at rest.
MOTION_ONSET = 0.05
# ... continued outwards while each frame is still this share of the excursion nearer rest.
_MOTION_STEP = 0.001
# How much of the rest before a rep is kept to find where its movement began.
_LEAD_S = 2.0


class RepState(Enum):
    IDLE = "idle"  # no usable signal (nobody in view, or the needed landmarks are hidden)
    SETTLING = "settling"  # signal present but not back at rest yet (after an abandoned rep, or on entry)
    REST = "rest"
    OUT = "out"  # moving away from rest, turn not reached yet
    TURN = "turn"  # beyond the turn threshold, waiting for the peak to be confirmed
    BACK = "back"  # returning to rest after the turn
    TOP = "top"  # back past the return threshold, waiting for the athlete to arrive at the top


class EventKind(Enum):
    SET_STARTED = "set_started"
    REP_STARTED = "rep_started"
    REP_BOTTOM = "rep_bottom"
    REP_COMPLETED = "rep_completed"
    PARTIAL_REP = "partial_rep"
    FORM_FAULT = "form_fault"
    SET_ENDED = "set_ended"


@dataclass(frozen=True, slots=True)
class Fault:
    """A form rule broken during one rep, with the frames it was seen in."""

    rule: str
    cue: str
    start_frame: int
    end_frame: int
    start_t: float
    end_t: float
    value: float  # the worst value of the rule's feature in those frames


@dataclass(frozen=True, slots=True)
class Rep:
    """One finished repetition (full or partial). `metrics` values are floats, NaN when not measurable."""

    index: int  # 1-based over every rep of the stream, full and partial
    partial: bool
    start_t: float
    bottom_t: float
    end_t: float
    start_frame: int
    bottom_frame: int
    end_frame: int
    metrics: Mapping[str, float]
    faults: tuple[Fault, ...]
    truncated: bool = False  # the stream ended on the way back; counted because the turn was passed
    # The whole movement, rest to rest: where the primary signal leaves and regains the last
    # `MOTION_ONSET` of its excursion (see `RepEngine._motion_span`). `start_frame`/`end_frame` are where
    # the rep is counted from and to (the thresholds), which cut off the slow first and last part of the
    # movement; the anomaly model judges the whole movement. None when the rep had no such frames.
    motion_start_frame: int | None = None
    motion_end_frame: int | None = None

    @property
    def motion_span(self) -> tuple[int, int]:
        """(first, last) frame of the whole movement, falling back to the counted span."""
        first = self.start_frame if self.motion_start_frame is None else self.motion_start_frame
        last = self.end_frame if self.motion_end_frame is None else self.motion_end_frame
        return first, last


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    t: float
    frame: int
    rep: Rep | None = None
    fault: Fault | None = None
    set_index: int = 0


@dataclass(frozen=True, slots=True)
class _Frame:
    t: float
    frame: int
    x: float
    features: dict[str, float]


class RepEngine:
    """Counts reps of one exercise in one athlete's stream of smoothed poses (see module docstring)."""

    def __init__(
        self,
        spec: ExerciseSpec,
        view: str | None = None,
        *,
        min_dwell_s: float = 0.06,
        min_rep_s: float | None = None,
        max_rep_s: float | None = None,
        max_gap_s: float = 1.0,
        min_coverage: float = 0.7,
        set_timeout_s: float = 10.0,
        adapt_after: int = 2,
        partial_fraction: float = 0.7,
        rest_follow_s: tuple[float, float] = (0.3, 6.0),
        top_settle_s: float = 0.25,
        top_window_s: float = 1.0,
    ) -> None:
        self.spec = spec
        self.view = view
        self.min_dwell_s = min_dwell_s
        self.min_rep_s = spec.min_rep_s if min_rep_s is None else min_rep_s
        self.max_rep_s = spec.max_rep_s if max_rep_s is None else max_rep_s
        self.max_gap_s = max_gap_s
        self.min_coverage = min_coverage
        self.set_timeout_s = set_timeout_s
        self.adapt_after = adapt_after
        self.partial_fraction = partial_fraction
        self._tau_to_rest, self._tau_to_work = rest_follow_s
        self.top_settle_s = top_settle_s
        self.top_window_s = top_window_s
        self._sign = float(spec.signal.direction.value)
        self.reset()

    def reset(self) -> None:
        """Forget everything (a new athlete or a new recording)."""
        self.state = RepState.IDLE
        self.rest_value = self.spec.signal.rest_nominal
        self._last_t: float | None = None
        self._last_valid_t: float | None = None
        self._pending_since: float | None = None
        self._recent: deque[_Frame] = deque(maxlen=256)  # rest frames kept to find where a rep began
        self._rep: list[_Frame] = []
        self._lead: list[_Frame] = []  # rest frames just before the rep (its movement may begin there)
        self._top: list[_Frame] = []  # frames after the return threshold, until the athlete is at the top
        self._top_best = (math.inf, 0.0)  # (smallest excursion in the top window, when it was reached)
        self._rep_samples = 0  # samples seen during the rep, with or without a usable signal
        self._rest_t: float | None = None
        self._peak_i = 0
        self._bottom_sent = False
        self._rep_count = 0  # full reps
        self._rep_seq = 0  # full + partial
        self._full_roms: list[float] = []
        self._set_index = 0
        self._set_open = False
        self._set_best_velocity = math.nan
        self._last_activity_t = -math.inf
        self.skipped_rules: set[str] = set()
        self.checked_rules: set[str] = set()

    @property
    def reps(self) -> int:
        """Full reps counted so far."""
        return self._rep_count

    @property
    def turn_threshold(self) -> float:
        """The current turn excursion: the catalogue's, or a fraction of the athlete's own full range."""
        sig = self.spec.signal
        if len(self._full_roms) >= self.adapt_after:
            own = self.partial_fraction * float(np.median(self._full_roms[-5:]))
            return max(sig.turn, own)
        return sig.turn

    # ------------------------------------------------------------------ streaming
    def update(self, sample: PoseSample, view: str | None = None) -> list[Event]:
        """Feed one sample (in media-time order); returns the events it caused, oldest first."""
        if view is not None:
            self.view = view
        if self._last_t is not None and sample.t <= self._last_t:
            log.debug("sample at %.3f s not after %.3f s ignored", sample.t, self._last_t)
            return []
        self._last_t = sample.t
        feats = frame_features(sample.pose)
        x = feats[self.spec.signal.feature]
        events: list[Event] = []
        if self.state in (RepState.OUT, RepState.TURN, RepState.BACK):
            self._rep_samples += 1  # coverage of the rep itself, not of its top window
        if not math.isfinite(x):
            self._on_gap(sample, events)
            self._check_set_timeout(sample, events)
            return events
        self._last_valid_t = sample.t
        fr = _Frame(sample.t, sample.frame_index, x, feats)
        if self.state is RepState.IDLE:
            self.state = RepState.SETTLING
        e = self._excursion(x)
        sig = self.spec.signal
        back_level = sig.start - sig.hysteresis
        if self.state is RepState.SETTLING:
            if self.spec.may_start_at_turn and not self._set_open and e >= self.turn_threshold:
                # First seen already at the turn (bar on the floor): the rep is under way.
                self._recent.clear()
                self._recent.append(fr)
                self._start_rep(events)
                self.state = RepState.TURN
                self._check_set_timeout(sample, events)
                return events
            # Whatever the athlete holds on arrival (inside the plausible band) is the first guess of rest.
            self._learn_rest(x, sample.t, settling=True)
            e = self._excursion(x)
            if self._dwell(e < back_level, sample.t):
                self.state = RepState.REST
                self._recent.clear()
        elif self.state is RepState.REST:
            self._learn_rest(x, sample.t)
            e = self._excursion(x)
            self._recent.append(fr)
            if self._dwell(e >= sig.start, sample.t):
                self._start_rep(events)
        elif self.state in (RepState.OUT, RepState.TURN, RepState.BACK):
            self._rep.append(fr)
            self._step_rep(e, back_level, sample, events)
        elif self.state is RepState.TOP:
            self._step_top(fr, e, events)
        self._check_set_timeout(sample, events)
        return events

    def finish(self) -> list[Event]:
        """End of stream. A rep already on its way back from the turn is counted (marked truncated): the
        recording stopped, not the athlete. Any other unfinished rep is dropped; an open set is closed."""
        events: list[Event] = []
        if self.state is RepState.TOP:
            self._end_rep(events, top_seen=False)
        elif self._rep and self.state is RepState.BACK:
            self._end_rep(events, truncated=True)
        elif self._rep:
            log.debug("stream ended during a rep before its turn; not counted")
        self._rep = []
        if self._set_open:
            t = self._last_t if self._last_t is not None else 0.0
            events.append(Event(EventKind.SET_ENDED, t, -1, set_index=self._set_index))
            self._set_open = False
        self.state = RepState.IDLE
        return events

    # ------------------------------------------------------------------ internals
    def _excursion(self, x: float) -> float:
        return (x - self.rest_value) * self._sign

    def _dwell(self, condition: bool, t: float) -> bool:
        """True once `condition` has held for min_dwell_s (one pending condition at a time)."""
        if not condition:
            self._pending_since = None
            return False
        if self._pending_since is None:
            self._pending_since = t
        if t - self._pending_since >= self.min_dwell_s:
            self._pending_since = None
            return True
        return False

    def _learn_rest(self, x: float, t: float, settling: bool = False) -> None:
        sig = self.spec.signal
        target = min(max(x, sig.rest_nominal - sig.rest_band), sig.rest_nominal + sig.rest_band)
        dt = 0.0 if self._rest_t is None else min(max(0.0, t - self._rest_t), self.max_gap_s)
        self._rest_t = t
        toward_rest = (target - self.rest_value) * self._sign < 0
        tau = self._tau_to_rest if toward_rest or settling else self._tau_to_work
        if dt > 0:
            self.rest_value += (target - self.rest_value) * (1.0 - math.exp(-dt / tau))

    def _start_rep(self, events: list[Event]) -> None:
        sig = self.spec.signal
        back_level = sig.start - sig.hysteresis
        # The rep began at the last rest frame still below the return level (symmetric with its end).
        frames = list(self._recent)
        begin = 0
        for i in range(len(frames) - 1, -1, -1):
            if self._excursion(frames[i].x) < back_level:
                begin = i
                break
        self._rep = frames[begin:]
        self._lead = [f for f in frames[:begin] if f.t >= self._rep[0].t - _LEAD_S]
        self._rep_samples = len(self._rep)
        self._recent.clear()
        self._peak_i = max(range(len(self._rep)), key=lambda i: self._excursion(self._rep[i].x))
        self._bottom_sent = False
        self.state = RepState.OUT
        first = self._rep[0]
        if not self._set_open:
            self._set_open = True
            self._set_index += 1
            self._set_best_velocity = math.nan
            events.append(Event(EventKind.SET_STARTED, first.t, first.frame, set_index=self._set_index))
        self._last_activity_t = first.t
        events.append(Event(EventKind.REP_STARTED, first.t, first.frame, set_index=self._set_index))

    def _step_rep(self, e: float, back_level: float, sample: PoseSample, events: list[Event]) -> None:
        sig = self.spec.signal
        peak_e = self._excursion(self._rep[self._peak_i].x)
        if e > peak_e:
            self._peak_i = len(self._rep) - 1
            peak_e = e
        if self.state is RepState.OUT and peak_e >= self.turn_threshold:
            self.state = RepState.TURN
        if self.state is RepState.TURN and e <= peak_e - sig.hysteresis:
            self.state = RepState.BACK
            pk = self._rep[self._peak_i]
            self._bottom_sent = True
            events.append(Event(EventKind.REP_BOTTOM, pk.t, pk.frame, set_index=self._set_index))
        if sample.t - self._rep[0].t > self.max_rep_s:
            log.debug("rep abandoned after %.1f s at t=%.2f", sample.t - self._rep[0].t, sample.t)
            self._abandon()
            return
        if self._dwell(e < back_level, sample.t):
            # Counted from here; the events wait for the top (see module docstring).
            self.state = RepState.TOP
            self._top = []
            self._top_best = (e, sample.t)

    def _step_top(self, fr: _Frame, e: float, events: list[Event]) -> None:
        best_e, best_t = self._top_best
        # "Still approaching rest" needs real progress, not jitter: a quarter of the hysteresis.
        if e < best_e - 0.25 * self.spec.signal.hysteresis:
            self._top_best = (e, fr.t)
        elif e < best_e:
            self._top_best = (e, best_t)
        self._top.append(fr)
        turned_away = e > self._top_best[0] + 0.5 * self.spec.signal.hysteresis
        settled = fr.t - self._top_best[1] >= self.top_settle_s
        too_long = fr.t - self._rep[-1].t >= self.top_window_s
        if turned_away or settled or too_long:
            top = self._top
            self._end_rep(events, top_seen=True)
            # The next rep may already be under way: its beginning is searched among these frames.
            self._recent.extend(top)

    def _abandon(self) -> None:
        self._rep = []
        self._lead = []
        self._pending_since = None
        self.state = RepState.SETTLING

    def _on_gap(self, sample: PoseSample, events: list[Event]) -> None:
        if self.state is RepState.TOP:
            # The rep is complete; only its top is unseen, so lockout rules are not judged.
            self._end_rep(events, top_seen=False)
        if self.state in (RepState.OUT, RepState.TURN, RepState.BACK):
            if self._last_valid_t is not None and sample.t - self._last_valid_t > self.max_gap_s:
                log.debug("rep abandoned: pose gap at t=%.2f", sample.t)
                self._abandon()
                self.state = RepState.IDLE
        elif self._last_valid_t is None or sample.t - self._last_valid_t > self.max_gap_s:
            self.state = RepState.IDLE
            self._recent.clear()

    def _check_set_timeout(self, sample: PoseSample, events: list[Event]) -> None:
        if (
            self._set_open
            and self.state not in (RepState.OUT, RepState.TURN, RepState.BACK, RepState.TOP)
            and sample.t - self._last_activity_t > self.set_timeout_s
        ):
            self._set_open = False
            events.append(Event(EventKind.SET_ENDED, sample.t, sample.frame_index, set_index=self._set_index))

    def _end_rep(self, events: list[Event], truncated: bool = False, top_seen: bool = False) -> None:
        frames = self._rep
        top = self._top
        lead = self._lead
        self._rep = []
        self._top = []
        self._lead = []
        self.state = RepState.REST
        self._recent.clear()
        self._recent.append(frames[-1])
        start, end = frames[0], frames[-1]
        self._last_activity_t = end.t
        if end.t - start.t < self.min_rep_s:
            log.debug("rep of %.2f s at t=%.2f too short: jitter", end.t - start.t, end.t)
            return
        if len(frames) < self.min_coverage * self._rep_samples:
            # Mostly guessed through dropouts (occlusion, a camera zoom): not trustworthy enough to count.
            log.debug("rep ending t=%.2f dropped: signal in %d of %d samples", end.t, len(frames),
                      self._rep_samples)
            return
        full = self._bottom_sent
        peak = frames[self._peak_i]
        self._rep_seq += 1
        if full:
            self._rep_count += 1
        motion = self._motion_span(lead, frames, top, self._peak_i)
        metrics = self._metrics(frames, self._peak_i)
        faults = self._faults(frames, self._peak_i, top if top_seen else None)
        if full:
            self._full_roms.append(self._excursion(peak.x))
        rep = Rep(
            index=self._rep_seq,
            partial=not full,
            start_t=start.t,
            bottom_t=peak.t,
            end_t=end.t,
            start_frame=start.frame,
            bottom_frame=peak.frame,
            end_frame=end.frame,
            metrics=metrics,
            faults=faults,
            truncated=truncated,
            motion_start_frame=motion[0],
            motion_end_frame=motion[1],
        )
        for f in faults:
            events.append(Event(EventKind.FORM_FAULT, f.end_t, f.end_frame, rep=rep, fault=f,
                                set_index=self._set_index))
        kind = EventKind.REP_COMPLETED if full else EventKind.PARTIAL_REP
        events.append(Event(kind, end.t, end.frame, rep=rep, set_index=self._set_index))

    def _motion_span(
        self, lead: list[_Frame], frames: list[_Frame], top: list[_Frame], peak_i: int
    ) -> tuple[int | None, int | None]:
        """(first, last) frame of the rep's whole movement: searching out from the peak, the last frame
        before it and the first after it whose excursion is within `MOTION_ONSET` of the peak's, or the
        frame nearest rest among those seen (the lead-in and the top window bound the search)."""
        peak_e = self._excursion(frames[peak_i].x)
        if not math.isfinite(peak_e) or peak_e <= 0:
            return None, None
        level = MOTION_ONSET * peak_e

        def find(seq: list[_Frame]) -> int:
            e = [self._excursion(f.x) for f in seq]
            k = next((i for i, v in enumerate(e) if v <= level), None)
            if k is None:
                return seq[int(np.argmin(e))].frame
            # A signal that is flat near rest (hip height over the first degrees of knee bend) reaches the
            # level late: keep going while it still approaches rest by more than noise.
            while k + 1 < len(e) and e[k + 1] < e[k] - _MOTION_STEP * peak_e:
                k += 1
            return seq[k].frame

        before = [*lead, *frames[: peak_i + 1]][::-1]
        after = [*frames[peak_i:], *top]
        return find(before), find(after)

    def _metrics(self, frames: list[_Frame], peak_i: int) -> dict[str, float]:
        spec = self.spec
        t = np.array([f.t for f in frames])
        x = np.array([f.x for f in frames])
        start, peak, end = frames[0], frames[peak_i], frames[-1]
        out_s, back_s = peak.t - start.t, end.t - peak.t
        ecc, con = (out_s, back_s) if spec.out_phase == "eccentric" else (back_s, out_s)
        vel = np.gradient(x, t) if len(x) > 2 else np.full_like(x, np.nan)
        con_slice = slice(peak_i, None) if spec.out_phase == "eccentric" else slice(0, peak_i + 1)
        con_vel = np.abs(vel[con_slice])
        peak_v = float(np.nanmax(con_vel)) if np.isfinite(con_vel).any() else math.nan
        best = self._set_best_velocity
        loss = 100.0 * (1.0 - peak_v / best) if math.isfinite(best) and best > 0 else math.nan
        if math.isfinite(peak_v):
            self._set_best_velocity = peak_v if not math.isfinite(best) else max(best, peak_v)

        def series(name: str | None) -> np.ndarray:
            if name is None:
                return np.array([math.nan])
            return np.array([f.features.get(name, math.nan) for f in frames])

        def nanreduce(fn, a: np.ndarray) -> float:  # noqa: ANN001 - numpy reducer
            return float(fn(a)) if np.isfinite(a).any() else math.nan

        depth = peak.features.get(spec.depth_feature, math.nan) if spec.depth_feature else math.nan
        return {
            "duration_s": end.t - start.t,
            "eccentric_s": ecc,
            "concentric_s": con,
            "rom": float(np.nanmax(x) - np.nanmin(x)),
            "depth": depth,
            "peak_trunk_lean_deg": nanreduce(np.nanmax, series(spec.lean_feature)),
            "asymmetry_deg": nanreduce(np.nanmean, series(spec.asymmetry_feature)),
            "peak_concentric_velocity": peak_v,
            "velocity_loss_pct": loss,
        }

    def _faults(
        self, frames: list[_Frame], peak_i: int, top: list[_Frame] | None
    ) -> tuple[Fault, ...]:
        """Faults of one rep; `top` holds the frames after the return threshold, None when the top was not
        seen (FINISH rules are then not judged for this rep)."""
        faults = []
        for rule in self.spec.rules:
            if self.view is None or self.view not in rule.views:
                self.skipped_rules.add(rule.name)
                continue
            self.checked_rules.add(rule.name)
            if rule.phase is Phase.FINISH and top is None:
                continue
            window = frames + (top or [])
            if rule.per_side:
                found = [
                    _check_rule(replace(rule, feature=f"{rule.feature}_{side}"), window, len(frames), peak_i,
                                self._sign)
                    for side in ("left", "right")
                ]
                sides = [f for f in found if f is not None]
                fault = None
                if sides:
                    # The worse side: furthest beyond the threshold in the rule's direction.
                    key = (lambda f: f.value) if rule.test is Test.ABOVE else (lambda f: -f.value)
                    fault = max(sides, key=key)
            else:
                fault = _check_rule(rule, window, len(frames), peak_i, self._sign)
            if fault is not None:
                faults.append(fault)
        return tuple(faults)


_BOTTOM_FRACTION = 0.8  # Phase.BOTTOM: frames past this fraction of the rep's excursion


def _check_rule(
    rule: FormRule, frames: list[_Frame], n_rep: int, peak_i: int, sign: float
) -> Fault | None:
    """One rule on one rep. `frames[:n_rep]` are the rep's frames, any after them its top window."""
    rep = range(n_rep)

    def excursion(i: int) -> float:  # larger = further from rest, whatever the exercise's direction
        return frames[i].x * sign

    # The top: of the rep's first frame and the frame nearest rest after the turn, the nearer to rest.
    finish_i = min(range(peak_i, len(frames)), key=excursion)
    top_i = min((0, finish_i), key=excursion)
    if rule.phase is Phase.TURN:
        idx = [peak_i]
    elif rule.phase is Phase.FINISH:
        idx = [finish_i]
    elif rule.phase is Phase.BOTTOM:
        depth = excursion(peak_i) - excursion(top_i)
        idx = [i for i in rep if excursion(i) - excursion(top_i) >= _BOTTOM_FRACTION * depth]
    elif rule.phase is Phase.OUT:
        idx = list(range(peak_i + 1))
    elif rule.phase is Phase.BACK:
        idx = list(range(peak_i, n_rep))
    else:
        idx = list(rep)
    ref = 0.0
    if rule.relative and rule.phase is Phase.BACK:
        ref = frames[peak_i].features.get(rule.feature, math.nan)
    elif rule.relative:
        # The athlete's own top posture: the median over the frames near the top (within a fifth of the
        # rep's excursion of it), because one frame of a standing ratio or foot pitch is too noisy.
        near = (1.0 - _BOTTOM_FRACTION) * (excursion(peak_i) - excursion(top_i))
        vals = [frames[i].features.get(rule.feature, math.nan) for i in range(len(frames))
                if excursion(i) - excursion(top_i) <= near]
        finite = [v for v in vals if math.isfinite(v)]
        ref = float(np.median(finite)) if finite else math.nan
    if not math.isfinite(ref):
        return None
    hits: list[int] = []
    worst = math.nan
    for i in idx:
        v = frames[i].features.get(rule.feature, math.nan) - ref
        bad = v > rule.threshold if rule.test is Test.ABOVE else v < rule.threshold
        if bad:  # NaN compares False: a hidden landmark never raises a fault
            hits.append(i)
            if not math.isfinite(worst) or (v > worst if rule.test is Test.ABOVE else v < worst):
                worst = v
    if len(hits) < rule.min_frames:
        return None
    a, b = frames[hits[0]], frames[hits[-1]]
    return Fault(rule.name, rule.cue, a.frame, b.frame, a.t, b.t, float(worst))
