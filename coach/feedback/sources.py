"""Where `coach feedback` reads from: an analyze document, an analyze output directory, or a session.

`load_summary(path)` accepts
- a JSON file written by `coach analyze --json` (schema 1),
- a directory written by `coach analyze --out DIR` (its `summary.json`),
- a recorded session directory (`manifest.json` + `events.jsonl`, docs/session_format.md).
The athlete's name (from a session manifest) goes into the summary only with `include_athlete=True`. A
session's reps (strides, in a run) are judged as its replay list and exports judge them: by the athlete's
personal threshold once reps are marked good form (`coach.library.session_good_form_scores`).
Runs on the caller's thread; reads files only.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from coach.feedback.errors import FeedbackInputError
from coach.feedback.summary_input import judged_by, summary_from_events, summary_from_report

__all__ = ["load_summary"]

log = logging.getLogger(__name__)


def load_summary(path: Path, *, include_athlete: bool = False) -> dict[str, Any]:
    """The feedback summary of the analysis or session at `path`; `FeedbackInputError` when it is neither."""
    path = Path(path)
    if path.is_dir():
        if (path / "manifest.json").is_file():
            return _session_summary(path, include_athlete)
        if (path / "summary.json").is_file():
            return summary_from_report(_read_json(path / "summary.json"))
        raise FeedbackInputError(
            f"{path} is neither a session (no manifest.json) nor an analysis directory (no summary.json)"
        )
    if path.is_file():
        return summary_from_report(_read_json(path))
    raise FeedbackInputError(f"{path} does not exist")


def _session_summary(path: Path, include_athlete: bool) -> dict[str, Any]:
    manifest, events = _session_manifest_and_events(path)
    events = _judged_by_personal_threshold(path, manifest, events)
    exercise = manifest.get("exercise")
    athlete = manifest.get("athlete") if include_athlete else None
    return summary_from_events(
        events,
        exercise=exercise if isinstance(exercise, str) else None,
        athlete=athlete if isinstance(athlete, str) else None,
    )


def _judged_by_personal_threshold(
    path: Path, manifest: dict[str, Any], events: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """`events` with each rep verdict (each stride verdict, in a run) judged by the athlete's personal
    threshold; unchanged while no rep or stride of theirs is marked good form."""
    from coach.activities import is_gait
    from coach.library import LibraryError, session_good_form_scores
    from coach.library.source import summarise

    try:
        summary = summarise(path, manifest, events, 0, None)
    except LibraryError as exc:  # not a session the library can read (no id): judged as recorded
        log.debug("%s: %s", path, exc)
        return events
    run = summary.exercise is not None and is_gait(summary.exercise)
    return judged_by(events, session_good_form_scores(summary), run=run)


def _session_manifest_and_events(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Manifest and events (the coach's corrections applied) through the format's own reader."""
    try:
        from coach.session.format import SessionError
        from coach.session.reader import SessionReader
    except ImportError:  # an older tree without the session package: read the two files directly
        return _read_json(path / "manifest.json"), _read_events(path / "events.jsonl")
    try:
        with SessionReader(path) as reader:
            return dict(reader.manifest), list(reader.events)
    except SessionError as exc:
        raise FeedbackInputError(str(exc)) from exc


def _read_events(path: Path) -> list[dict[str, Any]]:
    """events.jsonl without corrections (fallback only); a torn or broken line is skipped."""
    out: list[dict[str, Any]] = []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return out
    except OSError as exc:
        raise FeedbackInputError(f"cannot read {path}: {exc}") from exc
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:  # a crash may tear the last line; the rest still counts
            log.info("%s:%d: unreadable line skipped", path, n)
            continue
        if isinstance(obj, dict):
            out.append(obj)
    return out


def _read_json(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedbackInputError(f"cannot read {path} as JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise FeedbackInputError(f"{path} is not a JSON object")
    return doc
