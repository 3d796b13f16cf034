"""`Corrections`: the coach's edits to a recorded session, appended to its corrections.jsonl (no Qt).

The originals (events.jsonl) are never rewritten; each edit is one line in the format documented in
`coach.session.events` and is applied on every read (`SessionReader.events`), so exports and the library
see it too. A line is flushed and fsynced before the call returns: an edit the coach saw saved survives a
crash. Threads: one owner (the GUI thread); appends are whole lines, so a reader opened meanwhile sees
either the old or the new state.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from coach.session.events import apply_corrections, dumps_line
from coach.session.format import CORRECTIONS_FILE

__all__ = ["Corrections"]

log = logging.getLogger(__name__)


class Corrections:
    """Appends corrections to `<session>/corrections.jsonl` and keeps the corrected event list.

    `raw_events` are the session's events as recorded and `existing` the corrections already in the file
    (a `SessionReader`'s `raw_events` and `corrections`); `events` is always their corrected combination.
    """

    def __init__(self, session_dir: str | os.PathLike[str], raw_events: Sequence[Mapping[str, Any]],
                 existing: Sequence[Mapping[str, Any]] = ()) -> None:
        self.path = Path(session_dir) / CORRECTIONS_FILE
        self.raw_events = [dict(e) for e in raw_events]
        self.applied: list[dict[str, Any]] = [dict(c) for c in existing]
        self.events, self.notes = apply_corrections(self.raw_events, self.applied)

    def delete_rep(self, end_frame: int) -> None:
        """Delete the rep that ends at frame `end_frame` (a false rep)."""
        self._append({"op": "delete_rep", "frame": int(end_frame)})

    def add_rep(self, *, start_frame: int, bottom_frame: int, end_frame: int, start_s: float, bottom_s: float,
                end_s: float, partial: bool = False) -> None:
        """Add a rep the engine missed (frames and media times of its start, bottom and end)."""
        if not start_frame <= bottom_frame <= end_frame:
            raise ValueError(f"rep frames must be ordered: {start_frame} <= {bottom_frame} <= {end_frame}")
        self._append({"op": "add_rep", "start_frame": int(start_frame), "bottom_frame": int(bottom_frame),
                      "end_frame": int(end_frame), "start_s": float(start_s), "bottom_s": float(bottom_s),
                      "end_s": float(end_s), "partial": bool(partial)})

    def move_gait_event(self, *, frame: int, kind: str, foot: str, to_frame: int, to_t: float) -> None:
        """Move the `kind` gait event of `foot` at `frame` to `to_frame` (media time `to_t`)."""
        self._append({"op": "move_gait_event", "frame": int(frame), "kind": str(kind), "foot": str(foot),
                      "to_frame": int(to_frame), "to_t": float(to_t)})

    def mark_good(self, end_frame: int, good: bool) -> None:
        """Mark the rep that ends at frame `end_frame` as good form (or take the mark back)."""
        self._append({"op": "mark_good", "frame": int(end_frame), "good": bool(good)})

    def mark_good_stride(self, index: int, good: bool) -> None:
        """Mark running/walking stride `index` (its `stride_index`) as good form (or take it back)."""
        self._append({"op": "mark_good_stride", "index": int(index), "good": bool(good)})

    def _append(self, correction: dict[str, Any]) -> None:
        events, notes = apply_corrections(self.raw_events, [*self.applied, correction])
        if len(notes) > len(self.notes):
            # Refuse an edit that would change nothing (no such rep or gait event): the file would only
            # collect lines that every reader has to skip and report.
            raise ValueError(notes[-1])
        line = dumps_line(correction)
        # O_APPEND: whole lines land at the end even if another coach process appends to the same session.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        self.applied.append(correction)
        self.events, self.notes = events, notes
        log.info("correction saved to %s: %s", self.path, correction)
