"""`ReplayModel`: everything the replay screen shows about one recorded session, in one plain object.

It opens the session, recomputes the primary angle, lists reps and gait events (corrections applied), owns
the `Playback` state and the `Corrections`, and renders frames. The corrections the coach makes in the
window are decided here: adding a missed rep over a row range (its bottom found on the primary angle),
picking the gait event nearest the playhead and moving it, marking reps as good form (their anomaly scores,
with the athlete's good reps of other sessions from the library, set the personal threshold each rep is
judged against: `coach.ml.anomaly.personal_threshold`). Comparing two reps starts here too
(`compare`, see `coach.replay.compare`). The Qt window only forwards user input here and displays what
comes back. Threads: GUI thread only (see `Playback` and `FrameRenderer`).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from coach.activities import is_gait
from coach.library import GoodFormSource, athlete_good_form_scores, index_session
from coach.live.activity import canonical_activity
from coach.ml.anomaly import personal_threshold
from coach.replay.compare import ComparePlayer, pick_pair
from coach.replay.corrections import Corrections
from coach.replay.playback import Playback
from coach.replay.render import FrameRenderer
from coach.replay.reps import GaitMark, RepItem, RepList, StrideItem, gait_marks, stride_items
from coach.replay.series import extreme_row, primary_angle_name, primary_angle_series
from coach.session.events import session_exercise
from coach.session.format import SessionError
from coach.session.reader import SessionReader

__all__ = ["MIN_REP_FRAMES", "ReplayModel"]

log = logging.getLogger(__name__)

MIN_REP_FRAMES = 3  # an added rep needs a start, a bottom and an end


class ReplayModel:
    """A recorded session opened for replay. Raises `SessionError` for a session without frames."""

    def __init__(self, path: str | os.PathLike[str],
                 on_corrected: Callable[[Path], None] | None = None,
                 good_form_source: GoodFormSource | None = None) -> None:
        """`on_corrected(session_dir)` runs after each saved correction; by default it re-indexes the
        session in the library when it is indexed there, so corrections show up in the coach's trends.
        `good_form_source` gives the athlete's good-form scores from other sessions (default: the user's
        library; this session left out: its own marks come from its events, newer than its library rows);
        it is asked once, when the session opens."""
        self._on_corrected = on_corrected if on_corrected is not None else refresh_library
        self.reader = SessionReader(path)
        if not self.reader.frame_count:
            self.reader.close()
            raise SessionError(f"{path}: the session has no readable frames")
        try:
            # A recording under "auto" has no exercise in its manifest: the one recognised longest.
            self.activity = canonical_activity(
                session_exercise(self.reader.manifest.get("exercise"), self.reader.raw_events)
            )
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
        self.strides: list[StrideItem] = []  # running/walking: the strides the anomaly model scored
        self.selected_mark: GaitMark | None = None  # the gait event `move_selected_mark` moves
        self._reps_listeners: list[Callable[[], None]] = []
        self.athlete: str | None = str(self.reader.manifest.get("athlete") or "") or None
        source = good_form_source if good_form_source is not None else athlete_good_form_scores
        session_id = self.reader.manifest.get("id")
        self._other_good: list[float] = (
            source(self.athlete, self.activity, str(session_id) if session_id else None)
            if self.athlete and self.activity else []
        )
        self._personal: float | None = None  # `personal_threshold`, set by every `_reload_events`
        self._reload_events()

    # ------------------------------------------------------------------ events and corrections
    def subscribe_reps(self, listener: Callable[[], None]) -> None:
        """Call `listener()` whenever the rep list or gait events change (after a correction)."""
        self._reps_listeners.append(listener)

    def _reload_events(self) -> None:
        events = self.corrections.events
        self.reps = RepList.from_events(events, self.reader.row_of_frame)
        self.gait = gait_marks(events, self.reader.row_of_frame)
        self.strides = stride_items(events, self.reader.row_at)
        # Marks change only here; the list asks `threshold_for` once per row, so the threshold is worked
        # out once per change rather than once per row (a long run lists thousands of strides).
        self._personal = self._personal_threshold()
        if self.selected_mark not in self.gait:
            self.selected_mark = None
        self.renderer.set_events(events, self.reps)
        for listener in self._reps_listeners:
            listener()

    def _corrected(self) -> None:
        self._reload_events()
        self._on_corrected(self.reader.path)

    def delete_rep(self, rep: RepItem) -> None:
        """Delete `rep` (saved to corrections.jsonl at once)."""
        self.corrections.delete_rep(rep.end_frame)
        self._corrected()

    def add_rep(self, start_row: int, bottom_row: int, end_row: int, *, partial: bool = False) -> None:
        """Add a rep over these rows (saved at once)."""
        fi, ts = self.reader.frame_index, self.reader.media_ts
        self.corrections.add_rep(start_frame=int(fi[start_row]), bottom_frame=int(fi[bottom_row]),
                                 end_frame=int(fi[end_row]), start_s=float(ts[start_row]),
                                 bottom_s=float(ts[bottom_row]), end_s=float(ts[end_row]), partial=partial)
        self._corrected()

    def add_rep_over(self, start_row: int, end_row: int) -> RepItem:
        """Add a missed rep spanning rows `start_row..end_row`, its bottom at the primary angle's extreme
        (`extreme_row`), saved at once; returns it as listed. Raises ValueError, saving nothing, for a gait
        session, a range too short to be a rep, or one overlapping a listed rep."""
        if self.is_run:
            raise ValueError(f"a {self.activity} session has gait events, not reps")
        start, end = int(start_row), int(end_row)
        if not 0 <= start <= end <= self.playback.last_row:
            raise ValueError(f"rows {start}..{end} are not inside the session")
        if end - start + 1 < MIN_REP_FRAMES:
            raise ValueError(f"a rep needs at least {MIN_REP_FRAMES} frames, the range has {end - start + 1}")
        for rep in self.reps:
            if rep.start_row <= end and start <= rep.end_row:
                raise ValueError(f"the range overlaps rep {rep.number} (frames {rep.start_row + 1}-"
                                 f"{rep.end_row + 1}): delete that rep first or narrow the range")
        bottom = extreme_row(self.angle, start, end)
        self.add_rep(start, bottom, end)
        frame = int(self.reader.frame_index[start])
        return next(r for r in self.reps if r.added and r.start_frame == frame)

    def move_gait_event(self, mark: GaitMark, to_row: int) -> GaitMark:
        """Move gait event `mark` to `to_row` (saved at once); returns the moved event."""
        to_row = min(max(int(to_row), 0), self.playback.last_row)
        if to_row == mark.row:
            raise ValueError("the gait event is already at this frame")
        to_frame = int(self.reader.frame_index[to_row])
        self.corrections.move_gait_event(frame=mark.frame, kind=mark.kind, foot=mark.foot, to_frame=to_frame,
                                         to_t=float(self.reader.media_ts[to_row]))
        was_selected = self.selected_mark == mark
        self.selected_mark = None
        self._corrected()
        moved = next(m for m in self.gait
                     if (m.frame, m.kind, m.foot) == (to_frame, mark.kind, mark.foot))
        if was_selected:
            self.selected_mark = moved
        return moved

    def nearest_gait_mark(self, row: int) -> GaitMark | None:
        """The gait event closest to `row` (the earlier one on a tie); None without gait events."""
        if not self.gait:
            return None
        return min(self.gait, key=lambda m: (abs(m.row - row), m.row))

    def select_nearest_mark(self) -> GaitMark | None:
        """Select the gait event nearest the playhead for `move_selected_mark`; returns it (None: none)."""
        self.selected_mark = self.nearest_gait_mark(self.playback.row)
        return self.selected_mark

    def move_selected_mark(self) -> GaitMark:
        """Move the selected gait event to the playhead (saved at once); it stays selected."""
        if self.selected_mark is None:
            raise ValueError("no gait event selected: pick the nearest one first")
        return self.move_gait_event(self.selected_mark, self.playback.row)

    def toggle_good_form(self, item: RepItem | StrideItem) -> bool:
        """Mark a rep or a scored stride as good form, or take the mark back (saved at once); returns the
        new state."""
        good = not item.good_form
        if isinstance(item, StrideItem):
            self.corrections.mark_good_stride(item.index, good)
        else:
            self.corrections.mark_good(item.end_frame, good)
        self._corrected()
        return good

    def stride_at(self, row: int) -> StrideItem | None:
        """The scored stride under `row`: of the (usually two, one per foot) strides containing it, the one
        that started last (the foot that landed most recently)."""
        return max((s for s in self.strides if s.contains(row)), key=lambda s: s.start_row, default=None)

    # ------------------------------------------------------------------ personal threshold
    @property
    def is_run(self) -> bool:
        """A running or walking session: the anomaly model judged strides, not reps."""
        return self.activity is not None and is_gait(self.activity)

    @property
    def scored_items(self) -> list[RepItem] | list[StrideItem]:
        """What the anomaly model judged in this session: its strides for running and walking, else its
        reps."""
        return self.strides if self.is_run else list(self.reps)

    @property
    def good_form_scores(self) -> list[float]:
        """Anomaly scores of the reps (strides, for a run) marked good form: the athlete's other sessions
        (same activity), then this session's."""
        own = [i.anomaly for i in self.scored_items if i.good_form and i.anomaly is not None]
        return [*self._other_good, *own]

    def personal_threshold(self) -> float | None:
        """The athlete's threshold from their good-form reps or strides
        (`coach.ml.anomaly.personal_threshold`, over the model's population threshold, even when the
        session was recorded with an earlier personal one); None while nothing scored is marked."""
        return self._personal

    def _personal_threshold(self) -> float | None:
        scores = self.good_form_scores
        if not scores:
            return None
        known = (i.population_threshold for i in self.scored_items if i.population_threshold is not None)
        population = next(known, math.nan)
        return personal_threshold(scores, default=population)

    def threshold_for(self, item: RepItem | StrideItem) -> float | None:
        """What a rep's or stride's anomaly score is judged against: the personal threshold once reps (or
        strides) are marked good, else the population threshold it was scored with (None: not scored)."""
        personal = self._personal
        return personal if personal is not None and item.anomaly is not None else item.anomaly_threshold

    # ------------------------------------------------------------------ comparing reps
    def compare(self, selected: list[int] | tuple[int, ...] = ()) -> ComparePlayer:
        """A side-by-side comparison: the two `selected` reps (list indices), else the selected rep or the
        one under the playhead against the best rep (`coach.replay.compare.pick_pair`; ValueError with a
        message for the coach when there is no pair)."""
        a, b = pick_pair(self.reps, selected, self.playback.row)
        return ComparePlayer(self, a, b)

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


def refresh_library(session_dir: Path) -> None:
    """Re-index `session_dir` in the user's library if it is indexed there. A library that cannot be
    opened or read is logged, never raised: the correction itself is already saved in the session."""
    index_session(session_dir, refresh_only=True)
