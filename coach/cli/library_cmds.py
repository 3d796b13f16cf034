"""`coach sessions list|add|trends|forget`: the session library from the command line.

    coach sessions list   [--athlete A] [--exercise E] [--json]
    coach sessions add    DIR [DIR ...]
    coach sessions trends --metric depth|tempo|anomaly|cadence [--athlete A] [--exercise E] [--plot PNG]
                          [--json]
    coach sessions forget DIR|ID [...]

The library lives in `$COACH_DATA_DIR/library.sqlite3`, else in the user data directory (see
`coach.library.paths`). `add_sessions_subcommands()` is hooked into the `coach sessions` parser; each
sub-command sets `func`, which `coach.cli.main` calls. Errors are `coach.library.LibraryError` (a
`CoachError`): main prints them and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from coach.library import TREND_METRICS, Library, LibraryError, SessionRow, TrendPoint, draw_trend

__all__ = ["add_sessions_subcommands", "run_add", "run_forget", "run_list", "run_trends"]


def add_sessions_subcommands(sessions_subparsers: argparse._SubParsersAction) -> None:
    """Add `list`, `add`, `trends` and `forget` to the `coach sessions` sub-command parsers."""
    filters = argparse.ArgumentParser(add_help=False)
    filters.add_argument("--athlete", default=None, metavar="A", help="only this athlete's sessions")
    filters.add_argument("--exercise", default=None, metavar="E", help="only this exercise (or activity)")

    ls = sessions_subparsers.add_parser(
        "list",
        parents=[filters],
        help="list indexed sessions (oldest first); a deleted or moved directory is marked MISSING",
    )
    ls.add_argument("--json", action="store_true", help="one JSON document instead of a table")
    ls.set_defaults(func=run_list)

    add = sessions_subparsers.add_parser(
        "add", help="index session directories into the library (re-adding updates them)"
    )
    add.add_argument("dirs", nargs="+", type=Path, metavar="DIR", help="session directory")
    add.set_defaults(func=run_add)

    trends = sessions_subparsers.add_parser(
        "trends",
        parents=[filters],
        help="one value per session over time: rep depth, tempo, anomaly, or running cadence",
        description="Per session, the mean and median of a rep metric over the full reps (depth, tempo = "
        "rep duration, anomaly = form-model score), or the cadence of a run, ordered by date.",
    )
    trends.add_argument("--metric", required=True, choices=sorted(TREND_METRICS))
    trends.add_argument("--plot", type=Path, default=None, metavar="PNG", help="also draw the trend here")
    trends.add_argument("--json", action="store_true", help="one JSON document instead of a table")
    trends.set_defaults(func=run_trends)

    forget = sessions_subparsers.add_parser(
        "forget", help="remove sessions from the library (the directories are not touched)"
    )
    forget.add_argument("targets", nargs="+", metavar="DIR", help="session directory (may be gone) or id")
    forget.set_defaults(func=run_forget)


def run_list(args: argparse.Namespace) -> int:
    """Print the indexed sessions; exit status 0 (missing directories are reported, not an error)."""
    with Library() as lib:
        rows = lib.list_sessions(athlete=args.athlete, exercise=args.exercise)
    if args.json:
        print(json.dumps({"sessions": [r.to_json() for r in rows]}, indent=2))
        return 0
    if not rows:
        print("no sessions indexed" + (" matching the filters" if args.athlete or args.exercise else ""))
        return 0
    print(
        _table(
            ["created", "athlete", "exercise", "reps", "duration", "status", "id", "path"],
            [_list_cells(r) for r in rows],
        )
    )
    missing = sum(r.missing for r in rows)
    if missing:
        print(
            f"{missing} session(s) missing: re-add a moved directory with `coach sessions add DIR`, "
            "or remove it with `coach sessions forget DIR`"
        )
    return 0


def run_add(args: argparse.Namespace) -> int:
    """Index each directory; a directory that is not a session is reported and gives exit status 2."""
    failed = 0
    with Library() as lib:
        for directory in args.dirs:
            try:
                s = lib.add(directory)
            except LibraryError as exc:
                print(f"coach: error: {exc}")
                failed += 1
                continue
            full = sum(not r.partial for r in s.reps)
            what = f"{full} reps" if s.reps or s.gait is None else f"{s.gait.steps} steps"
            print(f"indexed {s.id[:8]} {s.created[:19]} {s.athlete or '-'} {s.exercise or '-'}: {what}")
    return 2 if failed else 0


def run_trends(args: argparse.Namespace) -> int:
    """Print one line per session (and draw the PNG with --plot)."""
    spec = TREND_METRICS[args.metric]
    with Library() as lib:
        points = lib.trend(args.metric, athlete=args.athlete, exercise=args.exercise)
    if args.plot is not None:
        who = " / ".join(x for x in (args.athlete, args.exercise) if x)
        draw_trend(points, args.plot, f"{args.metric} trend" + (f": {who}" if who else ""), spec.label)
    if args.json:
        print(
            json.dumps(
                {"metric": args.metric, "label": spec.label, "points": [_point_json(p) for p in points]},
                indent=2,
            )
        )
    elif not points:
        print(f"no sessions with {args.metric} values")
    else:
        print(
            _table(
                ["created", "athlete", "exercise", "n", "mean", "median"],
                [
                    [
                        p.created[:19],
                        p.athlete or "-",
                        p.exercise or "-",
                        str(p.n),
                        f"{p.mean:.3f}",
                        f"{p.median:.3f}",
                    ]
                    for p in points
                ],
            )
        )
    if args.plot is not None and not args.json:
        print(f"plot: {args.plot}")
    return 0


def run_forget(args: argparse.Namespace) -> int:
    """Forget each target; exit status 1 when one of them was not in the library."""
    status = 0
    with Library() as lib:
        for target in args.targets:
            n = lib.forget(target)
            if n:
                print(f"forgot {target}")
            else:
                print(f"not in the library: {target}")
                status = 1
    return status


def _point_json(p: TrendPoint) -> dict[str, object]:
    return {
        "session_id": p.session_id,
        "created": p.created,
        "athlete": p.athlete,
        "exercise": p.exercise,
        "n": p.n,
        "mean": p.mean,
        "median": p.median,
    }


def _list_cells(r: SessionRow) -> list[str]:
    reps = str(r.reps) + (f"+{r.partial_reps}p" if r.partial_reps else "")
    if r.cadence_spm is not None and not r.reps:
        reps = f"{r.cadence_spm:.0f} spm"
    duration = f"{r.duration_s:.0f} s" if r.duration_s is not None else "-"
    return [
        r.created[:19].replace("T", " "),
        r.athlete or "-",
        r.exercise or "-",
        reps,
        duration,
        "MISSING" if r.missing else "ok",
        r.id[:8],
        str(r.path),
    ]


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join(lines)
