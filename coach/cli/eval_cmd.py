"""`coach eval reps|gait LABELS.json`: run every labelled clip through the analysis pipeline, print a table.

Each clip goes through the same steps as `coach analyze` (pose lanes, smoothing, view estimate, engine) with
the movement the labels name. The labels' own counts and cadences are only compared against, never used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from coach.analysis.offline import pose_run, smooth
from coach.analysis.track import PoseTrack
from coach.errors import CoachError
from coach.gait import evaluate as gait_eval
from coach.kinematics.view import clip_view, estimate_yaw
from coach.pose.model_store import resolve_pose_model
from coach.reps import evaluate as rep_eval


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "eval",
        help="measure rep counting or gait analysis against a labels file",
        description="Run every clip of a labels file (format of labels.json) and compare with its labels.",
    )
    p.add_argument("what", choices=("reps", "gait"), help="which engine to evaluate")
    p.add_argument("labels", type=Path, help="labels JSON; clips are looked up next to it")
    p.add_argument("--pose-model", default=None, metavar="lite|full|heavy|PATH")
    p.add_argument(
        "--pose-cache", type=Path, default=None, metavar="DIR", help="reuse raw poses stored in DIR"
    )
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.labels.is_file():
        raise CoachError(f"Labels file not found: {args.labels}")
    model = resolve_pose_model(args.pose_model)

    def load(video: Path) -> PoseTrack:
        if not video.is_file():
            raise FileNotFoundError(video)
        with tqdm(
            unit="frame", desc=video.name[:40], file=sys.stderr, disable=args.no_progress, leave=False
        ) as bar:
            # Only poses are needed: the evaluation runs the engine itself with the labelled movement.
            return smooth(
                pose_run(video, model, on_progress=bar.update, pose_cache_dir=args.pose_cache).track
            )

    if args.what == "reps":
        rows = rep_eval.evaluate_labels(args.labels, load, view_for=_estimated_view)
        print(rep_eval.format_table(rows))
        scored = [r for r in rows if r.scored]
        return 0 if all(r.counted == r.expected for r in scored) else 1
    gait_rows = gait_eval.evaluate_gait(args.labels, load)
    print(gait_eval.format_table(gait_rows))
    return 0


def _estimated_view(label: dict, track: PoseTrack) -> str:
    """The view `coach analyze` itself would use: estimated from the poses, not read from the label."""
    return clip_view(estimate_yaw(track.landmarks, track.world, track.image_size)).value
