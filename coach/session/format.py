"""Session directory format, schema 1 (docs/session_format.md): file names, the frame record layout and
the manifest. Written once here; the writer, the reader and verify all use these definitions.

Pure definitions and small helpers, no threads.
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np

from coach.errors import CoachError
from coach.pose.landmarks import NUM_LANDMARKS

__all__ = [
    "CORRECTIONS_FILE",
    "EVENTS_FILE",
    "EVENT_TYPES",
    "FLAG_POSE",
    "FRAMES_FILE",
    "JPEG_QUALITY",
    "MANIFEST_FILE",
    "MANIFEST_KEYS",
    "RECORD_DTYPE",
    "RECORD_SIZE",
    "SCHEMA",
    "VIDEO_FILE",
    "SessionError",
    "new_manifest",
    "read_manifest",
    "utc_now_iso",
    "write_json_atomic",
]

SCHEMA: Final = 1
MANIFEST_FILE: Final = "manifest.json"
VIDEO_FILE: Final = "video.mjpeg"
FRAMES_FILE: Final = "frames.bin"
EVENTS_FILE: Final = "events.jsonl"
CORRECTIONS_FILE: Final = "corrections.jsonl"
JPEG_QUALITY: Final = 85

FLAG_POSE: Final = 1  # bit 0 of a record's flags: a pose is present

# One frames.bin record, little-endian and packed (no padding), exactly as docs/session_format.md lists it.
RECORD_DTYPE: Final = np.dtype(
    [
        ("frame_index", "<i8"),
        ("capture_ts", "<f8"),
        ("media_ts", "<f8"),
        ("jpeg_offset", "<u8"),
        ("jpeg_size", "<u4"),
        ("flags", "<u4"),
        ("landmarks", "<f4", (NUM_LANDMARKS, 5)),
        ("world", "<f4", (NUM_LANDMARKS, 3)),
    ]
)
RECORD_SIZE: Final = RECORD_DTYPE.itemsize  # 1096 bytes

EVENT_TYPES: Final = frozenset(
    {
        "rep_completed",
        "partial_rep",
        "form_fault",
        "rep_started",
        "rep_bottom",
        "set_started",
        "set_ended",
        "gait_event",
        "cue",
        "anomaly",
        "stride_anomaly",
        "exercise_switched",
        "note",
    }
)

# Keys every schema-1 manifest has (values may be null where the format allows it).
MANIFEST_KEYS: Final = (
    "schema",
    "id",
    "created",
    "athlete",
    "exercise",
    "app_version",
    "pose_model",
    "pose_model_sha256",
    "camera",
    "fps",
    "closed",
    "stop_reason",
)


class SessionError(CoachError):
    """A session directory cannot be created, written or opened; the message says what to do."""


def utc_now_iso() -> str:
    """Now, as ISO-8601 UTC with a 'Z' (e.g. 2025-01-31T12:00:00Z)."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def new_manifest(
    *,
    athlete: str,
    exercise: str | None,
    app_version: str,
    pose_model: str | None,
    pose_model_sha256: str | None,
    camera: Mapping[str, Any],
    fps: float,
) -> dict[str, Any]:
    """A fresh, open (closed=False) schema-1 manifest with a new id."""
    return {
        "schema": SCHEMA,
        "id": uuid.uuid4().hex,
        "created": utc_now_iso(),
        "athlete": athlete,
        "exercise": exercise,
        "app_version": app_version,
        "pose_model": pose_model,
        "pose_model_sha256": pose_model_sha256,
        "camera": dict(camera),
        "fps": float(fps),
        "closed": False,
        "stop_reason": None,
    }


def write_json_atomic(path: Path, data: Mapping[str, Any], opener: Any = None) -> None:
    """Write `data` as JSON to `path` atomically: temp file, fsync, rename, fsync of the directory.

    A reader (or a crash) sees either the old file or the new one, never half of one. `opener(path, mode)`
    opens the temp file (the writer injects its own, so a full disk is simulated here too). Raises OSError.
    """
    tmp = path.with_name(f".{path.name}.tmp")
    payload = (json.dumps(data, indent=2, allow_nan=False) + "\n").encode("utf-8")
    try:
        fh = opener(tmp, "wb") if opener is not None else open(tmp, "wb", buffering=0)  # noqa: SIM115
        try:
            view = memoryview(payload)
            while view:
                n = fh.write(view)
                view = view[n if n is not None else len(view):]
            os.fsync(fh.fileno())
        finally:
            fh.close()
        os.replace(tmp, path)
    except OSError:
        # Do not leave a half-written temp file behind (a full disk is the usual cause).
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    """Make a rename or a new file in `directory` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # e.g. Windows: directory handles are not openable this way; rename is durable enough
    try:
        # Some file systems refuse fsync on a directory; the data files themselves are synced anyway.
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def read_manifest(directory: Path) -> dict[str, Any]:
    """The session's manifest, checked for schema 1 and the required keys. Raises SessionError."""
    path = directory / MANIFEST_FILE
    if not directory.is_dir():
        raise SessionError(f"{directory} is not a session directory (it does not exist or is a file).")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SessionError(f"{directory} has no {MANIFEST_FILE}: it is not a recorded session.") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SessionError(f"{path} cannot be read: {exc}") from exc
    if not isinstance(data, dict):
        raise SessionError(f"{path} is not a JSON object.")
    if data.get("schema") != SCHEMA:
        raise SessionError(
            f"{path} has schema {data.get('schema')!r}; this version of coach reads schema {SCHEMA}. "
            "Update coach to open it."
        )
    missing = [k for k in MANIFEST_KEYS if k not in data]
    if missing:
        raise SessionError(f"{path} lacks {', '.join(missing)}.")
    return data
