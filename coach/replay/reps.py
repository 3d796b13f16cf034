"""The reps, scored strides and gait events of a recorded session, as rows the replay can seek to (no Qt).

Built from a session's events *with corrections applied* (`SessionReader.events` or
`coach.session.events.apply_corrections`), so a deleted rep is gone and an added one is listed. Event
frames are frame numbers; rows are positions in the recording (`SessionReader.row_of_frame`), which differ
when a camera session skipped frames. Pure values; any thread.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["GaitMark", "RepItem", "RepList", "StrideItem", "gait_marks", "stride_items"]

_REP_TYPES = ("rep_completed", "partial_rep")


@dataclass(frozen=True, slots=True)
class RepItem:
    """One rep: frames (the ids corrections refer to), rows (what the replay seeks to), times, metrics."""

    number: int  # 1-based position in the list (what the coach sees)
    start_frame: int
    bottom_frame: int
    end_frame: int
    start_row: int
    bottom_row: int
    end_row: int
    start_s: float
    end_s: float
    partial: bool
    added: bool
    metrics: Mapping[str, Any] = field(default_factory=dict)
    faults: tuple[str, ...] = ()
    anomaly: float | None = None  # the autoencoder's score (1.0 = a typical good rep), None when unscored
    anomaly_threshold: float | None = None  # the threshold it was judged by when recorded
    population_threshold: float | None = None  # the model's own (differs when recorded with a personal one)
    top_joints: tuple[str, ...] = ()  # where the rep deviates most, worst first
    good_form: bool = False  # marked good form (corrections.jsonl): sets the athlete's personal threshold

    def __post_init__(self) -> None:
        if not self.start_row <= self.end_row:
            raise ValueError(f"rep {self.number}: start row {self.start_row} after end row {self.end_row}")

    @property
    def rows(self) -> range:
        """The rep's rows, start to end inclusive."""
        return range(self.start_row, self.end_row + 1)

    def contains(self, row: int) -> bool:
        return self.start_row <= row <= self.end_row

    def metric(self, name: str) -> float:
        """A metric as a float (NaN when missing or null: an added rep has no metrics)."""
        value = self.metrics.get(name)
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else math.nan


@dataclass(frozen=True, slots=True)
class StrideItem:
    """One running or walking stride the anomaly model scored (a `stride_anomaly` event): one foot's
    contact to its next. A foot's strides overlap the other foot's by about half."""

    index: int  # the recording's stride number (`stride_index`, from 1): what corrections refer to
    foot: str  # "L" | "R"
    start_row: int
    end_row: int
    start_s: float
    end_s: float
    anomaly: float | None
    anomaly_threshold: float | None  # the threshold it was judged by when recorded
    population_threshold: float | None = None  # the model's own
    top_joints: tuple[str, ...] = ()
    good_form: bool = False

    def contains(self, row: int) -> bool:
        return self.start_row <= row <= self.end_row


def stride_items(events: Iterable[Mapping[str, Any]], row_at: Callable[[float], int]) -> list[StrideItem]:
    """The scored strides (corrections applied: their good-form marks), in time order; `row_at(t)` is the
    row shown at media time t."""
    out = []
    for e in events:
        if e.get("type") != "stride_anomaly" or not isinstance(e.get("stride_index"), int):
            continue
        verdict = e.get("anomaly") if isinstance(e.get("anomaly"), Mapping) else {}
        start_s, end_s = float(e["start_s"]), float(e["end_s"])
        out.append(StrideItem(
            index=int(e["stride_index"]), foot=str(e.get("foot", "")),
            # The stride's rows run up to, not including, the next contact (as it was scored).
            start_row=row_at(start_s), end_row=max(row_at(start_s), row_at(end_s) - 1),
            start_s=start_s, end_s=end_s,
            anomaly=_finite(verdict.get("score")), anomaly_threshold=_finite(verdict.get("threshold")),
            population_threshold=_population(verdict),
            top_joints=tuple(str(j) for j in verdict.get("top_joints") or ()),
            good_form=bool(e.get("good_form", False)),
        ))
    out.sort(key=lambda s: (s.start_s, s.index))
    return out


@dataclass(frozen=True, slots=True)
class GaitMark:
    """One gait event at a row."""

    row: int
    frame: int
    t: float
    kind: str
    foot: str


class RepList:
    """The session's reps in time order (full and partial)."""

    def __init__(self, reps: Sequence[RepItem]) -> None:
        self.reps: tuple[RepItem, ...] = tuple(sorted(reps, key=lambda r: r.start_row))

    @classmethod
    def from_events(cls, events: Iterable[Mapping[str, Any]], row_of_frame: Callable[[int], int]) -> RepList:
        """Reps from rep_completed / partial_rep events (corrections already applied), with the anomaly
        verdict of their ``anomaly`` event (matched by the rep engine's index) or of their own payload."""
        events = list(events)
        verdicts = {
            ev["rep_index"]: ev.get("anomaly")
            for ev in events
            if ev.get("type") == "anomaly" and isinstance(ev.get("rep_index"), int)
        }
        items: list[RepItem] = []
        for ev in events:
            rep = ev.get("rep")
            if ev.get("type") not in _REP_TYPES or not isinstance(rep, Mapping):
                continue
            start, end = int(rep["start_frame"]), int(rep["end_frame"])
            bottom = int(rep.get("bottom_frame", start))
            verdict = rep.get("anomaly", verdicts.get(rep.get("index")))
            verdict = verdict if isinstance(verdict, Mapping) else {}
            items.append(RepItem(
                number=0,
                start_frame=start, bottom_frame=bottom, end_frame=end,
                start_row=row_of_frame(start), bottom_row=row_of_frame(bottom), end_row=row_of_frame(end),
                start_s=float(rep.get("start_s", ev.get("t", 0.0))), end_s=float(rep.get("end_s", ev["t"])),
                partial=bool(rep.get("partial", ev.get("type") == "partial_rep")),
                added=bool(rep.get("added", False)),
                metrics=dict(rep.get("metrics") or {}),
                faults=tuple(str(f.get("rule")) for f in rep.get("faults") or () if isinstance(f, Mapping)),
                anomaly=_finite(verdict.get("score")),
                anomaly_threshold=_finite(verdict.get("threshold")),
                population_threshold=_population(verdict),
                top_joints=tuple(str(j) for j in verdict.get("top_joints") or ()),
                good_form=bool(rep.get("good_form", False)),
            ))
        items.sort(key=lambda r: r.start_row)
        numbered = [replace(r, number=n) for n, r in enumerate(items, 1)]
        return cls(numbered)

    def __len__(self) -> int:
        return len(self.reps)

    def __getitem__(self, i: int) -> RepItem:
        return self.reps[i]

    def __iter__(self) -> Iterator[RepItem]:
        return iter(self.reps)

    @property
    def start_rows(self) -> list[int]:
        """Where each rep starts (the marks prev/next rep jumps between)."""
        return [r.start_row for r in self.reps]

    def at_row(self, row: int) -> RepItem | None:
        """The rep whose rows contain `row`, if any."""
        for rep in self.reps:
            if rep.contains(row):
                return rep
        return None

    def counts_at(self, frame: int) -> tuple[int, int]:
        """(full, partial) reps finished at or before `frame`: what the live counter showed then."""
        full = sum(1 for r in self.reps if r.end_frame <= frame and not r.partial)
        partial = sum(1 for r in self.reps if r.end_frame <= frame and r.partial)
        return full, partial

    def best(self) -> RepItem | None:
        """The reference rep for the ghost: a full, measured rep with the fewest form faults, then the
        largest range of motion (the rep the coach would hold up as the example). None without one."""
        candidates = [r for r in self.reps if not r.partial and not r.added]
        if not candidates:
            return None

        def key(r: RepItem) -> tuple[int, float]:
            rom = r.metric("rom")
            return len(r.faults), -(rom if math.isfinite(rom) else -math.inf)

        return min(candidates, key=key)


def gait_marks(events: Iterable[Mapping[str, Any]], row_of_frame: Callable[[int], int]) -> list[GaitMark]:
    """The gait events (corrections applied), in row order."""
    marks = [
        GaitMark(row=row_of_frame(int(e["frame"])), frame=int(e["frame"]), t=float(e["t"]),
                 kind=str(e.get("kind", "")), foot=str(e.get("foot", "")))
        for e in events if e.get("type") == "gait_event"
    ]
    marks.sort(key=lambda m: m.row)
    return marks


def _population(verdict: Mapping[str, Any]) -> float | None:
    """The model's own threshold of an anomaly verdict: ``population_threshold`` when it was judged by a
    personal one, else its ``threshold``."""
    return _finite(verdict.get("population_threshold", verdict.get("threshold")))


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)
