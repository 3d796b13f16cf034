"""`ReplayController`: paces a `ReplayModel` on a Qt timer and tells panels what to show.

One precise timer (every `TICK_MS`) advances the playhead by the wall time that really passed times the
speed (`Playback.advance`), so playback keeps media time even when a tick comes late. A change of row or
overlay only sets a dirty flag; the next tick renders once (decode + overlay take a few milliseconds) and
emits `frame_rendered`, so a burst of key presses costs one render, not one per press. GUI thread only;
no worker threads (nothing to stop).
"""

from __future__ import annotations

import logging
import time

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from coach.replay.model import ReplayModel
from coach.replay.reps import GaitMark, RepItem, StrideItem
from coach.session.format import SessionError

__all__ = ["TICK_MS", "ReplayController", "item_name"]

log = logging.getLogger(__name__)

TICK_MS = 10


def item_name(item: RepItem | StrideItem) -> str:
    """How the coach sees a rep or stride named: "Rep 3", "Stride 12 (L)"."""
    if isinstance(item, StrideItem):
        return f"Stride {item.index} ({item.foot})"
    return f"Rep {item.number}"


class ReplayController(QObject):
    """Owns the replay's pacing timer; every user command goes through here to the model."""

    frame_rendered = Signal(object, int)  # (BGR image, row)
    state_changed = Signal()  # playing, speed, loop range or ghost changed
    reps_changed = Signal()  # the rep list changed (a correction was saved)
    failed = Signal(str)  # a frame could not be shown (damaged JPEG); playback pauses

    def __init__(self, model: ReplayModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.playback = model.playback
        self._dirty = True
        self._state_dirty = True
        self._last_tick = time.monotonic()
        self.shown_row = -1
        self.playback.subscribe(self._on_playback_changed)
        model.subscribe_reps(self._on_reps_changed)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._timer.start(TICK_MS)

    # ------------------------------------------------------------------ commands (from keys and panels)
    def toggle_play(self) -> None:
        self._last_tick = time.monotonic()  # the pause itself is not media time to catch up on
        self.playback.toggle()

    def step(self, n: int) -> None:
        self.playback.step(n)

    def seek(self, row: int) -> None:
        self.playback.seek(row)

    def seek_time(self, t: float) -> None:
        self.playback.seek_time(t)

    def set_speed(self, speed: float) -> None:
        self.playback.set_speed(speed)

    def set_loop_in(self) -> None:
        self.playback.set_loop_in()

    def set_loop_out(self) -> None:
        self.playback.set_loop_out()

    def toggle_loop(self) -> None:
        self.playback.toggle_loop()

    def next_mark(self) -> None:
        self.playback.pause()
        self.model.next_mark()

    def prev_mark(self) -> None:
        self.playback.pause()
        self.model.prev_mark()

    def toggle_ghost(self) -> None:
        self.model.ghost = not self.model.ghost
        self._dirty = self._state_dirty = True

    def delete_rep(self, rep: RepItem) -> bool:
        """Delete `rep` (saved in corrections.jsonl); False if the correction could not be saved."""
        try:
            self.model.delete_rep(rep)
        except (OSError, ValueError) as exc:
            log.warning("rep %d not deleted: %s", rep.number, exc)
            self.failed.emit(f"Rep {rep.number} not deleted: {exc}")
            return False
        return True

    def toggle_good_form(self, item: RepItem | StrideItem) -> bool | None:
        """Mark a rep or a stride as good form or take the mark back (saved in corrections.jsonl); the new
        state, or None when the correction could not be saved."""
        try:
            return self.model.toggle_good_form(item)
        except (OSError, ValueError) as exc:
            log.warning("%s good-form mark not saved: %s", item_name(item), exc)
            self.failed.emit(f"{item_name(item)} not marked: {exc}")
            return None

    def seek_item(self, index: int) -> None:
        """Show the start of entry `index` of the list shown: a rep, or a stride in a gait session."""
        items = self.model.scored_items
        if 0 <= index < len(items):
            self.playback.pause()
            self.playback.seek(items[index].start_row)

    def add_rep_over_loop(self) -> RepItem | None:
        """Add a missed rep over the loop range (I/O), bottom at the primary angle's extreme (saved in
        corrections.jsonl); None, with `failed` emitted, when the range cannot be a rep."""
        pb = self.playback
        if not pb.range_set:
            self.failed.emit("Set the rep's range first: I at its start, O at its end, then A")
            return None
        try:
            rep = self.model.add_rep_over(pb.loop_in, pb.loop_out)
        except (OSError, ValueError) as exc:
            log.warning("rep not added over rows %d-%d: %s", pb.loop_in, pb.loop_out, exc)
            self.failed.emit(f"Rep not added: {exc}")
            return None
        pb.pause()
        pb.seek(rep.bottom_row)
        return rep

    def select_nearest_mark(self) -> GaitMark | None:
        """Select the gait event nearest the playhead (for `move_selected_mark`)."""
        mark = self.model.select_nearest_mark()
        if mark is None:
            self.failed.emit("This session has no gait events")
        self._state_dirty = True
        return mark

    def move_selected_mark(self) -> GaitMark | None:
        """Move the selected gait event to the playhead (saved in corrections.jsonl)."""
        try:
            mark = self.model.move_selected_mark()
        except (OSError, ValueError) as exc:
            log.warning("gait event not moved: %s", exc)
            self.failed.emit(f"Gait event not moved: {exc}")
            return None
        self._state_dirty = True
        return mark

    def render_now(self) -> None:
        """Render the current row at once if anything changed (tests, and before a screenshot)."""
        self._tick()

    def stop(self) -> None:
        """Stop the timer (window closing)."""
        self._timer.stop()
        self.playback.pause()

    # ------------------------------------------------------------------ internals
    def _on_playback_changed(self) -> None:
        self._dirty = True
        self._state_dirty = True

    def _on_reps_changed(self) -> None:
        self._dirty = True  # the counter and the ghost depend on the reps
        self.reps_changed.emit()

    def _tick(self) -> None:
        now = time.monotonic()
        elapsed, self._last_tick = now - self._last_tick, now
        if self.playback.playing:
            self.playback.advance(elapsed)
        if self._state_dirty:
            self._state_dirty = False
            self.state_changed.emit()
        if not self._dirty:
            return
        self._dirty = False
        row = self.playback.row
        try:
            image: np.ndarray = self.model.render()
        except SessionError as exc:
            self.playback.pause()
            self.failed.emit(str(exc))
            return
        self.shown_row = row
        self.frame_rendered.emit(image, row)
