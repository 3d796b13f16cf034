"""Per-frame cost of the rep engine and the rep-count evaluation table.

Run: ``/work/venv/bin/python benchmarks/bench_reps.py [--labels ../shared/videos/labels.json]
[--pose-cache DIR] [--pose-model full]``. Prints:
- the cost of one `RepEngine.update` (features + state machine + rules at rep ends), in microseconds, per
  exercise, on a synthetic side-view athlete doing reps with noise (median and 95th percentile over frames);
- with ``--labels``: the evaluation table of ``coach eval reps`` (real pipeline, views estimated from the
  poses as the product does), plus the engine cost per frame on those real tracks.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from coach.analysis.offline import analyze_video
from coach.analysis.track import PoseTrack
from coach.kinematics.view import clip_view, estimate_yaw
from coach.pose.model_store import resolve_pose_model
from coach.pose.types import PoseSample
from coach.reps import evaluate as rep_eval
from coach.reps.catalogue import CATALOGUE, spec_for
from coach.reps.engine import RepEngine
from coach.reps.synthetic import Camera, rep_profile, skeleton_track


def engine_cost_us(track: PoseTrack, exercise: str, view: str) -> np.ndarray:
    """Wall time of each `RepEngine.update` call over the track, microseconds (N,)."""
    engine = RepEngine(spec_for(exercise), view)
    samples = [PoseSample(float(track.media_ts[i]), int(track.frame_index[i]), track.pose_at(i))
               for i in range(len(track))]
    out = np.empty(len(samples))
    for i, s in enumerate(samples):
        t0 = time.perf_counter_ns()
        engine.update(s)
        out[i] = (time.perf_counter_ns() - t0) / 1000.0
    return out


def _row(name: str, us: np.ndarray) -> str:
    return f"{name:24} {len(us):7d} {np.median(us):9.1f} {np.percentile(us, 95):9.1f} {us.max():9.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", type=Path, default=None)
    ap.add_argument("--pose-cache", type=Path, default=None)
    ap.add_argument("--pose-model", default=None)
    args = ap.parse_args()

    depth = rep_profile([("hold", 2.0, 0.0)] + [("rep", 2.0, 1.0)] * 20 + [("hold", 2.0, 0.0)])
    track = skeleton_track(depth, depth, camera=Camera(noise_px=1.0, seed=1))
    print("RepEngine.update cost, synthetic side-view athlete, 30 fps (microseconds per frame)")
    print(f"{'exercise':24} {'frames':>7} {'median':>9} {'p95':>9} {'max':>9}")
    for name in CATALOGUE:
        print(_row(name, engine_cost_us(track, name, "side")))

    if args.labels is None:
        return
    model = resolve_pose_model(args.pose_model)
    tracks: dict[str, PoseTrack] = {}

    def load(video: Path) -> PoseTrack:
        if not video.is_file():
            raise FileNotFoundError(video)
        tracks[video.name] = analyze_video(video, model, pose_cache_dir=args.pose_cache).smoothed
        return tracks[video.name]

    def view_for(label: dict, tr: PoseTrack) -> str:
        return clip_view(estimate_yaw(tr.landmarks, tr.world, tr.image_size)).value

    rows = rep_eval.evaluate_labels(args.labels, load, view_for=view_for)
    print()
    print(rep_eval.format_table(rows))
    costs = np.concatenate([engine_cost_us(tracks[Path(r.clip).name], r.movement, r.view) for r in rows])
    print()
    print(f"{'engine on real tracks':24} {'frames':>7} {'median':>9} {'p95':>9} {'max':>9}")
    print(_row("all clips", costs))


if __name__ == "__main__":
    main()
