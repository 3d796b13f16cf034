"""`Playback`: the replay's transport state (which row is shown, playing or paused, speed, loop range).

A plain model, no Qt and no clock of its own: the owner calls `advance(elapsed_s)` with the wall time that
passed, and playback moves through *media* time at `speed` times that rate, so a 60 fps recording and a
30 fps one both play at their real speed and a dropped timer tick does not slow the video down. Listeners
added with `subscribe` are called after every change (the GUI turns that into a repaint).

Threads: one owner thread (the GUI thread in the app); no locks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["MAX_SPEED", "MIN_SPEED", "Playback"]

log = logging.getLogger(__name__)

MIN_SPEED = 0.1
MAX_SPEED = 2.0
_SLACK_S = 1e-6


class Playback:
    """Transport state over rows 0..n-1 with media times `media_ts` (strictly increasing seconds).

    `loop_in`/`loop_out` are rows (inclusive); with `loop` on, playing past `loop_out` wraps to `loop_in`
    and seeking is not confined (the coach may look elsewhere and come back). Without `loop`, playback stops
    at the last row.
    """

    def __init__(self, media_ts: np.ndarray, fps: float) -> None:
        ts = np.asarray(media_ts, dtype=np.float64)
        if ts.ndim != 1 or not len(ts):
            raise ValueError("a replay needs at least one frame")
        if not fps > 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self.media_ts = ts
        self.frame_s = 1.0 / fps
        self.row = 0
        self.playing = False
        self.speed = 1.0
        self.loop = False
        self.loop_in = 0
        self.loop_out = len(ts) - 1
        self.range_set = False  # I or O was pressed: the loop range is the coach's, not the default
        # Media time of the playhead between frames: advance() accumulates here, so many short timer ticks
        # add up to whole frames instead of being rounded away one by one.
        self._clock = float(ts[0])
        self._listeners: list[Callable[[], None]] = []

    # ------------------------------------------------------------------ observers
    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call `listener()` after every change of row or state."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    # ------------------------------------------------------------------ queries
    @property
    def frame_count(self) -> int:
        return len(self.media_ts)

    @property
    def last_row(self) -> int:
        return len(self.media_ts) - 1

    @property
    def t(self) -> float:
        """Media time of the shown row."""
        return float(self.media_ts[self.row])

    def row_at(self, t: float) -> int:
        """The row shown at media time `t` (the last frame at or before it; the first before the start)."""
        # A microsecond of slack: a clock summed from many float ticks lands a hair before the frame time it
        # has really reached (10 x 0.01 s < 0.1 s), which would show the previous frame one tick too long.
        return max(0, int(np.searchsorted(self.media_ts, t + _SLACK_S, side="right")) - 1)

    # ------------------------------------------------------------------ commands
    def seek(self, row: int) -> None:
        """Show `row` (clamped to the session)."""
        row = min(max(int(row), 0), self.last_row)
        self._clock = float(self.media_ts[row])
        if row != self.row:
            self.row = row
        self._changed()

    def seek_time(self, t: float) -> None:
        """Show the frame at media time `t`."""
        self.seek(self.row_at(t))

    def step(self, n: int) -> None:
        """Move `n` frames (negative: back) and pause: stepping is for looking at single frames."""
        self.playing = False
        self.seek(self.row + n)

    def play(self) -> None:
        if self.row >= self.last_row and not self.loop:
            self.seek(0)  # pressing play at the end starts over, like every player
        if self.loop and not self.loop_in <= self.row <= self.loop_out:
            self.seek(self.loop_in)
        self.playing = True
        self._changed()

    def pause(self) -> None:
        self.playing = False
        self._changed()

    def toggle(self) -> None:
        self.pause() if self.playing else self.play()

    def set_speed(self, speed: float) -> None:
        """Playback speed, clamped to [MIN_SPEED, MAX_SPEED]."""
        self.speed = min(max(float(speed), MIN_SPEED), MAX_SPEED)
        self._changed()

    def set_loop_in(self, row: int | None = None) -> None:
        """Loop start at `row` (default: the shown row); an out point before it moves to the end."""
        self.loop_in = min(max(self.row if row is None else int(row), 0), self.last_row)
        self.range_set = True
        if self.loop_out < self.loop_in:
            self.loop_out = self.last_row
        self._changed()

    def set_loop_out(self, row: int | None = None) -> None:
        """Loop end at `row` (default: the shown row); an in point after it moves to the start."""
        self.loop_out = min(max(self.row if row is None else int(row), 0), self.last_row)
        self.range_set = True
        if self.loop_in > self.loop_out:
            self.loop_in = 0
        self._changed()

    def set_loop(self, on: bool) -> None:
        self.loop = bool(on)
        self._changed()

    def toggle_loop(self) -> None:
        self.set_loop(not self.loop)

    def next_mark(self, marks: Sequence[int]) -> bool:
        """Seek to the first row in `marks` after the shown row; False (and no move) when there is none."""
        later = [m for m in marks if m > self.row]
        if not later:
            return False
        self.seek(min(later))
        return True

    def prev_mark(self, marks: Sequence[int]) -> bool:
        """Seek to the last row in `marks` before the shown row; False when there is none."""
        earlier = [m for m in marks if m < self.row]
        if not earlier:
            return False
        self.seek(max(earlier))
        return True

    def advance(self, elapsed_s: float) -> bool:
        """Move the playhead by `elapsed_s` wall seconds x speed while playing; True if the row changed.

        Reaching the end stops playback (or wraps to the loop start when looping).
        """
        if not self.playing or elapsed_s <= 0:
            return False
        end_row = self.loop_out if self.loop else self.last_row
        self._clock += elapsed_s * self.speed
        # A frame is shown for one frame interval; the last one of a range too, before wrapping or stopping.
        if self._clock >= float(self.media_ts[end_row]) + self.frame_s:
            if self.loop:
                over = self._clock - (float(self.media_ts[end_row]) + self.frame_s)
                self._clock = float(self.media_ts[self.loop_in]) + min(over, self.frame_s)
            else:
                self._clock = float(self.media_ts[end_row])
                self.playing = False
        row = self.row_at(self._clock)
        if self.loop and row > self.loop_out:
            row = self.loop_out
        changed = row != self.row
        self.row = row
        if changed or not self.playing:
            self._changed()
        return changed
