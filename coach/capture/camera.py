"""Frames from a live camera (webcam), through OpenCV."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Protocol

import cv2
import numpy as np

from coach.capture.frame import Frame
from coach.capture.lifecycle import SourceLifecycle
from coach.capture.video_file import quiet_opencv_log
from coach.errors import SourceError

logger = logging.getLogger(__name__)

# Reported as the frame rate when neither the driver nor the caller gives one: the usual webcam rate.
NOMINAL_CAMERA_FPS = 30.0


class _Capture(Protocol):
    """The part of `cv2.VideoCapture` a camera source uses."""

    def isOpened(self) -> bool: ...  # OpenCV's name
    def set(self, prop: int, value: float) -> bool: ...
    def get(self, prop: int) -> float: ...
    def grab(self) -> bool: ...
    def retrieve(self) -> tuple[bool, np.ndarray | None]: ...
    def release(self) -> None: ...


def _unavailable(index: int, why: str) -> SourceError:
    return SourceError(
        f"Camera {index} is not available: {why}. Check that a camera is connected and not in use by "
        "another application (close video-call apps), or choose another camera number."
    )


class CameraSource(SourceLifecycle):
    """Live frames from camera number `index` (0 is the system's first camera).

    Thread ownership: not thread-safe; the capture worker thread creates, reads and closes it. `read()`
    blocks until the camera delivers the next frame.

    `width`, `height` and `fps` are requests; cameras pick the nearest mode they support, so `size` and
    `fps` report what the camera actually delivers (`size` from the first frame, `fps` as the driver
    reports it). `Frame.capture_ts` is `clock()` right after each grab, `Frame.media_ts` the seconds since
    the first frame by that same clock, and `Frame.index` counts frames from 0. `frame_count` is None.

    Opening fails quickly with a `SourceError` when there is no such camera. A camera that stops delivering
    (unplugged, taken by another application) makes `read()` raise `SourceError`; the source is then dead,
    and the caller closes it and opens a new one to retry.
    """

    def __init__(
        self,
        index: int,
        *,
        width: int | None = None,
        height: int | None = None,
        fps: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(index, bool) or index < 0:
            raise ValueError(f"camera index must be a non-negative int, got {index!r}")
        # Silenced because with no camera every OpenCV backend logs its own failure (V4L2, FFmpeg,
        # Orbbec...); the SourceError below says it once, with what to do.
        with quiet_opencv_log():
            try:
                cap = cv2.VideoCapture(index)
            except cv2.error as exc:
                logger.debug("Opening camera %d raised %s", index, exc)
                raise _unavailable(index, "OpenCV failed to open it") from exc
        self._setup(cap, index, width=width, height=height, fps=fps, clock=clock)

    @classmethod
    def _from_capture(
        cls,
        capture: _Capture,
        index: int,
        *,
        width: int | None = None,
        height: int | None = None,
        fps: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> CameraSource:
        """A camera source over an already created capture object (tests use a scripted fake)."""
        source = cls.__new__(cls)
        source._setup(capture, index, width=width, height=height, fps=fps, clock=clock)
        return source

    def _setup(
        self,
        cap: _Capture,
        index: int,
        *,
        width: int | None,
        height: int | None,
        fps: float | None,
        clock: Callable[[], float],
    ) -> None:
        self._index = index
        self._clock = clock
        self._cap: _Capture | None = cap
        self._failed = False
        self._next_index = 0
        try:
            if not cap.isOpened():
                raise _unavailable(index, "no camera answered at this number")
            with quiet_opencv_log():
                if width is not None:
                    cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
                if height is not None:
                    cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
                if fps is not None:
                    cap.set(cv2.CAP_PROP_FPS, fps)
                # The first frame proves the camera really delivers and gives the real frame size.
                first = self._grab_image()
            if first is None:
                raise _unavailable(index, "it opened but delivered no picture")
        except BaseException:
            self.close()
            raise
        self._pending: tuple[float, np.ndarray] | None = first
        self._first_ts = first[0]
        height_px, width_px = first[1].shape[:2]
        self._size = (width_px, height_px)
        reported = cap.get(cv2.CAP_PROP_FPS)
        if math.isfinite(reported) and reported > 0:
            self._fps = float(reported)
        else:
            self._fps = float(fps) if fps else NOMINAL_CAMERA_FPS
            logger.debug("Camera %d reports no frame rate; using %.1f", index, self._fps)
        if (width is not None and width != width_px) or (height is not None and height != height_px):
            logger.info(
                "Camera %d delivers %dx%d (asked for %sx%s)", index, width_px, height_px, width, height
            )

    # --- public API -------------------------------------------------------------------------------------

    @property
    def index(self) -> int:
        return self._index

    @property
    def fps(self) -> float:
        """The frame rate the camera driver reports (the request, or 30, if it reports none)."""
        return self._fps

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the frames actually delivered."""
        return self._size

    @property
    def frame_count(self) -> None:
        """Always None: a camera has no length."""
        return None

    def read(self) -> Frame:
        """The next frame (blocks until the camera delivers it). Raises `SourceError` if the camera stops."""
        if self._cap is None:
            raise ValueError(f"read from a closed camera source (camera {self._index})")
        if self._failed:
            raise self._stopped_error()
        if self._pending is not None:
            grabbed, self._pending = self._pending, None
        else:
            grabbed = self._grab_image()
            if grabbed is None:
                self._failed = True
                raise self._stopped_error()
        capture_ts, image = grabbed
        frame = Frame(
            index=self._next_index,
            capture_ts=capture_ts,
            media_ts=capture_ts - self._first_ts,
            image=image,
        )
        self._next_index += 1
        return frame

    def close(self) -> None:
        """Release the camera. Idempotent."""
        self._pending = None
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def __repr__(self) -> str:
        return f"CameraSource({self._index})"

    # --- internals --------------------------------------------------------------------------------------

    def _grab_image(self) -> tuple[float, np.ndarray] | None:
        """(capture_ts, BGR image) of the next frame, or None if the camera delivered nothing."""
        assert self._cap is not None
        try:
            if not self._cap.grab():
                return None
            capture_ts = self._clock()
            ok, image = self._cap.retrieve()
        except cv2.error as exc:
            logger.warning("Camera %d: OpenCV error while reading: %s", self._index, exc)
            return None
        if not ok or image is None or image.size == 0:
            return None
        if image.ndim == 2:
            # Some drivers deliver grey frames; everything downstream expects 3-channel BGR.
            image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
        return capture_ts, image

    def _stopped_error(self) -> SourceError:
        return SourceError(
            f"Camera {self._index} stopped delivering frames: it was unplugged or another application "
            "took it. Reconnect the camera or close the other application; capture will try again."
        )
