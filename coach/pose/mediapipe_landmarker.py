"""The one module that knows MediaPipe: wraps the Tasks API `PoseLandmarker` and returns `Pose` objects.

Threading: a `PoseEstimator` is owned by exactly one thread (the analysis worker live, a worker process
offline). MediaPipe runs its inference on the calling thread in VIDEO mode and uses about one CPU core.

Lifetime: MediaPipe 1.2.x raises at interpreter exit when a landmarker is still open: its C calls go through
a ThreadPoolExecutor, and `concurrent.futures` shuts executors down (from `threading`'s exit hooks) before
`atexit` and garbage collection get to close the landmarker. So `close()` is deterministic (context manager),
and a forgotten estimator is closed from a `threading` exit hook that runs before the executors stop.
"""

from __future__ import annotations

import atexit
import concurrent.futures.thread  # noqa: F401  (registers its exit hook now; see _close_forgotten)
import contextlib
import logging
import os
import threading
import weakref
from enum import Enum
from pathlib import Path

import numpy as np

from coach.errors import ModelError
from coach.native_stderr import muted_native_stderr
from coach.pose.selection import select_primary
from coach.pose.types import Pose

# MediaPipe's C++ core logs through glog/absl to stderr; keep a CLI's stderr for its progress bar and errors.
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import mediapipe as mp  # noqa: E402  (the log settings above must precede the import)
from mediapipe.tasks.python import BaseOptions, vision  # noqa: E402

log = logging.getLogger(__name__)

_OPEN: weakref.WeakSet[PoseEstimator] = weakref.WeakSet()


def _close_forgotten() -> None:
    for est in list(_OPEN):
        est.close()


# threading runs its exit hooks in reverse registration order, so this one (registered after
# concurrent.futures.thread, imported above, registered its own) runs before the executors shut down.
# The hook is private API; without it, fall back to atexit (too late for 1.2.x, right for later releases).
_register = getattr(threading, "_register_atexit", None)
if _register is not None:
    _register(_close_forgotten)
else:  # pragma: no cover - other Python implementations
    atexit.register(_close_forgotten)


class RunMode(Enum):
    """VIDEO: synchronous, every frame processed (offline, and the live analysis thread).
    IMAGE: independent still images (no tracking between frames)."""

    VIDEO = "video"
    IMAGE = "image"


class PoseEstimator:
    """Pose landmarks for a stream of frames.

    `detect(image_rgb, timestamp_s)` returns the most prominent person's `Pose` or None. Timestamps passed
    to MediaPipe are made strictly increasing (a repeated or backwards timestamp is nudged 1 ms forward),
    because VIDEO mode rejects anything else and real containers sometimes repeat a timestamp.
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str],
        *,
        mode: RunMode = RunMode.VIDEO,
        num_poses: int = 1,
        min_detection_confidence: float = 0.5,
        min_presence_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
    ) -> None:
        path = Path(model_path)
        if not path.is_file():
            raise ModelError(f"Pose model file not found: {path}")
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(path)),
            running_mode=(vision.RunningMode.VIDEO if mode is RunMode.VIDEO else vision.RunningMode.IMAGE),
            num_poses=num_poses,
            min_pose_detection_confidence=min_detection_confidence,
            min_pose_presence_confidence=min_presence_confidence,
            min_tracking_confidence=min_tracking_confidence,
            output_segmentation_masks=False,
        )
        try:
            with muted_native_stderr():
                self._landmarker = vision.PoseLandmarker.create_from_options(options)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"MediaPipe could not load the pose model {path}: {exc}") from exc
        self._mode = mode
        self._last_ms = -1
        self._first_frame_done = False
        self.model_path = path
        self._finalizer = weakref.finalize(self, self._landmarker.close)
        _OPEN.add(self)

    def detect(self, image_rgb: np.ndarray, timestamp_s: float) -> Pose | None:
        """Pose of the most prominent person in an RGB uint8 image (H, W, 3), or None."""
        if not self._finalizer.alive:
            raise RuntimeError("PoseEstimator is closed")
        h, w = image_rgb.shape[:2]
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(image_rgb))
        # The first inference also prints start-up warnings from the C++ core.
        quiet = muted_native_stderr() if not self._first_frame_done else contextlib.nullcontext()
        with quiet:
            if self._mode is RunMode.VIDEO:
                ms = max(int(round(timestamp_s * 1000.0)), self._last_ms + 1)
                self._last_ms = ms
                result = self._landmarker.detect_for_video(image, ms)
            else:
                result = self._landmarker.detect(image)
        self._first_frame_done = True
        if not result.pose_landmarks:
            return None
        poses = [
            _to_pose(lms, world, (w, h))
            for lms, world in zip(result.pose_landmarks, result.pose_world_landmarks, strict=True)
        ]
        return select_primary(poses)

    def close(self) -> None:
        """Release MediaPipe's graph. Idempotent."""
        self._finalizer()

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _to_pose(landmarks: list, world: list, image_size: tuple[int, int]) -> Pose:
    lm = np.array(
        [(p.x, p.y, p.z, _or_nan(p.visibility), _or_nan(p.presence)) for p in landmarks], dtype=np.float32
    )
    wl = np.array([(p.x, p.y, p.z) for p in world], dtype=np.float32)
    return Pose(landmarks=lm, world=wl, image_size=image_size)


def _or_nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)
