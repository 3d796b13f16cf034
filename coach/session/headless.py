"""Headless recording (`coach record`): a camera or a video file -> the live per-frame analysis -> a session.

Each frame goes through `coach.live.step.AnalysisStep`, the very per-frame analysis the live app runs (pose
in VIDEO mode on media time -> One Euro smoothing -> view -> the exercise classifier and the rep anomaly
model -> the activity's rep or gait engine -> cue policy), without the drawing. So a session recorded here
holds what the live app records for the same frames: engine events, each rep's anomaly score
("anomaly"), exercise switches in auto mode ("exercise_switched") and the cues, in the same order
(`coach.live.recording.session_event` turns the step's own events into the format's dicts).

Threads of `record_session`:

* **capture** (`coach-record-capture`) owns the `FrameSource` once it is opened and puts frames in a
  `coach.live.inbox.LatestSlot`. For a video file the slot is lossless (capture waits for analysis:
  nothing is dropped); for a camera the newest frame wins, as live, and replaced frames are counted
  (`RecordResult.skipped_by_analysis`).
* **analysis** (the caller's thread) owns the `PoseEstimator` and the `AnalysisStep`, and feeds the writer.
* **writer** (`coach-session-writer`, see `coach.session.writer`), lossless for a file, dropping (counted)
  for a camera.

`stop` (a `threading.Event`, e.g. set from a signal handler) ends the recording cleanly at any moment.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from coach.capture.frame import Frame
from coach.capture.sources import FrameSource
from coach.cues.policy import CuePolicy
from coach.errors import SourceError
from coach.live.inbox import LatestSlot
from coach.live.models import load_live_models
from coach.live.recording import session_event
from coach.live.step import AnalysisStep
from coach.pose.mediapipe_landmarker import PoseEstimator
from coach.reps.engine import Event, EventKind
from coach.session.writer import RecorderState, SessionWriter

__all__ = ["RecordResult", "record_session"]

log = logging.getLogger(__name__)

_CAPTURE_THREAD = "coach-record-capture"


@dataclass(frozen=True, slots=True)
class RecordResult:
    """How a headless recording went."""

    directory: Path
    stop_reason: str
    frames_recorded: int
    frames_analysed: int
    skipped_by_analysis: int  # camera only: frames replaced before analysis (newest frame wins)
    dropped_by_recorder: int  # the recorder's queue was full (camera only)
    lost: int  # analysed but not written because recording failed (disk full)
    reps: int
    partial_reps: int
    duration_s: float
    error: str | None


def record_session(
    source: FrameSource,
    writer: SessionWriter,
    model_path: Path,
    *,
    activity: str | None,
    lossless: bool,
    duration_s: float | None = None,
    stop: threading.Event | None = None,
    on_frame: Callable[[int], None] | None = None,
    athlete: str = "",
) -> RecordResult:
    """Analyse and record `source` into `writer` until the source ends, `duration_s` of media time has
    been recorded, `stop` is set or the writer fails. Closes the source and the writer.

    `source` is handed over to the capture thread (open it on this thread first: its size and fps go into
    the manifest). `on_frame(n)` is called on this thread after each frame (a progress bar). With an
    `athlete`, rep anomalies are judged by their personal threshold, as in the live app.
    """
    stop = stop or threading.Event()
    slot: LatestSlot[Frame] = LatestSlot(lossless=lossless)
    capture_error: list[str] = []
    ended = threading.Event()

    def capture() -> None:
        try:
            while not stop.is_set():
                frame = source.read()
                if frame is None:
                    ended.set()
                    return
                if not slot.put(frame):
                    return
        except SourceError as exc:
            log.error("recording source failed: %s", exc)
            capture_error.append(str(exc))
        except Exception as exc:  # top-level handler: a capture bug must end the recording, not hang it
            log.exception("recording capture thread failed")
            capture_error.append(f"Capture failed: {exc}")
        finally:
            source.close()
            slot.close()

    analysed = 0
    reason = "stopped"
    first_t: float | None = None
    last_frame: Frame | None = None
    reps = partial = 0
    thread = threading.Thread(target=capture, name=_CAPTURE_THREAD, daemon=True)
    try:
        with PoseEstimator(model_path) as estimator:
            models = load_live_models(athlete)
            step = AnalysisStep(estimator, models, activity, CuePolicy(activity=activity))
            thread.start()
            while True:
                if stop.is_set():
                    reason = "interrupted"
                    break
                frame = slot.get(timeout=0.1)
                if frame is None:
                    if slot.closed and slot.get(timeout=0) is None:
                        reason = "end_of_video" if ended.is_set() else "source_error"
                        break
                    continue
                if first_t is None:
                    first_t = frame.media_ts
                if duration_s is not None and frame.media_ts - first_t >= duration_s - 1e-9:
                    reason = "duration"
                    break
                step.clock.start()
                result = step.process(frame)
                analysed += 1
                last_frame = frame
                writer.record_frame(frame, result.pose)
                reps, partial = _count(result.events, reps, partial)
                if result.emitted:
                    writer.record_events(_session_events(result.emitted), t=frame.media_ts, frame=frame.index)
                if writer.state is RecorderState.FAILED:
                    reason = "write_error"
                    break
                if on_frame is not None:
                    on_frame(analysed)
            if last_frame is not None and writer.state is RecorderState.RECORDING:
                end = step.finish()
                reps, partial = _count(end.events, reps, partial)
                t, index = last_frame.media_ts, last_frame.index
                writer.record_events(_session_events(end.emitted), t=t, frame=index)
    finally:
        stop.set()
        slot.close(discard=True)
        if thread.ident is not None:
            thread.join(5.0)
        else:
            source.close()  # the capture thread never started: the source is still ours
        stats = writer.close(reason)
    if capture_error and reason == "source_error":
        log.error("recording ended early: %s", capture_error[0])
    duration = 0.0
    if first_t is not None and last_frame is not None:
        duration = last_frame.media_ts - first_t + 1.0 / max(source.fps, 1e-6)
    return RecordResult(
        directory=writer.directory,
        stop_reason=writer.stop_reason or reason,
        frames_recorded=stats.frames_written,
        frames_analysed=analysed,
        skipped_by_analysis=slot.dropped,
        dropped_by_recorder=stats.frames_dropped,
        lost=stats.frames_lost,
        reps=reps,
        partial_reps=partial,
        duration_s=duration if math.isfinite(duration) else 0.0,
        error=stats.last_error or (capture_error[0] if capture_error else None),
    )


def _session_events(emitted: Iterable[Any]) -> list[Any]:
    return [session_event(e) for e in emitted]


def _count(events: Iterable[Any], reps: int, partial: int) -> tuple[int, int]:
    for ev in events:
        if isinstance(ev, Event):
            if ev.kind is EventKind.REP_COMPLETED:
                reps += 1
            elif ev.kind is EventKind.PARTIAL_REP:
                partial += 1
    return reps, partial
