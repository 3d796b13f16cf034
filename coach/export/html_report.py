"""HTML export: ONE self-contained report file that opens in any browser, also offline.

Sections: a header (athlete, exercise, date, duration, frames, source), the written summary
(`coach.feedback`'s rule-based text, grounded in the corrected events), the per-rep table (metrics,
faults, anomaly score when the anomaly model scored the reps), angle traces (the exercise's overlay joints,
`coach.overlay.exercise.MAIN_JOINTS`, over time with the reps shaded), anomaly per rep (bars), gait
metrics for running/walking, and trends across the athlete's sessions from the library when there is one.

Self-contained means: inline CSS, inline SVG drawn by `coach.export.svg`, no script, no font, image or
style sheet from anywhere else, and no http(s) address in the file at all. Every piece of text from the
session (athlete name, exercise, fault cues, notes) goes through `html.escape`.

The library is only read: a report never creates a library file that does not exist yet. Runs on the
caller's thread.
"""

from __future__ import annotations

import html
import logging
import math
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from coach import __version__
from coach.export.errors import ExportError
from coach.export.json_doc import written_summary
from coach.export.session_data import RepRow, SessionData
from coach.export.svg import PALETTE, Series, Span, bar_chart, line_chart, trend_chart
from coach.library import TREND_METRICS, Library, LibraryError, TrendPoint, library_path
from coach.overlay.exercise import MAIN_JOINTS

__all__ = ["export_html", "render_html"]

log = logging.getLogger(__name__)

# Rep metric (rep_to_json name) -> (column heading, decimals). Others a rep carries follow, by their name.
_METRIC_COLUMNS: dict[str, tuple[str, int]] = {
    "duration_s": ("duration (s)", 2),
    "eccentric_s": ("eccentric (s)", 2),
    "concentric_s": ("concentric (s)", 2),
    "depth": ("depth", 3),
    "rom": ("range of motion", 3),
    "peak_trunk_lean_deg": ("trunk lean (°)", 1),
    "asymmetry_deg": ("asymmetry (°)", 1),
    "velocity_loss_pct": ("velocity loss (%)", 1),
}
_GAIT_ROWS: tuple[tuple[str, str, int], ...] = (
    ("steps", "steps (initial contacts)", 0),
    ("cadence_spm", "cadence (steps/min)", 1),
    ("contact_ms", "ground contact time (ms)", 0),
    ("stride_ms", "stride time (ms)", 0),
    ("duty_factor_pct", "duty factor (%)", 1),
    ("step_time_asymmetry_pct", "step-time asymmetry (%)", 1),
)
_GAIT_ACTIVITIES_TRENDS = ("cadence",)
_REP_TRENDS = ("depth", "tempo", "anomaly")

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:#222;margin:0;
background:#f4f5f7;line-height:1.45}
main{max-width:1080px;margin:0 auto;padding:24px 28px 40px;background:#fff;min-height:100vh}
header{border-bottom:3px solid #1f77b4;padding-bottom:12px;margin-bottom:8px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;color:#1b4f7a}
.meta{display:flex;flex-wrap:wrap;gap:6px 22px;font-size:14px;color:#444}.meta b{color:#222}
.summary{background:#eef5fb;border-left:4px solid #1f77b4;padding:10px 16px;font-size:15px}
.summary p{margin:6px 0}.note{color:#666;font-size:14px}
.warn{background:#fff4e5;border-left:4px solid #ff9800;padding:8px 14px;font-size:14px}
table{border-collapse:collapse;font-size:13.5px;width:100%}
th,td{padding:5px 8px;border-bottom:1px solid #e2e2e2;text-align:right;white-space:nowrap}
th{background:#f0f2f5;font-weight:600;white-space:normal;vertical-align:bottom}td.l,th.l{text-align:left;white-space:normal}
tr.partial td{color:#8a6d00}tr.flag td{background:#fdecea}
.trends{display:flex;flex-wrap:wrap;gap:12px}.trends figure{margin:0;flex:1 1 320px}
figcaption{font-size:13px;color:#555;text-align:center}
footer{margin-top:32px;font-size:12px;color:#777;border-top:1px solid #ddd;padding-top:8px}
"""


def export_html(data: SessionData, path: Path, *, library: Path | None = None) -> Path:
    """Write the report to `path`; `library` is the library file for trends (default: the user's, read
    only if it exists). Raises `ExportError` when the file cannot be written."""
    path = Path(path)
    text = render_html(data, library=library)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc}") from exc
    return path


def render_html(data: SessionData, *, library: Path | None = None) -> str:
    """The report as one HTML document (see the module docstring)."""
    exercise = data.exercise
    title = f"{_human(exercise or 'session').capitalize()} — {data.athlete or 'unnamed athlete'}"
    sections = [
        _header(data, title),
        _problems(data),
        _section("Summary", _summary(data)),
        _section("Reps", _rep_table(data.reps)),
        _section("Joint angles", _angle_traces(data)),
    ]
    if data.strides:  # a run: the model scored strides, not reps
        sections.append(_section("Anomaly per stride", _stride_anomaly(data)))
    else:
        sections.append(_section("Anomaly per rep", _anomaly(data.reps, data.athlete, data.good_form_reps)))
    if data.gait is not None:
        sections.append(_section("Gait", _gait_table(data)))
    sections.append(_section("Trends across sessions", _trends(data, library)))
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    footer = (f"<footer>Generated by coach {_e(__version__)} on {_e(generated)} from session "
              f"{_e(str(data.manifest.get('id', '')))}. Angles recomputed from the stored landmarks "
              "(180° = straight joint); reps as corrected by the coach.</footer>")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{_e('Coach report: ' + title)}</title><style>{_CSS}</style></head>"
        f"<body><main>{''.join(s for s in sections if s)}{footer}</main></body></html>\n"
    )


# ---------------------------------------------------------------------------------------------- sections
def _header(data: SessionData, title: str) -> str:
    m = data.manifest
    camera = m.get("camera") if isinstance(m.get("camera"), Mapping) else {}
    source = str(camera.get("source", ""))
    # Only the file name: a full path says nothing to the reader and exposes the recording machine's layout.
    source_name = f"camera {source}" if source.isdigit() else (Path(source).name if source else "")
    reps = [r for r in data.reps if not r.partial]
    partial = len(data.reps) - len(reps)
    items = [
        ("Athlete", data.athlete or "—"),
        ("Exercise", _human(data.exercise or "not set")),
        ("Date", _date(m.get("created"))),
        ("Duration", f"{data.duration_s:.1f} s"),
        ("Frames", f"{data.frame_count} at {data.fps:g} fps"),
        ("Reps", f"{len(reps)}" + (f" (+{partial} partial)" if partial else "")),
        ("Source", source_name or "—"),
        ("Pose model", str(m.get("pose_model") or "—")),
    ]
    meta = "".join(f"<span><b>{_e(k)}:</b> {_e(v)}</span>" for k, v in items)
    return f"<header><h1>{_e(title)}</h1><div class=\"meta\">{meta}</div></header>"


def _problems(data: SessionData) -> str:
    reader = data.reader
    notes = []
    if reader.problems:
        notes.append("This session is damaged; the report shows the readable part: "
                     + "; ".join(reader.problems))
    if data.corrections:
        notes.append(f"{len(data.corrections)} correction(s) by the coach are applied (reps deleted, "
                     "added or gait events moved).")
    return "".join(f'<p class="warn">{_e(n)}</p>' for n in notes)


def _summary(data: SessionData) -> str:
    text = written_summary(data)
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    body = "".join(f"<p>{_e(p)}</p>" for p in paragraphs)
    note = "Written by coach's rule-based feedback from the numbers below."
    if _renumbered(data.reps):
        note += " Rep numbers in the summary are as recorded, before the coach's corrections (see the table)."
    return f'<div class="summary">{body}</div><p class="note">{_e(note)}</p>'


def _rep_table(reps: Sequence[RepRow]) -> str:
    if not reps:
        return '<p class="note">No reps were recorded in this session.</p>'
    present = list(dict.fromkeys(k for r in reps for k in r.metrics))
    metrics = [k for k in _METRIC_COLUMNS if k in present] + \
              [k for k in present if k not in _METRIC_COLUMNS and k != "peak_concentric_velocity"]
    has_anomaly = any(r.anomaly_score is not None for r in reps)
    # After a deleted or added rep the engine's numbers (used by the written summary) differ from the
    # positions counted here: then both are shown, so "rep 3" in the summary can be found in the table.
    renumbered = _renumbered(reps)
    head = ["#", *(["recorded as"] if renumbered else []), "set", "time (s)",
            *(_METRIC_COLUMNS.get(k, (k.replace("_", " "), 2))[0] for k in metrics), "faults",
            *(["anomaly"] if has_anomaly else [])]
    rows = []
    for r in reps:
        number = f"{r.index}" + (" partial" if r.partial else "") + (" (added)" if r.added else "")
        span = f"{_num(r.start_s, 2)}–{_num(r.end_s, 2)}"
        cells = [number, *([_num(r.engine_index, 0)] if renumbered else []), _num(r.set_index, 0), span]
        cells += [_num(r.metrics.get(k), _METRIC_COLUMNS.get(k, ("", 2))[1]) for k in metrics]
        fault_cells = "; ".join(_fault_text(f) for f in r.faults) or "—"
        tr_class = "flag" if r.flagged else ("partial" if r.partial else "")
        tds = "".join(f"<td>{_e(c)}</td>" for c in cells) + f'<td class="l">{_e(fault_cells)}</td>'
        if has_anomaly:
            verdict = _num(r.anomaly_score, 2) + (" ⚑ unusual" if r.flagged else "")
            tds += f"<td>{_e(verdict)}</td>"
        rows.append(f'<tr class="{tr_class}">{tds}</tr>' if tr_class else f"<tr>{tds}</tr>")
    ths = "".join(f'<th class="l">{_e(h)}</th>' if h == "faults" else f"<th>{_e(h)}</th>" for h in head)
    note = ('<p class="note">Depth and range of motion are in the exercise\'s own measure '
            "(coach.reps.catalogue); missing values are shown as —.</p>")
    return f"<table><thead><tr>{ths}</tr></thead><tbody>{''.join(rows)}</tbody></table>{note}"


def _renumbered(reps: Sequence[RepRow]) -> bool:
    return any(r.engine_index != r.index for r in reps)


def _angle_traces(data: SessionData) -> str:
    joints = MAIN_JOINTS.get(data.exercise or "", ("left_knee", "right_knee", "left_hip", "right_hip"))
    t = data.media_ts - (data.media_ts[0] if len(data.media_ts) else 0.0)
    spans = [
        Span(r.start_s - float(data.media_ts[0]), r.end_s - float(data.media_ts[0]),
             f"{r.index}" + ("p" if r.partial else ""), "#fbeccb" if r.partial else "#dbe9f6")
        for r in data.reps if r.start_s is not None and r.end_s is not None and len(data.media_ts)
    ]
    series = [
        Series(j.replace("_", " "), t, data.angles[j], PALETTE[k % len(PALETTE)],
               dashed=j.startswith("right"))
        for k, j in enumerate(joints) if j in data.angles and np.isfinite(data.angles[j]).any()
    ]
    if not series:
        return '<p class="note">No angles: nobody was seen in this session.</p>'
    chart = line_chart(series, title="Joint angles over time", x_label="time (s)",
                       y_label="joint angle (°, 180 = straight)", spans=spans)
    return (chart + '<p class="note">Included joint angles from the stored landmarks; shaded: reps '
            "(numbered; a 'p' marks a partial rep). Solid left side, dashed right side.</p>")


def _anomaly(reps: Sequence[RepRow], athlete: str | None = None, good_form_reps: int = 0) -> str:
    if not any(r.anomaly_score is not None for r in reps):
        return ('<p class="note">No anomaly scores were recorded for this session (the anomaly model was not '
                "running, or no rep was scored).</p>")
    thresholds = {r.anomaly_threshold for r in reps if r.anomaly_threshold is not None}
    threshold = thresholds.pop() if len(thresholds) == 1 else None  # one line only when it is one threshold
    chart = bar_chart([f"rep {r.index}" for r in reps], [r.anomaly_score for r in reps],
                      title="Anomaly score per rep", y_label="anomaly score", threshold=threshold,
                      flagged=[r.flagged for r in reps])
    joints = [f"rep {r.index}: {', '.join(j.replace('_', ' ') for j in r.anomaly_top_joints)}"
              for r in reps if r.flagged and r.anomaly_top_joints]
    extra = f'<p class="note">Most unusual joints — {_e("; ".join(joints))}.</p>' if joints else ""
    whose = (f"{athlete or 'the athlete'}'s personal threshold, from {good_form_reps} rep"
             f"{'s' if good_form_reps != 1 else ''} marked good form" if good_form_reps else "the threshold")
    return chart + ('<p class="note">How far each rep is from the model\'s good reps; red bars are above '
                    f"{_e(whose)}.</p>") + extra


def _stride_anomaly(data: SessionData) -> str:
    strides = data.strides
    thresholds = {s.anomaly_threshold for s in strides if s.anomaly_threshold is not None}
    threshold = thresholds.pop() if len(thresholds) == 1 else None
    labels = [f"{s.index} {s.foot or ''}".strip() for s in strides]
    chart = bar_chart(labels, [s.anomaly_score for s in strides], title="Anomaly score per stride",
                      y_label="anomaly score", threshold=threshold, flagged=[s.flagged for s in strides])
    flagged = [s for s in strides if s.flagged]
    joints: dict[str, int] = {}
    for s in flagged:
        for j in s.anomaly_top_joints[:1]:
            joints[j] = joints.get(j, 0) + 1
    where = ", ".join(f"{j} ({n})" for j, n in sorted(joints.items(), key=lambda kv: -kv[1]))
    n = data.good_form_reps
    whose = (f"{data.athlete or 'the athlete'}'s personal threshold, from {n} stride{'s' if n != 1 else ''} "
             "marked good form" if n else "the threshold")
    text = f"{len(flagged)} of {len(strides)} strides (one foot's contact to its next) are above {whose}"
    if where:
        text += f"; most unusual first at: {where}"
    return chart + f'<p class="note">{_e(text)}.</p>'


def _gait_table(data: SessionData) -> str:
    g = data.gait
    if g is None:
        return ""
    rows = "".join(
        f'<tr><td class="l">{_e(label)}</td><td>{_e(_num(getattr(g, key), digits))}</td></tr>'
        for key, label, digits in _GAIT_ROWS
    )
    return f'<table style="width:auto"><tbody>{rows}</tbody></table>'


def _trends(data: SessionData, library: Path | None) -> str:
    path = Path(library) if library is not None else library_path()
    if not path.is_file():
        return '<p class="note">No session library yet: trends appear once sessions are indexed.</p>'
    metrics = _GAIT_ACTIVITIES_TRENDS if data.gait is not None else _REP_TRENDS
    athlete, exercise = data.athlete, data.exercise
    try:
        with Library(path) as lib:
            trends = {m: lib.trend(m, athlete=athlete, exercise=exercise) for m in metrics}
    except (LibraryError, sqlite3.Error, OSError) as exc:
        # A locked, damaged or newer library must not cost the coach the rest of the report.
        log.warning("trends left out of the report: %s", exc)
        return f'<p class="note">The session library could not be read ({_e(str(exc))}).</p>'
    session_id = str(data.manifest.get("id"))
    figures = [_trend_figure(m, points, session_id) for m, points in trends.items() if points]
    if not figures:
        return '<p class="note">The library has no earlier sessions of this athlete and exercise.</p>'
    who = f"{athlete or 'all athletes'}, {_human(exercise or 'any exercise')}"
    return (f'<p class="note">{_e(who)}; one point per session.</p>'
            f'<div class="trends">{"".join(figures)}</div>')


def _trend_figure(metric: str, points: Sequence[TrendPoint], session_id: str) -> str:
    label = TREND_METRICS[metric].label
    highlight = next((i for i, p in enumerate(points) if p.session_id == session_id), None)
    chart = trend_chart([p.created[:10] or p.session_id[:8] for p in points], [p.median for p in points],
                        [p.mean for p in points], title=f"{metric} trend", y_label=metric,
                        highlight=highlight)
    return f"<figure>{chart}<figcaption>{_e(label)} — {len(points)} session(s)</figcaption></figure>"


# ---------------------------------------------------------------------------------------------- helpers
def _section(title: str, body: str) -> str:
    return f"<section><h2>{_e(title)}</h2>{body}</section>" if body else ""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _human(name: str) -> str:
    return name.replace("_", " ")


def _num(value: float | int | None, digits: int) -> str:
    if value is None or isinstance(value, bool):
        return "—"
    if isinstance(value, float) and not math.isfinite(value):
        return "—"
    return f"{value:.{digits}f}" if digits else f"{round(value)}"


def _fault_text(fault: Mapping[str, object]) -> str:
    rule = _human(str(fault.get("rule", "fault")))
    cue = fault.get("cue")
    return f"{rule} (“{cue}”)" if isinstance(cue, str) and cue else rule


def _date(created: object) -> str:
    if not isinstance(created, str) or not created:
        return "—"
    try:
        when = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return created
    return when.strftime("%Y-%m-%d %H:%M UTC")
