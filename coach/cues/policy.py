"""What to say, and when: `CuePolicy` turns rep and gait engine output into short spoken `Cue`s.

Inputs, all in one ``on_events(events, t)`` call per analysed frame (or per drained batch):
- `coach.reps.engine.Event`: ``form_fault`` and ``rep_completed``/``partial_rep`` (whose `Rep` carries its
  faults) give corrective cues with the catalogue's own wording ("Sit deeper", "Knees out");
  ``rep_completed`` gives the rep count of the current set (when counting is on); ``set_started`` resets
  that count; ``set_ended`` gives an info cue ("Set done, 8 reps").
- `coach.gait.types.GaitEvent`: initial contacts give a rolling cadence (steps per minute, from the
  median interval between contacts of alternating feet); a running cadence below `min_cadence_spm` gives a
  corrective cue.
- `coach.gait.engine.MetricValue` named ``overstride`` (leg lengths, from `GaitEngine.values`): a running
  median above `max_overstride` gives a corrective cue. Anything else in the list is ignored.

Rules, in this order: at most ONE corrective cue per rep (the most important fault of the rep whose text is
not cooling down); a cue text once emitted is not emitted again for `cooldown_s` of media time (gait cues:
`gait_cooldown_s`; rep counts are exempt, their text changes every rep); a cue whose ``created_t`` is more
than `stale_after_s` older than ``t`` is dropped (the engines confirm a rep up to a second after it ended,
and a late batch must not make the athlete hear about a rep two reps ago). The result is sorted by priority,
most important first.

Deterministic and clock-free: every time is the media time passed in (event times and ``t``), so replaying
a session gives the same cues. Media time running backwards (a looped video, a new recording) resets the
cooldowns. Not thread-safe: owned by the thread that drains the engines (the analysis thread).

The banner in the UI shows the same cues: muting is the speaker's business, not the policy's; whether rep
counts are said at all (`speak_count`, `set_speak_count`: the app's "Count reps aloud") is the policy's, so
the banner, the speaker and a recording agree.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from coach.gait.engine import MetricValue
from coach.gait.types import EventKind as GaitEventKind
from coach.gait.types import GaitEvent
from coach.reps.engine import Event, EventKind, Fault, Rep

__all__ = [
    "DEFAULT_RULE_PRIORITY",
    "KINDS",
    "PRIORITY_CORRECTIVE",
    "PRIORITY_COUNT",
    "PRIORITY_INFO",
    "PRIORITY_SAFETY",
    "Cue",
    "CueKind",
    "CuePolicy",
]

log = logging.getLogger(__name__)

CueKind = Literal["corrective", "count", "info"]
KINDS: Final = frozenset({"corrective", "count", "info"})

# Higher is more important. Safety faults outrank technique faults, which outrank the count: when two
# cues compete for the speaker, the athlete hears the one that protects a joint.
PRIORITY_SAFETY: Final = 40
PRIORITY_CORRECTIVE: Final = 30
PRIORITY_PARTIAL: Final = 20
PRIORITY_COUNT: Final = 10
PRIORITY_INFO: Final = 0

# Catalogue rule names whose fault loads a joint or the spine (not just poorer technique). The catalogue
# carries the wording; how urgent a fault is belongs to the coaching policy.
DEFAULT_RULE_PRIORITY: Final[Mapping[str, int]] = {
    "knee_valgus": PRIORITY_SAFETY,
    "rounded_back": PRIORITY_SAFETY,
    "hips_rise_first": PRIORITY_SAFETY,
    "lean_back": PRIORITY_SAFETY,
}


@dataclass(frozen=True, slots=True)
class Cue:
    """One thing to say. `created_t` is the media time of what caused it (seconds); `rep_index` is the
    engine's 1-based rep index (full and partial reps) for rep cues, None otherwise."""

    text: str
    priority: int
    kind: CueKind
    created_t: float
    rep_index: int | None = None

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise ValueError("a cue needs text")
        if self.kind not in KINDS:
            raise ValueError(f"cue kind {self.kind!r} is not one of {sorted(KINDS)}")
        if not math.isfinite(self.created_t):
            raise ValueError("a cue needs a finite media time")


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A corrective cue competing for its rep's single slot; `order` keeps the catalogue's order on ties."""

    text: str
    priority: int
    t: float
    order: int


class CuePolicy:
    """Decides which cues to say (see module docstring). Owned by the analysis thread; no clock, no I/O."""

    def __init__(
        self,
        *,
        speak_count: bool = True,
        set_cues: bool = True,
        cooldown_s: float = 8.0,
        gait_cooldown_s: float = 20.0,
        stale_after_s: float = 2.5,
        partial_cue: str | None = "Full range",
        rule_priority: Mapping[str, int] | None = None,
        min_cadence_spm: float | None = 155.0,
        max_overstride: float | None = 0.4,
        gait_window: int = 8,
        activity: str | None = None,
    ) -> None:
        """
        speak_count: say the rep number of the current set after every full rep (False: never).
        set_cues: say "Set done, N reps" when a set ends.
        cooldown_s / gait_cooldown_s: media seconds before the same text may be said again.
        stale_after_s: cues older than this (media time) when they would be said are dropped.
        partial_cue: corrective text for a partial rep (None: say nothing about partial reps).
        rule_priority: priority per catalogue rule name (default: `DEFAULT_RULE_PRIORITY`, others
            `PRIORITY_CORRECTIVE`).
        min_cadence_spm: running cadence below this gives "Quicker, shorter steps" (None: off). 155 is a
            deliberately lenient floor under the often quoted 170-180 spm: slow runners sit near 160.
        max_overstride: running median foot-ahead-of-hip distance at contact (leg lengths) above which
            "Land under your hips" is said (None: off). A heuristic, not a published norm: the foot of a
            recreational runner typically lands about a quarter to a third of a leg length ahead of the
            hip, so 0.4 flags only a clear reach.
        gait_window: contacts / overstride values the rolling gait figures use.
        activity: gait alerts are given only while this is "running" (walking cadences are far lower);
            change it with `set_activity`.
        """
        if cooldown_s < 0 or gait_cooldown_s < 0 or stale_after_s <= 0:
            raise ValueError("cooldowns must be >= 0 and stale_after_s > 0")
        if gait_window < 3:
            raise ValueError("gait_window must be >= 3")
        self.speak_count = speak_count
        self.set_cues = set_cues
        self.cooldown_s = cooldown_s
        self.gait_cooldown_s = gait_cooldown_s
        self.stale_after_s = stale_after_s
        self.partial_cue = partial_cue
        self.rule_priority: Mapping[str, int] = (
            DEFAULT_RULE_PRIORITY if rule_priority is None else dict(rule_priority)
        )
        self.min_cadence_spm = min_cadence_spm
        self.max_overstride = max_overstride
        self.gait_window = gait_window
        self.activity = activity
        self.reset()

    def reset(self) -> None:
        """Forget everything (a new athlete, a new recording, the video looped)."""
        self._last_said: dict[str, float] = {}
        self._corrected: deque[int] = deque(maxlen=64)  # rep indices that already had their corrective
        self._set_reps = 0
        self._last_t = -math.inf
        self._contacts: deque[GaitEvent] = deque(maxlen=self.gait_window + 1)
        self._overstride: deque[float] = deque(maxlen=self.gait_window)

    def set_speak_count(self, on: bool) -> None:
        """Count reps aloud or not (the app's "Count reps aloud" option), from the next event on. Only the
        "count" cues go: the set's count goes on (a later "Set done, N reps" counts every rep), and turning
        counting back on mid-set says the set's true rep number, not 1."""
        self.speak_count = bool(on)

    def set_activity(self, activity: str | None) -> None:
        """The current activity; gait alerts apply to "running" only. A change clears the gait history."""
        if activity != self.activity:
            self.activity = activity
            self._contacts.clear()
            self._overstride.clear()

    @property
    def set_reps(self) -> int:
        """Full reps counted in the current set (what the count cue says)."""
        return self._set_reps

    def cadence_spm(self) -> float:
        """Rolling cadence from the recent initial contacts (steps/min), NaN until enough steps are seen."""
        steps = [
            b.t - a.t
            for a, b in zip(self._contacts, list(self._contacts)[1:], strict=False)
            if b.foot is not a.foot and b.t > a.t
        ]
        if len(steps) < self.gait_window // 2:
            return math.nan
        steps.sort()
        mid = len(steps) // 2
        median = steps[mid] if len(steps) % 2 else 0.5 * (steps[mid - 1] + steps[mid])
        return 60.0 / median

    # ------------------------------------------------------------------ main entry
    def on_events(self, events: Iterable[object], t: float) -> list[Cue]:
        """Cues to say now for `events` (in engine order) at media time `t`, most important first."""
        if t < self._last_t:
            log.debug("media time went back from %.2f to %.2f s: cue history reset", self._last_t, t)
            self.reset()
        self._last_t = t
        cues: list[Cue] = []
        candidates: dict[int, list[_Candidate]] = {}
        gait_seen = False
        for ev in events:
            if isinstance(ev, Event):
                self._on_rep_event(ev, cues, candidates)
            elif isinstance(ev, GaitEvent):
                if ev.kind is GaitEventKind.INITIAL_CONTACT:
                    self._contacts.append(ev)
                    gait_seen = True
            elif isinstance(ev, MetricValue) and ev.name == "overstride" and math.isfinite(ev.value):
                self._overstride.append(ev.value)
                gait_seen = True
        for rep_index, cands in candidates.items():
            cue = self._pick_corrective(rep_index, cands, t)
            if cue is not None:
                cues.append(cue)
        if gait_seen:
            cues.extend(self._gait_cues(t))
        fresh = [c for c in cues if t - c.created_t <= self.stale_after_s]
        if len(fresh) < len(cues):
            log.debug("dropped %d stale cue(s) at t=%.2f", len(cues) - len(fresh), t)
        for c in fresh:
            if c.kind != "count":
                self._last_said[c.text] = t
        # Stable sort: equal priorities keep engine order (a count before a later info).
        return sorted(fresh, key=lambda c: -c.priority)

    def is_stale(self, cue: Cue, t: float) -> bool:
        """True when `cue` is too old to be said at media time `t` (for holders that delay cues)."""
        return t - cue.created_t > self.stale_after_s

    # ------------------------------------------------------------------ internals
    def _on_rep_event(self, ev: Event, cues: list[Cue], candidates: dict[int, list[_Candidate]]) -> None:
        if ev.kind is EventKind.SET_STARTED:
            self._set_reps = 0
        elif ev.kind is EventKind.SET_ENDED:
            if self.set_cues and self._set_reps > 0:
                noun = "rep" if self._set_reps == 1 else "reps"
                cues.append(Cue(f"Set done, {self._set_reps} {noun}", PRIORITY_INFO, "info", ev.t))
            self._set_reps = 0
        elif ev.kind is EventKind.FORM_FAULT and ev.fault is not None and ev.rep is not None:
            self._add_candidate(candidates, ev.rep, ev.fault)
        elif ev.kind in (EventKind.REP_COMPLETED, EventKind.PARTIAL_REP) and ev.rep is not None:
            rep = ev.rep
            # The rep's own fault list covers a caller that forwards only rep_completed; duplicates of
            # form_fault events collapse because one rep gets one corrective at most.
            for f in rep.faults:
                self._add_candidate(candidates, rep, f)
            if ev.kind is EventKind.PARTIAL_REP:
                if self.partial_cue:
                    slot = candidates.setdefault(rep.index, [])
                    slot.append(_Candidate(self.partial_cue, PRIORITY_PARTIAL, rep.end_t, len(slot)))
            else:
                self._set_reps += 1
                if self.speak_count:
                    cues.append(Cue(str(self._set_reps), PRIORITY_COUNT, "count", ev.t, rep.index))

    def _add_candidate(self, candidates: dict[int, list[_Candidate]], rep: Rep, f: Fault) -> None:
        slot = candidates.setdefault(rep.index, [])
        if any(c.text == f.cue for c in slot):
            return
        prio = self.rule_priority.get(f.rule, PRIORITY_CORRECTIVE)
        # Stamped when the rep ended, not when the fault was seen: faults are only known once the rep is
        # judged, and staleness measures how late the cue is relative to when it could first be said.
        slot.append(_Candidate(f.cue, prio, rep.end_t, len(slot)))

    def _pick_corrective(self, rep_index: int, cands: list[_Candidate], t: float) -> Cue | None:
        if rep_index in self._corrected:
            return None
        for c in sorted(cands, key=lambda c: (-c.priority, c.order)):
            if self._cooling(c.text, t, self.cooldown_s):
                continue
            self._corrected.append(rep_index)
            return Cue(c.text, c.priority, "corrective", c.t, rep_index)
        return None

    def _cooling(self, text: str, t: float, cooldown_s: float) -> bool:
        last = self._last_said.get(text)
        return last is not None and t - last < cooldown_s

    def _gait_cues(self, t: float) -> list[Cue]:
        if self.activity != "running":
            return []
        out: list[Cue] = []
        if self.max_overstride is not None and len(self._overstride) >= self.gait_window // 2:
            vals = sorted(self._overstride)
            median = vals[len(vals) // 2]
            text = "Land under your hips"
            if median > self.max_overstride and not self._cooling(text, t, self.gait_cooldown_s):
                out.append(Cue(text, PRIORITY_CORRECTIVE, "corrective", t))
        cadence = self.cadence_spm()
        if self.min_cadence_spm is not None and cadence < self.min_cadence_spm:  # NaN compares False
            text = "Quicker, shorter steps"
            if not self._cooling(text, t, self.gait_cooldown_s):
                out.append(Cue(text, PRIORITY_CORRECTIVE, "corrective", t))
        # One gait correction at a time: two instructions at once are one too many mid-stride; the other
        # is still due on the next contact, as it has not started its cooldown.
        return out[:1]
