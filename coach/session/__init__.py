"""Recorded sessions (no Qt): the directory format (docs/session_format.md), `SessionWriter` (recording on
its own thread with a bounded queue), `SessionReader` (random access, corrections applied), `verify`, and
`headless` recording of a camera or a video file through the same per-frame analysis as the live app."""

from coach.session.format import SessionError
from coach.session.reader import SessionReader
from coach.session.verify import VerifyReport, verify
from coach.session.writer import CameraInfo, RecorderState, RecorderStats, SessionWriter

__all__ = [
    "CameraInfo",
    "RecorderState",
    "RecorderStats",
    "SessionError",
    "SessionReader",
    "SessionWriter",
    "VerifyReport",
    "verify",
]
