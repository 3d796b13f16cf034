"""`LivePipeline`: camera (or a video standing in for one) -> pose -> engines -> overlay, on two threads.

Threads and what each owns (see ../shared/STYLE.md and docs/live_contract.md):

* **capture** (`coach-live-capture`) owns the `FrameSource`: it opens it through `source_factory`, reads
  frames (the source stamps `capture_ts`), renumbers them and shifts their media time so both keep
  increasing across a loop or a reconnection, counts the camera rate, and puts each frame in a one-slot
  inbox where the newest frame replaces an unprocessed one (`LatestSlot`; replacements are the `dropped`
  count). A `SourceError` from `read()` means the camera was lost: status "Camera lost - retrying", the
  source is closed and reopened through `source_factory` every `retry_interval_s`, and nothing else is
  reset, so the set's reps and events carry on. A file that ends is reopened when `loop_video`, else the
  pipeline finishes and goes to STOPPED by itself.
* **analysis** (`coach-live-analysis`) owns the `PoseEstimator` (VIDEO mode, fed the media timestamps),
  the `PoseSmoother`, the view classifier, the rep or gait engine of the current activity
  (`ActivityTracker`), the ONNX models' live state (`coach.live.models.LiveModels`: the exercise
  classifier fed at its window rate, a ring buffer of smoothed poses to score each finished rep from),
  the `CuePolicy` and the `Overlay`. Per frame: pose on the *unmirrored* frame, then smoothing, view,
  models, engine (then the anomaly of a rep that just ended), cues, and the overlay; then it publishes a
  `LiveResult`. It never waits for the
  GUI: results are published under a lock and the GUI pulls them.

  No full-frame copies or allocations in the steady state when not recording. The analysis thread owns
  each frame's image once it takes the frame from the inbox (a source must hand out a fresh array per
  frame, as OpenCV's readers do; an image that is read-only or shares memory with the previous frame's
  is copied first; a recording takes that raw image as it is, see below). Unmirrored, the overlay is
  drawn on that image in place, except while recording: then it goes on a copy in the spare buffer.
  Mirrored, the image is flipped into a spare buffer that becomes
  `LiveResult.image`, and the raw image, which pose no longer needs, becomes the next frame's spare; a
  spare is reused only while nothing else refers to it (reference count), so a result the GUI still holds is
  never overwritten. (`cv2.flip` into another buffer was measured 2x faster than in place.) The BGR->RGB
  conversion for MediaPipe goes into a buffer reused from frame to frame (MediaPipe copies its input).

  Per-frame work is computed once and shared: the rep engine's features (`coach.reps.signals`) also give
  the plotted primary angle. The camera view (yaw -> `ViewClassifier`) is re-estimated every
  `VIEW_INTERVAL_S` of media time rather than every frame; in between the engine gets the last view.
  Each analysed frame's time is split into steps (`coach.live.meters.STEPS`; `LivePipeline.step_ms`).
* **GUI** (any other thread) calls `latest()`, `drain_events()`, `drain_series()`, `stats()`, `set_*()`,
  `start()`, `stop()`, `start_recording()` and `stop_recording()`. Those only take short locks (closing
  a recording joins the writer thread, which writes what is still queued: at most its queue).

Recording (`start_recording`): the analysis thread hands each analysed frame (the raw unmirrored image,
the smoothed unmirrored pose) and the frame's events (rep and gait events, `RepScored` as "anomaly",
`ActivitySwitched` as "exercise_switched", the cues spoken) to a `coach.live.recording.LiveRecorder`,
whose `SessionWriter` (its own thread, its own bounded queue) runs in live mode: a full queue drops the
frame and counts it, never silently. Frames the inbox replaced are not analysed, so not recorded; their
count goes into "note" events. A recording ends with `stop_recording()`, `stop()`, or by itself with the
run (the video ended: closed on the analysis thread after the engine's last events, "end_of_video"). A
write error (disk full) stops only the recording: `stats().record_error` says why, the session runs on.

A fault on either thread (an exception nobody expected) is logged with its traceback, puts the pipeline in
FAULTED with `error` set and stops the other thread: never a silent death.
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
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from coach.capture.frame import Frame
from coach.capture.sources import FrameSource
from coach.errors import CoachError, SourceError
from coach.gait.engine import MetricValue
from coach.gait.types import GaitEvent
from coach.kinematics.angles import body_angles
from coach.kinematics.view import View, ViewClassifier, estimate_yaw
from coach.live.activity import ActivityTracker, canonical_activity
from coach.live.inbox import LatestSlot
from coach.live.meters import STEPS, RateMeter, RollingValues, StepClock, StepTotals
from coach.live.models import LiveModels, activity_of_label, joint_scores, load_models
from coach.live.recording import LiveRecorder
from coach.live.types import ActivitySwitched, LiveResult, PipelineStats, RepScored, WorkerState
from coach.ml.classifier import LiveState
from coach.overlay.compose import Overlay, OverlayData, mirror_image, mirror_pose
from coach.pose.mediapipe_landmarker import PoseEstimator
from coach.pose.smoothing import PoseSmoother
from coach.pose.types import Pose, PoseSample
from coach.reps.engine import Event, EventKind, Rep
from coach.reps.signals import frame_features
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
# The view is re-estimated at most this often (media seconds). An athlete needs about a second to turn
# 90 degrees, so 0.1 s adds at most ~9 degrees of lag on a fast turn and none on a steady camera; the
# classifier's hysteresis (coach.kinematics.view.HYSTERESIS_DEG) is unchanged, it just sees fewer samples.
# At 30 fps this saves two yaw estimates in three.
VIEW_INTERVAL_S = 0.1
# How long a cue stays in the banner (media seconds).
CUE_DISPLAY_S = 3.0
# Bounded buffers between the analysis thread and the GUI: minutes of events, a minute of 60 fps series.
MAX_EVENTS = 2000
MAX_SERIES = 3600

_CONVERT, _POSE, _SMOOTH, _VIEW, _MODELS, _ENGINE, _OVERLAY, _OTHER = (STEPS.index(n) for n in (
    "convert", "pose", "smooth", "view", "models", "engine", "overlay", "other"))

# What `drain_events` returns: the engines' events plus the pipeline's own (auto mode switched activity;
# the anomaly model scored a rep).
LiveEvent = Event | GaitEvent | ActivitySwitched | RepScored

_CAPTURE_THREAD = "coach-live-capture"
_ANALYSIS_THREAD = "coach-live-analysis"


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
    passes a large one to cover a whole run).
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
    ) -> None:
        self._source_factory = source_factory
        self._model_path = Path(model_path)
        self._activity = canonical_activity(activity)
        self._mirror = bool(mirror)
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
        """Start the capture and analysis threads and return at once (state STARTING, then RUNNING).

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
        ]
        for t in self._threads:
            t.start()

    def stop(self, timeout_s: float = 3.0) -> None:
        """Stop both threads and join them (at most `timeout_s` in all). Idempotent.

        Ends in STOPPED, or stays FAULTED if a fault happened (its `error` is kept). A thread that does not
        end in time (a camera driver stuck in read) is reported as a fault; it is a daemon thread, so it
        cannot keep the process alive.
        """
        with self._lock:
            if self._state in (WorkerState.STARTING, WorkerState.RUNNING):
                self._state = WorkerState.STOPPING
        self._stop.set()
        self._inbox.close(discard=True)
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
        auto mode changes activity, and `RepScored` (the rep's anomaly) right after a rep's own event."""
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

    @property
    def cues_enabled(self) -> bool:
        """True when coach.cues is installed, so cues reach `cue_sink`."""
        return self._cue_policy_cls is not None

    # ------------------------------------------------------------------ shared helpers
    def _reset_run_state(self) -> None:
        self._stop = threading.Event()
        self._inbox: LatestSlot[Frame] = LatestSlot(lossless=self._lossless)
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
                if not self._inbox.put(out):
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
            classifier, scorer = load_models()
            self._mark_ready()
            self._model_ready.set()
            worker = _Analysis(self, estimator, LiveModels(classifier, scorer))
            while True:
                frame = self._inbox.get()
                if frame is None:  # closed and empty: end of video, stop or fault
                    break
                worker.process(frame)
            worker.finish()
        with self._lock:
            if self._state in (WorkerState.STARTING, WorkerState.RUNNING):
                self._state = WorkerState.STOPPED  # the video ended by itself

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
        with self._lock:
            self._latest = result
            self._series.append((result.media_ts, math.nan if result.primary_angle is None
                                 else result.primary_angle))
        with self._stats_lock:
            self._frames_processed += 1
            self._processing_rate.tick(done_ts)
            self._latency_ms.add(1000.0 * (done_ts - result.capture_ts))
            self._pose_ms.add(pose_ms)
            self._work_ms.add(work_ms)
            if steps is not None:
                self._steps.add(steps)


class _Analysis:
    """Per-run state of the analysis thread (everything here belongs to that thread).

    Activity: `requested` is the user's choice (`set_activity`); None is auto mode, where the exercise
    classifier's debounced label picks the engine (`_on_classifier`). An explicit choice is never
    overridden; the classifier still runs so `LiveResult.activity_confidence` shows how sure it is of the
    chosen activity. In auto mode "idle" and "other" start no engine, but they do not end a recognised
    exercise either: standing still between reps or sets would otherwise reset the count every pause, and
    the rep engine already handles rest.

    Anomaly: each finished rep (full or partial) is scored from the ring buffer of smoothed poses on the
    frame its event arrives; the verdict goes into `last_rep["anomaly"]`, a `RepScored` event, and the
    joint colours of the overlay, which stay until the next rep.

    Recording: `recorder` is read once per frame (in `_sync_settings`); while it is set, the frame's events
    and cues are collected in `_pending` and handed over with the frame at the end of `process`.
    """

    def __init__(self, pipeline: LivePipeline, estimator: PoseEstimator, models: LiveModels) -> None:
        self.p = pipeline
        self.estimator = estimator
        self.models = models
        self.smoother = PoseSmoother()
        self.views = ViewClassifier()
        with pipeline._lock:
            activity = pipeline._activity
        self.requested = activity
        self.tracker = ActivityTracker(activity)
        self.joint_colors: dict[str, float] | None = None  # the last scored rep's attribution, per joint
        self.image_size: tuple[int, int] | None = None  # (w, h) of the last frame
        self.overlay = Overlay(self.tracker.activity)
        self.cue_policy = (
            pipeline._cue_policy_cls(activity=self.tracker.activity)
            if pipeline._cue_policy_cls is not None
            else None
        )
        self.mirrored = pipeline.mirror
        self.steps = StepClock()
        self._rgb: np.ndarray | None = None  # reused BGR->RGB buffer
        self._last_image: np.ndarray | None = None  # the previous frame's raw image
        self._spare: np.ndarray | None = None  # where the next mirrored image goes (see module docstring)
        self._view_t = -math.inf  # media time of the last view estimate
        self.dark = False
        self.first_t: float | None = None
        self.last_person_t: float | None = None
        self.cue: tuple[str, float] | None = None  # (text, media time shown)
        self.recorder: LiveRecorder | None = None  # this frame's recording, if any (see the class docstring)
        self._pending: list[Any] = []  # this frame's events and cues, for the recorder

    def _push(self, events: list[LiveEvent]) -> None:
        """Publish events to the GUI, and collect them for the recording."""
        self.p._push_events(events)
        if self.recorder is not None:
            self._pending.extend(events)

    def _sync_settings(self) -> None:
        with self.p._lock:
            wanted = self.p._activity
            recorder = self.p._recorder
        self.recorder = recorder if recorder is not None and recorder.active else None
        if wanted != self.requested:
            self.requested = wanted
            # Back to auto: take up what the classifier already recognises rather than waiting for it to
            # switch again (it would not: its label has not changed).
            state = self.models.state
            target = wanted if wanted is not None else activity_of_label(state.label if state else None)
            if target != self.tracker.activity:
                self._switch(target)
        mirror = self.p.mirror
        if mirror != self.mirrored:
            self.mirrored = mirror
            self.overlay.reset_trails()  # the trail's coordinates belong to the old orientation

    def _switch(self, activity: str | None) -> None:
        """Close the current engine's set and start `activity`'s engine (counts restart)."""
        self._push(self.tracker.finish())
        self.tracker = ActivityTracker(activity)
        self.overlay.set_activity(activity)
        if self.cue_policy is not None:
            self.cue_policy.set_activity(activity)
        self.cue = None
        self.joint_colors = None
        log.info("activity switched to %s", activity)

    def _on_classifier(self, state: LiveState, frame: int) -> None:
        """Auto mode: follow the classifier's debounced label (its hysteresis decides when it switches)."""
        if not state.switched or self.requested is not None:
            return
        target = activity_of_label(state.label)
        if target is None or target == self.tracker.activity:
            return  # idle/other keep a recognised exercise (see the class docstring)
        switched = ActivitySwitched(state.t, frame, self.tracker.activity, target, state.confidence)
        self._push([switched])
        self._switch(target)

    def _score_reps(self, events: list[LiveEvent], image_size: tuple[int, int]) -> None:
        """Score this frame's finished reps (rarely more than one) and publish the verdicts."""
        exercise = self.tracker.activity
        if exercise is None or self.tracker.is_gait:
            return  # gait strides are not scored live
        scored: list[LiveEvent] = []
        for ev in events:
            if not (isinstance(ev, Event) and ev.rep is not None
                    and ev.kind in (EventKind.REP_COMPLETED, EventKind.PARTIAL_REP)):
                continue
            result = self.models.score_rep(exercise, ev.rep, image_size)
            self.joint_colors = joint_scores(result.channel_ratios) if result is not None else None
            if result is not None:
                anomaly = result.to_json()
                self.tracker.attach_anomaly(ev.rep.index, anomaly)
                scored.append(_rep_scored(ev.rep, anomaly))
        self._push(scored)

    def _is_dark(self, image: np.ndarray) -> bool:
        # The green channel (most of luminance) at every 16th pixel each way: ~3,600 samples are plenty
        # for a mean brightness and cost a few microseconds.
        level = float(image[::16, ::16, 1].mean())
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

    def _into_spare(self, image: np.ndarray, mirror: bool) -> np.ndarray:
        """`image` flipped (or, recording unmirrored, copied) into the spare buffer; `image` becomes the
        next spare. While the recorder's queue holds `image` it is not reused (reference count)."""
        spare, self._spare = self._spare, None
        # 2 = the local name and getrefcount's argument: nobody else (a LiveResult, a view) holds it.
        if spare is None or spare.shape != image.shape or sys.getrefcount(spare) > 2:
            spare = np.empty_like(image)
        if mirror:
            out = mirror_image(image, out=spare)
        else:
            np.copyto(spare, image)
            out = spare
        self._spare = image
        return out

    def _to_rgb(self, image: np.ndarray) -> np.ndarray:
        if self._rgb is None or self._rgb.shape != image.shape:
            self._rgb = np.empty_like(image)
        return cv2.cvtColor(image, cv2.COLOR_BGR2RGB, dst=self._rgb)

    def process(self, frame: Frame) -> None:
        steps = self.steps
        steps.start()
        t_start = time.monotonic()
        self._sync_settings()
        t = frame.media_ts
        image = self._own(frame.image)
        dark = self._is_dark(image)
        steps.lap(_OTHER)

        rgb = self._to_rgb(image)
        steps.lap(_CONVERT)
        # The mirrored copy for the overlay is made now, while the frame is still in the CPU cache from the
        # conversion (after inference it is not: measured 2x slower). Pose reads only `rgb`.
        # Recording keeps `image` raw, so the overlay then goes on a copy.
        recorder = self.recorder
        out = self._into_spare(image, True) if self.mirrored else (
            self._into_spare(image, False) if recorder is not None else image)
        steps.lap(_OVERLAY)
        t_pose = time.perf_counter()
        raw = self.estimator.detect(rgb, t)
        pose_ms = 1000.0 * (time.perf_counter() - t_pose)
        steps.lap(_POSE)

        lm, world = self.smoother.update(
            t, raw.landmarks if raw is not None else None, raw.world if raw is not None else None
        )
        h, w = image.shape[:2]
        self.image_size = (w, h)
        # As offline (PoseTrack.has_pose on the smoothed track): a landmark held through a short gap still
        # counts as a pose; once everything has expired the engines see None and pause.
        pose = Pose(lm, world, (w, h)) if np.isfinite(lm[:, 0]).any() else None
        steps.lap(_SMOOTH)

        view: str | None = None
        if pose is not None:
            if t - self._view_t >= VIEW_INTERVAL_S or self.views.state is View.UNKNOWN:
                yaw = float(estimate_yaw(lm, world, (w, h)))
                self.views.update(yaw)
                if yaw == yaw:  # not NaN: a frame without shoulders or hips retries on the next frame
                    self._view_t = t
            # The last known view (a frame without shoulders or hips does not unset it).
            view = None if self.views.state is View.UNKNOWN else self.views.state.value
        steps.lap(_VIEW)

        state = self.models.observe(t, frame.index, lm, world, (w, h), pose is not None)
        if state is not None:
            self._on_classifier(state, frame.index)
        steps.lap(_MODELS)

        angle = math.nan
        if pose is not None and self.tracker.activity is not None:
            if self.tracker.is_gait:
                angle = self.tracker.primary_angle(
                    {k: float(a) for k, a in body_angles(pose.pixels().astype(np.float64)).items()}
                )
            else:
                # The rep engine computes these same features for this same pose object: computed once
                # (frame_features keeps the last pose's features).
                angle = self.tracker.primary_angle_of_features(frame_features(pose))
        events = self.tracker.update(PoseSample(t, frame.index, pose), view)
        if events:
            self._push(events)
        values = self.tracker.new_metric_values()
        if events or values:
            self._cues([*events, *values], t)
        steps.lap(_ENGINE)
        if events:
            self._score_reps(events, (w, h))
        steps.lap(_MODELS)

        if self.first_t is None:
            self.first_t = t
        if raw is not None:
            self.last_person_t = t
        warnings: list[str] = []
        if t - (self.last_person_t if self.last_person_t is not None else self.first_t) >= NO_PERSON_AFTER_S:
            warnings.append(NO_PERSON)
        if dark:
            warnings.append(DARK_WARNING)
        cue = self.cue[0] if self.cue is not None and t - self.cue[1] <= CUE_DISPLAY_S else None
        steps.lap(_OTHER)

        # `out` is the frame's own image (drawn on in place) or its mirror in the spare buffer.
        shown = mirror_pose(pose) if self.mirrored and pose is not None else pose
        data = OverlayData(shown, self.tracker.activity, self.tracker.reps, self.tracker.partial_reps,
                           self.tracker.phase, cue)
        self.overlay.draw(out, data, self.joint_colors)
        steps.lap(_OVERLAY)

        result = LiveResult(
            frame_index=frame.index,
            capture_ts=frame.capture_ts,
            media_ts=t,
            image=out,
            pose=shown,
            activity=self.tracker.activity,
            activity_confidence=self.models.confidence(self.tracker.activity),
            reps=self.tracker.reps,
            partial_reps=self.tracker.partial_reps,
            phase=self.tracker.phase,
            primary_angle=angle if math.isfinite(angle) else None,
            last_rep=self.tracker.last_rep,
            gait=self.tracker.gait_summary,
            cue=cue,
            warnings=tuple(warnings),
        )
        if recorder is not None:
            raw_frame = frame if image is frame.image else dataclasses.replace(frame, image=image)
            recorder.record(raw_frame, pose, self._pending, self.p._inbox.dropped)
            self._pending.clear()
        done = time.monotonic()
        steps.lap(_OTHER)
        self.p._publish(result, pose_ms, 1000.0 * (done - t_start), done, steps)

    def finish(self) -> None:
        """End of stream: close the engine's open rep or set; the last result shows the final counts."""
        events = self.tracker.finish()
        if not events:
            return
        self._push(events)
        if self.image_size is not None:
            self._score_reps(list(events), self.image_size)
        if self.p._latest is not None:
            self._cues(list(events), self.p._latest.media_ts)
        if self.recorder is not None:
            self.recorder.record_events(self._pending)
            self._pending.clear()
        with self.p._lock:
            last = self.p._latest
            if last is not None:
                tr = self.tracker
                self.p._latest = dataclasses.replace(
                    last, reps=tr.reps, partial_reps=tr.partial_reps, phase=tr.phase, last_rep=tr.last_rep
                )

    def _cues(self, events: list[Event | GaitEvent | MetricValue], t: float) -> None:
        """Cues for this frame's engine output: to the banner, and to `cue_sink` (a speaker's queue)."""
        if self.cue_policy is None:
            # Without a cue policy the banner still shows the form fault the engine found.
            if self.tracker.last_fault_cue and any(
                isinstance(e, Event) and e.rep is not None and e.rep.faults for e in events
            ):
                self.cue = (self.tracker.last_fault_cue, t)
            return
        cues = self.cue_policy.on_events(events, t)
        if cues:
            self.cue = (cues[0].text, t)  # most important first
        if self.p._cue_sink is not None:
            for cue in cues:
                self.p._cue_sink(cue)
        if self.recorder is not None:
            self._pending.extend(cues)


def _rep_scored(rep: Rep, anomaly: dict) -> RepScored:
    return RepScored(rep.end_t, rep.end_frame, rep.index, anomaly)
