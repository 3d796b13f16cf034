"""`SessionWriter`: records frames, poses and events into a session directory on its own thread.

Threads and what each owns:

* **producer** (the live analysis thread, or the headless recorder's analysis loop) calls `record_frame`,
  `record_events` and `note`. They only put items on the writer's queue under a short lock and return; they
  never encode or touch the disk. `record_frame` keeps a reference to the frame's image: the caller must not
  draw on it afterwards (the live pipeline draws its overlay on a copy).
* **writer** (`coach-session-writer`) owns the open files, the JPEG encoder and the not-yet-written record
  buffers. It encodes each frame (JPEG quality 85) and appends it to video.mjpeg, then its fixed-size record
  to frames.bin and its events to events.jsonl (docs/session_format.md). Files are unbuffered, so every
  write reaches the OS at once (a killed process loses only what is still queued); they are fsynced every
  `sync_interval_s` (at least once per second by the format). A frame's record is written only after its
  JPEG bytes are complete, so a crash or a full disk can tear a tail but never leave a record pointing at
  missing bytes.
* **any thread** may call `stats()` and `close()`.

The queue is bounded in frames (`max_queued_frames`). When it is full a live recorder drops the new frame and
counts it (`RecorderStats.frames_dropped`, logged, and written to the closing manifest): recording must never
hold back the live display. A lossless recorder (`lossless=True`: offline or headless recording of a file)
blocks the producer instead. Events are never dropped while recording.

A write error (a full disk: `ENOSPC`) stops recording: state FAILED, `last_error` says what happened and
what to do, the frames already written stay readable (readers ignore a torn tail), and later frames are
refused and counted as lost. `close()` puts a sentinel on the queue, joins the thread and rewrites the
manifest with closed=True and a stop reason (if the disk still lets it: otherwise the manifest written at
the start stays, which is valid too).
"""

from __future__ import annotations

import errno
import logging
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from coach import __version__
from coach.capture.frame import Frame
from coach.pose.model_store import sha256_file
from coach.pose.types import Pose
from coach.session.events import dumps_line, event_to_json
from coach.session.format import (
    EVENTS_FILE,
    FLAG_POSE,
    FRAMES_FILE,
    JPEG_QUALITY,
    MANIFEST_FILE,
    RECORD_DTYPE,
    VIDEO_FILE,
    SessionError,
    new_manifest,
    write_json_atomic,
)

__all__ = [
    "CameraInfo",
    "Opener",
    "RecorderState",
    "RecorderStats",
    "SessionFile",
    "SessionWriter",
    "default_opener",
]

log = logging.getLogger(__name__)

_THREAD_NAME = "coach-session-writer"
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
# Log the first dropped frame and then every this many, so a struggling disk is visible without flooding.
_DROP_LOG_EVERY = 100


class SessionFile(Protocol):
    """What the writer needs from an open file: raw (unbuffered) writes that may be partial, fileno for
    fsync, close. `open(path, mode, buffering=0)` gives one; tests inject one that fills up."""

    def write(self, data: bytes | memoryview, /) -> int | None: ...

    def fileno(self) -> int: ...

    def close(self) -> None: ...


Opener = Callable[[Path, str], SessionFile]


def default_opener(path: Path, mode: str) -> SessionFile:
    """Unbuffered binary file: the writer does its own buffering, so it knows exactly what reached the OS."""
    return open(path, mode, buffering=0)  # noqa: SIM115 - the writer thread owns and closes it


class RecorderState(Enum):
    """RECORDING -> STOPPING (close()) -> STOPPED; a write error goes to FAILED (final)."""

    RECORDING = "recording"
    STOPPING = "stopping"
    STOPPED = "stopped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class CameraInfo:
    """The manifest's "camera" entry: what was recorded and at which size and rate."""

    source: str
    width: int
    height: int
    fps: float

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"camera size must be positive, got {self.width}x{self.height}")
        if not math.isfinite(self.fps) or self.fps <= 0:
            raise ValueError(f"camera fps must be positive, got {self.fps}")

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "width": self.width, "height": self.height, "fps": self.fps}


@dataclass(frozen=True, slots=True)
class RecorderStats:
    """Counters since the writer started. `frames_dropped`: refused because the queue was full (live mode);
    `frames_lost`: queued or offered after a write error and never written."""

    state: RecorderState
    frames_written: int
    frames_dropped: int
    frames_lost: int
    frames_queued: int
    events_written: int
    bytes_written: int
    encode_ms: float  # mean JPEG encoding time per frame
    last_error: str | None


@dataclass(frozen=True, slots=True)
class _FrameItem:
    frame_index: int
    capture_ts: float
    media_ts: float
    image: np.ndarray
    landmarks: np.ndarray | None
    world: np.ndarray | None


@dataclass(frozen=True, slots=True)
class _EventsItem:
    events: tuple[Any, ...]
    t: float
    frame: int


_STOP = object()  # the sentinel that ends the writer thread


class SessionWriter:
    """Records one session into `directory` (created; must not exist or be empty). See module docstring.

    The thread starts in the constructor, after the opening manifest is on disk. Use as a context manager or
    call `close()`. Raises `SessionError` when the directory or its files cannot be created.
    """

    def __init__(
        self,
        directory: str | Path,
        *,
        camera: CameraInfo,
        fps: float | None = None,
        athlete: str = "",
        exercise: str | None = None,
        pose_model: Path | None = None,
        app_version: str = __version__,
        lossless: bool = False,
        max_queued_frames: int = 32,
        jpeg_quality: int = JPEG_QUALITY,
        sync_interval_s: float = 0.5,
        opener: Opener = default_opener,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        if max_queued_frames < 1:
            raise ValueError("max_queued_frames must be at least 1")
        if not 0 < sync_interval_s <= 1.0:
            raise ValueError("sync_interval_s must be in (0, 1]: the format promises a sync every second")
        self.directory = Path(directory)
        self._lossless = lossless
        self._max_queued = max_queued_frames
        self._encode_params = [int(cv2.IMWRITE_JPEG_QUALITY), int(jpeg_quality)]
        self._sync_interval_s = sync_interval_s
        self._opener = opener
        self._on_error = on_error

        if self.directory.exists() and (not self.directory.is_dir() or any(self.directory.iterdir())):
            raise SessionError(
                f"{self.directory} already exists and is not empty. Choose a new directory for the session."
            )
        self.manifest: dict[str, Any] = new_manifest(
            athlete=athlete,
            exercise=exercise,
            app_version=app_version,
            pose_model=pose_model.name if pose_model is not None else None,
            pose_model_sha256=sha256_file(pose_model) if pose_model is not None else None,
            camera=camera.to_json(),
            fps=camera.fps if fps is None else fps,
        )
        self._files: dict[str, SessionFile] = {}
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            write_json_atomic(self.directory / MANIFEST_FILE, self.manifest, opener)
            for name in (VIDEO_FILE, FRAMES_FILE, EVENTS_FILE):
                self._files[name] = opener(self.directory / name, "ab")
        except OSError as exc:
            for fh in self._files.values():
                fh.close()
            raise SessionError(f"Cannot create the session in {self.directory}: {exc}") from exc

        # Shared between producers, the writer thread and stats(): guarded by _cond.
        self._cond = threading.Condition(threading.Lock())
        self._queue: deque[Any] = deque()
        self._queued_frames = 0
        self._state = RecorderState.RECORDING
        self._stop_reason = "stopped"
        self._dropped = 0
        self._lost = 0
        self._written = 0
        self._events_written = 0
        self._bytes = 0
        self._encode_s = 0.0
        self._error: str | None = None

        # Writer-thread state (nobody else touches it).
        self._video_pos = 0
        self._dirty = False
        self._first_media_ts: float | None = None
        self._last_media_ts: float | None = None

        self._thread = threading.Thread(target=self._run, name=_THREAD_NAME, daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ producer API (any one thread)
    @property
    def id(self) -> str:
        return str(self.manifest["id"])

    @property
    def lossless(self) -> bool:
        return self._lossless

    def record_frame(self, frame: Frame, pose: Pose | None) -> bool:
        """Queue one frame with its smoothed pose (unmirrored, as measured; None: nobody in view).

        Returns True when queued. False when the frame is not recorded: dropped because the queue is full
        (live mode; counted), or recording has stopped or failed. A lossless writer blocks while full.
        """
        image = frame.image
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"expected a BGR uint8 image, got {image.dtype} {image.shape}")
        item = _FrameItem(
            frame.index,
            frame.capture_ts,
            frame.media_ts,
            image,
            pose.landmarks if pose is not None else None,
            pose.world if pose is not None else None,
        )
        with self._cond:
            if self._state is not RecorderState.RECORDING:
                if self._state is RecorderState.FAILED:
                    self._lost += 1
                return False
            if self._queued_frames >= self._max_queued:
                if not self._lossless:
                    self._dropped += 1
                    if self._dropped == 1 or self._dropped % _DROP_LOG_EVERY == 0:
                        log.warning("recorder queue full: %d frames dropped so far (disk or encoder "
                                    "too slow)", self._dropped)
                    return False
                while self._queued_frames >= self._max_queued and self._state is RecorderState.RECORDING:
                    self._cond.wait()
                if self._state is not RecorderState.RECORDING:
                    if self._state is RecorderState.FAILED:
                        self._lost += 1
                    return False
            self._queue.append(item)
            self._queued_frames += 1
            self._cond.notify_all()
        return True

    def record_events(self, events: Iterable[Any], *, t: float, frame: int) -> bool:
        """Queue events (rep `Event`, `GaitEvent`, `Cue`, or a dict with a "type") that arrived at frame
        `frame`, media time `t` (see `coach.session.events`). Never dropped while recording; False once
        recording has stopped or failed."""
        batch = tuple(events)
        if not batch:
            return True
        with self._cond:
            if self._state is not RecorderState.RECORDING:
                return False
            self._queue.append(_EventsItem(batch, t, frame))
            self._cond.notify_all()
        return True

    def note(self, text: str, *, t: float, frame: int) -> bool:
        """Record a free-text "note" event."""
        return self.record_events([{"type": "note", "text": text}], t=t, frame=frame)

    # ------------------------------------------------------------------ any thread
    @property
    def state(self) -> RecorderState:
        with self._cond:
            return self._state

    @property
    def stop_reason(self) -> str | None:
        """Why recording ended ("stopped", "disk_full", ...); None while recording."""
        with self._cond:
            return None if self._state is RecorderState.RECORDING else self._stop_reason

    @property
    def last_error(self) -> str | None:
        with self._cond:
            return self._error

    def stats(self) -> RecorderStats:
        with self._cond:
            return RecorderStats(
                state=self._state,
                frames_written=self._written,
                frames_dropped=self._dropped,
                frames_lost=self._lost,
                frames_queued=self._queued_frames,
                events_written=self._events_written,
                bytes_written=self._bytes,
                encode_ms=1000.0 * self._encode_s / self._written if self._written else math.nan,
                last_error=self._error,
            )

    def close(self, stop_reason: str = "stopped", timeout_s: float = 60.0) -> RecorderStats:
        """Stop: everything queued so far is written, the manifest is closed with `stop_reason`, the thread
        is joined. Idempotent (the first stop reason wins). A failed writer keeps its own stop reason."""
        with self._cond:
            if self._state is RecorderState.RECORDING:
                self._state = RecorderState.STOPPING
                self._stop_reason = stop_reason
            self._queue.append(_STOP)
            self._cond.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                log.error("session writer still busy %.0f s after close(); leaving it to finish", timeout_s)
        return self.stats()

    def join(self, timeout_s: float | None = None) -> bool:
        """Wait for the writer thread; True when it has ended."""
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        self.close("error" if exc_type is not None else "stopped")

    # ------------------------------------------------------------------ writer thread
    def _run(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # top-level handler: a bug must end in FAILED with a message, not silence
            log.exception("session writer failed")
            self._fail(f"Recording failed: {exc}. The session up to here is kept.", "error")
        finally:
            self._finish()

    def _loop(self) -> None:
        next_sync = time.monotonic() + self._sync_interval_s
        while True:
            with self._cond:
                while not self._queue:
                    remaining = next_sync - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                item = self._queue.popleft() if self._queue else None
                if isinstance(item, _FrameItem):
                    self._queued_frames -= 1
                    self._cond.notify_all()  # a lossless producer may be waiting for room
            if item is _STOP:
                return
            try:
                if isinstance(item, _FrameItem):
                    self._write_frame(item)
                elif isinstance(item, _EventsItem):
                    self._write_events(item)
                if time.monotonic() >= next_sync:
                    self._sync()
                    next_sync = time.monotonic() + self._sync_interval_s
            except OSError as exc:
                self._on_write_error(exc)
                return

    def _write_frame(self, item: _FrameItem) -> None:
        t0 = time.perf_counter()
        ok, buf = cv2.imencode(".jpg", item.image, self._encode_params)
        encode_s = time.perf_counter() - t0
        if not ok:
            raise RuntimeError(f"JPEG encoding failed for frame {item.frame_index}")
        jpeg = buf.tobytes()
        record = np.zeros(1, dtype=RECORD_DTYPE)
        record["frame_index"] = item.frame_index
        record["capture_ts"] = item.capture_ts
        record["media_ts"] = item.media_ts
        record["jpeg_offset"] = self._video_pos
        record["jpeg_size"] = len(jpeg)
        if item.landmarks is not None and item.world is not None:
            record["flags"] = FLAG_POSE
            record["landmarks"] = item.landmarks
            record["world"] = item.world
        else:
            record["landmarks"] = np.nan
            record["world"] = np.nan
        # The record goes to the OS only once its JPEG is complete there: a crash or a full disk can tear the
        # tail, never leave a record pointing at missing bytes. One small extra write per frame, no batching,
        # so a full disk cannot starve the records while the JPEGs take the last bytes.
        self._write_all(self._files[VIDEO_FILE], jpeg)
        self._video_pos += len(jpeg)
        self._write_all(self._files[FRAMES_FILE], record.tobytes())
        self._dirty = True
        if self._first_media_ts is None:
            self._first_media_ts = item.media_ts
        self._last_media_ts = item.media_ts
        with self._cond:
            self._written += 1
            self._bytes += len(jpeg) + RECORD_DTYPE.itemsize
            self._encode_s += encode_s

    def _write_events(self, item: _EventsItem) -> None:
        data = b"".join(dumps_line(event_to_json(ev, t=item.t, frame=item.frame)) for ev in item.events)
        self._write_all(self._files[EVENTS_FILE], data)
        self._dirty = True
        with self._cond:
            self._events_written += len(item.events)
            self._bytes += len(data)

    def _sync(self) -> None:
        """fsync what was written since the last sync (the writes themselves already reached the OS, so a
        killed process loses only its queue; fsync protects against a power cut)."""
        if not self._dirty:
            return
        for name in (VIDEO_FILE, FRAMES_FILE, EVENTS_FILE):
            os.fsync(self._files[name].fileno())
        self._dirty = False

    @staticmethod
    def _write_all(fh: SessionFile, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = fh.write(view)
            if n is None:  # a non-blocking file would say "try again"; ours are blocking, so this is a bug
                raise OSError(errno.EAGAIN, "write returned None")
            view = view[n:]

    def _on_write_error(self, exc: OSError) -> None:
        seconds = (
            self._last_media_ts - self._first_media_ts
            if self._first_media_ts is not None and self._last_media_ts is not None
            else 0.0
        )
        written = self.stats().frames_written
        if exc.errno in _DISK_FULL:
            message = (
                f"Disk full: recording stopped after {written} frames ({seconds:.1f} s) in {self.directory}. "
                "Free some disk space before recording again; the session up to here is kept and opens "
                "normally."
            )
            reason = "disk_full"
        else:
            message = (
                f"Cannot write the recording in {self.directory} ({exc.strerror or exc}): recording stopped "
                f"after {written} frames ({seconds:.1f} s). The session up to here is kept."
            )
            reason = "write_error"
        log.error("%s", message)
        try:
            self._sync()
        except OSError as again:
            log.info("fsync after the write error failed too: %s", again)
        self._fail(message, reason)

    def _fail(self, message: str, reason: str) -> None:
        with self._cond:
            if self._state is RecorderState.FAILED:
                return
            self._state = RecorderState.FAILED
            self._stop_reason = reason
            self._error = message
            # What is still queued will never be written.
            self._lost += self._queued_frames
            self._queued_frames = 0
            self._queue.clear()
            self._cond.notify_all()
        if self._on_error is not None:
            self._on_error(message)

    def _finish(self) -> None:
        """Last sync, close the files, rewrite the manifest closed. Runs on the writer thread at its end."""
        if self.state is not RecorderState.FAILED:
            try:
                self._sync()
            except OSError as exc:
                self._on_write_error(exc)
        for fh in self._files.values():
            try:
                fh.close()
            except OSError as exc:  # close flushes nothing of ours (unbuffered), but report it anyway
                log.warning("closing a session file failed: %s", exc)
        stats = self.stats()
        with self._cond:
            reason = self._stop_reason
        manifest = dict(self.manifest)
        manifest.update(closed=True, stop_reason=reason)
        manifest["recorder"] = {
            "frames": stats.frames_written,
            "dropped_frames": stats.frames_dropped,
            "lost_frames": stats.frames_lost,
            "error": stats.last_error,
        }
        try:
            write_json_atomic(self.directory / MANIFEST_FILE, manifest, self._opener)
            self.manifest = manifest
        except OSError as exc:
            # The opening manifest stays: still a valid session, only not marked closed.
            log.error("could not rewrite %s at the end of recording: %s", MANIFEST_FILE, exc)
        with self._cond:
            if self._state is not RecorderState.FAILED:
                self._state = RecorderState.STOPPED
            self._cond.notify_all()

