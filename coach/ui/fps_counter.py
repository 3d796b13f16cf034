"""One frame-rate counter (pyqtgraph's example keeps exactly one): events per second over a rolling window."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

__all__ = ["FpsCounter"]


class FpsCounter:
    """Counts `tick()`s over the last `window_s` seconds of `clock` (monotonic by default).

    Not thread-safe: ticked and read by one thread (the GUI thread for the display rate).
    """

    def __init__(self, window_s: float = 2.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._window = window_s
        self._clock = clock
        self._ticks: deque[float] = deque()

    def tick(self) -> None:
        now = self._clock()
        self._ticks.append(now)
        self._trim(now)

    def fps(self) -> float:
        """Ticks per second over the window; 0.0 until two ticks have been seen."""
        self._trim(self._clock())
        if len(self._ticks) < 2:
            return 0.0
        span = self._ticks[-1] - self._ticks[0]
        return (len(self._ticks) - 1) / span if span > 0 else 0.0

    def reset(self) -> None:
        self._ticks.clear()

    def _trim(self, now: float) -> None:
        while self._ticks and now - self._ticks[0] > self._window:
            self._ticks.popleft()
