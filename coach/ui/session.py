"""The live session: owns one pipeline at a time and pulls from it on a UI timer (Kinovea's model).

Threads: the pipeline runs its own capture and analysis threads; everything here runs on the GUI thread.
A ~30 Hz `QTimer` calls `latest()`; only when the result is a new one (the dirty flag: a different
object than last time) is `result_arrived` emitted, so nothing repaints while the camera is idle and the
pipeline is never held back by the display. Series and events are drained on the same tick; stats are read
a few times per second. When the pipeline stops by itself (video ended, fault) the session joins its
threads and reports why through `stopped`.

Recording: `start_recording()` (R) has the pipeline record into a new directory under
`coach.settings.sessions_dir()`; `stop_recording()` (R again, Stop, or the run ending by itself) closes it,
adds it to the session library (`coach.library.index_session`) and emits `recording_stopped`. A write
error (disk full, seen in the pipeline's stats) stops the recording, not the live session, and the
message goes out with `recording_stopped`.

Cues: the pipeline calls `cue_sink` on its analysis thread; the session forwards them to the speaker
(which owns its own thread). Whether rep counts are said ("Count reps aloud", `speak_counts`) is decided by
the pipeline's cue policy (`LivePipeline.set_speak_counts`): the session only passes the setting on, at
start and whenever it changes.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from coach.activities import AUTO
from coach.errors import CoachError
from coach.library import index_session
from coach.settings import new_session_dir
from coach.ui.pipeline_factory import PipelineFactory, PipelineLike, PipelineRequest

__all__ = ["RECORDING_SAVED", "LiveSession"]

log = logging.getLogger(__name__)

RECORDING_SAVED = "Recording saved"
POLL_INTERVAL_MS = 33  # ~30 Hz: the display's pull rate
STATS_EVERY_TICKS = 15  # ~2 Hz
_ENDED_STATES = ("STOPPED", "FAULTED")


def _state_name(state: Any) -> str:
    return str(getattr(state, "name", state))


class LiveSession(QObject):
    """Start/stop one pipeline and publish what it produces as Qt signals (GUI thread)."""

    started = Signal()
    stopped = Signal(str)  # why: "" for a user stop, else a message (video ended, fault)
    failed = Signal(str)  # Start did not work (no camera, missing file, no model)
    result_arrived = Signal(object)  # a new LiveResult
    series_arrived = Signal(object, object)  # (media_ts, primary_angle) arrays
    events_arrived = Signal(list)  # rep/gait events, in order
    stats_updated = Signal(object)  # PipelineStats, or None when stopped
    recording_started = Signal(str)  # the session directory
    recording_stopped = Signal(str, str)  # (session directory, message for the status bar)
    recording_failed = Signal(str)  # recording could not start (the live session goes on)

    def __init__(
        self, pipeline_factory: PipelineFactory, speaker: Any, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._factory = pipeline_factory
        self._speaker = speaker
        self._pipeline: PipelineLike | None = None
        self._last_result: Any = None
        self._ticks = 0
        self._speak_counts = True
        self.results_seen = 0
        self._exercise = AUTO
        self._source = ""
        self._athlete = ""
        self._recording_dir: Path | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_INTERVAL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def speak_counts(self) -> bool:
        """Count reps aloud; applied to the running pipeline at once, and to every pipeline started."""
        return self._speak_counts

    @speak_counts.setter
    def speak_counts(self, on: bool) -> None:
        self._speak_counts = bool(on)
        if self._pipeline is not None:
            self._pipeline.set_speak_counts(self._speak_counts)

    @property
    def running(self) -> bool:
        return self._pipeline is not None

    @property
    def recording(self) -> bool:
        """True from `start_recording()` until the recording is stopped (by the user, the run or an error)."""
        return self._recording_dir is not None

    @property
    def pipeline(self) -> PipelineLike | None:
        return self._pipeline

    def start(
        self, source: str, exercise: str, *, mirror: bool, loop_video: bool = False, athlete: str = ""
    ) -> bool:
        """Build and start a pipeline; returns False (and emits `failed`) if it could not start. `athlete`
        (may be "") is written into recordings and picks the personal anomaly threshold."""
        if self._pipeline is not None:
            return True
        request = PipelineRequest(
            source=source,
            activity=None if exercise == AUTO else exercise,
            mirror=mirror,
            loop_video=loop_video,
            cue_sink=self._on_cue,
            athlete=athlete,
        )
        try:
            pipeline = self._factory(request)
            # Before start: the first rep of the run already follows the setting.
            pipeline.set_speak_counts(self._speak_counts)
            pipeline.start()
        except CoachError as exc:
            log.warning("could not start live pipeline on %r: %s", source, exc)
            self.failed.emit(str(exc))
            return False
        self._pipeline = pipeline
        self._exercise = exercise
        self._source = source
        self._athlete = athlete
        self._last_result = None
        self._ticks = 0
        self._timer.start()
        log.info("live session started on %r (%s)", source, exercise)
        self.started.emit()
        return True

    def stop(self, reason: str = "") -> None:
        """Stop the pipeline and join its threads (bounded by the pipeline's own timeout)."""
        pipeline = self._pipeline
        if pipeline is None:
            return
        self._timer.stop()
        self._pipeline = None
        self._finish_recording(pipeline)  # before stop(): the run's last frames are in the session
        pipeline.stop()
        log.info("live session stopped%s", f": {reason}" if reason else "")
        self.stats_updated.emit(None)
        self.stopped.emit(reason)

    def start_recording(self) -> bool:
        """Record the running session into a new directory; False (and `recording_failed`) if it cannot."""
        pipeline = self._pipeline
        if pipeline is None:
            self.recording_failed.emit("Start the live session before recording")
            return False
        if self._recording_dir is not None:
            return True
        directory = new_session_dir(self._exercise)
        try:
            path = pipeline.start_recording(
                directory,
                athlete=self._athlete,
                exercise=None if self._exercise == AUTO else self._exercise,
                source=self._source,
            )
        except (CoachError, RuntimeError, OSError) as exc:  # SessionError, or no frame yet
            log.warning("could not start recording into %s: %s", directory, exc)
            self.recording_failed.emit(f"Could not record: {exc}")
            return False
        self._recording_dir = Path(path)
        log.info("recording into %s", path)
        self.recording_started.emit(str(path))
        return True

    def stop_recording(self) -> None:
        """Stop recording (the live session goes on), index the session, emit `recording_stopped`."""
        if self._pipeline is not None:
            self._finish_recording(self._pipeline)

    def _finish_recording(self, pipeline: PipelineLike, error: str | None = None) -> None:
        directory = self._recording_dir
        if directory is None:
            return
        self._recording_dir = None
        stats = pipeline.stop_recording()
        error = error or (stats.last_error if stats is not None else None)
        written = stats.frames_written if stats is not None else 0
        dropped = stats.frames_dropped if stats is not None else 0
        indexed = index_session(directory)
        if error:
            message = f"Recording stopped: {error}"
        else:
            message = f"{RECORDING_SAVED}: {directory} ({written} frames, {dropped} dropped)"
        if indexed is not None:
            message += f" - not added to the library ({indexed}); run: coach sessions add {directory}"
        self.recording_stopped.emit(str(directory), message)

    def set_activity(self, exercise: str) -> None:
        if self._pipeline is not None:
            self._pipeline.set_activity(None if exercise == AUTO else exercise)

    def set_mirror(self, on: bool) -> None:
        if self._pipeline is not None:
            self._pipeline.set_mirror(on)

    def _on_cue(self, cue: Any) -> None:
        """Called on the analysis thread."""
        self._speaker.say(cue)

    def _poll(self) -> None:
        pipeline = self._pipeline
        if pipeline is None:
            return
        # Read the state BEFORE draining: if the run has ended, everything it produced is drained below.
        state = _state_name(pipeline.state)
        ts, angles = pipeline.drain_series()
        if len(ts):
            self.series_arrived.emit(np.asarray(ts), np.asarray(angles))
        events = pipeline.drain_events()
        if events:
            self.events_arrived.emit(events)
        result = pipeline.latest()
        if result is not None and result is not self._last_result:  # dirty: something new to show
            self._last_result = result
            self.results_seen += 1
            self.result_arrived.emit(result)
        self._ticks += 1
        if self._ticks % STATS_EVERY_TICKS == 1:
            stats = pipeline.stats()
            error = getattr(stats, "record_error", None)
            if self._recording_dir is not None and error:
                # Disk full: the writer has stopped; close the session (valid up to here), keep coaching.
                self._finish_recording(pipeline, error)
                stats = pipeline.stats()
            self.stats_updated.emit(stats)
        if state in _ENDED_STATES:
            error = pipeline.error
            self.stop(error or ("Video ended" if state == "STOPPED" else "Pipeline stopped"))
