"""`coach export DIR --format csv|json|mp4|html [--out PATH]`: export a recorded session.

csv writes frames.csv and reps.csv into a directory; json, mp4 and html write one file. Without --out the
export goes into DIR/exports/ (frames.csv + reps.csv, session.json, session.mp4, report.html). Every
format shows the coach's corrections (a deleted rep is absent). The MP4 shows a progress bar on stderr.

Not wired into `coach.cli.main` by this module: main adds `export_cmd.add_parser(sub)`. Until then (and in
tests) `python -m coach.cli.export_cmd ...` runs the same command.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from coach.export import export_csv, export_html, export_json, export_mp4, load_session

__all__ = ["DEFAULT_NAMES", "FORMATS", "add_parser", "main", "run"]

FORMATS = ("csv", "json", "mp4", "html")
# Where each format goes inside DIR/exports/ when --out is not given (csv: the directory itself).
DEFAULT_NAMES = {"csv": "", "json": "session.json", "mp4": "session.mp4", "html": "report.html"}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "export",
        help="export a recorded session as CSV, JSON, MP4 with overlays, or an HTML report",
        description="Export the session directory DIR. csv: per-frame angles (frames.csv) and per-rep "
        "metrics (reps.csv) into a directory; json: the whole session as one document; mp4: the video with "
        "the live overlays burned in; html: a self-contained report with plots. Default output: "
        "DIR/exports/.",
    )
    p.add_argument("dir", type=Path, metavar="DIR", help="session directory")
    p.add_argument("--format", required=True, choices=FORMATS, help="what to export")
    p.add_argument("--out", type=Path, default=None, metavar="PATH",
                   help="output file (json, mp4, html) or directory (csv); default: in DIR/exports/")
    p.add_argument("--library", type=Path, default=None, metavar="FILE",
                   help="html: library database for trends (default: the user's library, if any)")
    p.add_argument("--no-progress", action="store_true", help="mp4: no progress bar")
    p.set_defaults(func=run)


def default_out(directory: Path, fmt: str) -> Path:
    """Where `fmt` goes without --out."""
    base = directory / "exports"
    name = DEFAULT_NAMES[fmt]
    return base / name if name else base


def run(args: argparse.Namespace) -> int:
    fmt: str = args.format
    out: Path = args.out if args.out is not None else default_out(args.dir, fmt)
    with load_session(args.dir) as data:
        if fmt == "csv":
            result = export_csv(data, out)
            print(f"frames     {result.frames_path} ({result.frames} rows)")
            print(f"reps       {result.reps_path} ({result.reps} rows)")
            if result.strides_path is not None:
                print(f"strides    {result.strides_path} ({result.strides} rows)")
        elif fmt == "json":
            print(f"json       {export_json(data, out)}")
        elif fmt == "mp4":
            with tqdm(total=data.frame_count, unit="frame", desc="export mp4", file=sys.stderr,
                      disable=args.no_progress, leave=False) as bar:
                video = export_mp4(data, out, on_frame=lambda _done: bar.update(1))
            print(f"mp4        {video.path} ({video.frames} frames, {video.size[0]}x{video.size[1]}, "
                  f"{video.fps:g} fps)")
        else:
            print(f"html       {export_html(data, out, library=args.library)}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m coach.cli.export_cmd ARGS` is `coach export ARGS`."""
    from coach.cli.main import run_subcommand  # main.py imports this module: import it late

    return run_subcommand("export", argv)


if __name__ == "__main__":
    sys.exit(main())
