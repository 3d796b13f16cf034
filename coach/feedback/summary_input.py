"""The compact, numbers-only summary of a set or a run that feedback is written from.

`summary_from_report(doc)` reads the schema-1 document of `coach analyze --json`
(`coach.analysis.report`); `summary_from_events(events)` reads the event stream of a recorded session
(`docs/session_format.md`). Both return the same shape (plain JSON types, schema `SUMMARY_SCHEMA`):

    {"schema": 1,
     "set": {"exercise", "view", "reps", "partial_reps",
             "per_rep": [{"rep", "partial", "duration_s", "eccentric_s", "concentric_s", "rom", "depth",
                          "trunk_lean_deg", "asymmetry_deg", "velocity_loss_pct", "faults": [rule, ...],
                          "anomaly_score", "anomaly_flagged"}],
             "faults": [{"rule", "cue", "count", "reps": [int], "frames"}],  # most frequent first
             "tempo": {"mean_duration_s", "mean_eccentric_s", "mean_concentric_s", "duration_spread_pct",
                       "max_velocity_loss_pct", "max_velocity_loss_rep", "last_velocity_loss_pct"},
             "anomaly": {"scored_reps", "flagged_reps": [int], "top_joints": [{"joint", "reps"}],
                         "phases": [{"phase", "reps"}]} | None,
             "rules_checked": [rule], "rules_skipped": [rule]} | absent,
     "run": {"activity", "steps", "view", "confidence", "cadence_spm",
             "metrics": {"ground_contact_time_ms": {"median", "spread"}, ...},
             "phase_deviations": [{"phase", "joint", "z", "difference_deg"}],   # largest |z| first
             "stride_anomaly": {"scored_strides", "flagged_strides", "top_joints": [...]} | None} | absent,
     "athlete": str}                                                    # only when the caller opts in

Privacy: this is what may leave the machine (`coach.feedback.gpt`), so it is built from an allow-list of
keys, never by copying the input: numbers, and short words from the exercise vocabulary (exercise, view,
rule, cue, joint and phase names). A string that does not look like such a word (a file path, a URL, base64,
free text) is dropped. The athlete's name is included only when passed explicitly.

Pure functions; any thread.
"""

from __future__ import annotations

import logging
import math
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["SUMMARY_SCHEMA", "judged_by", "summary_from_events", "summary_from_report"]

log = logging.getLogger(__name__)

SUMMARY_SCHEMA = 1

# Vocabulary words: a letter first, then letters, digits, spaces and a little punctuation. No '.', '/' or '\'
# so that file names, paths, URLs and base64 payloads can never pass as a word.
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9 _',:\-]{0,59}")
# A name may hold initials ("Jane Q. Doe") but not path separators, an address, a long number or an extension.
_NAME_FORBIDDEN = re.compile(r"[/\\@:]|\d{3,}|\.[A-Za-z0-9]{2,5}$")

# rep_to_json metric name -> (summary name, decimals)
_REP_METRICS: dict[str, tuple[str, int]] = {
    "duration_s": ("duration_s", 2),
    "eccentric_s": ("eccentric_s", 2),
    "concentric_s": ("concentric_s", 2),
    "rom": ("rom", 3),
    "depth": ("depth", 3),
    "peak_trunk_lean_deg": ("trunk_lean_deg", 1),
    "asymmetry_deg": ("asymmetry_deg", 1),
    "velocity_loss_pct": ("velocity_loss_pct", 1),
}

# gait metric name (coach.gait.engine.METRICS) -> (summary name with its unit, decimals). A fixed map rather
# than the unit strings of the input: the names the model sees must not depend on free text.
_GAIT_METRICS: dict[str, tuple[str, int]] = {
    "step_time": ("step_time_ms", 0),
    "ground_contact_time": ("ground_contact_time_ms", 0),
    "flight_time": ("flight_time_ms", 0),
    "duty_factor": ("duty_factor_pct", 1),
    "swing_time": ("swing_time_ms", 0),
    "double_support": ("double_support_pct", 1),
    "step_time_asymmetry": ("step_time_asymmetry_pct", 1),
    "overstride": ("overstride_leg_lengths", 3),
    "knee_flexion_at_contact": ("knee_flexion_at_contact_deg", 1),
    "knee_flexion_peak_stance": ("knee_flexion_peak_stance_deg", 1),
    "trunk_lean": ("trunk_lean_deg", 1),
    "vertical_oscillation": ("vertical_oscillation_leg_lengths", 3),
    "vertical_oscillation_cm": ("vertical_oscillation_cm", 1),
    "arm_swing": ("arm_swing_deg", 1),
    "arm_crossover": ("arm_crossover_shoulder_widths", 2),
    "foot_strike_angle": ("foot_strike_angle_deg", 1),
}

_REP_EVENT_TYPES = ("rep_completed", "partial_rep")


# -- from the analyze document -------------------------------------------------------------------------------
def summary_from_report(doc: Mapping[str, Any], *, athlete: str | None = None) -> dict[str, Any]:
    """The feedback summary of one `coach analyze --json` document (schema 1).

    `athlete` is added only when given (the caller's opt-in). Keys not listed in the module docstring are
    never copied, whatever the document holds.
    """
    schema = doc.get("schema")
    if schema != 1:
        log.warning("analyze document schema %r, expected 1: reading it anyway", schema)
    out: dict[str, Any] = {"schema": SUMMARY_SCHEMA}
    if doc.get("reps") is not None or doc.get("rep_events"):
        out["set"] = _set_section(doc)
    gait = doc.get("gait")
    if isinstance(gait, Mapping):
        out["run"] = _run_section(gait)
    if athlete is not None:
        name = _name(athlete)
        if name is not None:
            out["athlete"] = name
    return out


def _set_section(doc: Mapping[str, Any]) -> dict[str, Any]:
    events = [e for e in _list(doc.get("rep_events")) if isinstance(e, Mapping)]
    per_rep = [_rep_row(e, n) for n, e in enumerate(events, 1)]
    full = sum(1 for r in per_rep if not r["partial"])
    reps = _int(doc.get("reps"))
    partial = _int(doc.get("partial_reps"))
    rules = doc.get("rules") if isinstance(doc.get("rules"), Mapping) else {}
    return {
        "exercise": _word(doc.get("exercise")),
        "view": _word(doc.get("view")),
        "reps": reps if reps is not None else full,
        "partial_reps": partial if partial is not None else len(per_rep) - full,
        "per_rep": per_rep,
        "faults": _fault_table(events, per_rep),
        "tempo": _tempo(per_rep),
        "anomaly": _anomaly_table(events, per_rep),
        "rules_checked": _words(rules.get("checked")),
        "rules_skipped": _words(rules.get("skipped")),
    }


def _rep_row(event: Mapping[str, Any], fallback_index: int) -> dict[str, Any]:
    metrics = event.get("metrics") if isinstance(event.get("metrics"), Mapping) else {}
    row: dict[str, Any] = {
        "rep": _int(event.get("index")) or fallback_index,
        "partial": bool(event.get("partial", False)),
    }
    for src, (dst, digits) in _REP_METRICS.items():
        row[dst] = _num(metrics.get(src), digits)
    row["faults"] = [w for w in (_word(f.get("rule")) for f in _faults(event)) if w is not None]
    anomaly = event.get("anomaly")
    score = threshold = None
    if isinstance(anomaly, Mapping):
        score, threshold = _num(anomaly.get("score"), 2), _num(anomaly.get("threshold"), 2)
    row["anomaly_score"] = score
    row["anomaly_flagged"] = None if score is None or threshold is None else score > threshold
    return row


def _fault_table(events: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]]) -> list[dict]:
    """Faults by rule: how many reps showed each and which, and for how many frames in all.

    Most frequent first; on a tie the fault held longer comes first (a fault seen for one frame at the
    bottom matters less than one held through the whole descent), then the first seen.
    """
    table: dict[str, dict[str, Any]] = {}
    for event, row in zip(events, rows, strict=True):
        for f in _faults(event):
            rule = _word(f.get("rule"))
            if rule is None:
                continue
            entry = table.setdefault(
                rule, {"rule": rule, "cue": _word(f.get("cue")), "count": 0, "reps": [], "frames": 0}
            )
            first, last = _int(f.get("start_frame")), _int(f.get("end_frame"))
            if first is not None and last is not None and last >= first:
                entry["frames"] += last - first + 1
            if row["rep"] not in entry["reps"]:  # a per-side rule can fire twice in one rep
                entry["reps"].append(row["rep"])
                entry["count"] += 1
    return sorted(table.values(), key=lambda e: (-e["count"], -e["frames"]))  # stable: first seen on ties


def _tempo(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    def values(key: str) -> list[float]:
        return [r[key] for r in rows if not r["partial"] and r[key] is not None]

    durations = values("duration_s")
    losses = [(r["velocity_loss_pct"], r["rep"]) for r in rows if r["velocity_loss_pct"] is not None]
    worst = max(losses, default=(None, None))
    spread = None
    if len(durations) >= 2 and statistics.fmean(durations) > 0:
        # Relative spread (coefficient of variation): a steady tempo reads the same at any speed.
        spread = _num(100.0 * statistics.pstdev(durations) / statistics.fmean(durations), 1)
    return {
        "mean_duration_s": _mean(durations, 2),
        "mean_eccentric_s": _mean(values("eccentric_s"), 2),
        "mean_concentric_s": _mean(values("concentric_s"), 2),
        "duration_spread_pct": spread,
        "max_velocity_loss_pct": worst[0],
        "max_velocity_loss_rep": worst[1],
        "last_velocity_loss_pct": losses[-1][0] if losses else None,
    }


def _anomaly_table(events: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, Any]]) -> dict | None:
    scored = [(e, r) for e, r in zip(events, rows, strict=True) if r["anomaly_score"] is not None]
    if not scored:
        return None
    flagged = [(e, r) for e, r in scored if r["anomaly_flagged"]]
    joints: Counter[str] = Counter()
    phases: Counter[str] = Counter()
    for e, _ in flagged:
        a = e["anomaly"]
        # The first one or two joints carry the attribution; the tail of the list is mostly noise.
        joints.update(w for w in (_word(j) for j in _list(a.get("top_joints"))[:2]) if w is not None)
        phase = _word(a.get("phase"))
        if phase is not None:
            phases[phase] += 1
    return {
        "scored_reps": len(scored),
        "flagged_reps": [r["rep"] for _, r in flagged],
        "top_joints": [{"joint": j, "reps": n} for j, n in joints.most_common(3)],
        "phases": [{"phase": p, "reps": n} for p, n in phases.most_common(2)],
    }


def _run_section(gait: Mapping[str, Any]) -> dict[str, Any]:
    metrics_in = gait.get("metrics") if isinstance(gait.get("metrics"), Mapping) else {}
    metrics: dict[str, dict[str, float | None]] = {}
    for src, (dst, digits) in _GAIT_METRICS.items():
        m = metrics_in.get(src)
        if not isinstance(m, Mapping):
            continue
        median = _num(m.get("median"), digits)
        if median is None:
            continue  # not measured in this view: leave it out rather than send a null
        metrics[dst] = {"median": median, "spread": _num(m.get("spread"), digits)}
    deviations = [
        {
            "phase": _word(d.get("phase")),
            "joint": _word(d.get("joint")),
            "z": _num(d.get("z"), 2),
            "difference_deg": _num(d.get("difference_deg"), 1),
        }
        for d in _list(gait.get("phase_deviations"))
        if isinstance(d, Mapping)
    ]
    deviations = [d for d in deviations if d["phase"] and d["joint"] and d["z"] is not None]
    deviations.sort(key=lambda d: -abs(d["z"]))
    return {
        "activity": _word(gait.get("activity")),
        "steps": _int(gait.get("steps")),
        "view": _word(gait.get("view")),
        "confidence": _word(gait.get("confidence")),
        "cadence_spm": _num(gait.get("cadence_spm"), 1),
        "metrics": metrics,
        "phase_deviations": deviations,
        "stride_anomaly": _stride_anomaly(_list(gait.get("strides"))),
    }


def _stride_anomaly(strides: Sequence[Any]) -> dict[str, Any] | None:
    verdicts = [
        s["anomaly"] for s in strides if isinstance(s, Mapping) and isinstance(s.get("anomaly"), Mapping)
    ]
    scored = [(_num(a.get("score"), 2), _num(a.get("threshold"), 2), a) for a in verdicts]
    scored = [(s, t, a) for s, t, a in scored if s is not None and t is not None]
    if not scored:
        return None
    flagged = [a for s, t, a in scored if s > t]
    joints: Counter[str] = Counter()
    for a in flagged:
        joints.update(w for w in (_word(j) for j in _list(a.get("top_joints"))[:2]) if w is not None)
    return {
        "scored_strides": len(scored),
        "flagged_strides": len(flagged),
        "top_joints": [{"joint": j, "strides": n} for j, n in joints.most_common(3)],
    }


def judged_by(events: Sequence[Mapping[str, Any]], good_scores: Sequence[float], *, run: bool) -> list[Any]:
    """`events` with each rep verdict (each stride verdict, for a `run`) judged by the personal threshold
    that `good_scores` (the athlete's marked reps or strides) set over the model's population threshold;
    the events unchanged while nothing is marked. What the replay list and the exports show."""
    events = list(events)
    if not good_scores:
        return events
    verdicts = [v for _kind, v in filter(None, map(_verdict, events)) if (_kind == "stride_anomaly") == run]
    default = verdicts[0].get("population_threshold", verdicts[0].get("threshold")) if verdicts else None
    if not isinstance(default, int | float):
        return events
    from coach.ml.anomaly import personal_threshold  # onnxruntime: only when there are marks

    threshold = personal_threshold(list(good_scores), default=float(default))
    out: list[Any] = []
    for e in events:
        v = _verdict(e)
        if v is None or (v[0] == "stride_anomaly") != run:
            out.append(e)
        elif isinstance(e.get("rep"), Mapping) and v[1] is e["rep"].get("anomaly"):
            out.append({**e, "rep": {**e["rep"], "anomaly": {**v[1], "threshold": threshold}}})
        else:
            out.append({**e, "anomaly": {**v[1], "threshold": threshold}})
    return out


def _verdict(e: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]] | None:
    """(event type, its anomaly verdict) of a scored rep or stride event, else None."""
    kind = e.get("type")
    rep = e.get("rep")
    verdict = rep.get("anomaly") if isinstance(rep, Mapping) else None
    if kind in _REP_EVENT_TYPES and isinstance(verdict, Mapping):
        return str(kind), verdict
    if kind in ("anomaly", "stride_anomaly") and isinstance(e.get("anomaly"), Mapping):
        return str(kind), e["anomaly"]
    return None


# -- from a session's event stream -------------------------------------------------------------------------
def summary_from_events(
    events: Iterable[Mapping[str, Any]],
    *,
    exercise: str | None = None,
    view: str | None = None,
    athlete: str | None = None,
) -> dict[str, Any]:
    """The feedback summary of a recorded session's events (`events.jsonl`, corrections applied).

    Rep events carry the rep JSON of `coach.reps.analyze.rep_to_json` under `rep` (or flat); `anomaly`
    events attach a verdict to a rep by `rep_index`; `gait_event`s with `kind` (or `event`)
    ``initial_contact``/``toe_off`` and `foot` give steps, cadence and contact time; `stride_anomaly`
    events (the live stride scores) give the run's `stride_anomaly`. `exercise` is the
    manifest's, overridden by the last `exercise_switched` event. The stream does not hold the per-phase
    comparison, so a run summary from events has no `phase_deviations`.
    """
    reps: dict[int, dict[str, Any]] = {}
    anomalies: dict[int, Any] = {}
    contacts: list[tuple[float, str]] = []
    toe_offs: list[tuple[float, str]] = []
    strides: list[Mapping[str, Any]] = []
    rules_seen: set[str] = set()
    for e in events:
        kind = e.get("type")
        if kind == "exercise_switched":
            exercise = _str(e.get("exercise", e.get("to"))) or exercise
        elif kind in _REP_EVENT_TYPES:
            rep = e.get("rep") if isinstance(e.get("rep"), Mapping) else e
            index = _int(rep.get("index"))
            if index is None:
                continue
            row = dict(rep)
            row.setdefault("partial", kind == "partial_rep")
            reps[index] = row
            rules_seen.update(str(f.get("rule")) for f in _faults(rep))
        elif kind == "anomaly":
            index = _int(e.get("rep_index", e.get("index")))
            if index is not None:
                anomalies[index] = e.get("anomaly", e)
        elif kind == "gait_event":
            t, foot = _num(e.get("t"), 4), str(e.get("foot"))
            gait_kind = e.get("kind", e.get("event"))
            if t is not None and gait_kind == "initial_contact":
                contacts.append((t, foot))
            elif t is not None and gait_kind == "toe_off":
                toe_offs.append((t, foot))
        elif kind == "stride_anomaly":
            strides.append(e)
    rep_events = []
    for index in sorted(reps):
        row = reps[index]
        if "anomaly" not in row and index in anomalies:
            row["anomaly"] = anomalies[index]
        rep_events.append(row)
    doc: dict[str, Any] = {"schema": 1, "exercise": exercise, "view": view}
    if rep_events:
        doc |= {
            "reps": sum(1 for r in rep_events if not r.get("partial")),
            "partial_reps": sum(1 for r in rep_events if r.get("partial")),
            "rep_events": rep_events,
            # The stream only shows rules that fired; which were checked but never fired is not recorded.
            "rules": {"checked": sorted(rules_seen), "skipped": []},
        }
    if contacts:
        doc["gait"] = _gait_from_events(sorted(contacts), sorted(toe_offs), exercise) | {"strides": strides}
    return summary_from_report(doc, athlete=athlete)


def _gait_from_events(
    contacts: Sequence[tuple[float, str]], toe_offs: Sequence[tuple[float, str]], activity: str | None
) -> dict[str, Any]:
    """The `gait` fields the events can give: steps, cadence (mean step time, outliers dropped, as
    `coach.gait.analyze` does) and ground contact time (contact to the same foot's next toe off)."""
    steps = [b[0] - a[0] for a, b in zip(contacts, contacts[1:], strict=False) if b[0] > a[0]]
    cadence = math.nan
    if steps:
        med = statistics.median(steps)
        kept = [s for s in steps if 0.6 * med < s < 1.6 * med]
        cadence = 60.0 / statistics.fmean(kept) if kept else math.nan
    contact_ms = []
    for i, (t, foot) in enumerate(contacts):
        nxt = next((c for c, f in contacts[i + 1 :] if f == foot), math.inf)
        to = next((c for c, f in toe_offs if f == foot and t < c < nxt), None)
        if to is not None:
            contact_ms.append(1000.0 * (to - t))
    metrics = {}
    if contact_ms:
        metrics["ground_contact_time"] = {"median": statistics.median(contact_ms), "spread": None}
    return {"activity": activity, "steps": len(contacts), "cadence_spm": cadence, "metrics": metrics}


# -- plain values -------------------------------------------------------------------------------------------
def _faults(event: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [f for f in _list(event.get("faults")) if isinstance(f, Mapping)]


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def _num(value: Any, digits: int) -> float | None:
    """A finite number rounded to `digits`, else None (bools and strings are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return round(float(value), digits)


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return int(value)


def _mean(values: Sequence[float], digits: int) -> float | None:
    return _num(statistics.fmean(values), digits) if values else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _word(value: Any) -> str | None:
    """`value` when it is a short vocabulary word, else None (paths, URLs, payloads and prose are dropped)."""
    if isinstance(value, str) and _WORD.fullmatch(value):
        return value
    if value is not None:
        log.debug("non-vocabulary string left out of the feedback summary (%d chars)", len(str(value)))
    return None


def _words(values: Any) -> list[str]:
    return [w for w in (_word(v) for v in _list(values)) if w is not None]


def _name(value: str) -> str | None:
    """An opted-in athlete name: printable, short, and not shaped like a path, address or number."""
    name = value.strip()
    if 0 < len(name) <= 60 and name.isprintable() and not _NAME_FORBIDDEN.search(name):
        return name
    log.debug("athlete name left out of the feedback summary: not a plain name")
    return None
