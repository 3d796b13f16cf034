"""Live pipeline speed: `LivePipeline` on a clip standing in for a camera, versus a bare MediaPipe loop.

Both runs read the clip through `VideoFileSource(realtime=True)`, so frames arrive at the clip's own frame
rate as from a camera, and both use the same pose model.

* coach: the full live pipeline (capture thread: read, BGR->RGB -> newest-wins inbox -> analysis thread:
  pose, smoothing, view, models, rep/gait engine, cues -> newest-wins render slot -> render thread: overlay
  drawn on the mirrored frame). Latency = capture stamp -> overlay drawn (measured on the render thread
  when it has finished drawing the frame, so the drawing moved off the analysis thread is still counted).
* bare: one thread, read (paced) -> BGR->RGB -> `detect_for_video`, nothing else. It never drops: a frame
  that arrives while the previous one is still in inference waits, so when it is slower than the camera
  its latency keeps growing. Latency = capture stamp -> landmarks returned.

Like with like: both convert BGR->RGB for MediaPipe; bare does it in its only thread, coach on its capture
thread (where it overlaps the previous frame's analysis). Both figures are printed.

Printed: processing fps, dropped frames, latency p50/p95 and mean per-frame work (ms the analysing thread
spends per frame) of each; then the coach analysis thread's per-step breakdown, in ms per analysed frame on
two clocks, wall (`perf_counter`) and the thread's own CPU time (`thread_time`, which machine load from
other processes barely moves), each also as % of the pose time (pose wall time: MediaPipe runs its graph on
its own threads, so the analysis thread's CPU time during pose is near zero):

    convert  BGR->RGB for MediaPipe, when the analysis thread has to do it (~0 live: capture converts)
    pose     the MediaPipe call (PoseEstimator.detect, incl. turning its result into a Pose)
    smooth   PoseSmoother.update and the Pose container
    view     yaw estimate + ViewClassifier (every VIEW_INTERVAL_S of media time)
    models   ring buffer of poses, exercise classifier (at its window rate), rep anomaly scores
    engine   features, primary angle, rep/gait engine update, cue policy
    publish  events and cues out, the frame to the recording, the LiveResult to the render thread
    other    settings sync, image ownership, dark check, warnings

and the work of the two other threads per frame: the capture thread's conversion and the render thread's
mirroring + drawing.

"Overhead beyond pose" = everything on the analysis thread except the pose call, i.e. the sum of every step
but pose. The issue's target is <= 5 % of pose time, with latency p95 within pose + 8 ms. Also printed: the
CPU of all coach threads per frame beyond pose (analysis steps + capture conversion + drawing) against the
bare loop's conversion, and the old cross-run figure (coach work / bare work - 1), which machine load
changing between the runs makes noisy. The last line is

    ratio_vs_bare_mediapipe=<coach processing fps / bare processing fps> latency_p95_ms=<coach p95>

A ratio of 1.0 means coach analyses as many frames per second as bare MediaPipe does. Processing fps is
frames analysed / (last analysis done - first frame captured); when both keep up with the camera the ratio
is ~1 whatever the overhead, hence the breakdown.

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
        "steps": pipeline.step_ms(),
        "render": pipeline.render_ms(),
        "convert": pipeline.convert_ms(),
        "render_skipped": s.render_skipped,
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
    convert_cpu: list[float] = []
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
            c0 = time.thread_time()
            rgb = cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB)
            convert_cpu.append(1000.0 * (time.thread_time() - c0))
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
        "convert_cpu_ms": float(np.mean(convert_cpu)),
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
    steps: dict[str, tuple[float, float]] = c["steps"]
    pose_ms = steps["pose"][0]
    print(f"coach analysis thread per step, ms/frame over {c['processed']:.0f} frames "
          f"(wall | thread CPU; % of pose wall {pose_ms:.2f} ms):")
    for name, (wall, cpu) in steps.items():
        print(f"  {name:8s} {wall:7.3f} | {cpu:7.3f}   {wall / pose_ms:6.1%} | {cpu / pose_ms:6.1%}")
    beyond_wall = sum(w for k, (w, _) in steps.items() if k != "pose")
    beyond_cpu = sum(cpu for k, (_, cpu) in steps.items() if k != "pose")
    conv_wall, conv_cpu = c["convert"]
    rend_wall, rend_cpu = c["render"]
    print("other coach threads, ms/frame (wall | thread CPU):")
    print(f"  capture BGR->RGB {conv_wall:7.3f} | {conv_cpu:7.3f}   (bare loop's own, in its only thread: "
          f"{b['convert_cpu_ms']:.3f} CPU)")
    print(f"  render   {rend_wall:7.3f} | {rend_cpu:7.3f}   (mirror + overlay; {c['render_skipped']:.0f} "
          f"analysed frames replaced before drawing)")
    print(f"overhead_beyond_pose on the analysis thread (all its steps but pose): "
          f"wall {beyond_wall:.3f} ms = {beyond_wall / pose_ms:.1%} of pose, "
          f"thread CPU {beyond_cpu:.3f} ms = {beyond_cpu / pose_ms:.1%} of pose (target <= 5 %); "
          f"latency p95 {c['p95']:.1f} ms vs pose + 8 = {pose_ms + 8.0:.1f} ms")
    all_cpu = beyond_cpu + conv_cpu + rend_cpu
    print(f"all coach threads' CPU beyond pose: {all_cpu:.3f} ms/frame (bare: {b['convert_cpu_ms']:.3f}, its "
          f"conversion); cross-run coach work / bare work - 1 = {c['work_ms'] / b['work_ms'] - 1.0:+.1%} "
          f"({c['work_ms']:.1f} vs {b['work_ms']:.1f} ms; coach's work excludes the conversion)")
    print(f"ratio_vs_bare_mediapipe={c['fps'] / b['fps']:.3f} latency_p95_ms={c['p95']:.1f}")


if __name__ == "__main__":
    main()
