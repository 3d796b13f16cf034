"""Run the pose model over every frame of a video file, using every core.

MediaPipe's VIDEO-mode inference runs on one core. On a multi-core machine the clip is cut into contiguous
segments ("lanes"); each lane decodes its own segment and runs its own `PoseEstimator` on its own thread.
MediaPipe's C calls release the GIL, so lanes really run in parallel, without the start-up cost and data
copying of worker processes. Lanes after the first start `warmup_s` before their segment and discard those
frames, so the landmarker's frame-to-frame tracking has settled when the segment begins.

Offline never drops a frame: every decoded frame gets a row in the `PoseTrack`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from coach.analysis.track import PoseTrack
from coach.capture.sources import VideoFileSource, probe_video
from coach.errors import CoachError, SourceError
from coach.pose.mediapipe_landmarker import PoseEstimator

log = logging.getLogger(__name__)

# A lane needs enough frames to pay for its own decoder and landmarker start-up (~0.3 s).
MIN_FRAMES_PER_LANE = 90


@dataclass(frozen=True, slots=True)
class LaneTiming:
    """Where the time went, summed over lanes (seconds of wall time spent in each step)."""

    frames: int
    decode_s: float
    pose_s: float


@dataclass(frozen=True, slots=True)
class PoseRun:
    track: PoseTrack
    fps: float
    timing: LaneTiming
    lanes: int


def default_lanes() -> int:
    """One lane per core, at most 2: the second core is the one MediaPipe leaves idle."""
    return max(1, min(2, os.cpu_count() or 1))


def plan_segments(frame_count: int, lanes: int) -> list[tuple[int, int | None]]:
    """Half-open frame ranges, one per lane; the last one runs to the real end of the file."""
    lanes = max(1, min(lanes, frame_count // MIN_FRAMES_PER_LANE)) if frame_count > 0 else 1
    bounds = [round(frame_count * k / lanes) for k in range(lanes)]
    return [(b, bounds[k + 1] if k + 1 < lanes else None) for k, b in enumerate(bounds)]


def run_pose(
    video: Path,
    model_path: Path,
    *,
    lanes: int | None = None,
    warmup_s: float = 0.5,
    on_progress: Callable[[int], None] | None = None,
    estimator_factory: Callable[[Path], PoseEstimator] = PoseEstimator,
) -> PoseRun:
    """Pose for every frame of `video`. `on_progress(n)` is called (from lane threads) with frames done."""
    info = probe_video(video)
    segments = plan_segments(info.frame_count or 0, lanes or default_lanes())
    warmup = max(0, int(round(warmup_s * info.fps)))
    results: list[_LaneResult | None] = [None] * len(segments)
    errors: list[BaseException] = []
    progress_lock = threading.Lock()

    def report(n: int) -> None:
        if on_progress is not None:
            with progress_lock:
                on_progress(n)

    def lane(k: int, start: int, end: int | None) -> None:
        try:
            results[k] = _run_lane(
                video, model_path, start, end, warmup if k else 0, estimator_factory, report
            )
        except BaseException as exc:  # noqa: BLE001 - re-raised on the calling thread below
            errors.append(exc)

    threads = [
        threading.Thread(target=lane, args=(k, s, e), name=f"pose-lane-{k}", daemon=True)
        for k, (s, e) in enumerate(segments)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    parts = [r for r in results if r is not None]
    index = np.concatenate([r.index for r in parts])
    if len(index) == 0:
        raise SourceError(f"No frame of {video} could be decoded.")
    if np.any(np.diff(index) != 1):
        raise CoachError(f"Internal error: frames of {video} missing or repeated between lanes.")
    media_ts = _monotonic_times(np.concatenate([r.media_ts for r in parts]), index, info.fps)
    track = PoseTrack(
        frame_index=index,
        media_ts=media_ts,
        landmarks=np.concatenate([r.landmarks for r in parts]),
        world=np.concatenate([r.world for r in parts]),
        image_size=(info.width, info.height),
    )
    timing = LaneTiming(
        frames=len(index),
        decode_s=sum(r.decode_s for r in parts),
        pose_s=sum(r.pose_s for r in parts),
    )
    return PoseRun(track=track, fps=info.fps, timing=timing, lanes=len(segments))


@dataclass(slots=True)
class _LaneResult:
    index: np.ndarray
    media_ts: np.ndarray
    landmarks: np.ndarray
    world: np.ndarray
    decode_s: float
    pose_s: float


def _run_lane(
    video: Path,
    model_path: Path,
    start: int,
    end: int | None,
    warmup: int,
    estimator_factory: Callable[[Path], PoseEstimator],
    report: Callable[[int], None],
) -> _LaneResult:
    first = max(0, start - warmup)
    idx: list[int] = []
    ts: list[float] = []
    lms: list[np.ndarray] = []
    wls: list[np.ndarray] = []
    decode_s = pose_s = 0.0
    pending = 0
    with (
        VideoFileSource(video, start_frame=first, end_frame=end) as source,
        estimator_factory(model_path) as estimator,
    ):
        while True:
            t0 = time.perf_counter()
            frame = source.read()
            if frame is None:
                break
            rgb = cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
            t1 = time.perf_counter()
            pose = estimator.detect(rgb, frame.media_ts)
            t2 = time.perf_counter()
            if frame.index < start:
                continue  # warm-up frame: primes tracking, belongs to the previous lane
            decode_s += t1 - t0
            pose_s += t2 - t1
            idx.append(frame.index)
            ts.append(frame.media_ts)
            if pose is None:
                lm, wl = _EMPTY
            else:
                lm, wl = pose.landmarks, pose.world
            lms.append(lm)
            wls.append(wl)
            pending += 1
            if pending >= 10:
                report(pending)
                pending = 0
    report(pending)
    n = len(idx)
    return _LaneResult(
        index=np.asarray(idx, dtype=np.int64),
        media_ts=np.asarray(ts, dtype=np.float64),
        landmarks=np.stack(lms) if n else np.empty((0, 33, 5), np.float32),
        world=np.stack(wls) if n else np.empty((0, 33, 3), np.float32),
        decode_s=decode_s,
        pose_s=pose_s,
    )


_EMPTY = (np.full((33, 5), np.nan, np.float32), np.full((33, 3), np.nan, np.float32))


def _monotonic_times(media_ts: np.ndarray, index: np.ndarray, fps: float) -> np.ndarray:
    """Container timestamps if they are usable, otherwise index / fps (some files repeat or lack them)."""
    if len(media_ts) < 2 or np.all(np.diff(media_ts) > 0):
        return media_ts
    log.warning("container timestamps are not increasing; using frame index / fps instead")
    return (index - index[0]) / (fps if fps > 0 else 30.0)
