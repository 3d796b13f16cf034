"""Everything the exports read from a session directory, loaded once: manifest, corrected events, reps with
their metrics, sets, the gait summary, and per-frame angles recomputed from the stored landmarks.

The session format stores no angles (docs/session_format.md): they are recomputed here with
`coach.kinematics.angles` (image angles from the smoothed landmarks in pixels, world angles from the world
landmarks), so every export uses the one angle convention. Reps, sets and the gait summary come from the
library's `coach.library.source.summarise`, so an export and the library count the same reps after the
coach's corrections (a deleted rep is absent, an added one is present without metrics). Rep anomalies are
judged as the replay judges them: by the athlete's personal threshold when they have reps marked good form
(this session's, and their other sessions' from the library; `coach.ml.anomaly.personal_threshold`). A run's
scored strides (`stride_anomaly` events) are listed and judged the same way, by its good-form strides.

Pure reading; any thread. `SessionData` holds the open `SessionReader` (for images); close it when done.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from coach.activities import is_gait
from coach.export.errors import ExportError
from coach.feedback.summary_input import judged_by
from coach.kinematics.angles import angles_from_landmarks, angles_from_world
from coach.library import GoodFormSource, session_good_form_scores
from coach.library.source import GaitSummary, SessionSummary, summarise
from coach.session.format import SessionError
from coach.session.reader import SessionReader
from coach.session.verify import VerifyReport

__all__ = ["REP_EVENT_TYPES", "RepRow", "SessionData", "StrideRow", "load_session"]

REP_EVENT_TYPES = ("rep_completed", "partial_rep")


@dataclass(frozen=True, slots=True)
class RepRow:
    """One rep of the corrected session. `index` is its 1-based position after corrections (what a coach
    counts); metric values are None when not measured (never NaN)."""

    index: int
    engine_index: int | None
    set_index: int | None
    exercise: str | None
    partial: bool
    added: bool
    start_frame: int | None
    end_frame: int | None
    start_s: float | None
    end_s: float | None
    metrics: Mapping[str, float | None]
    faults: tuple[Mapping[str, Any], ...]  # the rep's fault dicts ({rule, cue, ...}) as recorded
    anomaly_score: float | None
    anomaly_threshold: float | None
    anomaly_top_joints: tuple[str, ...]

    @property
    def flagged(self) -> bool:
        """The anomaly model scored this rep above its threshold."""
        return (self.anomaly_score is not None and self.anomaly_threshold is not None
                and self.anomaly_score > self.anomaly_threshold)

    def fault_rules(self) -> tuple[str, ...]:
        return tuple(str(f.get("rule")) for f in self.faults if f.get("rule"))

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types (None for anything unmeasured)."""
        return {
            "rep": self.index,
            "engine_index": self.engine_index,
            "set": self.set_index,
            "exercise": self.exercise,
            "partial": self.partial,
            "added": self.added,
            "start_frame": self.start_frame,
            "end_frame": self.end_frame,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "metrics": dict(self.metrics),
            "faults": [dict(f) for f in self.faults],
            "anomaly": _anomaly_json(self),
        }


@dataclass(frozen=True, slots=True)
class StrideRow:
    """One running/walking stride the anomaly model scored while recording (one foot's contact to its
    next), with the threshold it is judged by (the athlete's personal one once strides are marked good)."""

    index: int  # the recording's stride number, from 1
    foot: str | None
    start_s: float | None
    end_s: float | None
    anomaly_score: float | None
    anomaly_threshold: float | None
    anomaly_top_joints: tuple[str, ...]
    good_form: bool

    @property
    def flagged(self) -> bool:
        return (self.anomaly_score is not None and self.anomaly_threshold is not None
                and self.anomaly_score > self.anomaly_threshold)

    def to_json(self) -> dict[str, Any]:
        return {
            "stride": self.index,
            "foot": self.foot,
            "start_s": self.start_s,
            "end_s": self.end_s,
            "good_form": self.good_form,
            "anomaly": _anomaly_json(self),
        }


def _anomaly_json(row: RepRow | StrideRow) -> dict[str, Any] | None:
    """A rep's or stride's verdict as the exports write it (None: not scored)."""
    if row.anomaly_score is None:
        return None
    return {"score": row.anomaly_score, "threshold": row.anomaly_threshold, "flagged": row.flagged,
            "top_joints": list(row.anomaly_top_joints)}


class SessionData:
    """A session opened for export (see the module docstring). Use as a context manager or call `close()`.

    Per-frame arrays are per recorded row: `frame_index`, `media_ts`, `capture_ts`, `has_pose`; `angles` and
    `world_angles` map every `coach.kinematics.angles.ANGLE_NAMES` name to an (N,) float64 array, NaN where
    no pose was seen or a landmark was hidden.
    """

    def __init__(self, reader: SessionReader, good_form_source: GoodFormSource | None = None) -> None:
        """`good_form_source(athlete, exercise, session id)`: the athlete's good-form scores from their
        other sessions (default: the user's library)."""
        self.reader = reader
        self.path = reader.path
        self.manifest: dict[str, Any] = dict(reader.manifest)
        self.events: list[dict[str, Any]] = list(reader.events)
        self.corrections: list[dict[str, Any]] = list(reader.corrections)
        self.frame_index = reader.frame_index.astype(np.int64)
        self.media_ts = reader.media_ts.astype(np.float64)
        self.capture_ts = reader.capture_ts.astype(np.float64)
        self.has_pose = reader.has_pose.copy()
        self.angles = _masked(angles_from_landmarks(reader.landmarks, reader.image_size), self.has_pose)
        self.world_angles = _masked(angles_from_world(reader.world), self.has_pose)
        exercise = self.manifest.get("exercise")
        self.summary: SessionSummary = summarise(
            reader.path, self.manifest, self.events, reader.frame_count, reader.duration_s
        )
        self.exercise: str | None = exercise if isinstance(exercise, str) and exercise else None
        good = session_good_form_scores(self.summary, good_form_source)
        # How many good-form reps (strides, in a run) set the threshold the reps and strides are judged by
        # (0: the population threshold).
        self.good_form_reps = len(good)
        # The events with every verdict judged by that threshold: the rows and the written summary read
        # these (`events` stays as recorded, corrections applied).
        run = self.summary.exercise is not None and is_gait(self.summary.exercise)
        self.judged_events = judged_by(self.events, good, run=run)
        self.reps: tuple[RepRow, ...] = _rep_rows(self.summary, self.judged_events)
        self.strides: tuple[StrideRow, ...] = _stride_rows(self.judged_events)

    @property
    def frame_count(self) -> int:
        return self.reader.frame_count

    @property
    def fps(self) -> float:
        return self.reader.fps

    @property
    def duration_s(self) -> float:
        return self.reader.duration_s

    @property
    def gait(self) -> GaitSummary | None:
        return self.summary.gait

    @property
    def athlete(self) -> str | None:
        return self.summary.athlete

    def verify(self) -> VerifyReport:
        """`coach.session.verify` of the open session (frame sample decoded)."""
        return self.reader.verify()

    def rep_of_frame(self) -> np.ndarray:
        """(N,) int64: the corrected rep number each row lies in (start to end frame inclusive), 0 if none."""
        out = np.zeros(self.frame_count, dtype=np.int64)
        for rep in self.reps:
            if rep.start_frame is None or rep.end_frame is None:
                continue
            inside = (self.frame_index >= rep.start_frame) & (self.frame_index <= rep.end_frame)
            out[inside & (out == 0)] = rep.index  # reps do not overlap; if an added one does, first wins
        return out

    def close(self) -> None:
        self.reader.close()

    def __enter__(self) -> SessionData:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def load_session(path: str | os.PathLike[str], good_form_source: GoodFormSource | None = None) -> SessionData:
    """Open the session directory at `path` for export; raises `ExportError` when it is not a session."""
    try:
        reader = SessionReader(Path(path))
    except SessionError as exc:
        raise ExportError(str(exc)) from exc
    try:
        return SessionData(reader, good_form_source)
    except BaseException:
        reader.close()
        raise


# ---------------------------------------------------------------------------------------------- helpers
def _masked(angles: Mapping[str, np.ndarray], has_pose: np.ndarray) -> dict[str, np.ndarray]:
    # Rows without a pose hold whatever the recorder wrote for "nobody": an angle there must read as missing.
    out = {}
    for name, values in angles.items():
        a = np.asarray(values, dtype=np.float64).copy()
        a[~has_pose] = np.nan
        out[name] = a
    return out


def _rep_rows(summary: SessionSummary, events: Sequence[Mapping[str, Any]]) -> tuple[RepRow, ...]:
    """The library's rep records joined with what it does not keep: fault names and the anomaly verdict."""
    payloads = [e.get("rep") if isinstance(e.get("rep"), Mapping) else {} for e in events
                if e.get("type") in REP_EVENT_TYPES]
    if len(payloads) != len(summary.reps):  # summarise walks the same rep events in the same order
        raise ExportError(f"{summary.path}: {len(summary.reps)} reps summarised from {len(payloads)} events")
    anomaly_events: dict[int, Mapping[str, Any]] = {}
    for e in events:
        if e.get("type") == "anomaly":
            index = e.get("rep_index", e.get("index"))
            verdict = e.get("anomaly", e)
            if isinstance(index, int) and isinstance(verdict, Mapping):
                anomaly_events[index] = verdict
    rows = []
    for record, rep in zip(summary.reps, payloads, strict=True):
        verdict = rep.get("anomaly")
        if not isinstance(verdict, Mapping) and record.engine_index is not None:
            verdict = anomaly_events.get(record.engine_index)
        verdict = verdict if isinstance(verdict, Mapping) else {}
        faults = rep.get("faults")
        joints = verdict.get("top_joints")
        rows.append(
            RepRow(
                index=record.index,
                engine_index=record.engine_index,
                set_index=record.set_index,
                exercise=record.exercise,
                partial=record.partial,
                added=record.added,
                start_frame=record.start_frame,
                end_frame=record.end_frame,
                start_s=record.start_s,
                end_s=record.end_s,
                metrics=dict(record.metrics),
                faults=tuple(f for f in faults if isinstance(f, Mapping)) if isinstance(faults, list) else (),
                anomaly_score=record.anomaly_score,
                anomaly_threshold=_finite(verdict.get("threshold")),
                anomaly_top_joints=tuple(str(j) for j in joints) if isinstance(joints, list) else (),
            )
        )
    return tuple(rows)


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _stride_rows(events: Sequence[Mapping[str, Any]]) -> tuple[StrideRow, ...]:
    rows = []
    for e in events:
        if e.get("type") != "stride_anomaly" or not isinstance(e.get("stride_index"), int):
            continue
        verdict = e.get("anomaly") if isinstance(e.get("anomaly"), Mapping) else {}
        joints = verdict.get("top_joints")
        rows.append(StrideRow(
            index=int(e["stride_index"]), foot=str(e["foot"]) if e.get("foot") else None,
            start_s=_finite(e.get("start_s")), end_s=_finite(e.get("end_s")),
            anomaly_score=_finite(verdict.get("score")), anomaly_threshold=_finite(verdict.get("threshold")),
            anomaly_top_joints=tuple(str(j) for j in joints) if isinstance(joints, list) else (),
            good_form=bool(e.get("good_form", False)),
        ))
    return tuple(rows)

