"""`coach sessions ...`: sub-commands about recorded sessions. This module holds `verify`.

Structure for more sub-commands (e.g. `list`, added by the library module): `add_parser(subparsers)` adds
`sessions` and calls every function in `SUBCOMMANDS` and in its `extra` argument, each
`(sessions_subparsers) -> None`: main passes `extra=[library_cmds.add_sessions_subcommands]` (or that module
calls `register(...)` before `add_parser` runs). Each sub-parser sets `func` like any other command.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from coach.session.verify import VerifyReport, verify

__all__ = ["SUBCOMMANDS", "add_parser", "add_verify", "main", "register"]

AddSubcommand = Callable[[argparse._SubParsersAction], None]


def add_verify(sessions: argparse._SubParsersAction) -> None:
    p = sessions.add_parser(
        "verify",
        help="check a session directory and report what it holds",
        description="Check a recorded session: frames, duration, reps, and any damage. Exit status 0 when "
        "the session is ok, 1 when it has problems.",
    )
    p.add_argument("dir", type=Path, metavar="DIR", help="session directory")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    p.add_argument("--decode-all", action="store_true", help="decode every frame (slower; default: a sample)")
    p.set_defaults(func=run_verify)


SUBCOMMANDS: list[AddSubcommand] = [add_verify]


def register(add: AddSubcommand) -> None:
    """Add a `coach sessions` sub-command (call before `add_parser`)."""
    if add not in SUBCOMMANDS:
        SUBCOMMANDS.append(add)


def add_parser(subparsers: argparse._SubParsersAction, extra: Sequence[AddSubcommand] = ()) -> None:
    """Add `coach sessions` with `verify`, the registered sub-commands and `extra` (e.g. the library's
    `coach.cli.library_cmds.add_sessions_subcommands`)."""
    p = subparsers.add_parser(
        "sessions",
        help="recorded sessions: verify (and more); --gui opens the session library window",
        description="Work with recorded session directories. `coach sessions --gui` opens the session "
        "library window (list, filter, trends, open in replay).",
    )
    p.add_argument("--gui", action="store_true", help="open the session library window")
    sessions = p.add_subparsers(title="sessions commands", metavar="COMMAND")
    for add in [*SUBCOMMANDS, *(a for a in extra if a not in SUBCOMMANDS)]:
        add(sessions)
    p.set_defaults(func=lambda args: _gui() if args.gui else _usage(p))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _gui() -> int:
    # Imported here so that the headless sub-commands never load Qt.
    from coach.ui.library_window import run_library_app

    return run_library_app()


def run_verify(args: argparse.Namespace) -> int:
    report = verify(args.dir, decode_all=args.decode_all)
    if args.json:
        json.dump(report.to_json(), sys.stdout)
        sys.stdout.write("\n")
    else:
        _print_report(report)
    return 0 if report.ok else 1


def _print_report(r: VerifyReport) -> None:
    print(f"session    {r.path}")
    print(f"ok         {'yes' if r.ok else 'NO'}")
    fps = f" at {r.fps:.2f} fps" if r.fps else ""
    print(f"frames     {r.frames} ({r.duration_s:.2f} s{fps}), pose in {r.frames_with_pose}")
    print(f"reps       {r.reps} (+{r.partial_reps} partial), {r.events} events")
    closed = f"yes ({r.stop_reason})" if r.closed else "no (interrupted or still recording)"
    print(f"closed     {closed}")
    if r.dropped_frames:
        print(f"dropped    {r.dropped_frames} frames while recording")
    for p in r.problems:
        print(f"problem    {p}")
    for n in r.notes:
        print(f"note       {n}")


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m coach.cli.sessions_cmd ARGS` is `coach sessions ARGS`."""
    from coach.cli.main import run_subcommand  # main.py imports this module: import it late

    return run_subcommand("sessions", argv)


if __name__ == "__main__":
    sys.exit(main())
