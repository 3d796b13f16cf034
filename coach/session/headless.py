"""Headless recording (`coach record`): a camera or a video file -> the live per-frame analysis -> a session.

`FrameAnalyzer` is the live app's per-frame analysis without the drawing: pose (VIDEO mode, media time) ->
One Euro smoothing -> view -> the activity's rep or gait engine (`coach.live.activity.ActivityTracker`, the
same object the live pipeline uses) -> cue policy. Engines see exactly the `PoseSample`s the live app feeds
them, so the recorded events are the live events.

Threads of `record_session`:

* **capture** (`coach-record-capture`) owns the `FrameSource` once it is opened and puts frames in a
  `coach.live.inbox.LatestSlot`. For a video file the slot is lossless (capture waits for analysis:
  nothing is dropped); for a camera the newest frame wins, as live, and replaced frames are counted
  (`RecordResult.skipped_by_analysis`).
* **analysis** (the caller's thread) owns the `PoseEstimator` and the `FrameAnalyzer`, and feeds the writer.
* **writer** (`coach-session-writer`, see `coach.session.writer`), lossless for a file, dropping (counted)
  for a camera.

`stop` (a `threading.Event`, e.g. set from a signal handler) ends the recording cleanly at any moment.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from coach.capture.frame import Frame
from coach.capture.sources import FrameSource
from coach.cues.policy import Cue, CuePolicy
from coach.errors import SourceError
from coach.gait.types import GaitEvent
from coach.kinematics.view import View, ViewClassifier, estimate_yaw
from coach.live.activity import ActivityTracker
from coach.live.inbox import LatestSlot
from coach.pose.mediapipe_landmarker import PoseEstimator
from coach.pose.smoothing import PoseSmoother
from coach.pose.types import Pose, PoseSample
from coach.reps.engine import Event, EventKind
from coach.session.writer import RecorderState, SessionWriter

__all__ = ["AnalysedFrame", "FrameAnalyzer", "RecordResult", "record_session"]

log = logging.getLogger(__name__)

_CAPTURE_THREAD = "coach-record-capture"


@dataclass(frozen=True, slots=True)
class AnalysedFrame:
    """What one frame produced: the smoothed pose (None: nobody in view), engine events and cues."""

    pose: Pose | None
    events: tuple[Event | GaitEvent, ...]
    cues: tuple[Cue, ...]


class FrameAnalyzer:
    """Per-frame live analysis without drawing (see module docstring). Not thread-safe: owned by the thread
    that owns `estimator`."""

    def __init__(self, estimator: PoseEstimator, activity: str | None) -> None:
        self.estimator = estimator
        self.smoother = PoseSmoother()
        self.views = ViewClassifier()
        self.tracker = ActivityTracker(activity)
        self.cue_policy = CuePolicy(activity=self.tracker.activity)
        self.last_t: float | None = None

    def process(self, frame: Frame) -> AnalysedFrame:
        t = frame.media_ts
        self.last_t = t
        raw = self.estimator.detect(cv2.cvtColor(frame.image, cv2.COLOR_BGR2RGB), t)
        lm, world = self.smoother.update(
            t, raw.landmarks if raw is not None else None, raw.world if raw is not None else None
        )
        h, w = frame.image.shape[:2]
        # As live and offline: a landmark held through a short gap still counts as a pose.
        pose = Pose(lm, world, (w, h)) if np.isfinite(lm[:, 0]).any() else None
        view: str | None = None
        if pose is not None:
            self.views.update(float(estimate_yaw(lm, world, (w, h))))
            view = None if self.views.state is View.UNKNOWN else self.views.state.value
        events = self.tracker.update(PoseSample(t, frame.index, pose), view)
        values = self.tracker.new_metric_values()
        cues = self.cue_policy.on_events([*events, *values], t) if events or values else []
        return AnalysedFrame(pose, tuple(events), tuple(cues))

    def finish(self) -> tuple[tuple[Event | GaitEvent, ...], tuple[Cue, ...]]:
        """End of stream: the engine closes an open rep or set; cues for that."""
        events = self.tracker.finish()
        cues = self.cue_policy.on_events(events, self.last_t) if events and self.last_t is not None else []
        return tuple(events), tuple(cues)


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
) -> RecordResult:
    """Analyse and record `source` into `writer` until the source ends, `duration_s` of media time has
    been recorded, `stop` is set or the writer fails. Closes the source and the writer.

    `source` is handed over to the capture thread (open it on this thread first: its size and fps go into
    the manifest). `on_frame(n)` is called on this thread after each frame (a progress bar).
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
            analyzer = FrameAnalyzer(estimator, activity)
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
                result = analyzer.process(frame)
                analysed += 1
                last_frame = frame
                writer.record_frame(frame, result.pose)
                batch: list[Any] = [*result.events, *result.cues]
                reps, partial = _count(result.events, reps, partial)
                if batch:
                    writer.record_events(batch, t=frame.media_ts, frame=frame.index)
                if writer.state is RecorderState.FAILED:
                    reason = "write_error"
                    break
                if on_frame is not None:
                    on_frame(analysed)
            if last_frame is not None and writer.state is RecorderState.RECORDING:
                events, cues = analyzer.finish()
                reps, partial = _count(events, reps, partial)
                writer.record_events([*events, *cues], t=last_frame.media_ts, frame=last_frame.index)
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


def _count(events: tuple[Event | GaitEvent, ...], reps: int, partial: int) -> tuple[int, int]:
    for ev in events:
        if isinstance(ev, Event):
            if ev.kind is EventKind.REP_COMPLETED:
                reps += 1
            elif ev.kind is EventKind.PARTIAL_REP:
                partial += 1
    return reps, partial
