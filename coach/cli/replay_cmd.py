"""`coach replay DIR|VIDEO`: open a recorded session in the replay window (video with the live overlays, rep
list, session plot, side-by-side rep comparison, corrections). A plain video file is first analysed into a
new session under the user data directory's sessions folder (progress dialog, cancellable), indexed in the
library, then replayed. Not wired into `coach.cli.main` by this module: main adds
`replay_cmd.add_parser(sub)`; until then `python -m coach.cli.replay_cmd DIR` runs the same command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from coach.activities import ACTIVITIES, AUTO


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "replay",
        help="replay a recorded session (or a video file) with overlays, rep list, comparison and plots",
        description="Open PATH in the replay window: a session directory (made by `coach record` or the "
        "app), or a video file, which is analysed into a new session first (in the user data directory's "
        "sessions folder, added to the library). Without PATH the window opens empty (File > Open). "
        "Keys: Space play/pause, Left/Right one frame, Shift+arrows or PgUp/PgDn ten frames, [ ] previous/"
        "next rep, I/O/L loop range, G ghost of the best rep, C compare two reps side by side, A add a rep "
        "over the I/O range, Delete delete the selected rep, E select the nearest gait event, M move it "
        "here, Ctrl+O open.",
    )
    p.add_argument("path", type=Path, nargs="?", default=None, metavar="DIR|VIDEO",
                   help="session directory or video file")
    p.add_argument("--exercise", choices=(AUTO, *ACTIVITIES), default=AUTO,
                   help="for a video: the exercise or activity in it (default: auto, recognised)")
    p.add_argument("--pose-model", default=None, metavar="lite|full|heavy|PATH",
                   help="for a video: pose model variant or .task file "
                   "(default: $COACH_POSE_MODEL, else full)")
    p.add_argument("--duration", type=float, default=None, metavar="S",
                   help="for a video: analyse only its first S seconds")
    p.add_argument("--play", action="store_true", help="start playing at once")
    # For screenshots and smoke tests: grab the window after --quit-after seconds, then quit.
    p.add_argument("--screenshot", type=Path, default=None, help=argparse.SUPPRESS)
    p.add_argument("--quit-after", type=float, default=None, metavar="S", help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # Imported here so that headless sub-commands never load Qt.
    from coach.ui.replay import run_replay

    quit_after = args.quit_after
    if args.screenshot is not None and quit_after is None:
        quit_after = 3.0
    if args.duration is not None and not args.duration > 0:
        print("coach: --duration must be positive", file=sys.stderr)
        return 2
    # A directory that is not a readable session raises SessionError, a file that is not a video
    # SourceError (both CoachErrors): main reports them.
    return run_replay(args.path, screenshot=args.screenshot, quit_after_s=quit_after, play=args.play,
                      exercise=None if args.exercise == AUTO else args.exercise, pose_model=args.pose_model,
                      duration_s=args.duration)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m coach.cli.replay_cmd ARGS` is `coach replay ARGS`."""
    from coach.cli.main import run_subcommand  # main.py imports this module: import it late

    return run_subcommand("replay", argv)


if __name__ == "__main__":
    sys.exit(main())
