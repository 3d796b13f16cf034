"""Event lines of events.jsonl and the coach's corrections (corrections.jsonl), as plain JSON dicts.

Every line is ``{"t": seconds, "frame": int, "type": ..., **payload}`` (docs/session_format.md). Payloads
written by this module:

* rep engine events (``set_started``, ``rep_started``, ``rep_bottom``, ``rep_completed``, ``partial_rep``,
  ``form_fault``, ``set_ended``): ``set_index``; ``rep`` (`coach.reps.analyze.rep_to_json`, with metrics
  and faults) when the event carries a rep; ``fault`` ({rule, cue, start_frame, end_frame, start_t, end_t,
  value}) for ``form_fault``. ``t``/``frame`` are the engine's (a rep's end, a rep's bottom, ...).
* ``gait_event``: ``kind`` (initial_contact | mid_stance | toe_off), ``foot`` (L | R), ``confirmed_at``;
  ``t``/``frame`` are when the event happened (it is confirmed a few frames later).
* ``cue``: ``text``, ``priority``, ``kind`` (corrective | count | info), ``created_t``, ``rep_index``;
  ``t``/``frame`` are the frame at which the cue was issued.
* anything else (``note``, ``exercise_switched``, ``anomaly``): a dict given by the caller.

Corrections (never rewriting events.jsonl; applied on read, in file order):

* ``{"op": "delete_rep", "frame": F}``: removes the rep event (rep_completed/partial_rep) whose rep ends
  at frame F, and the form_fault events of that rep.
* ``{"op": "add_rep", "start_frame", "bottom_frame", "end_frame", "start_s", "bottom_s", "end_s",
  "partial": bool}``: inserts a rep event (``rep.added = true``, no metrics) in frame order.
* ``{"op": "move_gait_event", "frame": F, "kind": K, "foot": L|R, "to_frame": F2, "to_t": T2}``: moves
  that gait event (``moved_from = F`` is kept).
* ``{"op": "mark_good", "frame": F, "good": bool}``: the athlete's or coach's verdict that the rep ending at
  frame F shows good form (``rep.good_form``); the anomaly scores of such reps set the athlete's personal
  threshold (`coach.ml.anomaly.personal_threshold`). A later line for the same rep wins.
* ``{"op": "mark_good_stride", "index": I, "good": bool}``: the same verdict on the running or walking
  stride ``stride_index`` I (its ``stride_anomaly`` event gets ``good_form``); marked strides set the
  athlete's personal threshold for that activity.

Unknown ops are skipped (a newer coach may write ops this one does not know). Pure functions; any thread.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Mapping
from typing import Any

from coach.cues.policy import Cue
from coach.gait.types import GaitEvent
from coach.reps.analyze import rep_to_json
from coach.reps.engine import Event

__all__ = ["CORRECTION_OPS", "apply_corrections", "dumps_line", "event_to_json", "to_plain"]

log = logging.getLogger(__name__)

CORRECTION_OPS = frozenset({"delete_rep", "add_rep", "move_gait_event", "mark_good", "mark_good_stride"})

_REP_TYPES = ("rep_completed", "partial_rep")


def to_plain(value: Any) -> Any:
    """`value` with every non-finite float replaced by None (JSON has no NaN) and tuples made lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return value


def event_to_json(event: Event | GaitEvent | Cue | Mapping[str, Any], *, t: float, frame: int) -> dict:
    """One events.jsonl object for an engine event, a cue or a caller's dict.

    `t` and `frame` are the frame being processed when the event arrived: a cue is stamped with them, and
    so is a rep engine event without a frame of its own (`RepEngine.finish` closes a set at frame -1).
    """
    if isinstance(event, Event):
        out: dict[str, Any] = {
            "t": event.t,
            "frame": event.frame if event.frame >= 0 else frame,
            "type": event.kind.value,
            "set_index": event.set_index,
        }
        if event.rep is not None:
            out["rep"] = rep_to_json(event.rep)
        if event.fault is not None:
            f = event.fault
            out["fault"] = {
                "rule": f.rule,
                "cue": f.cue,
                "start_frame": f.start_frame,
                "end_frame": f.end_frame,
                "start_t": f.start_t,
                "end_t": f.end_t,
                "value": f.value,
            }
        return to_plain(out)
    if isinstance(event, GaitEvent):
        return to_plain(
            {
                "t": event.t,
                "frame": event.frame_index,
                "type": "gait_event",
                "kind": event.kind.value,
                "foot": event.foot.value,
                "confirmed_at": event.confirmed_at,
            }
        )
    if isinstance(event, Cue):
        return to_plain(
            {
                "t": t,
                "frame": frame,
                "type": "cue",
                "text": event.text,
                "priority": event.priority,
                "kind": event.kind,
                "created_t": event.created_t,
                "rep_index": event.rep_index,
            }
        )
    if isinstance(event, Mapping):
        out = {"t": t, "frame": frame, **event}
        return to_plain(out)
    raise TypeError(f"cannot record {type(event).__name__} as a session event")


def dumps_line(obj: Mapping[str, Any]) -> bytes:
    """One JSON line (compact, UTF-8, newline-terminated)."""
    return (json.dumps(obj, separators=(",", ":"), allow_nan=False) + "\n").encode("utf-8")


def _rep_end_frame(ev: Mapping[str, Any]) -> int | None:
    rep = ev.get("rep")
    return rep.get("end_frame") if isinstance(rep, Mapping) else None


def apply_corrections(
    events: Iterable[Mapping[str, Any]], corrections: Iterable[Mapping[str, Any]]
) -> tuple[list[dict], list[str]]:
    """`events` with `corrections` applied in order; returns (events, notes about skipped corrections)."""
    out = [dict(e) for e in events]
    notes: list[str] = []
    for n, corr in enumerate(corrections, 1):
        op = corr.get("op")
        try:
            if op == "delete_rep":
                target = int(corr["frame"])
                before = len(out)
                out = [
                    e for e in out
                    if not (e.get("type") in (*_REP_TYPES, "form_fault") and _rep_end_frame(e) == target)
                ]
                if len(out) == before:
                    notes.append(f"correction {n}: no rep ends at frame {target}")
            elif op == "add_rep":
                out = _add_rep(out, corr)
            elif op == "mark_good":
                if not _mark_good(out, int(corr["frame"]), bool(corr["good"])):
                    notes.append(f"correction {n}: no rep ends at frame {int(corr['frame'])}")
            elif op == "mark_good_stride":
                if not _mark_good_stride(out, int(corr["index"]), bool(corr["good"])):
                    notes.append(f"correction {n}: no scored stride {int(corr['index'])}")
            elif op == "move_gait_event":
                if not _move_gait_event(out, corr):
                    notes.append(f"correction {n}: no {corr.get('kind')} {corr.get('foot')} gait event at "
                                 f"frame {corr.get('frame')}")
            else:
                notes.append(f"correction {n}: unknown op {op!r} skipped")
        except (KeyError, TypeError, ValueError) as exc:
            notes.append(f"correction {n} ({op}) is malformed and was skipped: {exc!r}")
    return out, notes


def _add_rep(events: list[dict], corr: Mapping[str, Any]) -> list[dict]:
    partial = bool(corr.get("partial", False))
    end_frame = int(corr["end_frame"])
    rep = {
        "index": None,
        "start_s": float(corr["start_s"]),
        "bottom_s": float(corr.get("bottom_s", corr["start_s"])),
        "end_s": float(corr["end_s"]),
        "start_frame": int(corr["start_frame"]),
        "bottom_frame": int(corr.get("bottom_frame", corr["start_frame"])),
        "end_frame": end_frame,
        "partial": partial,
        "truncated": False,
        "metrics": {},
        "faults": [],
        "added": True,
    }
    event = {"t": rep["end_s"], "frame": end_frame, "type": _REP_TYPES[1] if partial else _REP_TYPES[0],
             "set_index": 0, "rep": rep}
    # After the last event at or before its frame: the list stays in frame order around it.
    pos = len(events)
    while pos > 0 and int(events[pos - 1].get("frame", 0)) > end_frame:
        pos -= 1
    return [*events[:pos], event, *events[pos:]]


def _mark_good(events: list[dict], frame: int, good: bool) -> bool:
    for i, e in enumerate(events):
        if e.get("type") in _REP_TYPES and _rep_end_frame(e) == frame:
            events[i] = {**e, "rep": {**e["rep"], "good_form": good}}  # the caller's dicts stay untouched
            return True
    return False


def _mark_good_stride(events: list[dict], index: int, good: bool) -> bool:
    for i, e in enumerate(events):
        if e.get("type") == "stride_anomaly" and e.get("stride_index") == index:
            events[i] = {**e, "good_form": good}
            return True
    return False


def _move_gait_event(events: list[dict], corr: Mapping[str, Any]) -> bool:
    frame, kind, foot = int(corr["frame"]), str(corr["kind"]), str(corr["foot"])
    to_frame, to_t = int(corr["to_frame"]), float(corr["to_t"])
    for e in events:
        if e.get("type") == "gait_event" and e.get("frame") == frame and e.get("kind") == kind \
                and e.get("foot") == foot:
            e.setdefault("moved_from", frame)
            e["frame"], e["t"] = to_frame, to_t
            return True
    return False


def session_exercise(manifest_exercise: str | None, events: Iterable[Mapping[str, Any]],
                     end_t: float | None = None) -> str | None:
    """The exercise a session is about: the manifest's when it names one, else (a recording under "auto")
    the exercise the classifier had switched to for the longest media time (from `exercise_switched`
    events up to `end_t`, or the last event). None when nothing was ever recognised."""
    if manifest_exercise and manifest_exercise != "auto":
        return manifest_exercise
    spans: dict[str, float] = {}
    current: str | None = None
    since = 0.0
    last_t = 0.0
    for ev in events:
        t = ev.get("t")
        if isinstance(t, (int, float)) and math.isfinite(t):
            last_t = max(last_t, float(t))
        if ev.get("type") != "exercise_switched":
            continue
        if current is not None:
            spans[current] = spans.get(current, 0.0) + max(0.0, float(t) - since)
        to = ev.get("exercise", ev.get("to"))
        current = str(to) if to else None
        since = float(t) if isinstance(t, (int, float)) else since
    if current is not None:
        end = end_t if end_t is not None and math.isfinite(end_t) else last_t
        spans[current] = spans.get(current, 0.0) + max(0.0, end - since)
    if not spans:
        return None
    # Longest time wins; ties go to the first recognised (dicts keep insertion order).
    return max(spans, key=lambda k: spans[k])
