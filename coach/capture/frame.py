"""A captured frame and its timestamps."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Frame:
    """One image from a frame source.

    `capture_ts` is `time.monotonic()` (seconds) taken right after the frame was grabbed: live latency is
    measured from it. `media_ts` is the frame's position in its media (seconds from the first frame for a
    video file; seconds since the source opened for a camera): engines and models use it, so offline and
    live runs of the same footage see the same times.
    """

    index: int
    capture_ts: float
    media_ts: float
    image: np.ndarray  # (H, W, 3) uint8, BGR (OpenCV order)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        h, w = self.image.shape[:2]
        return w, h
