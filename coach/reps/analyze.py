"""Offline rep analysis of a whole clip: stream a smoothed `PoseTrack` through a `RepEngine`.

The same engine the live app feeds one sample at a time, so `coach analyze` and the live run agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from coach.analysis.track import PoseTrack
from coach.pose.types import PoseSample
from coach.reps.catalogue import spec_for
from coach.reps.engine import Event, EventKind, Rep, RepEngine

__all__ = ["RepAnalysis", "analyze_reps", "rep_to_json"]


def _plain(v: float) -> float | None:
    """JSON has no NaN: a value that could not be measured is None."""
    return float(v) if math.isfinite(v) else None


def rep_to_json(rep: Rep) -> dict:
    """One rep as plain JSON types (the `rep_events` entries of `coach analyze --json`)."""
    return {
        "index": rep.index,
        "start_s": rep.start_t,
        "bottom_s": rep.bottom_t,
        "end_s": rep.end_t,
        "start_frame": rep.start_frame,
        "bottom_frame": rep.bottom_frame,
        "end_frame": rep.end_frame,
        "motion_start_frame": rep.motion_start_frame,
        "motion_end_frame": rep.motion_end_frame,
        "partial": rep.partial,
        "truncated": rep.truncated,
        "metrics": {k: _plain(v) for k, v in rep.metrics.items()},
        "faults": [
            {"rule": f.rule, "cue": f.cue, "start_frame": f.start_frame, "end_frame": f.end_frame}
            for f in rep.faults
        ],
    }


@dataclass(frozen=True, slots=True)
class RepAnalysis:
    """What the rep engine made of one clip."""

    exercise: str
    view: str
    events: tuple[Event, ...]
    reps: int
    partial_reps: int
    rep_records: tuple[Rep, ...]  # full and partial, in order
    checked_rules: tuple[str, ...]
    skipped_rules: tuple[str, ...]  # rules that need a view this clip was not filmed from
    view_supported: bool  # the catalogue says counting is reliable in this view
    sets: int

    @property
    def faults(self) -> int:
        return sum(len(r.faults) for r in self.rep_records)

    def to_json(self) -> dict:
        """Plain JSON types only; NaN becomes None."""
        return {
            "exercise": self.exercise,
            "view": self.view,
            "view_supported": self.view_supported,
            "reps": self.reps,
            "partial_reps": self.partial_reps,
            "sets": self.sets,
            "rep_events": [rep_to_json(r) for r in self.rep_records],
            "checked_rules": list(self.checked_rules),
            "skipped_rules": list(self.skipped_rules),
        }


def analyze_reps(track: PoseTrack, exercise: str, view: str, **engine_options: float) -> RepAnalysis:
    """Run the rep engine over every frame of a SMOOTHED track (`coach.pose.smoothing.smooth_track`).

    `exercise` is a catalogue name or a label alias (e.g. "deadlift_romanian"); `view` a
    `coach.kinematics.view.View` value (a plain string works too). Pure; any thread.
    """
    spec = spec_for(exercise)
    engine = RepEngine(spec, str(view), **engine_options)
    events: list[Event] = []
    for i in range(len(track)):
        sample = PoseSample(float(track.media_ts[i]), int(track.frame_index[i]), track.pose_at(i))
        events.extend(engine.update(sample))
    events.extend(engine.finish())
    records = tuple(
        e.rep
        for e in events
        if e.kind in (EventKind.REP_COMPLETED, EventKind.PARTIAL_REP) and e.rep is not None
    )
    return RepAnalysis(
        exercise=spec.name,
        view=str(view),
        events=tuple(events),
        reps=sum(1 for r in records if not r.partial),
        partial_reps=sum(1 for r in records if r.partial),
        rep_records=records,
        checked_rules=tuple(sorted(engine.checked_rules)),
        skipped_rules=tuple(sorted(engine.skipped_rules - engine.checked_rules)),
        view_supported=str(view) in spec.views,
        sets=sum(1 for e in events if e.kind is EventKind.SET_STARTED),
    )
