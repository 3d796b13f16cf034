"""`LiveRecorder`: what the live pipeline hands a `SessionWriter` while recording is on.

Threads and what each owns:

* **analysis** (`coach-live-analysis`) calls `record()` once per analysed frame with the raw, unmirrored
  frame (an image nobody draws on afterwards), the smoothed unmirrored pose and the frame's events. It
  only queues them on the writer (`coach.session.writer`): it never encodes or touches the disk.
* **writer** (`coach-session-writer`) is the `SessionWriter`'s own thread.
* **any thread** may call `stats()` and `close()` (the writer is thread-safe; a frame offered after close
  is refused, never half-written).

The writer runs in live mode (`lossless=False`): when its bounded queue is full the frame is dropped and
counted (`RecorderStats.frames_dropped`, the closing manifest's `recorder.dropped_frames`), so recording
never holds the live display back and never drops silently. Frames the pipeline's one-slot inbox replaced
before analysis were never analysed, so they are not recorded either: their count goes into `note` events
(at most one per `NOTE_INTERVAL_S` of media time, and a last one at close) so the gaps in the frame
indices are explained in the session itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from coach.capture.frame import Frame
from coach.live.types import ActivitySwitched, RepScored, StrideScored
from coach.pose.types import Pose
from coach.session.writer import RecorderState, RecorderStats, SessionWriter

__all__ = ["NOTE_INTERVAL_S", "LiveRecorder", "session_event"]

log = logging.getLogger(__name__)

# Skipped-frame notes are written at most this often (media seconds): a camera faster than analysis skips
# frames all the time, and one note per frame would swamp events.jsonl.
NOTE_INTERVAL_S = 1.0


def session_event(event: Any) -> Any:
    """A live event as `SessionWriter.record_events` takes it: the pipeline's own events become the
    format's dicts (`anomaly`, `stride_anomaly`, `exercise_switched`); engine events and cues pass through
    unchanged."""
    if isinstance(event, RepScored):
        return {"type": "anomaly", "rep_index": event.rep_index, "anomaly": dict(event.anomaly)}
    if isinstance(event, StrideScored):
        return {"type": "stride_anomaly", "stride_index": event.index, "foot": event.foot,
                "start_s": event.start_s, "end_s": event.end_s, "anomaly": dict(event.anomaly)}
    if isinstance(event, ActivitySwitched):
        return {
            "type": "exercise_switched",
            "from": event.from_activity,
            "to": event.to_activity,
            "exercise": event.to_activity,
            "confidence": event.confidence,
        }
    return event


class LiveRecorder:
    """One live recording: a `SessionWriter` plus the skipped-frame bookkeeping (see module docstring).

    `skipped_at_start` is the pipeline inbox's drop counter when recording started; `record()` gets the
    current counter, so only frames skipped while recording are reported.
    """

    def __init__(self, writer: SessionWriter, skipped_at_start: int = 0) -> None:
        self.writer = writer
        self._lock = threading.Lock()  # the skipped-frame counters: analysis thread and close()
        self._skipped_base = skipped_at_start
        self._skipped_noted = 0
        self._skipped_now = 0
        self._note_t: float | None = None
        self._last: tuple[float, int] | None = None  # (media_ts, frame index) of the last recorded frame
        self._closed_stats: RecorderStats | None = None

    @property
    def directory(self) -> Path:
        return self.writer.directory

    @property
    def active(self) -> bool:
        """True while the writer accepts frames (not closed, not failed)."""
        return self.writer.state is RecorderState.RECORDING

    @property
    def last_error(self) -> str | None:
        return self.writer.last_error

    def record(self, frame: Frame, pose: Pose | None, events: Iterable[Any], skipped_total: int) -> None:
        """Analysis thread: queue one analysed frame and the events that arrived with it.

        `frame.image` must be the raw unmirrored image, never drawn on afterwards; `pose` the smoothed
        unmirrored pose (None: nobody in view); `skipped_total` the inbox's drop counter now.
        """
        t, index = frame.media_ts, frame.index
        self.writer.record_frame(frame, pose)
        batch = [session_event(e) for e in events]
        with self._lock:
            self._last = (t, index)
            self._skipped_now = skipped_total - self._skipped_base
            due = self._note_t is None or t - self._note_t >= NOTE_INTERVAL_S
            note = self._skipped_note() if due and self._skipped_now > self._skipped_noted else None
            if note is not None:
                self._note_t = t
        if note is not None:
            batch.append(note)
        if batch:
            self.writer.record_events(batch, t=t, frame=index)

    def record_events(self, events: Iterable[Any]) -> None:
        """Analysis thread: events that arrived after the last frame (the end of the stream closes a set),
        stamped with the last recorded frame."""
        with self._lock:
            last = self._last
        batch = [session_event(e) for e in events]
        if batch and last is not None:
            self.writer.record_events(batch, t=last[0], frame=last[1])

    def _skipped_note(self) -> dict[str, Any]:
        """Caller holds `_lock`."""
        new = self._skipped_now - self._skipped_noted
        self._skipped_noted = self._skipped_now
        return {
            "type": "note",
            "text": f"{new} frames skipped before analysis (analysis was busy); they are not recorded",
            "skipped_frames": new,
            "skipped_frames_total": self._skipped_now,
        }

    def stats(self) -> RecorderStats:
        return self._closed_stats or self.writer.stats()

    @property
    def skipped(self) -> int:
        """Frames the pipeline's inbox replaced (never analysed, never recorded) while recording."""
        with self._lock:
            return self._skipped_now

    def close(self, stop_reason: str = "stopped") -> RecorderStats:
        """Write the last skipped-frame note, then close the writer (joins its thread). Idempotent; the
        first stop reason wins."""
        with self._lock:
            last = self._last
            note = self._skipped_note() if self._skipped_now > self._skipped_noted else None
        if note is not None and last is not None:
            self.writer.record_events([note], t=last[0], frame=last[1])
        stats = self.writer.close(stop_reason)
        self._closed_stats = stats
        if stats.frames_dropped or stats.frames_lost:
            log.warning("recording %s: %d frames dropped by the recorder queue, %d lost after an error",
                        self.directory, stats.frames_dropped, stats.frames_lost)
        return stats
