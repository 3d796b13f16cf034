"""`coach analyze VIDEO`: headless analysis of a video file, every frame, with a progress bar on stderr."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from coach.activities import ACTIVITIES, AUTO, is_gait
from coach.analysis.frame_table import write_frame_csv
from coach.analysis.offline import ClipAnalysis, analyze_video
from coach.analysis.report import apply_personal_threshold, build_report
from coach.capture.sources import probe_video
from coach.library import athlete_good_form_scores
from coach.pose.model_store import resolve_pose_model


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "analyze",
        help="analyse a video file (every frame) and print a summary or JSON",
        description="Analyse every frame of a video file. Progress goes to stderr, results to stdout.",
    )
    p.add_argument("video", type=Path, help="video file")
    p.add_argument(
        "--exercise", choices=(AUTO, *ACTIVITIES), default=AUTO, help="movement in the clip (default: auto)"
    )
    p.add_argument(
        "--pose-model",
        default=None,
        metavar="lite|full|heavy|PATH",
        help="pose model variant or .task file (default: $COACH_POSE_MODEL, else full)",
    )
    p.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        metavar="X",
        help="footage plays X times slower than real time (slow motion; gait timing)",
    )
    p.add_argument("--height", type=float, default=None, metavar="M", help="athlete height in metres")
    p.add_argument(
        "--athlete",
        default=None,
        metavar="NAME",
        help="judge rep anomaly scores by NAME's personal threshold: their reps marked good form "
        "(K in the replay) in the session library",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    p.add_argument("--out", type=Path, metavar="DIR", help="write frames.csv and summary.json into DIR")
    p.add_argument(
        "--lanes", type=int, default=None, help="parallel pose lanes (default: one per core, max 2)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    info = probe_video(args.video)  # fails early, with a clear message, on a missing or broken file
    model = resolve_pose_model(args.pose_model)
    exercise = None if args.exercise == AUTO else args.exercise
    with tqdm(
        total=info.frame_count or None,
        unit="frame",
        desc=args.video.name[:40],
        file=sys.stderr,
        disable=args.no_progress,
        leave=False,
    ) as bar:
        analysis = analyze_video(
            args.video,
            model,
            exercise=exercise,
            lanes=args.lanes,
            time_scale=args.time_scale,
            runner_height_m=args.height,
            on_progress=bar.update,
        )
    report = build_report(analysis, pose_model=model)
    if args.athlete and analysis.exercise is not None:
        scores = athlete_good_form_scores(args.athlete, analysis.exercise)
        apply_personal_threshold(report, args.athlete, scores)
        if not scores:
            print(
                f"note: no {analysis.exercise} {'stride' if is_gait(analysis.exercise) else 'rep'} of "
                f"{args.athlete} is marked good form in the library "
                "(K in the replay): the population threshold stays",
                file=sys.stderr,
            )
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        write_frame_csv(analysis, args.out / "frames.csv")
        (args.out / "summary.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if args.json:
        json.dump(report, sys.stdout)
        sys.stdout.write("\n")
    else:
        _print_summary(analysis, report)
    return 0


def _print_summary(analysis: ClipAnalysis, report: dict) -> None:
    t = analysis.timing
    pct = 100.0 * analysis.frames_with_pose / max(1, analysis.frames)
    print(f"video      {analysis.video}")
    print(f"frames     {analysis.frames} at {analysis.fps:.2f} fps, pose found in {pct:.1f}%")
    print(f"view       {analysis.view.value}")
    print(f"exercise   {analysis.exercise or 'not recognised (auto)'}")
    if report["reps"] is not None:
        print(f"reps       {report['reps']} (+{report['partial_reps']} partial)")
        for rep in report["rep_events"]:
            faults = ", ".join(f["cue"] for f in rep["faults"]) or "-"
            kind = "partial" if rep["partial"] else "rep"
            print(f"  {kind} {rep['index']:>2}  {rep['start_s']:7.2f}-{rep['end_s']:7.2f} s  {faults}")
    if report["gait"] is not None:
        g = report["gait"]
        cadence = "-" if g["cadence_spm"] is None else f"{g['cadence_spm']:.1f}"
        print(f"gait       {g['steps']} steps, cadence {cadence} steps/min")
    print(
        f"time       {t.wall_s:.2f} s wall; per frame: decode {t.decode_ms_per_frame:.1f} ms, "
        f"pose {t.pose_ms_per_frame:.1f} ms, rest {t.rest_ms_per_frame:.2f} ms ({t.lanes} lanes)"
    )
