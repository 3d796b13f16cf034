"""Preallocated ring buffers for scrolling plots (pyqtgraph's convention: no per-sample allocation).

Every value is written twice, at `i` and `i + capacity`, so the last `n` samples are always one contiguous
slice of the backing array: `view()` returns views, never copies, and plotting them allocates nothing here.
Not thread-safe: owned by the GUI thread.
"""

from __future__ import annotations

import numpy as np

__all__ = ["RingBuffer"]


class RingBuffer:
    """The last `capacity` (x, y) pairs, oldest first."""

    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self._cap = capacity
        self._x = np.full(2 * capacity, np.nan)
        self._y = np.full(2 * capacity, np.nan)
        self._next = 0  # where the next sample goes, in [0, capacity)
        self._size = 0

    @property
    def capacity(self) -> int:
        return self._cap

    def __len__(self) -> int:
        return self._size

    def append(self, x: float, y: float) -> None:
        """Add one sample, dropping the oldest when full."""
        i = self._next
        self._x[i] = self._x[i + self._cap] = x
        self._y[i] = self._y[i + self._cap] = y
        self._next = (i + 1) % self._cap
        self._size = min(self._size + 1, self._cap)

    def extend(self, xs: np.ndarray, ys: np.ndarray) -> None:
        """Add samples in order (only the last `capacity` of them can survive)."""
        xs = np.asarray(xs, dtype=float).ravel()
        ys = np.asarray(ys, dtype=float).ravel()
        if xs.shape != ys.shape:
            raise ValueError("xs and ys must have the same length")
        if len(xs) > self._cap:
            xs, ys = xs[-self._cap :], ys[-self._cap :]
        for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
            self.append(x, y)

    def clear(self) -> None:
        self._next = 0
        self._size = 0

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of the stored samples, oldest first, as views into the backing arrays."""
        end = self._next + self._cap if self._size == self._cap else self._next
        start = end - self._size
        return self._x[start:end], self._y[start:end]

    def last_x(self) -> float | None:
        """The newest x, or None when empty."""
        if self._size == 0:
            return None
        return float(self._x[(self._next - 1) % self._cap])
