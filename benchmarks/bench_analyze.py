"""Offline throughput: `coach analyze` versus a bare single-process MediaPipe loop over the same frames.

Prints ms/frame for decode, pose and the rest (smoothing, angles, view) of the product path, the same for the
bare loop (decode + colour conversion + detect_for_video on one thread, nothing else), and on the last line
`ratio_vs_bare_mediapipe=<float>`: product throughput / bare throughput (above 1 means coach is faster).

    python benchmarks/bench_analyze.py [VIDEO] [--pose-model full] [--repeat 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2

from coach.analysis.offline import analyze_video
from coach.pose.model_store import resolve_pose_model

DEFAULT_VIDEO = (
    Path(__file__).resolve().parents[2] / "shared" / "videos" / "lunge__oblique__nowva_forward_lunge.mp4"
)


def bare_mediapipe(video: Path, model: Path) -> tuple[int, float, float, float]:
    """frames, wall seconds, decode seconds, pose seconds of the simplest correct loop."""
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model)), running_mode=vision.RunningMode.VIDEO
    )
    cap = cv2.VideoCapture(str(video))
    frames = 0
    decode = pose = 0.0
    last_ms = -1
    t_start = time.perf_counter()
    with vision.PoseLandmarker.create_from_options(options) as landmarker:
        while True:
            t0 = time.perf_counter()
            ok, bgr = cap.read()
            if not ok:
                break
            ms = max(int(round(cap.get(cv2.CAP_PROP_POS_MSEC))), last_ms + 1)
            last_ms = ms
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            t1 = time.perf_counter()
            landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), ms)
            t2 = time.perf_counter()
            decode += t1 - t0
            pose += t2 - t1
            frames += 1
    cap.release()
    return frames, time.perf_counter() - t_start, decode, pose


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("video", nargs="?", type=Path, default=DEFAULT_VIDEO)
    ap.add_argument("--pose-model", default="full")
    ap.add_argument("--repeat", type=int, default=1, help="alternate bare/coach runs this many times")
    args = ap.parse_args()
    model = resolve_pose_model(args.pose_model)
    print(f"video: {args.video.name}  model: {model.name}")
    bare_wall = coach_wall = 0.0
    for r in range(args.repeat):
        n, wall, dec, pose = bare_mediapipe(args.video, model)
        bare_wall += wall
        print(
            f"[{r}] bare mediapipe : {n} frames, {1000 * wall / n:6.2f} ms/frame wall "
            f"(decode {1000 * dec / n:.2f}, pose {1000 * pose / n:.2f})"
        )
        a = analyze_video(args.video, model)
        t = a.timing
        coach_wall += t.wall_s
        print(
            f"[{r}] coach analyze  : {t.frames} frames, {1000 * t.wall_s / t.frames:6.2f} ms/frame wall, "
            f"{t.lanes} lanes (per frame, summed over lanes: decode {t.decode_ms_per_frame:.2f}, "
            f"pose {t.pose_ms_per_frame:.2f}, rest {t.rest_ms_per_frame:.3f})"
        )
        if t.frames != n:
            print(f"frame count mismatch: bare {n} vs coach {t.frames}", file=sys.stderr)
            return 1
    print(f"ratio_vs_bare_mediapipe={bare_wall / coach_wall:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
