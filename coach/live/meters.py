"""Rolling rate and latency meters for the status bar. Plain objects, not thread-safe: the pipeline
guards them with its stats lock (writers: capture and analysis threads; reader: the GUI thread)."""

from __future__ import annotations

import math
from collections import deque

import numpy as np

__all__ = ["RateMeter", "RollingValues"]


class RateMeter:
    """Events per second over the last `window_s` seconds of a monotonic clock."""

    __slots__ = ("_stamps", "_window_s")

    def __init__(self, window_s: float = 2.0) -> None:
        self._window_s = window_s
        self._stamps: deque[float] = deque()

    def tick(self, t: float) -> None:
        self._stamps.append(t)
        self._trim(t)

    def rate(self, now: float) -> float:
        """Events per second in the window ending at `now`; 0.0 with fewer than two events."""
        self._trim(now)
        if len(self._stamps) < 2:
            return 0.0
        span = self._stamps[-1] - self._stamps[0]
        # n stamps bound n - 1 intervals; a stalled source shows up because old stamps leave the window.
        return (len(self._stamps) - 1) / span if span > 0 else 0.0

    def _trim(self, now: float) -> None:
        while self._stamps and self._stamps[0] < now - self._window_s:
            self._stamps.popleft()


class RollingValues:
    """The last `size` values of a measurement, with percentiles and mean (NaN when empty)."""

    __slots__ = ("_values",)

    def __init__(self, size: int = 120) -> None:
        self._values: deque[float] = deque(maxlen=size)

    def add(self, value: float) -> None:
        self._values.append(value)

    def percentile(self, q: float) -> float:
        return float(np.percentile(self._values, q)) if self._values else math.nan

    def mean(self) -> float:
        return float(np.mean(self._values)) if self._values else math.nan
