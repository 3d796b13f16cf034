"""`ReplayModel`: everything the replay screen shows about one recorded session, in one plain object.

It opens the session, recomputes the primary angle, lists reps and gait events (corrections applied), owns
the `Playback` state and the `Corrections`, and renders frames. The Qt window only forwards user input here
and displays what comes back. Threads: GUI thread only (see `Playback` and `FrameRenderer`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

import numpy as np

from coach.live.activity import canonical_activity
from coach.replay.corrections import Corrections
from coach.replay.playback import Playback
from coach.replay.render import FrameRenderer
from coach.replay.reps import GaitMark, RepItem, RepList, gait_marks
from coach.replay.series import primary_angle_name, primary_angle_series
from coach.session.format import SessionError
from coach.session.reader import SessionReader

__all__ = ["ReplayModel"]

log = logging.getLogger(__name__)


class ReplayModel:
    """A recorded session opened for replay. Raises `SessionError` for a session without frames."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.reader = SessionReader(path)
        if not self.reader.frame_count:
            self.reader.close()
            raise SessionError(f"{path}: the session has no readable frames")
        try:
            self.activity = canonical_activity(self.reader.manifest.get("exercise"))
        except ValueError:
            # A session from a newer coach may name an activity this one does not know: replay without
            # activity-specific overlays rather than refuse to open it.
            log.warning("unknown exercise %r in %s", self.reader.manifest.get("exercise"), path)
            self.activity = None
        self.angle_name = primary_angle_name(self.activity)
        self.angle: np.ndarray = primary_angle_series(self.reader.landmarks, self.reader.image_size,
                                                      self.activity)
        self.playback = Playback(self.reader.media_ts, self.reader.fps)
        self.corrections = Corrections(self.reader.path, self.reader.raw_events, self.reader.corrections)
        self.renderer = FrameRenderer(self.reader, self.angle, self.activity)
        self.ghost = False
        self.reps = RepList(())
        self.gait: list[GaitMark] = []
        self._reps_listeners: list[Callable[[], None]] = []
        self._reload_events()

    # ------------------------------------------------------------------ events and corrections
    def subscribe_reps(self, listener: Callable[[], None]) -> None:
        """Call `listener()` whenever the rep list or gait events change (after a correction)."""
        self._reps_listeners.append(listener)

    def _reload_events(self) -> None:
        events = self.corrections.events
        self.reps = RepList.from_events(events, self.reader.row_of_frame)
        self.gait = gait_marks(events, self.reader.row_of_frame)
        self.renderer.set_events(events, self.reps)
        for listener in self._reps_listeners:
            listener()

    def delete_rep(self, rep: RepItem) -> None:
        """Delete `rep` (saved to corrections.jsonl at once)."""
        self.corrections.delete_rep(rep.end_frame)
        self._reload_events()

    def add_rep(self, start_row: int, bottom_row: int, end_row: int, *, partial: bool = False) -> None:
        """Add a rep over these rows (saved at once)."""
        fi, ts = self.reader.frame_index, self.reader.media_ts
        self.corrections.add_rep(start_frame=int(fi[start_row]), bottom_frame=int(fi[bottom_row]),
                                 end_frame=int(fi[end_row]), start_s=float(ts[start_row]),
                                 bottom_s=float(ts[bottom_row]), end_s=float(ts[end_row]), partial=partial)
        self._reload_events()

    def move_gait_event(self, mark: GaitMark, to_row: int) -> None:
        """Move gait event `mark` to `to_row` (saved at once)."""
        self.corrections.move_gait_event(frame=mark.frame, kind=mark.kind, foot=mark.foot,
                                         to_frame=int(self.reader.frame_index[to_row]),
                                         to_t=float(self.reader.media_ts[to_row]))
        self._reload_events()

    # ------------------------------------------------------------------ navigation
    @property
    def marks(self) -> list[int]:
        """Rows prev/next jump between: rep starts, and gait events for gait sessions."""
        return sorted({*self.reps.start_rows, *(m.row for m in self.gait)})

    def next_mark(self) -> bool:
        return self.playback.next_mark(self.marks)

    def prev_mark(self) -> bool:
        return self.playback.prev_mark(self.marks)

    def current_rep(self) -> RepItem | None:
        return self.reps.at_row(self.playback.row)

    # ------------------------------------------------------------------ display
    def render(self) -> np.ndarray:
        """The shown row, drawn with the live overlays (and the ghost of the best rep when it is on)."""
        return self.renderer.render(self.playback.row, ghost_of=self.reps.best() if self.ghost else None)

    def close(self) -> None:
        self.reader.close()
