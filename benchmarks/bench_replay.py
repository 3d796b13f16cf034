"""Recording and replay speed of a session: a 10-minute 720p recording made by the benchmark itself.

How the recording is made (quick, and honest about the recorder): a real 720p clip (the goblet squat, 30 fps)
is analysed once with the pose model and smoother; then the clip is decoded in a loop (`VideoFileSource`,
loop=True) and every frame is handed to a lossless `SessionWriter` with the pose of the same clip frame,
at full speed (no real-time pacing), until MINUTES of 30 fps media exist. So the recorder really JPEG-encodes,
writes and fsyncs every one of the 18,000 frames; only the pose model does not run again per frame.

Measured:
* recording throughput (frames written per wall second) and JPEG encode time, disk use per media minute;
* step +-1 frame (arrow keys): decode the JPEG + fetch the pose + draw the live overlay (`coach.overlay`),
  from a random start, page cache dropped once before the walk (readahead then helps, as in real use);
* random seek: the same work at a random row, with the video's page cache dropped before EVERY seek
  (cold: a read from the disk; the warm figure is printed too).

The last line is machine-readable: `step_p95_ms=<float> seek_p95_ms=<float>` (seek = cold).
Usage: python benchmarks/bench_replay.py [--minutes 10] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from coach.capture.frame import Frame
from coach.capture.video_file import VideoFileSource
from coach.overlay.compose import Overlay, OverlayData
from coach.pose.mediapipe_landmarker import PoseEstimator
from coach.pose.model_store import resolve_pose_model
from coach.pose.smoothing import PoseSmoother
from coach.pose.types import Pose
from coach.session import CameraInfo, SessionReader, SessionWriter, verify
from coach.session.format import VIDEO_FILE

CLIP = Path(__file__).resolve().parents[1].parent / "shared" / "videos" / "squat__front__nowva_goblet.mp4"


def clip_poses(model: Path) -> list[Pose | None]:
    """Smoothed pose of every frame of the clip (one pass of the real model)."""
    poses: list[Pose | None] = []
    smoother = PoseSmoother()
    with PoseEstimator(model) as est, VideoFileSource(CLIP) as src:
        for f in src:
            raw = est.detect(cv2.cvtColor(f.image, cv2.COLOR_BGR2RGB), f.media_ts)
            lm, world = smoother.update(
                f.media_ts, raw.landmarks if raw else None, raw.world if raw else None
            )
            poses.append(Pose(lm, world, f.size) if np.isfinite(lm[:, 0]).any() else None)
    return poses


def record(out: Path, minutes: float, poses: list[Pose | None]) -> tuple[int, float, float]:
    """(frames, wall seconds, mean encode ms) of a lossless recording of `minutes` of looped clip."""
    src = VideoFileSource(CLIP, loop=True)
    fps = src.fps
    total = int(round(minutes * 60 * fps))
    w, h = src.size
    writer = SessionWriter(out, camera=CameraInfo(str(CLIP), w, h, fps), exercise="squat", lossless=True)
    t0 = time.perf_counter()
    try:
        for i in range(total):
            f = src.read()
            assert f is not None
            frame = Frame(index=i, capture_ts=time.monotonic(), media_ts=i / fps, image=f.image)
            writer.record_frame(frame, poses[i % len(poses)])
    finally:
        src.close()
        stats = writer.close("benchmark")
    return stats.frames_written, time.perf_counter() - t0, stats.encode_ms


def reader_fps(out: Path) -> float:
    with SessionReader(out) as r:
        return r.fps


def drop_cache(path: Path) -> None:
    """Evict the file from the page cache (the data is fsynced, so the pages are clean)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def show(reader: SessionReader, overlay: Overlay, i: int) -> np.ndarray:
    """What the replay screen does for one frame: decode, fetch the pose, draw the overlay."""
    image = reader.image(i)
    return overlay.draw(image, OverlayData(reader.pose(i), "squat", 0, 0, "idle", None))


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--seeks", type=int, default=200)
    ap.add_argument("--keep", type=Path, default=None, help="record into this directory and keep it")
    args = ap.parse_args()
    rng = random.Random(1)

    t = time.perf_counter()
    poses = clip_poses(resolve_pose_model(None))
    print(f"pose pass over the clip: {len(poses)} frames in {time.perf_counter() - t:.1f} s", file=sys.stderr)

    tmp = None if args.keep else tempfile.mkdtemp(prefix="bench_replay_")
    out = args.keep if args.keep else Path(tmp) / "session"  # type: ignore[arg-type]
    try:
        frames, wall, encode_ms = record(out, args.minutes, poses)
        disk = sum(p.stat().st_size for p in out.iterdir())
        media_min = frames / reader_fps(out) / 60.0
        print(f"recording: {frames} frames 1280x720 in {wall:.1f} s = {frames / wall:.1f} fps "
              f"(JPEG encode {encode_ms:.2f} ms/frame on the writer thread)")
        per_min = disk / 1e6 / media_min
        print(f"disk: {disk / 1e6:.0f} MB for {media_min:.2f} min = {per_min:.0f} MB per minute")

        t = time.perf_counter()
        report = verify(out)
        print(f"verify: ok={report.ok} frames={report.frames} in {time.perf_counter() - t:.2f} s")

        with SessionReader(out) as reader:
            overlay = Overlay("squat")
            n = reader.frame_count
            # Step +-1: random walk of arrow presses, mostly forward, from a cold random start.
            drop_cache(out / VIDEO_FILE)
            i = rng.randrange(1, n - args.steps - 1)
            show(reader, overlay, i)
            steps: list[float] = []
            for _ in range(args.steps):
                i = max(0, min(n - 1, i + (1 if rng.random() < 0.7 else -1)))
                t0 = time.perf_counter()
                show(reader, overlay, i)
                steps.append(1000 * (time.perf_counter() - t0))
            warm: list[float] = []
            cold: list[float] = []
            for _ in range(args.seeks):
                j = rng.randrange(n)
                t0 = time.perf_counter()
                show(reader, overlay, j)
                warm.append(1000 * (time.perf_counter() - t0))
            for _ in range(args.seeks):
                j = rng.randrange(n)
                drop_cache(out / VIDEO_FILE)
                t0 = time.perf_counter()
                show(reader, overlay, j)
                cold.append(1000 * (time.perf_counter() - t0))
        print(f"step +-1: p50 {pct(steps, 50):.2f} ms, p95 {pct(steps, 95):.2f} ms ({args.steps} steps)")
        print(f"seek (warm cache): p50 {pct(warm, 50):.2f} ms, p95 {pct(warm, 95):.2f} ms")
        print(f"seek (cold, page cache dropped): p50 {pct(cold, 50):.2f} ms, p95 {pct(cold, 95):.2f} ms")
        print(f"step_p95_ms={pct(steps, 95):.2f} seek_p95_ms={pct(cold, 95):.2f}")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
