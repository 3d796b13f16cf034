"""A plain video file -> a replayable, indexed session (no Qt): what `coach replay VIDEO` and the replay
window's File > Open run before they can show a video the coach never recorded.

The video goes through `coach.session.headless.record_session` exactly as `coach record --source VIDEO`
does (lossless: every frame analysed and written, the live engines' events recorded), into a new directory
under `coach.settings.sessions_dir()` named by `coach.settings.new_session_dir`, as the live app's
recordings are, and is then added to the session library (`coach.library.index_session`).

Exercise: a named one is used as given. Auto (None or "auto") first records at most `CLASSIFY_S` seconds
into a scratch session with no engine, classifies that stretch with the exercise classifier
(`coach.analysis.model_scores.classify` on the stored smoothed poses, as `coach analyze` does) and then
records the whole video with the recognised activity; a clip too short or unclear to recognise is recorded
without an engine (replayable, no reps). Progress counts the frames of both passes.

Threads: `session_from_video` runs on the caller's thread (a worker thread in the GUI; never the GUI
thread: a minute of video takes tens of seconds). It starts and joins record_session's capture and writer
threads before it returns. `stop` (a `threading.Event`) cancels at any moment: the partial session is
deleted and `ImportCancelled` raised. `on_progress(done, total)` is called on the caller's thread.
"""

from __future__ import annotations

import logging
import math
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from coach.activities import ACTIVITIES, AUTO
from coach.capture.sources import probe_video
from coach.capture.video_file import VideoFileSource
from coach.errors import CoachError
from coach.library import index_session
from coach.live.activity import canonical_activity
from coach.pose.model_store import resolve_pose_model
from coach.session.format import SessionError
from coach.session.headless import RecordResult, record_session
from coach.session.reader import SessionReader
from coach.session.writer import CameraInfo, SessionWriter
from coach.settings import new_session_dir, sessions_dir

__all__ = ["CLASSIFY_S", "ImportCancelled", "VideoImport", "session_from_video"]

log = logging.getLogger(__name__)

CLASSIFY_S = 8.0  # media seconds the classifier sees under auto: a few of its ~2 s windows, every activity
_FAILED = ("disk_full", "write_error", "error")

ProgressCallback = Callable[[int, "int | None"], None]


class ImportCancelled(CoachError):
    """The import was stopped before it finished; nothing was left on disk."""


@dataclass(frozen=True, slots=True)
class VideoImport:
    """A finished import: the session `directory`, the `exercise` it was analysed as (None: no engine ran),
    whether that was recognised (auto) or given, the recording's outcome and the library's (None: indexed;
    else why not)."""

    directory: Path
    exercise: str | None
    recognised: bool
    confidence: float | None
    record: RecordResult
    index_error: str | None


def session_from_video(
    video: str | Path,
    *,
    exercise: str | None = AUTO,
    pose_model: str | Path | None = None,
    root: Path | None = None,
    duration_s: float | None = None,
    stop: threading.Event | None = None,
    on_progress: ProgressCallback | None = None,
    index: bool = True,
) -> VideoImport:
    """Analyse `video` into a new session under `root` (default `sessions_dir()`) and index it.

    `exercise`: an activity name, or None / "auto" to recognise it. `pose_model`: a variant or `.task`
    path as `coach record --pose-model` takes (default: $COACH_POSE_MODEL, else full). `duration_s`: only
    the first seconds of the video. Raises `SourceError` for a file that is not a readable video,
    `ImportCancelled` when `stop` was set, `SessionError` when nothing could be recorded.
    """
    video = Path(video)
    info = probe_video(video)  # SourceError with what to do, before any thread or directory exists
    model = resolve_pose_model(None if pose_model is None else str(pose_model))
    root = sessions_dir() if root is None else Path(root)
    stop = stop or threading.Event()
    given = None if exercise in (None, AUTO) else canonical_activity(exercise)
    total = _frames_in(info.frame_count, info.fps, duration_s)
    progress = _Progress(on_progress, total)
    camera = CameraInfo(source=str(video), width=info.width, height=info.height, fps=info.fps)

    recognised, confidence = False, None
    activity = given
    if given is None:
        activity, confidence, reusable = _recognise(video, model, camera, info.frame_count, root, duration_s,
                                                    stop, progress)
        recognised = activity is not None
        if reusable is not None:
            # The scratch pass already holds the whole requested stretch and no engine was chosen: it is
            # the session. Moving it saves analysing the same frames twice.
            return _finish(reusable, None, False, None, index)

    directory = new_session_dir(activity, root=root)
    result = _record(video, model, camera, directory, activity, duration_s, stop, progress.frame)
    return _finish(result, activity, recognised, confidence, index)


# ---------------------------------------------------------------------------------------------- internals
class _Progress:
    """Frames done over both passes; the total grows when auto adds the classification pass."""

    def __init__(self, callback: ProgressCallback | None, total: int | None) -> None:
        self.callback = callback
        self.total = total
        self.done = 0

    def add_pass(self, frames: int | None) -> None:
        self.total = None if self.total is None or frames is None else self.total + frames

    def finish(self) -> None:
        """No more frames to come: the total is what was done (a pass turned out not to be needed)."""
        self.total = self.done
        if self.callback is not None:
            self.callback(self.done, self.total)

    def frame(self, _n: int) -> None:
        self.done += 1
        if self.callback is not None:
            self.callback(self.done, self.total)


def _frames_in(frame_count: int | None, fps: float, duration_s: float | None) -> int | None:
    if duration_s is None:
        return frame_count
    limit = max(1, math.ceil(duration_s * fps - 1e-9))
    return limit if frame_count is None else min(frame_count, limit)


def _record(
    video: Path, model: Path, camera: CameraInfo, directory: Path, activity: str | None,
    duration_s: float | None, stop: threading.Event, on_frame: Callable[[int], None],
) -> RecordResult:
    if stop.is_set():
        raise ImportCancelled(f"Import of {video.name} cancelled")
    # record_session sets the event it is given when it ends: each pass gets its own, set from the caller's
    # `stop` after every frame, so the end of the first pass does not cancel the second.
    this_pass = threading.Event()

    def frame_done(n: int) -> None:
        on_frame(n)
        if stop.is_set():
            this_pass.set()

    source = VideoFileSource(video)
    try:
        writer = SessionWriter(directory, camera=camera, exercise=activity, pose_model=model, lossless=True)
    except BaseException:
        source.close()
        raise
    try:
        result = record_session(source, writer, model, activity=activity, lossless=True,
                                duration_s=duration_s, stop=this_pass, on_frame=frame_done)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    if stop.is_set():
        shutil.rmtree(directory, ignore_errors=True)
        raise ImportCancelled(f"Import of {video.name} cancelled")
    if not result.frames_recorded or result.stop_reason in _FAILED:
        shutil.rmtree(directory, ignore_errors=True)
        raise SessionError(f"{video.name} could not be analysed into a session ({result.stop_reason}: "
                           f"{result.error or 'no frame recorded'})")
    return result


def _recognise(
    video: Path, model: Path, camera: CameraInfo, frame_count: int | None, root: Path,
    duration_s: float | None, stop: threading.Event, progress: _Progress,
) -> tuple[str | None, float | None, RecordResult | None]:
    """(activity or None, confidence, the scratch pass's result when it can serve as the session)."""
    from coach.analysis import model_scores  # onnxruntime: loaded only when a clip is to be recognised

    span = CLASSIFY_S if duration_s is None else min(CLASSIFY_S, duration_s)
    progress.add_pass(_frames_in(frame_count, camera.fps, span))
    root.mkdir(parents=True, exist_ok=True)
    scratch_parent = Path(tempfile.mkdtemp(prefix=".recognise-", dir=root))
    try:
        scratch = scratch_parent / "session"
        result = _record(video, model, camera, scratch, None, span, stop, progress.frame)
        with SessionReader(scratch) as reader:
            verdict = model_scores.classify(reader.track())
        label = verdict.label if verdict is not None else None
        activity = label if label in ACTIVITIES else None
        log.info("%s recognised as %s (%s)", video.name, activity or "nothing the coach counts",
                 f"{verdict.confidence:.2f}" if verdict is not None else "no pose")
        covers_all = result.stop_reason == "end_of_video" or (
            span == duration_s and result.stop_reason == "duration")
        if activity is None and covers_all:
            directory = new_session_dir(None, root=root)
            shutil.move(str(scratch), directory)
            progress.finish()
            return None, None, replace(result, directory=directory)
        return activity, (verdict.confidence if activity is not None and verdict is not None else None), None
    finally:
        shutil.rmtree(scratch_parent, ignore_errors=True)


def _finish(result: RecordResult, activity: str | None, recognised: bool, confidence: float | None,
            index: bool) -> VideoImport:
    error = index_session(result.directory) if index else None
    return VideoImport(result.directory, activity, recognised, confidence, result, error)
