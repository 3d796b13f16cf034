"""`LivePipeline`: camera (or a video standing in for one) -> pose -> engines -> overlay, on three threads.

Threads and what each owns (see ../shared/STYLE.md and docs/live_contract.md):

* **capture** (`coach-live-capture`) owns the `FrameSource`: it opens it through `source_factory`, reads
  frames (the source stamps `capture_ts`), renumbers them and shifts their media time so both keep
  increasing across a loop or a reconnection, counts the camera rate, converts the image to RGB for
  MediaPipe (MediaPipe copies its input, so a fresh array per frame costs nothing more; the conversion of a
  frame the inbox later replaces is wasted, which only happens when analysis is slower than the camera),
  measures its brightness while it is still in the cache (the dark-room warning), and puts (frame, RGB,
  brightness) in a one-slot inbox where the newest frame replaces an unprocessed one
  (`LatestSlot`; replacements are the `dropped` count). A `SourceError` from `read()` means the camera was
  lost: status "Camera lost - retrying", the source is closed and reopened through `source_factory` every
  `retry_interval_s`, and nothing else is reset, so the set's reps and events carry on. A file that ends is
  reopened when `loop_video`, else the pipeline finishes and goes to STOPPED by itself.
* **analysis** (`coach-live-analysis`) owns the `PoseEstimator` (VIDEO mode, fed the media timestamps) and
  the per-frame analysis, `coach.live.step.AnalysisStep` (smoother, view, the ONNX models' live state,
  the rep or gait engine of the current activity, the `CuePolicy`, rep anomaly scores; the same class
  headless `coach record` runs, so both record the same events). Per frame: settings, the frame's image,
  the dark warning, the step (pose on the *unmirrored* frame, smoothing, view, models, engine, cues, anomaly),
  events to the GUI, cues to `cue_sink`, the frame to the recording, then a `LiveResult` without its
  drawing goes to the render slot. It never waits for the GUI nor for the drawing.
* **render** (`coach-live-render`) owns the `Overlay` (annotators, the bar-path trail) and the buffers the
  overlay is drawn into. It takes each analysed frame from a second one-slot `LatestSlot` (newest wins, as
  the inbox; lossless when the pipeline is), mirrors it when mirroring is on, draws the overlay, and
  publishes the finished `LiveResult` (`latest()`). Latency is measured here: capture stamp -> overlay
  ready. Drawing runs while the analysis thread is in its next pose inference (MediaPipe releases the GIL),
  so it costs the analysis thread nothing; frames the render slot replaced were analysed (their events
  and series are delivered, and recorded) but never drawn (`PipelineStats.render_skipped`).

  No full-frame copies or allocations in the steady state when not recording. The analysis thread owns
  each frame's image once it takes the frame from the inbox (a source must hand out a fresh array per
  frame, as OpenCV's readers do; an image that is read-only or shares memory with the previous frame's
  is copied first; a recording takes that raw image as it is, see below), and hands it to the render
  thread without touching it again. Unmirrored, the overlay is drawn on that image in place, except while
  recording: then it goes on a copy in the spare buffer. Mirrored, the image is flipped into a spare
  buffer that becomes `LiveResult.image`, and the raw image becomes the next frame's spare; a spare is
  reused only while nothing else refers to it (reference count: a result the GUI still holds, a raw image
  its source or the recorder's queue still holds), so nothing published is ever overwritten.
  (`cv2.flip` into another buffer was measured 2x faster than in place.)

  Each analysed frame's time is split into steps (`coach.live.meters.STEPS`; `LivePipeline.step_ms`); the
  capture thread's conversion and the render thread's drawing are timed too (`convert_ms`, `render_ms`).
* **GUI** (any other thread) calls `latest()`, `drain_events()`, `drain_series()`, `stats()`, `set_*()`,
  `start()`, `stop()`, `start_recording()` and `stop_recording()`. Those only take short locks (closing
  a recording joins the writer thread, which writes what is still queued: at most its queue).

Recording (`start_recording`): the analysis thread hands each analysed frame (the raw unmirrored image, the
smoothed unmirrored pose) and the frame's events (rep and gait events, `RepScored` as "anomaly",
`StrideScored` as "stride_anomaly", `ActivitySwitched` as "exercise_switched", the cues spoken) to a
`coach.live.recording.LiveRecorder`, whose `SessionWriter` (its own thread, its own bounded queue) runs in
live mode: a full queue drops the frame and counts it, never silently. Frames the inbox replaced are not
analysed, so not recorded; their count goes into "note" events. A recording ends with `stop_recording()`,
`stop()`, or by itself with the run (the video ended: closed on the analysis thread after the engine's last
events, "end_of_video"). A write error (disk full) stops only the recording: `stats().record_error` says
why, the session runs on.

A fault on any thread (an exception nobody expected) is logged with its traceback, puts the pipeline in
FAULTED with `error` set and stops the other threads: never a silent death.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
import math
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from coach.capture.frame import Frame
from coach.capture.sources import FrameSource
from coach.errors import CoachError, SourceError
from coach.live.activity import canonical_activity
from coach.live.inbox import LatestSlot
from coach.live.meters import STEPS, RateMeter, RollingValues, StepClock, StepTotals, TimeTotals
from coach.live.models import LiveModels, load_live_models
from coach.live.recording import LiveRecorder
from coach.live.step import AnalysisStep, LiveEvent
from coach.live.types import LiveResult, PipelineStats, WorkerState
from coach.overlay.compose import Overlay, mirror_image, mirror_pose
from coach.pose.mediapipe_landmarker import PoseEstimator
from coach.session.writer import CameraInfo, RecorderStats, SessionWriter

__all__ = ["CAMERA_LOST", "DARK_WARNING", "NO_PERSON", "VIDEO_ENDED", "LiveEvent", "LivePipeline"]

log = logging.getLogger(__name__)

CAMERA_LOST = "Camera lost - retrying"
DARK_WARNING = "Very dark image - add light"
NO_PERSON = "No person in view"
VIDEO_ENDED = "Video ended"

# Mean grey level (0-255) below which MediaPipe starts missing people; leaving the warning needs a bit
# more light than entering it, so a flickering lamp does not make it blink.
DARK_ENTER = 35.0
DARK_LEAVE = 45.0
# Nobody seen for this long (media seconds) before warning: one missed detection is not "nobody".
NO_PERSON_AFTER_S = 0.5
# How long a cue stays in the banner (media seconds).
CUE_DISPLAY_S = 3.0
# Bounded buffers between the analysis thread and the GUI: minutes of events, a minute of 60 fps series.
MAX_EVENTS = 2000
MAX_SERIES = 3600
# How long the analysis thread waits, at the end of a run, for the render thread to draw the last frame.
RENDER_JOIN_S = 5.0

_POSE, _PUBLISH, _OTHER = (STEPS.index(n) for n in ("pose", "publish", "other"))

_CAPTURE_THREAD = "coach-live-capture"
_ANALYSIS_THREAD = "coach-live-analysis"
_RENDER_THREAD = "coach-live-render"


def _load_cue_policy() -> type | None:
    """`coach.cues.CuePolicy` when that package is installed, else None (cues are then off).

    Checked with find_spec rather than by catching ImportError, so a real error inside coach.cues is not
    mistaken for its absence.
    """
    if importlib.util.find_spec("coach.cues") is None:
        return None
    import coach.cues

    return getattr(coach.cues, "CuePolicy", None)


class LivePipeline:
    """The live coaching core: see the module docstring for threads and ownership.

    `source_factory` opens a new `FrameSource` each time it is called (start, loop, reconnection); it runs
    on the capture thread and may raise `SourceError`. `model_path` is the pose `.task` bundle. `mirror`
    mirrors the drawing only (see `coach.overlay.compose`). `cue_sink` receives each `coach.cues.Cue` on the
    analysis thread and must return quickly (a speaker queues it). `loop_video` reopens a source that ends.

    Extensions beyond docs/live_contract.md (keyword-only, defaults keep the contract's behaviour):
    `lossless=True` makes capture wait for analysis instead of dropping (replaying a file faster than
    real time, e.g. in tests; never for a camera); `retry_interval_s` is the pause between reconnection
    attempts; `stats_window` is how many frames the latency, pose and work figures cover (a benchmark
    passes a large one to cover a whole run); `speak_counts` is the cue policy's rep counting aloud
    (`set_speak_counts`).
    """

    def __init__(
        self,
        source_factory: Callable[[], FrameSource],
        model_path: Path,
        *,
        activity: str | None = None,
        mirror: bool = True,
        cue_sink: Callable[[Any], None] | None = None,  # Callable[[coach.cues.Cue], None]
        loop_video: bool = False,
        lossless: bool = False,
        retry_interval_s: float = 1.0,
        stats_window: int = 120,
        speak_counts: bool = True,
        athlete: str = "",
    ) -> None:
        self._source_factory = source_factory
        # Rep anomalies are judged by this athlete's personal threshold when they have reps marked good.
        self._athlete = athlete
        self._model_path = Path(model_path)
        self._activity = canonical_activity(activity)
        self._mirror = bool(mirror)
        self._speak_counts = bool(speak_counts)
        self._cue_sink = cue_sink
        self._loop_video = loop_video
        self._lossless = lossless
        self._retry_interval_s = retry_interval_s
        self._stats_window = stats_window
        self._cue_policy_cls = _load_cue_policy()
        if self._cue_policy_cls is None:
            log.info("coach.cues is not available: live cues are off (the overlay still shows form faults)")

        self._lock = threading.Lock()  # state, error, status, latest, event and series buffers
        self._stats_lock = threading.Lock()
        self._state = WorkerState.STOPPED
        self.error: str | None = None
        self._threads: list[threading.Thread] = []
        # The current (or last, until the next start or stop_recording) recording; guarded by _lock.
        self._recorder: LiveRecorder | None = None
        self._reset_run_state()

    # ------------------------------------------------------------------ GUI-thread API
    @property
    def state(self) -> WorkerState:
        with self._lock:
            return self._state

    def start(self) -> None:
        """Start the capture, analysis and render threads and return at once (state STARTING, then
        RUNNING).

        Allowed from STOPPED or FAULTED; a restart begins a new stream (counts, engines and buffers reset).
        """
        with self._lock:
            if self._state not in (WorkerState.STOPPED, WorkerState.FAULTED):
                raise RuntimeError(f"start() while {self._state.name}")
            self._join(0.0)  # threads of a run that ended by itself are finished; forget them
            self._state = WorkerState.STARTING
            self.error = None
            if self._recorder is not None and not self._recorder.active:
                # The last run's recording, closed (one armed before start, still open, stays).
                self._recorder = None
        self._reset_run_state()
        self._threads = [
            threading.Thread(target=self._run_capture, name=_CAPTURE_THREAD, daemon=True),
            threading.Thread(target=self._run_analysis, name=_ANALYSIS_THREAD, daemon=True),
            threading.Thread(target=self._run_render, name=_RENDER_THREAD, daemon=True),
        ]
        for t in self._threads:
            t.start()

    def stop(self, timeout_s: float = 3.0) -> None:
        """Stop every thread and join them (at most `timeout_s` in all). Idempotent.

        Ends in STOPPED, or stays FAULTED if a fault happened (its `error` is kept). A thread that does not
        end in time (a camera driver stuck in read) is reported as a fault; it is a daemon thread, so it
        cannot keep the process alive.
        """
        with self._lock:
            if self._state in (WorkerState.STARTING, WorkerState.RUNNING):
                self._state = WorkerState.STOPPING
        self._stop.set()
        self._inbox.close(discard=True)
        self._render_slot.close(discard=True)
        alive = self._join(timeout_s)
        with self._lock:
            recorder = self._recorder
        if recorder is not None:
            recorder.close("stopped")  # idempotent: a run that ended by itself already closed it
        with self._lock:
            if alive:
                names = ", ".join(t.name for t in alive)
                log.error("live pipeline threads still running %.1f s after stop: %s", timeout_s, names)
                self._state = WorkerState.FAULTED
                self.error = f"Could not stop {names} within {timeout_s:.1f} s"
            elif self._state is not WorkerState.FAULTED:
                self._state = WorkerState.STOPPED

    def latest(self) -> LiveResult | None:
        """The newest analysed frame (None before the first), with the pipeline's current status warnings
        ("Camera lost - retrying", "Video ended") added. Thread-safe; never blocks on analysis."""
        with self._lock:
            result, status = self._latest, self._status
        if result is None or not status:
            return result
        return dataclasses.replace(result, warnings=result.warnings + status)

    def drain_events(self) -> list[LiveEvent]:
        """Rep and gait events since the previous call, oldest first (bounded: the oldest are dropped,
        and logged, if nobody drains for minutes). Besides the engines' events: `ActivitySwitched` when
        auto mode changes activity, `RepScored` (the rep's anomaly) right after a rep's own event, and
        `StrideScored` (a gait cycle's anomaly) after the gait events of the frame that completed it."""
        with self._lock:
            events = list(self._events)
            self._events.clear()
        return events

    def drain_series(self) -> tuple[np.ndarray, np.ndarray]:
        """(media_ts, primary_angle) of every analysed frame since the previous call; angle NaN where it
        could not be measured."""
        with self._lock:
            pairs = list(self._series)
            self._series.clear()
        if not pairs:
            return np.empty(0), np.empty(0)
        arr = np.array(pairs, dtype=np.float64)
        return arr[:, 0], arr[:, 1]

    def stats(self) -> PipelineStats:
        now = time.monotonic()
        with self._lock:
            recorder = self._recorder
        rec = recorder.stats() if recorder is not None else None
        with self._stats_lock:
            return PipelineStats(
                camera_fps=self._camera_rate.rate(now),
                processing_fps=self._processing_rate.rate(now),
                dropped=self._inbox.dropped,
                latency_ms_p50=self._latency_ms.percentile(50),
                latency_ms_p95=self._latency_ms.percentile(95),
                frames_captured=self._frames_captured,
                frames_processed=self._frames_processed,
                pose_ms=self._pose_ms.mean(),
                recording=recorder is not None and recorder.active,
                recorded_frames=rec.frames_written if rec is not None else 0,
                record_dropped=rec.frames_dropped if rec is not None else 0,
                record_error=rec.last_error if rec is not None else None,
                render_skipped=self._render_slot.dropped,
            )

    # ------------------------------------------------------------------ recording (GUI thread)
    @property
    def recording(self) -> bool:
        """True while a recording is on and its writer accepts frames (False after a write error)."""
        with self._lock:
            recorder = self._recorder
        return recorder is not None and recorder.active

    def start_recording(
        self,
        directory: str | Path,
        *,
        athlete: str = "",
        exercise: str | None = None,
        source: str = "",
        camera: CameraInfo | None = None,
        max_queued_frames: int = 32,
    ) -> Path:
        """Record every frame analysed from now on, with its pose and events, into the new session
        `directory` (see docs/session_format.md); returns it. The writer thread starts here.

        `camera` describes the source for the manifest; by default the pipeline's open source (its size
        and frame rate; `source` names it), so it is needed only before the source is open (recording
        armed before `start()`). `exercise` defaults to the chosen activity (None in auto mode).
        Raises RuntimeError when already recording or when the source is not known yet, and
        `coach.session.SessionError` when the directory cannot be created or is not empty.
        """
        with self._lock:
            if self._recorder is not None and self._recorder.active:
                raise RuntimeError(f"already recording into {self._recorder.directory}")
            activity = self._activity
            info = self._source_info
        if camera is None:
            if info is None:
                raise RuntimeError("the source is not open yet: start the pipeline (or pass camera=) first")
            width, height, fps = info
            if not (math.isfinite(fps) and fps > 0):
                measured = self.stats().camera_fps
                fps = measured if math.isfinite(measured) and measured > 0 else 30.0
            camera = CameraInfo(source=source, width=width, height=height, fps=fps)
        writer = SessionWriter(
            directory,
            camera=camera,
            athlete=athlete,
            exercise=exercise if exercise is not None else activity,
            pose_model=self._model_path,
            lossless=False,  # live: a slow disk drops (counted) rather than hold the display back
            max_queued_frames=max_queued_frames,
        )
        recorder = LiveRecorder(writer, skipped_at_start=self._inbox.dropped)
        with self._lock:
            self._recorder = recorder
        log.info("recording into %s", writer.directory)
        return writer.directory

    def stop_recording(self) -> RecorderStats | None:
        """End the recording (everything queued is written, the manifest closed) and return its counters;
        None when there was none. Also returns the final counters of a recording that ended with its run
        (the video ended) or failed (disk full), once."""
        with self._lock:
            recorder, self._recorder = self._recorder, None
        if recorder is None:
            return None
        stats = recorder.close("stopped")
        log.info("recording %s stopped: %d frames written, %d dropped, %d skipped before analysis",
                 recorder.directory, stats.frames_written, stats.frames_dropped, recorder.skipped)
        return stats

    def step_ms(self) -> dict[str, tuple[float, float]]:
        """Mean (wall ms, analysis-thread CPU ms) per analysed frame of each step in
        `coach.live.meters.STEPS` since start(); for benchmarks. "pose" CPU is near zero because MediaPipe
        runs its graph on its own threads; its wall time is the inference time."""
        with self._stats_lock:
            return self._steps.mean_ms()

    def work_ms(self) -> float:
        """Mean time the analysis thread spends per frame (pose included), rolling; for benchmarks."""
        with self._stats_lock:
            return self._work_ms.mean()

    def render_ms(self) -> tuple[float, float]:
        """Mean (wall ms, render-thread CPU ms) to mirror and draw one frame since start(); for benchmarks."""
        with self._stats_lock:
            return self._render_totals.mean_ms()

    def convert_ms(self) -> tuple[float, float]:
        """Mean (wall ms, capture-thread CPU ms) of the BGR->RGB conversion per frame grabbed since start();
        for benchmarks."""
        with self._stats_lock:
            return self._convert_totals.mean_ms()

    def set_activity(self, activity: str | None) -> None:
        """Switch activity (None or "auto": recognised by the exercise classifier, see `_Analysis`). Raises
        ValueError for an unknown name. Applied by the analysis thread at its next frame: the old engine's
        open set is closed, counts restart."""
        name = canonical_activity(activity)
        with self._lock:
            self._activity = name

    def set_mirror(self, on: bool) -> None:
        """Mirror the drawing (selfie view) from the next frame on; analysis is not affected."""
        self._mirror = bool(on)  # a single attribute store: atomic, read once per frame

    @property
    def mirror(self) -> bool:
        return self._mirror

    def set_speak_counts(self, on: bool) -> None:
        """Count reps aloud (a "count" cue after every full rep) or not, from the next frame on. The cue
        policy decides (`CuePolicy.set_speak_count`), so the banner and a recording agree with what is
        said; the set's count itself goes on either way ("Set done, N reps")."""
        self._speak_counts = bool(on)  # a single attribute store: atomic, read once per frame

    @property
    def speak_counts(self) -> bool:
        return self._speak_counts

    @property
    def cues_enabled(self) -> bool:
        """True when coach.cues is installed, so cues reach `cue_sink`."""
        return self._cue_policy_cls is not None

    # ------------------------------------------------------------------ shared helpers
    def _reset_run_state(self) -> None:
        self._stop = threading.Event()
        self._inbox: LatestSlot[tuple[Frame, np.ndarray, float]] = LatestSlot(lossless=self._lossless)
        self._render_slot: LatestSlot[_RenderJob] = LatestSlot(lossless=self._lossless)
        self._latest: LiveResult | None = None
        self._status: tuple[str, ...] = ()
        self._events: deque[LiveEvent] = deque()
        self._events_lost = 0
        self._series: deque[tuple[float, float]] = deque(maxlen=MAX_SERIES)
        self._ready = 0
        self._model_ready = threading.Event()
        self._source_info: tuple[int, int, float] | None = None  # (w, h, fps) of the open source
        with self._stats_lock:
            self._camera_rate = RateMeter(2.0)
            self._processing_rate = RateMeter(2.0)
            self._latency_ms = RollingValues(self._stats_window)
            self._pose_ms = RollingValues(self._stats_window)
            self._work_ms = RollingValues(self._stats_window)
            self._steps = StepTotals()
            self._render_totals = TimeTotals()
            self._convert_totals = TimeTotals()
            self._frames_captured = 0
            self._frames_processed = 0

    def _join(self, timeout_s: float) -> list[threading.Thread]:
        """Join our threads within `timeout_s` in all; returns those still alive."""
        deadline = time.monotonic() + timeout_s
        for t in self._threads:
            if t is not threading.current_thread():
                t.join(max(0.0, deadline - time.monotonic()))
        alive = [t for t in self._threads if t.is_alive()]
        if not alive:
            self._threads = []
        return alive

    def _fault(self, message: str) -> None:
        with self._lock:
            self._state = WorkerState.FAULTED
            self.error = message
        self._stop.set()
        self._inbox.close(discard=True)
        self._render_slot.close(discard=True)

    def _mark_ready(self) -> None:
        """Each thread calls this once it is up (source open / model loaded); both -> RUNNING."""
        with self._lock:
            self._ready += 1
            if self._ready == 2 and self._state is WorkerState.STARTING:
                self._state = WorkerState.RUNNING

    def _set_status(self, *status: str, error: str | None = None) -> None:
        with self._lock:
            self._status = status
            if self._state is not WorkerState.FAULTED:
                self.error = error

    # ------------------------------------------------------------------ capture thread
    def _run_capture(self) -> None:
        try:
            self._capture_loop()
        except Exception as exc:  # top-level handler: FAULTED + traceback, never a silent death
            log.exception("live capture thread failed")
            self._fault(f"Capture failed: {exc}")
        finally:
            # After the last frame: analysis drains what is in the slot, then finishes.
            self._inbox.close()

    def _open_source(self, opened_before: bool) -> FrameSource | None:
        try:
            return self._source_factory()
        except SourceError as exc:
            if not opened_before:
                # Never opened: nothing to keep alive (no camera, wrong file). The message says what to do.
                self._fault(str(exc))
                return None
            log.info("reopening the source failed: %s", exc)
            self._set_status(CAMERA_LOST, error=str(exc))
            self._stop.wait(self._retry_interval_s)
            return None

    def _capture_loop(self) -> None:
        # Open the source only once the model is loaded: frames grabbed earlier would all be dropped, and a
        # video standing in for a camera would lose its first second.
        while not self._model_ready.wait(0.05):
            if self._stop.is_set():
                return
        source: FrameSource | None = None
        opened_once = False
        rebase = False  # the next frame comes from a new source: shift its media time
        offset = 0.0
        last_media: float | None = None
        last_capture = 0.0
        try:
            while not self._stop.is_set():
                if source is None:
                    source = self._open_source(opened_once)
                    if source is None:
                        if self.state is WorkerState.FAULTED:
                            return
                        continue
                    with self._lock:
                        self._source_info = (*source.size, float(source.fps))
                    if not opened_once:
                        opened_once = True
                        self._mark_ready()
                    else:
                        log.info("source reopened: %r", source)
                        self._set_status()
                    rebase = True
                try:
                    frame = source.read()
                except SourceError as exc:
                    log.warning("source lost: %s", exc)
                    source.close()
                    source = None
                    self._set_status(CAMERA_LOST, error=str(exc))
                    self._stop.wait(self._retry_interval_s)
                    continue
                if frame is None:
                    source.close()
                    source = None
                    if self._loop_video:
                        continue
                    log.info("video ended")
                    self._set_status(VIDEO_ENDED)
                    return
                if rebase and last_media is not None:
                    # A new source starts its clock at 0; continue after the last frame, leaving the real
                    # gap (a reconnection) or one frame interval (a loop), so engines see time move on.
                    gap = max(1.0 / max(source.fps, 1.0), frame.capture_ts - last_capture)
                    offset = last_media + gap - frame.media_ts
                rebase = False
                media_ts = frame.media_ts + offset
                with self._stats_lock:
                    index = self._frames_captured
                    self._frames_captured += 1
                    self._camera_rate.tick(frame.capture_ts)
                last_media, last_capture = media_ts, frame.capture_ts
                # Frame is frozen and small; replacing two numbers does not copy the image.
                out = dataclasses.replace(frame, index=index, media_ts=media_ts)
                w0, c0 = time.perf_counter(), time.thread_time()
                rgb = cv2.cvtColor(out.image, cv2.COLOR_BGR2RGB)
                level = _brightness(rgb)
                w1, c1 = time.perf_counter(), time.thread_time()
                with self._stats_lock:
                    self._convert_totals.add(w1 - w0, c1 - c0)
                if not self._inbox.put((out, rgb, level)):
                    return  # closed: stopping or faulted
        finally:
            if source is not None:
                source.close()

    # ------------------------------------------------------------------ analysis thread
    def _run_analysis(self) -> None:
        try:
            self._analysis_loop()
        except CoachError as exc:  # e.g. ModelError: the message is written for the user
            log.error("live analysis stopped: %s", exc)
            self._fault(str(exc))
        except Exception as exc:  # top-level handler: FAULTED + traceback, never a silent death
            log.exception("live analysis thread failed")
            self._fault(f"Analysis failed: {exc}")
        finally:
            self._render_slot.close()  # after the last frame: render draws what is queued, then ends
            self._close_recording_at_end()

    def _close_recording_at_end(self) -> None:
        """Analysis thread, at its end: a run that ended by itself closes its recording here, after the
        engine's last events were recorded. After stop() it is left to stop(), so stopping is not held up."""
        if self._stop.is_set() and self.state is not WorkerState.FAULTED:
            return
        with self._lock:
            recorder = self._recorder
        if recorder is not None:
            recorder.close("error" if self.state is WorkerState.FAULTED else "end_of_video")

    def _analysis_loop(self) -> None:
        with PoseEstimator(self._model_path) as estimator:
            # Before reporting ready, so the capture thread does not open the source (and drop frames)
            # while the ONNX sessions load; cached for the process, so only the first run pays.
            models = load_live_models(self._athlete)
            self._mark_ready()
            self._model_ready.set()
            worker = _Analysis(self, estimator, models)
            while True:
                item = self._inbox.get()
                if item is None:  # closed and empty: end of video, stop or fault
                    break
                worker.process(*item)
                del item  # the frame's image now belongs to the render thread (see _Renderer)
            # The last frame is drawn before the end-of-stream counts update the result it published.
            self._render_slot.close()
            self._join_render()
            worker.finish()
        with self._lock:
            if self._state in (WorkerState.STARTING, WorkerState.RUNNING):
                self._state = WorkerState.STOPPED  # the video ended by itself

    def _join_render(self) -> None:
        for t in self._threads:
            if t.name == _RENDER_THREAD and t is not threading.current_thread():
                t.join(RENDER_JOIN_S)
                if t.is_alive():
                    log.warning("render thread still drawing %.1f s after the last frame", RENDER_JOIN_S)

    def _push_events(self, events: list[LiveEvent]) -> None:
        if not events:
            return
        with self._lock:
            overflow = len(self._events) + len(events) - MAX_EVENTS
            if overflow > 0:
                for _ in range(min(overflow, len(self._events))):
                    self._events.popleft()
                self._events_lost += overflow
                log.warning("event buffer full: %d events dropped (nobody drains them)", self._events_lost)
            self._events.extend(events)

    def _publish(
        self,
        result: LiveResult,
        pose_ms: float,
        work_ms: float,
        done_ts: float,
        steps: StepClock | None = None,
    ) -> None:
        """Analysis thread: the frame's series point and analysis figures (the render thread publishes
        the drawn result itself, `_run_render`)."""
        with self._lock:
            self._series.append((result.media_ts, math.nan if result.primary_angle is None
                                 else result.primary_angle))
        with self._stats_lock:
            self._frames_processed += 1
            self._processing_rate.tick(done_ts)
            self._pose_ms.add(pose_ms)
            self._work_ms.add(work_ms)
            if steps is not None:
                self._steps.add(steps)

    # ------------------------------------------------------------------ render thread
    def _run_render(self) -> None:
        try:
            renderer = _Renderer()
            while True:
                job = self._render_slot.get()
                if job is None:  # closed and empty: the analysis thread has ended
                    break
                w0, c0 = time.perf_counter(), time.thread_time()
                result = renderer.render(job)
                del job  # see _Renderer: only the published result may keep a buffer alive
                w1, c1 = time.perf_counter(), time.thread_time()
                done = time.monotonic()
                with self._lock:
                    self._latest = result
                with self._stats_lock:
                    self._latency_ms.add(1000.0 * (done - result.capture_ts))
                    self._render_totals.add(w1 - w0, c1 - c0)
        except Exception as exc:  # top-level handler: FAULTED + traceback, never a silent death
            log.exception("live render thread failed")
            self._fault(f"Drawing failed: {exc}")


def _brightness(image: np.ndarray) -> float:
    """Mean grey level (0-255) of an RGB or BGR image: the green channel (most of luminance, the same index
    in both orders) at every 16th pixel each way. ~3,600 samples are plenty for a mean brightness."""
    return float(image[::16, ::16, 1].mean())


@dataclass(frozen=True, slots=True)
class _RenderJob:
    """One analysed frame for the render thread: its `LiveResult` with the raw, unmirrored image and the
    unmirrored pose (the renderer replaces both), the joint colours of the last scored rep, whether to
    mirror, and whether the raw image must stay untouched (a recording holds it)."""

    result: LiveResult
    anomaly: Mapping[str, float] | None
    mirror: bool
    keep_raw: bool


class _Renderer:
    """Render-thread state: the overlay (its bar-path trail) and the spare buffer (see module docstring)."""

    def __init__(self) -> None:
        self.overlay = Overlay(None)
        self.mirrored: bool | None = None
        self._spare: np.ndarray | None = None  # where the next mirrored (or copied) image goes

    def render(self, job: _RenderJob) -> LiveResult:
        r = job.result
        if job.mirror != self.mirrored:
            if self.mirrored is not None:
                self.overlay.reset_trails()  # the trail's coordinates belong to the old orientation
            self.mirrored = job.mirror
        if r.activity != self.overlay.activity:
            self.overlay.set_activity(r.activity)
        # Unmirrored and not recording: the frame's own image, which nobody else reads, is drawn on in place.
        out = self._into_spare(r.image, job.mirror) if job.mirror or job.keep_raw else r.image
        shown = mirror_pose(r.pose) if job.mirror and r.pose is not None else r.pose
        result = dataclasses.replace(r, image=out, pose=shown)
        self.overlay.draw(out, result, job.anomaly)
        return result

    def _into_spare(self, image: np.ndarray, mirror: bool) -> np.ndarray:
        """`image` flipped (or copied) into the spare buffer; `image` becomes the next spare. A spare
        anybody else still holds (a published result, the recorder's queue, its source) is not reused."""
        spare, self._spare = self._spare, None
        # 2 = the local name and getrefcount's argument: nobody else holds it, and nobody can get it.
        if spare is None or spare.shape != image.shape or sys.getrefcount(spare) > 2:
            spare = np.empty_like(image)
        if mirror:
            out = mirror_image(image, out=spare)
        else:
            np.copyto(spare, image)
            out = spare
        self._spare = image
        return out


class _Analysis:
    """Per-run state of the analysis thread (everything here belongs to that thread): the shared
    per-frame analysis (`coach.live.step.AnalysisStep`) plus what only the live app needs: the settings
    the GUI changes, the frame's image ownership, the dark and no-person warnings, the banner, the
    recording, and the hand-over to the render thread.

    Recording: `recorder` is read once per frame (in `_sync_settings`); while it is set, the frame's events
    and cues (`StepOutput.emitted`) are handed over with the frame.
    """

    def __init__(self, pipeline: LivePipeline, estimator: PoseEstimator, models: LiveModels) -> None:
        self.p = pipeline
        with pipeline._lock:
            activity = pipeline._activity
        policy = pipeline._cue_policy_cls(activity=activity) if pipeline._cue_policy_cls is not None else None
        self.step = AnalysisStep(estimator, models, activity, policy)
        self._requested = activity
        self.speak_counts: bool | None = None
        self.mirrored = pipeline.mirror
        self._last_image: np.ndarray | None = None  # the previous frame's raw image
        self.dark = False
        self.first_t: float | None = None
        self.last_person_t: float | None = None
        self.recorder: LiveRecorder | None = None  # this frame's recording, if any (see the class docstring)

    def _sync_settings(self) -> None:
        p = self.p
        with p._lock:
            wanted = p._activity
            recorder = p._recorder
        self.recorder = recorder if recorder is not None and recorder.active else None
        if wanted != self._requested:
            self._requested = wanted
            self.step.request_activity(wanted)  # applied by the step at the start of this frame
        self.mirrored = p.mirror
        speak = p.speak_counts
        if speak != self.speak_counts:
            self.speak_counts = speak
            if self.step.cue_policy is not None:
                self.step.cue_policy.set_speak_count(speak)

    def _is_dark(self, level: float) -> bool:
        self.dark = level < (DARK_LEAVE if self.dark else DARK_ENTER)
        return self.dark

    def _own(self, image: np.ndarray) -> np.ndarray:
        """The frame's image, safe to draw on in place (see the module docstring)."""
        last = self._last_image
        if (
            not image.flags.writeable
            or not image.flags.c_contiguous
            or (last is not None and np.may_share_memory(image, last))
        ):
            image = image.copy()
        self._last_image = image
        return image

    def process(self, frame: Frame, rgb: np.ndarray | None, level: float) -> None:
        """One frame from the inbox: `rgb` its RGB conversion, `level` its brightness (`_brightness`)."""
        step = self.step
        clock = step.clock
        clock.start()
        t_start = time.monotonic()
        self._sync_settings()
        t = frame.media_ts
        image = self._own(frame.image)
        dark = self._is_dark(level)
        clock.lap(_OTHER)

        out = step.process(frame, rgb)

        if self.first_t is None:
            self.first_t = t
        if out.person:
            self.last_person_t = t
        warnings: list[str] = []
        if t - (self.last_person_t if self.last_person_t is not None else self.first_t) >= NO_PERSON_AFTER_S:
            warnings.append(NO_PERSON)
        if dark:
            warnings.append(DARK_WARNING)
        banner = step.banner
        cue = banner[0] if banner is not None and t - banner[1] <= CUE_DISPLAY_S else None
        clock.lap(_OTHER)

        self.p._push_events(list(out.events))
        self._say(out.cues)
        tracker = step.tracker
        result = LiveResult(
            frame_index=frame.index,
            capture_ts=frame.capture_ts,
            media_ts=t,
            image=image,  # raw and unmirrored until the render thread draws (see _RenderJob)
            pose=out.pose,
            activity=tracker.activity,
            activity_confidence=step.confidence,
            reps=tracker.reps,
            partial_reps=tracker.partial_reps,
            phase=tracker.phase,
            primary_angle=out.angle if math.isfinite(out.angle) else None,
            last_rep=tracker.last_rep,
            gait=tracker.gait_summary,
            cue=cue,
            warnings=tuple(warnings),
            last_stride=tracker.last_stride,
        )
        recorder = self.recorder
        if recorder is not None:
            raw_frame = frame if image is frame.image else dataclasses.replace(frame, image=image)
            recorder.record(raw_frame, out.pose, out.emitted, self.p._inbox.dropped)
        self.p._render_slot.put(_RenderJob(result, step.joint_colors, self.mirrored, recorder is not None))
        done = time.monotonic()
        clock.lap(_PUBLISH)
        self.p._publish(result, 1000.0 * clock.wall[_POSE], 1000.0 * (done - t_start), done,
                        clock)

    def finish(self) -> None:
        """End of stream: close the engine's open rep or set; the last result shows the final counts."""
        out = self.step.finish()
        if not out.emitted:
            return
        self.p._push_events(list(out.events))
        self._say(out.cues)
        if self.recorder is not None:
            self.recorder.record_events(out.emitted)
        with self.p._lock:
            last = self.p._latest
            if last is not None:
                tr = self.step.tracker
                self.p._latest = dataclasses.replace(
                    last, reps=tr.reps, partial_reps=tr.partial_reps, phase=tr.phase, last_rep=tr.last_rep
                )

    def _say(self, cues: tuple[Any, ...]) -> None:
        sink = self.p._cue_sink
        if sink is not None:
            for cue in cues:
                sink(cue)
