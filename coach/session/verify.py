"""`verify(dir) -> VerifyReport`: what a session directory holds and whether it is consistent.

`ok` is False only for real problems (no manifest, records pointing outside the video, times going back,
JPEGs that do not decode, unreadable event lines in the middle). What a crash or a full disk is expected to
leave (torn tails, a manifest not closed) is listed in `notes` and keeps the session ok.

Every frame's JPEG is checked for its start and end markers; a sample of frames (or all, `decode_all`) is
fully decoded. Pure function of the directory; any thread.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from coach.session.format import SessionError
from coach.session.reader import SessionReader

__all__ = ["VerifyReport", "verify", "verify_reader"]

_DECODE_SAMPLE = 32


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of `verify`. `reps`/`partial_reps` count rep events after corrections."""

    path: Path
    ok: bool
    frames: int
    duration_s: float
    reps: int
    partial_reps: int
    events: int
    frames_with_pose: int
    fps: float | None
    closed: bool
    stop_reason: str | None
    dropped_frames: int | None  # from the closing manifest; None when it was not closed
    problems: tuple[str, ...]
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "ok": self.ok,
            "frames": self.frames,
            "duration_s": self.duration_s,
            "reps": self.reps,
            "partial_reps": self.partial_reps,
            "events": self.events,
            "frames_with_pose": self.frames_with_pose,
            "fps": self.fps,
            "closed": self.closed,
            "stop_reason": self.stop_reason,
            "dropped_frames": self.dropped_frames,
            "problems": list(self.problems),
            "notes": list(self.notes),
        }


def verify(directory: str | os.PathLike[str], *, decode_all: bool = False) -> VerifyReport:
    """Open and check the session in `directory`. Never raises for a damaged session: `ok` says it."""
    path = Path(directory)
    try:
        reader = SessionReader(path)
    except SessionError as exc:
        return VerifyReport(path, False, 0, 0.0, 0, 0, 0, 0, None, False, None, None, (str(exc),), ())
    with reader:
        return verify_reader(reader, decode_all=decode_all)


def verify_reader(reader: SessionReader, *, decode_all: bool = False) -> VerifyReport:
    """`verify` on an open reader."""
    problems = list(reader.problems)
    n = reader.frame_count
    bad_markers = [i for i in range(n) if not reader.jpeg_is_complete(i)]
    if bad_markers:
        problems.append(f"{len(bad_markers)} frame(s) are not complete JPEGs (first: row {bad_markers[0]})")
    rows = range(n) if decode_all else np.unique(np.linspace(0, n - 1, min(n, _DECODE_SAMPLE)).astype(int))
    undecodable = []
    for i in rows:
        try:
            reader.image(int(i))
        except SessionError:
            undecodable.append(int(i))
    if undecodable:
        problems.append(f"{len(undecodable)} checked frame(s) do not decode (first: row {undecodable[0]})")
    fps = reader.manifest.get("fps")
    if not isinstance(fps, int | float) or fps <= 0:
        problems.append(f"manifest fps {fps!r} is not a positive number")
    recorder = reader.manifest.get("recorder")
    dropped = recorder.get("dropped_frames") if isinstance(recorder, dict) else None
    if isinstance(recorder, dict) and recorder.get("error"):
        notes_extra = [f"recording stopped early: {recorder['error']}"]
    else:
        notes_extra = []
    events = reader.events
    return VerifyReport(
        path=reader.path,
        ok=not problems,
        frames=n,
        duration_s=reader.duration_s if not problems or n else 0.0,
        reps=sum(1 for e in events if e.get("type") == "rep_completed"),
        partial_reps=sum(1 for e in events if e.get("type") == "partial_rep"),
        events=len(events),
        frames_with_pose=int(reader.has_pose.sum()),
        fps=float(fps) if isinstance(fps, int | float) else None,
        closed=bool(reader.manifest.get("closed")),
        stop_reason=reader.manifest.get("stop_reason"),
        dropped_frames=int(dropped) if isinstance(dropped, int) else None,
        problems=tuple(problems),
        notes=tuple(reader.notes + notes_extra),
    )

