"""The `coach` command: argument parsing and dispatch. Each sub-command lives in its own module."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from coach import __version__
from coach.cli import (
    analyze_cmd,
    app_cmd,
    eval_cmd,
    export_cmd,
    feedback_cmd,
    library_cmds,
    live_cmd,
    models_cmd,
    record_cmd,
    replay_cmd,
    sessions_cmd,
)
from coach.errors import CoachError

log = logging.getLogger("coach")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coach",
        description="Real-time webcam coach. Without a sub-command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"coach {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)")
    sub = parser.add_subparsers(title="sub-commands", metavar="COMMAND")
    app_cmd.add_parser(sub)
    live_cmd.add_parser(sub)
    analyze_cmd.add_parser(sub)
    models_cmd.add_parser(sub)
    eval_cmd.add_parser(sub)
    feedback_cmd.add_parser(sub)
    record_cmd.add_parser(sub)
    replay_cmd.add_parser(sub)
    export_cmd.add_parser(sub)
    sessions_cmd.add_parser(sub, extra=[library_cmds.add_sessions_subcommands])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=[logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)],
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    func = getattr(args, "func", None) or app_cmd.run
    try:
        return int(func(args) or 0)
    except CoachError as exc:
        print(f"coach: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("coach: interrupted", file=sys.stderr)
        return 130


def run_subcommand(name: str, argv: Sequence[str] | None = None) -> int:
    """`coach NAME ARGS` for a sub-command module run as a script (ARGS default to sys.argv[1:])."""
    return main([name, *(sys.argv[1:] if argv is None else argv)])
