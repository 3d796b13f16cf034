"""What the library needs from a session directory: its manifest, frames and corrected events, summarised.

`coach.session.reader.SessionReader` is the one reader of the format (docs/session_format.md): it drops torn
tails and applies the coach's corrections (`coach.session.events.apply_corrections`), so a deleted rep is
simply absent here. `summarise()` then turns the event stream into the rows the library stores: sets, reps
with their metrics, and a gait summary. Pure functions; any thread.
"""

from __future__ import annotations

import logging
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coach.library.errors import LibraryError
from coach.session.events import session_exercise
from coach.session.format import MANIFEST_FILE, SessionError
from coach.session.reader import SessionReader

__all__ = [
    "GaitSummary",
    "RepRecord",
    "SessionSummary",
    "SetRecord",
    "StrideRecord",
    "read_session",
    "summarise",
]

log = logging.getLogger(__name__)

MANIFEST = MANIFEST_FILE

# Rep metrics the library keeps as columns (rep JSON name -> column); every metric is also in metrics_json.
REP_METRIC_COLUMNS: Mapping[str, str] = {
    "duration_s": "duration_s",
    "eccentric_s": "eccentric_s",
    "concentric_s": "concentric_s",
    "rom": "rom",
    "depth": "depth",
    "peak_trunk_lean_deg": "trunk_lean",
    "asymmetry_deg": "asymmetry",
    "velocity_loss_pct": "velocity_loss",
}

_REP_TYPES = ("rep_completed", "partial_rep")


@dataclass(frozen=True, slots=True)
class SetRecord:
    index: int
    exercise: str | None
    start_s: float | None
    end_s: float | None  # None: the stream ended inside the set (crash, or stopped mid-set)


@dataclass(frozen=True, slots=True)
class RepRecord:
    """One rep as the library stores it. Metric values are None when not measured (never NaN).

    `index` is the rep's 1-based position in the CORRECTED session (what a coach counts after deleting a
    false rep or adding a missed one); `engine_index` is the rep engine's own number (None for a rep the
    coach added).
    """

    index: int
    engine_index: int | None
    set_index: int | None
    exercise: str | None
    start_s: float | None
    end_s: float | None
    start_frame: int | None
    end_frame: int | None
    partial: bool
    added: bool
    metrics: Mapping[str, float | None]
    anomaly_score: float | None
    faults: int
    good_form: bool = False  # marked good form by the coach or athlete (a `mark_good` correction)


@dataclass(frozen=True, slots=True)
class StrideRecord:
    """One running/walking stride the anomaly model scored while recording (a `stride_anomaly` event)."""

    index: int  # the recording's stride number, from 1
    activity: str | None
    foot: str | None
    start_s: float | None
    end_s: float | None
    anomaly_score: float | None
    good_form: bool = False  # marked good form (a `mark_good_stride` correction)


@dataclass(frozen=True, slots=True)
class GaitSummary:
    """Per-session running/walking figures computed from the `gait_event` stream (None when unseen)."""

    activity: str | None
    steps: int
    cadence_spm: float | None
    contact_ms: float | None
    stride_ms: float | None
    duty_factor_pct: float | None
    step_time_asymmetry_pct: float | None


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """Everything the library indexes about one session directory."""

    id: str
    path: Path
    created: str
    athlete: str | None
    exercise: str | None
    duration_s: float | None
    frames: int
    app_version: str | None
    pose_model: str | None
    pose_model_sha256: str | None
    sets: tuple[SetRecord, ...] = ()
    reps: tuple[RepRecord, ...] = ()
    gait: GaitSummary | None = None
    strides: tuple[StrideRecord, ...] = ()


def read_session(path: Path) -> SessionSummary:
    """Index-ready summary of the session directory at `path`; raises `LibraryError` when it is not one.

    A damaged session that still has a readable prefix (after a crash) is indexed; its problems are logged.
    """
    path = Path(path).expanduser().resolve()
    if not (path / MANIFEST).is_file():
        raise LibraryError(f"{path} is not a session directory (no {MANIFEST})")
    try:
        reader = SessionReader(path)
    except SessionError as exc:
        raise LibraryError(str(exc)) from exc
    with reader:
        for problem in reader.problems:
            log.warning("%s: %s", path, problem)
        return summarise(path, reader.manifest, reader.events, reader.frame_count, reader.duration_s)


# -- summarising --------------------------------------------------------------------------------
def summarise(
    path: Path,
    manifest: Mapping[str, Any],
    events: Sequence[Mapping[str, Any]],
    frames: int,
    duration_s: float | None,
) -> SessionSummary:
    """The library's view of one session from its manifest and (corrected) events."""
    session_id = manifest.get("id")
    if not session_id:
        raise LibraryError(f"{path / MANIFEST} has no session id")
    # A recording made under "auto" names no exercise in its manifest: the one recognised longest counts.
    exercise = session_exercise(_str(manifest.get("exercise")), events, _finite(duration_s))
    sets, reps = _sets_and_reps(events, _str(manifest.get("exercise")))
    athlete = manifest.get("athlete")
    return SessionSummary(
        id=str(session_id),
        path=path,
        created=str(manifest.get("created") or ""),
        athlete=str(athlete) if athlete else None,
        exercise=str(exercise) if exercise else None,
        duration_s=_finite(duration_s),
        frames=int(frames),
        app_version=_str(manifest.get("app_version")),
        pose_model=_str(manifest.get("pose_model")),
        pose_model_sha256=_str(manifest.get("pose_model_sha256")),
        sets=sets,
        reps=reps,
        gait=_gait_summary(events, exercise),
        strides=_strides(events, exercise),
    )


def _strides(events: Sequence[Mapping[str, Any]], exercise: str | None) -> tuple[StrideRecord, ...]:
    activity = exercise
    out = []
    for e in events:
        if e.get("type") == "exercise_switched":
            activity = _str(e.get("exercise", e.get("to"))) or activity
        elif e.get("type") == "stride_anomaly" and _int(e.get("stride_index")) is not None:
            out.append(StrideRecord(
                index=int(e["stride_index"]), activity=activity, foot=_str(e.get("foot")),
                start_s=_number(e.get("start_s")), end_s=_number(e.get("end_s")),
                anomaly_score=_anomaly_score(e.get("anomaly")), good_form=bool(e.get("good_form", False)),
            ))
    return tuple(out)


def _rep_payload(e: Mapping[str, Any]) -> Mapping[str, Any]:
    """The rep JSON (`coach.reps.analyze.rep_to_json`) of a rep event."""
    rep = e.get("rep")
    return rep if isinstance(rep, Mapping) else {}


def _sets_and_reps(
    events: Sequence[Mapping[str, Any]], exercise: str | None
) -> tuple[tuple[SetRecord, ...], tuple[RepRecord, ...]]:
    current_exercise = exercise
    open_sets: dict[int, tuple[str | None, float | None]] = {}
    sets: dict[int, SetRecord] = {}
    reps: list[tuple[Mapping[str, Any], str, int | None, str | None]] = []
    anomalies: dict[int, float | None] = {}  # by the engine's rep index
    for e in events:
        kind = e.get("type")
        set_index = _int(e.get("set_index"))
        if kind == "exercise_switched":
            current_exercise = _str(e.get("exercise", e.get("to"))) or current_exercise
        elif kind == "set_started" and set_index is not None:
            open_sets[set_index] = (current_exercise, _number(e.get("t")))
        elif kind == "set_ended" and set_index is not None:
            ex, start = open_sets.pop(set_index, (current_exercise, None))
            sets[set_index] = SetRecord(set_index, ex, start, _number(e.get("t")))
        elif kind in _REP_TYPES:
            reps.append((_rep_payload(e), str(kind), set_index, current_exercise))
        elif kind == "anomaly":
            # The recorder writes the caller's dict as is: accept the rep's engine index under the names
            # the app uses, and a bare score or the autoencoder's {"score": ...} JSON.
            index = _int(e.get("rep_index", e.get("index")))
            if index is not None:
                anomalies[index] = _anomaly_score(e.get("score", e.get("anomaly")))
    for index, (ex, start) in open_sets.items():
        sets[index] = SetRecord(index, ex, start, None)

    records = []
    for position, (rep, kind, set_index, rep_exercise) in enumerate(reps, 1):
        engine_index = _int(rep.get("index"))
        end_s = _number(rep.get("end_s"))
        if set_index not in sets:
            # A rep the coach added carries no set of its own: it belongs to the set it happened in.
            set_index = _set_containing(sets.values(), end_s)
        metrics = rep.get("metrics") if isinstance(rep.get("metrics"), Mapping) else {}
        faults = rep.get("faults")
        score = _anomaly_score(rep.get("anomaly"))
        if score is None and engine_index is not None:
            score = anomalies.get(engine_index)
        records.append(
            RepRecord(
                index=position,
                engine_index=engine_index,
                set_index=set_index,
                exercise=rep_exercise,
                start_s=_number(rep.get("start_s")),
                end_s=end_s,
                start_frame=_int(rep.get("start_frame")),
                end_frame=_int(rep.get("end_frame")),
                partial=bool(rep.get("partial", kind == "partial_rep")),
                added=bool(rep.get("added", False)),
                metrics={str(k): _number(v) for k, v in metrics.items()},
                anomaly_score=score,
                faults=len(faults) if isinstance(faults, list) else 0,
                good_form=bool(rep.get("good_form", False)),
            )
        )
    return tuple(sets[i] for i in sorted(sets)), tuple(records)


def _set_containing(sets: Iterable[SetRecord], t: float | None) -> int | None:
    if t is None:
        return None
    for st in sets:
        if st.start_s is not None and st.start_s <= t and (st.end_s is None or t <= st.end_s):
            return st.index
    return None


def _gait_summary(events: Sequence[Mapping[str, Any]], exercise: str | None) -> GaitSummary | None:
    """Cadence, contact time, stride time, duty factor and step-time asymmetry from gait events.

    Cadence uses the mean step time with outliers (outside 0.6-1.6x the median: a missed or doubled contact)
    dropped, as `coach.gait.analyze` does, because the median of frame-quantised step times snaps.
    """
    gait = [e for e in events if e.get("type") == "gait_event"]
    contacts = [
        (t, str(e.get("foot")))
        for e in gait
        if _gait_kind(e) == "initial_contact" and (t := _number(e.get("t"))) is not None
    ]
    if not contacts:
        return None
    contacts.sort()
    toe_offs = sorted(
        (t, str(e.get("foot")))
        for e in gait
        if _gait_kind(e) == "toe_off" and (t := _number(e.get("t"))) is not None
    )
    steps = [(b[0] - a[0], b[1]) for a, b in zip(contacts, contacts[1:], strict=False) if b[0] > a[0]]
    kept = _inliers([s for s, _ in steps])
    cadence = 60.0 / statistics.fmean(kept) if kept else None
    by_foot: dict[str, list[float]] = {}
    for s, foot in steps:
        if s in kept:
            by_foot.setdefault(foot, []).append(s)
    asymmetry = None
    if len(by_foot) == 2 and all(by_foot.values()):
        (fa, a), (fb, b) = sorted(by_foot.items())
        ma, mb = statistics.fmean(a), statistics.fmean(b)
        asymmetry = 100.0 * (ma - mb) / ((ma + mb) / 2)
    strides, contact_times = [], []
    for i, (t, foot) in enumerate(contacts):
        nxt = next((c for c, f in contacts[i + 1 :] if f == foot), None)
        if nxt is None:
            continue
        strides.append(nxt - t)
        to = next((c for c, f in toe_offs if f == foot and t < c < nxt), None)
        if to is not None:
            contact_times.append(to - t)
    stride = statistics.median(_inliers(strides)) if strides else None
    contact = statistics.median(contact_times) if contact_times else None
    activity = next((_str(e.get("activity")) for e in gait if e.get("activity")), None) or exercise
    return GaitSummary(
        activity=activity,
        steps=len(contacts),
        cadence_spm=cadence,
        contact_ms=1000.0 * contact if contact is not None else None,
        stride_ms=1000.0 * stride if stride is not None else None,
        duty_factor_pct=100.0 * contact / stride if contact is not None and stride else None,
        step_time_asymmetry_pct=asymmetry,
    )


def _gait_kind(e: Mapping[str, Any]) -> str | None:
    return _str(e.get("kind", e.get("event")))


def _inliers(values: Sequence[float]) -> list[float]:
    if not values:
        return []
    med = statistics.median(values)
    return [v for v in values if 0.6 * med < v < 1.6 * med]


def _anomaly_score(value: Any) -> float | None:
    """A score given as a number or as the autoencoder's `{"score": ...}` JSON."""
    if isinstance(value, Mapping):
        value = value.get("score")
    return _number(value)


def _number(value: Any) -> float | None:
    """A finite float, or None (JSON has no NaN; bools are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return _finite(float(value))


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return int(value)


def _str(value: Any) -> str | None:
    return str(value) if value is not None and value != "" else None
