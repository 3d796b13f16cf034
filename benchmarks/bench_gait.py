"""Per-frame cost of the streaming gait engine, its event timing on synthetic gait, and the real-clip table.

Run: ``/work/venv/bin/python benchmarks/bench_gait.py [--cache DIR] [--labels FILE]``. Prints:
- the cost of one `GaitEngine.update` (median and 99th percentile, microseconds) on a synthetic runner;
- per frame rate, the largest IC / TO timing error on the synthetic runner (in frames) and the longest
  confirmation delay, for the full detector and for the forward/backward extremes alone;
- with the pose cache `coach eval gait --pose-cache DIR` fills (`coach.analysis.pose_cache`), the
  `coach eval gait` table over the labels file, with each clip's confidence and warnings.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np

from coach.analysis import pose_cache
from coach.analysis.track import PoseTrack
from coach.gait import DetectorParams, EventKind, GaitEngine, GaitEventDetector, iter_samples
from coach.gait.evaluate import evaluate_gait, format_table
from coach.gait.synthetic import synthetic_gait
from coach.pose.model_store import resolve_pose_model
from coach.pose.smoothing import smooth_track


def bench_update_cost() -> None:
    track = synthetic_gait(fps=60, duration_s=20, noise_px=1.0).track
    samples = list(iter_samples(track))
    engine = GaitEngine("running")
    costs = np.empty(len(samples))
    for i, s in enumerate(samples):
        t0 = time.perf_counter()
        engine.update(s)
        costs[i] = time.perf_counter() - t0
    med, p99 = np.percentile(costs * 1e6, [50, 99])
    print(f"GaitEngine.update: median {med:.0f} us, p99 {p99:.0f} us per frame ({len(samples)} frames)")


def bench_synthetic_timing() -> None:
    print("synthetic runner 170 spm, 250 ms contact, leg swap + dropout: max |error| in frames, max delay")
    for label, over in (("detector", {}), ("extremes only", {"min_vertical_speed": 1e9})):
        for fps in (25, 30, 60, 120):
            g = synthetic_gait(
                fps=fps, swap_spans_s=((2.0, 3.1),), dropout_spans_s=((5.0, 5.1),), noise_px=0.0
            )
            params = dataclasses.replace(DetectorParams.for_activity("running"), **over)
            det = GaitEventDetector("running", params=params)
            found = [e for s in iter_samples(g.track) for e in det.update(s)]
            errs = {}
            for kind, truth in (
                (EventKind.INITIAL_CONTACT, g.contacts),
                (EventKind.TOE_OFF, g.toe_offs),
            ):
                e = [min(abs(ev.t - t) for _, t in truth) for ev in found if ev.kind is kind]
                errs[kind] = fps * max(e) if e else float("nan")
            delay = max(e.confirm_delay_s for e in found) * 1000
            print(
                f"  {label:<14} {fps:>4} fps  IC {errs[EventKind.INITIAL_CONTACT]:.2f}  "
                f"TO {errs[EventKind.TOE_OFF]:.2f}  delay <= {delay:.0f} ms"
            )


def cached_loader(cache: Path, model: Path):
    """`video -> smoothed PoseTrack` from the product's pose cache (`coach.analysis.pose_cache`), smoothed
    with `coach.pose.smoothing.smooth_track` as `coach analyze` does; a clip not cached raises."""

    def load(video: Path) -> PoseTrack:
        cached = pose_cache.load_track(cache, video, model)
        if cached is None:
            raise FileNotFoundError(f"no cached poses for {video.name} in {cache}")
        raw, _ = cached
        lm, world = smooth_track(raw.media_ts, raw.landmarks, raw.world)
        return PoseTrack(raw.frame_index, raw.media_ts, lm, world, raw.image_size)

    return load


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=Path("/work/cache/coachposes"))
    ap.add_argument("--model", default=None, metavar="lite|full|heavy|PATH", help="pose model of the cache")
    ap.add_argument("--labels", type=Path, default=Path("/work/shared/videos/labels.json"))
    args = ap.parse_args()
    bench_update_cost()
    bench_synthetic_timing()
    if args.cache.is_dir() and args.labels.is_file():
        model = resolve_pose_model(args.model)
        print(format_table(evaluate_gait(args.labels, cached_loader(args.cache, model))))
    else:
        print(f"no cached poses at {args.cache} or no labels at {args.labels}: table skipped")


if __name__ == "__main__":
    main()
