"""Live pipeline speed: `LivePipeline` on a clip standing in for a camera, versus a bare MediaPipe loop.

Both runs read the clip through `VideoFileSource(realtime=True)`, so frames arrive at the clip's own frame
rate as from a camera, and both use the same pose model.

* coach: the full live pipeline (capture thread -> newest-wins inbox -> analysis thread: pose, smoothing,
  view, rep/gait engine, overlay drawn on a mirrored copy). Latency = capture stamp -> overlay ready.
* bare: one thread, read (paced) -> BGR->RGB -> `detect_for_video`, nothing else. It never drops: a frame
  that arrives while the previous one is still in inference waits, so when it is slower than the camera
  its latency keeps growing. Latency = capture stamp -> landmarks returned.

Printed: processing fps, dropped frames, latency p50/p95 and mean per-frame work (ms the analysing thread
spends per frame) of each, and on the last line

    ratio_vs_bare_mediapipe=<coach processing fps / bare processing fps> latency_p95_ms=<coach p95>

A ratio of 1.0 means coach analyses as many frames per second as bare MediaPipe does. Processing fps is
frames analysed / (last analysis done - first frame captured). When both keep up with the camera the ratio
is ~1 whatever the overhead, so the line before it also prints the per-frame overhead beyond pose:
coach work / bare work - 1 (across the two runs, so sensitive to load changing between them), and the
analysis thread's own time beyond its pose call (same run; includes the BGR->RGB conversion bare also does).

    python benchmarks/bench_live.py [VIDEO] [--model PATH] [--activity NAME] [--no-mirror]
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path

import cv2
import numpy as np

from coach.activities import ACTIVITIES
from coach.capture.video_file import VideoFileSource
from coach.live import LivePipeline, WorkerState

DEFAULT_VIDEO = (
    Path(__file__).resolve().parents[1].parent / "shared" / "videos" / "squat__front__nowva_goblet.mp4"
)


def default_model() -> Path:
    env = os.environ.get("COACH_POSE_MODEL")
    p = Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "models"
    return p / "pose_landmarker_full.task" if p.is_dir() else p


def run_coach(video: Path, model: Path, activity: str | None, mirror: bool) -> dict[str, float]:
    pipeline = LivePipeline(
        lambda: VideoFileSource(video, realtime=True), model, activity=activity, mirror=mirror,
        stats_window=100_000,
    )
    pipeline.start()
    first_capture: float | None = None
    last_done = time.monotonic()
    seen = -1
    while pipeline.state in (WorkerState.STARTING, WorkerState.RUNNING):
        # Poll slowly (as a GUI timer would): the benchmark must not compete with the pipeline for the GIL.
        time.sleep(0.02)
        r = pipeline.latest()
        if r is not None and first_capture is None:
            first_capture = r.capture_ts
        if r is not None and r.frame_index != seen:
            seen, last_done = r.frame_index, time.monotonic()
    pipeline.stop()
    if pipeline.error:
        raise SystemExit(f"live pipeline failed: {pipeline.error}")
    s = pipeline.stats()
    result = pipeline.latest()
    assert first_capture is not None and result is not None
    return {
        "frames": s.frames_captured,
        "processed": s.frames_processed,
        "dropped": s.dropped,
        "fps": s.frames_processed / max(1e-9, last_done - first_capture),
        "p50": s.latency_ms_p50,
        "p95": s.latency_ms_p95,
        "pose_ms": s.pose_ms,
        "work_ms": pipeline.work_ms(),
        "reps": result.reps,
    }


def run_bare(video: Path, model: Path) -> dict[str, float]:
    import mediapipe as mp  # only here: the product reaches MediaPipe through coach.pose alone
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model)), running_mode=vision.RunningMode.VIDEO
    )
    latencies: list[float] = []
    work: list[float] = []
    first_capture = done = 0.0
    last_ms = -1
    with vision.PoseLandmarker.create_from_options(options) as landmarker, VideoFileSource(
        video, realtime=True
    ) as source:
        for frame in source:
            t0 = time.monotonic()
            if not latencies:
                first_capture = frame.capture_ts
            ms = max(int(round(frame.media_ts * 1000.0)), last_ms + 1)
            last_ms = ms
            rgb = cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
            landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), ms)
            done = time.monotonic()
            latencies.append(1000.0 * (done - frame.capture_ts))
            work.append(1000.0 * (done - t0))
    n = len(latencies)
    return {
        "frames": n,
        "processed": n,
        "dropped": 0,
        "fps": n / max(1e-9, done - first_capture),
        "p50": float(np.percentile(latencies, 50)),
        "p95": float(np.percentile(latencies, 95)),
        "work_ms": float(np.mean(work)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("video", nargs="?", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--model", type=Path, default=None, help="pose .task bundle (default: full)")
    parser.add_argument("--activity", default=None,
                        help="activity (default: the clip name's first token when it names one)")
    parser.add_argument("--no-mirror", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    model = args.model or default_model()
    token = args.video.name.split("__")[0]
    activity = args.activity or (token if token in ACTIVITIES else None)

    c = run_coach(args.video, model, activity, not args.no_mirror)
    b = run_bare(args.video, model)
    print(f"clip: {args.video.name}  model: {model.name}  activity: {activity}  mirror: {not args.no_mirror}")
    print(f"coach: {c['processed']:.0f}/{c['frames']:.0f} frames analysed, {c['dropped']:.0f} dropped, "
          f"{c['fps']:.1f} fps, latency p50 {c['p50']:.1f} ms p95 {c['p95']:.1f} ms, "
          f"work {c['work_ms']:.1f} ms/frame (pose {c['pose_ms']:.1f}), reps {c['reps']:.0f}")
    print(f"bare : {b['processed']:.0f}/{b['frames']:.0f} frames analysed, {b['dropped']:.0f} dropped, "
          f"{b['fps']:.1f} fps, latency p50 {b['p50']:.1f} ms p95 {b['p95']:.1f} ms, "
          f"work {b['work_ms']:.1f} ms/frame")
    print(f"overhead_beyond_pose={c['work_ms'] / b['work_ms'] - 1.0:+.1%} "
          f"(coach work {c['work_ms']:.1f} ms vs bare {b['work_ms']:.1f} ms per frame; within the coach run "
          f"{c['work_ms'] - c['pose_ms']:.1f} ms/frame beyond pose = "
          f"{(c['work_ms'] - c['pose_ms']) / c['pose_ms']:.1%} of pose)")
    print(f"ratio_vs_bare_mediapipe={c['fps'] / b['fps']:.3f} latency_p95_ms={c['p95']:.1f}")


if __name__ == "__main__":
    main()
