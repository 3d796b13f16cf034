"""Rate limiting for handlers that would otherwise run at frame rate (superqt's `qthrottled`, in small).

`Throttled(fn, interval_ms)` calls `fn` at once on the first call, then at most once per interval with the
most recent arguments (trailing edge), so the last value is always shown and nothing runs more often.
GUI thread only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer

__all__ = ["Throttled"]


class Throttled(QObject):
    """Calls `fn` at most once per `interval_ms`, always with the latest arguments."""

    def __init__(self, fn: Callable[..., Any], interval_ms: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._fn = fn
        self._interval_s = interval_ms / 1000.0
        self._last_call = -1e9
        self._pending: tuple[tuple[Any, ...], dict[str, Any]] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._fire_pending)

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self._pending = (args, kwargs)
        wait_s = self._last_call + self._interval_s - time.monotonic()
        if wait_s <= 0:
            self._fire_pending()
        elif not self._timer.isActive():
            self._timer.start(max(1, int(wait_s * 1000)))

    def flush(self) -> None:
        """Run a pending call now (e.g. before the widget is hidden)."""
        self._timer.stop()
        self._fire_pending()

    def cancel(self) -> None:
        self._timer.stop()
        self._pending = None

    def _fire_pending(self) -> None:
        if self._pending is None:
            return
        args, kwargs = self._pending
        self._pending = None
        self._last_call = time.monotonic()
        self._fn(*args, **kwargs)
