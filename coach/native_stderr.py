"""Silence native libraries' start-up chatter on stderr (file descriptor 2).

MediaPipe's C++ core prints INFO/WARNING lines through absl logging when a graph starts and on its first
frame; environment variables do not reach that logger, and the lines would break the CLI's progress bar and
its one-line error contract. Muting fd 2 for those short windows is the only switch there is. Python's own
stderr goes to the same descriptor, so the windows are kept short; MediaPipe reports real failures as
exceptions, which are not affected. Nested and concurrent use (parallel pose lanes) is reference-counted.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_depth = 0
_saved_fd: int | None = None


@contextlib.contextmanager
def muted_native_stderr() -> Iterator[None]:
    """Within the block, writes to fd 2 are discarded (set COACH_NATIVE_LOGS=1 to keep them)."""
    if os.environ.get("COACH_NATIVE_LOGS") == "1":
        yield
        return
    global _depth, _saved_fd
    with _lock:
        if _depth == 0:
            sys.stderr.flush()
            _saved_fd = os.dup(2)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved_fd is not None:
                sys.stderr.flush()
                os.dup2(_saved_fd, 2)
                os.close(_saved_fd)
                _saved_fd = None
