"""`SessionReader`: random access to a recorded session directory (docs/session_format.md, schema 1).

What a reader trusts, so that a session cut short by `kill -9` or a full disk still opens:

* frames.bin: whole records only (a torn last record is dropped), and only the leading run of records whose
  JPEG bytes are complete in video.mjpeg and contiguous (each JPEG starts where the previous one ended).
  A record that breaks the run *in the middle* is a real inconsistency: reading stops there and it is
  reported in `problems`.
* events.jsonl and corrections.jsonl: complete lines only; an unterminated last line is a torn tail and
  ignored. Corrections are applied on read (`coach.session.events.apply_corrections`).

Threads: everything is read in the constructor and never changes afterwards; `image()` and `jpeg()` read
with `os.pread` on one descriptor, so any thread may call them, also concurrently. The reader sees the
session as it was when opened (a session still being recorded can be opened; reopen to see more).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np

from coach.analysis.track import PoseTrack
from coach.pose.types import Pose
from coach.session.events import apply_corrections
from coach.session.format import (
    CORRECTIONS_FILE,
    EVENT_TYPES,
    EVENTS_FILE,
    FLAG_POSE,
    FRAMES_FILE,
    RECORD_DTYPE,
    VIDEO_FILE,
    SessionError,
    read_manifest,
)

if TYPE_CHECKING:
    from coach.session.verify import VerifyReport

__all__ = ["SessionReader", "read_jsonl"]

log = logging.getLogger(__name__)


def read_jsonl(path: Path) -> tuple[list[dict], list[str], list[str]]:
    """(objects, problems, notes) of a JSON-lines file. A missing file is empty; an unterminated last line
    is a torn tail (a note); an unparsable complete line or a non-object is a problem and skipped."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], [], []
    lines = data.split(b"\n")
    tail = lines.pop()  # after the last newline: empty, or a line torn by a crash
    notes = [f"{path.name}: torn last line ({len(tail)} bytes) ignored"] if tail.strip() else []
    objects: list[dict] = []
    problems: list[str] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            problems.append(f"{path.name} line {n} is not valid JSON: {exc}")
            continue
        if not isinstance(obj, dict):
            problems.append(f"{path.name} line {n} is not a JSON object")
            continue
        objects.append(obj)
    return objects, problems, notes


class SessionReader:
    """A recorded session, opened for reading. Raises `SessionError` when `path` is not a readable session
    (no manifest, another schema). Damage that still leaves a readable prefix does not raise: it is listed
    in `problems` (inconsistencies) and `notes` (expected after a crash: torn tails, not closed).

    Arrays are per recorded frame ("row"), in recording order: `frame_index` (the frame numbers events refer
    to), `media_ts`, `capture_ts`, `landmarks` (N, 33, 5), `world` (N, 33, 3), `has_pose` (N,).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.manifest: dict[str, Any] = read_manifest(self.path)
        self.problems: list[str] = []
        self.notes: list[str] = []
        if not self.manifest.get("closed"):
            self.notes.append("not closed: the recording was interrupted (crash or kill) or is still running")

        video = self.path / VIDEO_FILE
        try:
            self._fd = os.open(video, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except OSError as exc:
            raise SessionError(f"Cannot open {video}: {exc.strerror}") from exc
        try:
            self.video_size = os.fstat(self._fd).st_size
            self._records = self._load_records()
        except BaseException:
            os.close(self._fd)
            raise
        rec = self._records
        self.frame_index: np.ndarray = np.ascontiguousarray(rec["frame_index"])
        self.media_ts: np.ndarray = np.ascontiguousarray(rec["media_ts"])
        self.capture_ts: np.ndarray = np.ascontiguousarray(rec["capture_ts"])
        self.landmarks: np.ndarray = np.ascontiguousarray(rec["landmarks"])
        self.world: np.ndarray = np.ascontiguousarray(rec["world"])
        self.has_pose: np.ndarray = (rec["flags"] & FLAG_POSE).astype(bool)
        self._offsets = rec["jpeg_offset"].astype(np.int64)
        self._sizes = rec["jpeg_size"].astype(np.int64)
        self._check_times()

        raw, problems, notes = read_jsonl(self.path / EVENTS_FILE)
        self.problems += problems
        self.notes += notes
        self.raw_events: list[dict] = []
        for n, ev in enumerate(raw, 1):
            if not isinstance(ev.get("type"), str) or not isinstance(ev.get("frame"), int) \
                    or not isinstance(ev.get("t"), int | float):
                self.problems.append(f"{EVENTS_FILE} event {n} lacks type, t or frame")
                continue
            if ev["type"] not in EVENT_TYPES:
                self.notes.append(f"{EVENTS_FILE} event {n} has an unknown type {ev['type']!r} (kept)")
            self.raw_events.append(ev)
        corrections, problems, notes = read_jsonl(self.path / CORRECTIONS_FILE)
        self.problems += problems
        self.notes += notes
        self.corrections: list[dict] = corrections
        self.events, notes = apply_corrections(self.raw_events, corrections)
        self.notes += notes

    # ------------------------------------------------------------------ loading
    def _load_records(self) -> np.ndarray:
        path = self.path / FRAMES_FILE
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            self.problems.append(f"{FRAMES_FILE} is missing")
            return np.zeros(0, dtype=RECORD_DTYPE)
        whole, torn = divmod(len(data), RECORD_DTYPE.itemsize)
        if torn:
            self.notes.append(f"{FRAMES_FILE}: torn last record ({torn} bytes) ignored")
        records = np.frombuffer(data, dtype=RECORD_DTYPE, count=whole)
        if whole == 0:
            return records
        offsets = records["jpeg_offset"].astype(np.int64)
        ends = offsets + records["jpeg_size"].astype(np.int64)
        starts_ok = np.empty(whole, dtype=bool)
        starts_ok[0] = offsets[0] == 0
        starts_ok[1:] = offsets[1:] == ends[:-1]
        good = starts_ok & (records["jpeg_size"] > 0) & (ends <= self.video_size)
        bad = np.flatnonzero(~good)
        if len(bad):
            first = int(bad[0])
            if np.all(ends[first:] > self.video_size) and starts_ok[first:].all():
                # Only JPEGs that never fully reached the disk: the expected tail of a crash or a full disk.
                self.notes.append(f"{whole - first} frame record(s) whose JPEG is incomplete ignored")
            else:
                self.problems.append(
                    f"{FRAMES_FILE} record {first} points outside the recorded JPEG stream "
                    f"(offset {int(offsets[first])}, size {int(records['jpeg_size'][first])}); "
                    f"{whole - first} record(s) from there on are not readable"
                )
            records = records[:first]
        used = int(ends[len(records) - 1]) if len(records) else 0
        if self.video_size > used:
            self.notes.append(f"{VIDEO_FILE}: {self.video_size - used} bytes after the last frame ignored")
        return records

    def _check_times(self) -> None:
        n = len(self.media_ts)
        if n and not np.isfinite(self.media_ts).all():
            self.problems.append("some frames have no valid media time")
        if n > 1:
            if not np.all(np.diff(self.media_ts) > 0):
                self.problems.append("media times do not strictly increase")
            if not np.all(np.diff(self.frame_index) > 0):
                self.problems.append("frame indices do not strictly increase")

    # ------------------------------------------------------------------ access
    @property
    def frame_count(self) -> int:
        return len(self._records)

    def __len__(self) -> int:
        return len(self._records)

    @property
    def fps(self) -> float:
        return float(self.manifest["fps"])

    @property
    def image_size(self) -> tuple[int, int]:
        """(width, height) from the manifest's camera entry."""
        cam = self.manifest["camera"]
        return int(cam["width"]), int(cam["height"])

    @property
    def duration_s(self) -> float:
        """Time covered by the recorded frames: first to last media time plus one frame interval."""
        if not len(self.media_ts):
            return 0.0
        return float(self.media_ts[-1] - self.media_ts[0]) + 1.0 / self.fps

    def _row(self, i: int) -> int:
        n = len(self._records)
        row = i + n if i < 0 else i
        if not 0 <= row < n:
            raise IndexError(f"frame row {i} out of range (session has {n} frames)")
        return row

    def jpeg(self, i: int) -> bytes:
        """The stored JPEG bytes of row `i` (any thread)."""
        row = self._row(i)
        size = int(self._sizes[row])
        data = os.pread(self._fd, size, int(self._offsets[row]))
        if len(data) != size:
            raise SessionError(f"{VIDEO_FILE} is shorter than when the session was opened (row {row})")
        return data

    def jpeg_is_complete(self, i: int) -> bool:
        """Row `i`'s bytes start with a JPEG start-of-image marker and end with an end-of-image marker
        (4 bytes read: cheap enough to check every frame of a long session)."""
        row = self._row(i)
        offset, size = int(self._offsets[row]), int(self._sizes[row])
        if size < 4:
            return False
        head = os.pread(self._fd, 2, offset)
        tail = os.pread(self._fd, 2, offset + size - 2)
        return head == b"\xff\xd8" and tail == b"\xff\xd9"

    def image(self, i: int) -> np.ndarray:
        """The BGR image of row `i` (any thread). Raises SessionError if the JPEG does not decode."""
        image = cv2.imdecode(np.frombuffer(self.jpeg(i), dtype=np.uint8), cv2.IMREAD_COLOR)
        if image is None:
            raise SessionError(f"frame row {i} of {self.path} does not decode as JPEG")
        return image

    def pose(self, i: int) -> Pose | None:
        """The stored (smoothed) pose of row `i`, None where nobody was seen."""
        row = self._row(i)
        if not self.has_pose[row]:
            return None
        return Pose(self.landmarks[row], self.world[row], self.image_size)

    def row_of_frame(self, frame_index: int) -> int:
        """The row of frame `frame_index`, or of the last recorded frame before it (0 if none is)."""
        return max(0, int(np.searchsorted(self.frame_index, frame_index, side="right")) - 1)

    def row_at(self, t: float) -> int:
        """The row shown at media time `t` (the last frame at or before it)."""
        return max(0, int(np.searchsorted(self.media_ts, t, side="right")) - 1)

    def track(self) -> PoseTrack:
        """The stored poses as a `PoseTrack` (for metrics, angles and exports)."""
        return PoseTrack(
            frame_index=self.frame_index.astype(np.int64),
            media_ts=self.media_ts.astype(np.float64),
            landmarks=self.landmarks,
            world=self.world,
            image_size=self.image_size,
        )

    def verify(self, *, decode_all: bool = False) -> VerifyReport:
        """Check the session (see `coach.session.verify`)."""
        from coach.session.verify import verify_reader  # verify imports this module

        return verify_reader(self, decode_all=decode_all)

    # ------------------------------------------------------------------ life cycle
    def close(self) -> None:
        """Release the video descriptor. Idempotent."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> SessionReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __del__(self) -> None:
        # A forgotten reader must not leak its descriptor for the life of the process.
        if getattr(self, "_fd", -1) >= 0:
            os.close(self._fd)
