"""The one-slot inbox between the capture thread and the analysis thread: the newest frame wins.

Live coaching wants the athlete's *current* posture on screen, so when analysis falls behind, an unprocessed
frame is replaced by the newer one (and the replacement is counted) instead of queueing stale frames.
`lossless=True` turns the slot into a one-frame blocking queue (the producer waits for the consumer):
for replaying a file faster than real time, where every frame must be analysed.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

__all__ = ["LatestSlot"]

T = TypeVar("T")


class LatestSlot(Generic[T]):
    """Holds at most one item. Thread-safe: one producer thread calls `put`, one consumer thread `get`;
    any thread may call `close` and read `dropped`."""

    def __init__(self, *, lossless: bool = False) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._item: T | None = None
        self._full = False
        self._closed = False
        self._lossless = lossless
        self._dropped = 0

    @property
    def dropped(self) -> int:
        """Items replaced before the consumer took them."""
        with self._cond:
            return self._dropped

    @property
    def closed(self) -> bool:
        with self._cond:
            return self._closed

    def put(self, item: T) -> bool:
        """Offer an item; returns False if the slot is closed (the item is discarded).

        Newest-wins mode never blocks. Lossless mode blocks until the consumer has taken the previous item.
        """
        with self._cond:
            if self._lossless:
                while self._full and not self._closed:
                    self._cond.wait()
            if self._closed:
                return False
            if self._full:
                self._dropped += 1
            self._item, self._full = item, True
            self._cond.notify_all()
            return True

    def get(self, timeout: float | None = None) -> T | None:
        """The item, once there is one; None when the slot is closed and empty, or after `timeout`."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._full or self._closed, timeout):
                return None
            if not self._full:
                return None
            item, self._item, self._full = self._item, None, False
            self._cond.notify_all()  # a lossless producer may be waiting for the slot
            return item

    def close(self, *, discard: bool = False) -> None:
        """No more items. The consumer still gets a pending item unless `discard` (used on stop)."""
        with self._cond:
            self._closed = True
            if discard:
                self._item, self._full = None, False
            self._cond.notify_all()
