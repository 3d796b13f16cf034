"""Rolling rate and latency meters for the status bar. Plain objects, not thread-safe: the pipeline
guards them with its stats lock (writers: capture and analysis threads; reader: the GUI thread).
`StepClock` belongs to the analysis thread alone; it hands each frame's figures over to be accumulated in a
`StepTotals`, which the pipeline guards with the same lock."""

from __future__ import annotations

import math
import time
from collections import deque

import numpy as np

__all__ = ["STEPS", "RateMeter", "RollingValues", "StepClock", "StepTotals", "TimeTotals"]


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


# The analysis thread's per-frame steps, in the order they run (see `coach.live.step.AnalysisStep.process`
# and `coach.live.pipeline._Analysis.process`). "convert" is ~0 live: the capture thread converts.
STEPS: tuple[str, ...] = ("convert", "pose", "smooth", "view", "models", "engine", "publish", "other")


class StepClock:
    """Splits one frame's work into `STEPS` on two clocks: wall time (`perf_counter`) and the calling
    thread's CPU time (`thread_time`). CPU time is what the step itself cost, whatever else the machine
    was doing, so it stays meaningful on a loaded machine; wall time includes waiting for the CPU (and,
    for "pose", MediaPipe's own worker threads, which do not show in this thread's CPU time).

    Costs two clock reads per `lap` (about a microsecond each). Not thread-safe: one per thread.
    """

    __slots__ = ("_c", "cpu", "_w", "wall")

    def __init__(self) -> None:
        self.wall = [0.0] * len(STEPS)
        self.cpu = [0.0] * len(STEPS)
        self._w = self._c = 0.0

    def start(self) -> None:
        """Begin a frame: forget the previous frame's figures."""
        for i in range(len(STEPS)):
            self.wall[i] = self.cpu[i] = 0.0
        self._w, self._c = time.perf_counter(), time.thread_time()

    def lap(self, step: int) -> None:
        """Charge the time since the previous lap (or `start`) to `STEPS[step]`."""
        w, c = time.perf_counter(), time.thread_time()
        self.wall[step] += w - self._w
        self.cpu[step] += c - self._c
        self._w, self._c = w, c


class StepTotals:
    """Sums of `StepClock` figures over frames; `mean_ms()` gives ms per frame for each step."""

    __slots__ = ("_cpu", "_wall", "frames")

    def __init__(self) -> None:
        self._wall = [0.0] * len(STEPS)
        self._cpu = [0.0] * len(STEPS)
        self.frames = 0

    def add(self, clock: StepClock) -> None:
        for i in range(len(STEPS)):
            self._wall[i] += clock.wall[i]
            self._cpu[i] += clock.cpu[i]
        self.frames += 1

    def mean_ms(self) -> dict[str, tuple[float, float]]:
        """Step name -> (wall ms, thread CPU ms) per frame; NaN before the first frame."""
        n = self.frames
        return {
            name: (1000.0 * self._wall[i] / n, 1000.0 * self._cpu[i] / n) if n else (math.nan, math.nan)
            for i, name in enumerate(STEPS)
        }


class TimeTotals:
    """Sums of (wall, thread CPU) seconds of one recurring piece of work done on another thread than the
    analysis (the capture thread's BGR->RGB conversion, the render thread's drawing); `mean_ms()` per
    occurrence. Not thread-safe: guarded by the pipeline's stats lock."""

    __slots__ = ("_cpu", "_wall", "count")

    def __init__(self) -> None:
        self._wall = self._cpu = 0.0
        self.count = 0

    def add(self, wall_s: float, cpu_s: float) -> None:
        self._wall += wall_s
        self._cpu += cpu_s
        self.count += 1

    def mean_ms(self) -> tuple[float, float]:
        """(wall ms, thread CPU ms) per occurrence; NaN before the first."""
        n = self.count
        return (1000.0 * self._wall / n, 1000.0 * self._cpu / n) if n else (math.nan, math.nan)
