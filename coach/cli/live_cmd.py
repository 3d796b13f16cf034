"""`coach live`: open the desktop app on a given source (camera number or video file) and start at once."""

from __future__ import annotations

import argparse
from pathlib import Path

from coach.activities import ACTIVITIES, AUTO


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "live",
        help="open the live coaching window on a camera or a video file",
        description="Open the live coaching window on SOURCE: a camera number (0, 1, ...) or a video file "
        "that stands in for a camera (played at its real frame rate).",
    )
    p.add_argument("--source", default=None, help="camera number or video file (default: the last one used)")
    p.add_argument("--exercise", choices=(AUTO, *ACTIVITIES), default=None,
                   help="exercise to coach (default: the last one used; auto = recognise it)")
    p.add_argument("--start", action="store_true", help="start at once")
    p.add_argument("--loop", action="store_true", help="loop a video file instead of stopping at its end")
    p.add_argument("--pose-model", default=None,
                   help="pose model variant or .task file (default: $COACH_POSE_MODEL, else full)")
    # For the screenshot test and the README: grab the window after --quit-after seconds, then quit.
    p.add_argument("--screenshot", type=Path, default=None, help=argparse.SUPPRESS)
    p.add_argument("--quit-after", type=float, default=None, metavar="S", help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here so that headless sub-commands never load Qt.
    from coach.ui.app import LaunchOptions, run_app

    quit_after = args.quit_after
    if args.screenshot is not None and quit_after is None:
        quit_after = 5.0
    options = LaunchOptions(
        source=args.source,
        exercise=args.exercise,
        start=args.start,
        loop=args.loop,
        pose_model=args.pose_model,
        screenshot=args.screenshot,
        quit_after_s=quit_after,
    )
    return run_app(options)
