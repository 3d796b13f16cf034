"""`coach replay DIR`: open a recorded session in the replay window (video with the live overlays, rep list,
session plot, corrections). Not wired into `coach.cli.main` by this module: main adds
`replay_cmd.add_parser(sub)`; until then `python -m coach.cli.replay_cmd DIR` runs the same command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "replay",
        help="replay a recorded session with overlays, rep list and plots",
        description="Open the session directory DIR (made by `coach record` or the app) in the replay "
        "window. "
        "Keys: Space play/pause, Left/Right one frame, Shift+arrows or PgUp/PgDn ten frames, [ ] previous/"
        "next rep, I/O/L loop range, G ghost of the best rep, Delete delete the selected rep.",
    )
    p.add_argument("directory", type=Path, metavar="DIR", help="session directory")
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
    # A directory that is not a readable session raises SessionError (a CoachError): main reports it.
    return run_replay(args.directory, screenshot=args.screenshot, quit_after_s=quit_after, play=args.play)


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m coach.cli.replay_cmd ARGS` is `coach replay ARGS`."""
    from coach.cli.main import run_subcommand  # main.py imports this module: import it late

    return run_subcommand("replay", argv)


if __name__ == "__main__":
    sys.exit(main())
