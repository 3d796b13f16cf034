"""`coach record`: headless recording of a camera or a video file into a session directory.

Every frame goes through the live app's per-frame analysis (pose, smoothing, view, rep or gait engine, cues)
and is recorded with its landmarks and the event stream (docs/session_format.md). A video file loses no
frame; a camera keeps the newest frame when analysis falls behind, and counts what it skipped. Ctrl-C or
SIGTERM stops cleanly (the manifest is closed); a kill -9 loses at most the last second.

Not wired into `coach.cli.main` by this module: main adds `record_cmd.add_parser(sub)`. Until then (and in
tests) `python -m coach.cli.record_cmd ...` runs the same command.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from types import FrameType

from tqdm import tqdm

from coach.activities import ACTIVITIES, AUTO
from coach.capture.camera import CameraSource
from coach.capture.sources import FrameSource, open_source
from coach.capture.video_file import VideoFileSource
from coach.live.activity import canonical_activity
from coach.pose.model_store import resolve_pose_model
from coach.session.headless import RecordResult, record_session
from coach.session.writer import CameraInfo, SessionWriter


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "record",
        help="record a camera or a video file, analysed, into a session directory",
        description="Record SOURCE (camera number or video file) with pose, reps, gait events and cues into "
        "the session directory --out. Stops at the end of a video, after --duration seconds, or on Ctrl-C.",
    )
    p.add_argument("--source", required=True, help="camera number (0, 1, ...) or video file")
    p.add_argument("--exercise", required=True, choices=(AUTO, *ACTIVITIES), help="exercise or activity")
    p.add_argument("--out", required=True, type=Path, metavar="DIR", help="new session directory")
    p.add_argument("--duration", type=float, default=None, metavar="S", help="stop after S seconds")
    p.add_argument(
        "--athlete", default="", metavar="NAME",
        help="athlete's name for the manifest; their reps marked good form set the anomaly threshold",
    )
    p.add_argument("--pose-model", default=None, metavar="lite|full|heavy|PATH",
                   help="pose model variant or .task file (default: $COACH_POSE_MODEL, else full)")
    p.add_argument("--realtime", action="store_true",
                   help="play a video file at its real frame rate, as a camera would deliver it")
    p.add_argument("--loop", action="store_true", help="loop a video file (stop with --duration or Ctrl-C)")
    p.add_argument("--json", action="store_true", help="print the outcome as one JSON document")
    p.add_argument("--no-index", action="store_true", help="do not add the session to the library")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _is_camera(spec: str) -> bool:
    return spec.strip().isascii() and spec.strip().isdigit()


def _open(spec: str, *, realtime: bool, loop: bool) -> FrameSource:
    if _is_camera(spec):
        return CameraSource(int(spec.strip()))
    path = Path(spec)
    if path.is_dir():
        return open_source(path)
    return VideoFileSource(path, realtime=realtime, loop=loop)


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set `stop` (a clean stop that closes the manifest) instead of killing us."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger(__name__).info("signal %d: stopping the recording", signum)
        stop.set()

    old = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, previous in old.items():
            signal.signal(sig, previous)


def run(args: argparse.Namespace) -> int:
    model = resolve_pose_model(args.pose_model)
    exercise = canonical_activity(None if args.exercise == AUTO else args.exercise)
    camera = _is_camera(args.source)
    source = _open(args.source, realtime=args.realtime, loop=args.loop)
    try:
        width, height = source.size
        info = CameraInfo(source=str(args.source), width=width, height=height, fps=source.fps)
        # A file is recorded losslessly (the analysis waits for the disk); a camera never waits.
        writer = SessionWriter(args.out, camera=info, athlete=args.athlete, exercise=exercise,
                               pose_model=model, lossless=not camera)
    except BaseException:
        source.close()
        raise
    total = None if camera or args.loop else source.frame_count
    stop = threading.Event()
    with (
        _stop_on_signals(stop),
        tqdm(total=total, unit="frame", desc=Path(args.source).name[:40], file=sys.stderr,
             disable=args.no_progress, leave=False) as bar,
    ):
        result = record_session(
            source, writer, model, activity=exercise, lossless=not camera, duration_s=args.duration,
            stop=stop, on_frame=lambda _n: bar.update(1), athlete=args.athlete,
        )
    if not args.no_index:
        _index(args.out)
    _report(result, as_json=args.json)
    if result.stop_reason in ("disk_full", "write_error", "error", "source_error"):
        print(f"coach: recording stopped: {result.error}", file=sys.stderr)
        return 1
    return 0


def _index(directory: Path) -> None:
    """Add the finished session to the library, so `coach sessions list` and trends see it at once."""
    from coach.library import index_session

    error = index_session(directory)
    if error is not None:
        # The recording itself is safe on disk; indexing can be redone with `coach sessions add`.
        print(f"coach: session recorded but not indexed ({error}); run: coach sessions add {directory}",
              file=sys.stderr)


def _report(result: RecordResult, *, as_json: bool) -> None:
    if as_json:
        doc = asdict(result)
        doc["directory"] = str(result.directory)
        json.dump(doc, sys.stdout)
        sys.stdout.write("\n")
        return
    print(f"session    {result.directory}")
    print(f"frames     {result.frames_recorded} recorded ({result.duration_s:.2f} s), stopped: "
          f"{result.stop_reason}")
    if result.skipped_by_analysis or result.dropped_by_recorder or result.lost:
        print(f"dropped    {result.skipped_by_analysis} skipped by analysis (camera faster than pose), "
              f"{result.dropped_by_recorder} by the recorder (disk too slow), {result.lost} lost after a "
              "write error")
    print(f"reps       {result.reps} (+{result.partial_reps} partial)")


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m coach.cli.record_cmd ARGS` is `coach record ARGS`."""
    from coach.cli.main import run_subcommand  # main.py imports this module: import it late

    return run_subcommand("record", argv)


if __name__ == "__main__":
    sys.exit(main())
