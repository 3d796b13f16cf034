"""How the window gets a live pipeline: a `PipelineRequest` in, an object with `LivePipeline`'s interface out.

The window never constructs `coach.live.LivePipeline` itself; it is handed a factory (dependency injection),
so tests can pass the real pipeline on a video file, and the app passes `DefaultPipelineFactory`, which
resolves the pose model once and turns the source string into a frame source:

* digits ("0"): `CameraSource(int)`;
* anything else: a video file standing in for a camera, `VideoFileSource(path, realtime=True, loop=...)`,
  paced at its own frame rate so the pipeline sees it exactly like a camera.

The source is created by the pipeline's capture thread (it owns it), hence a `source_factory`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from coach.capture.camera import CameraSource
from coach.capture.sources import FrameSource
from coach.capture.video_file import VideoFileSource
from coach.errors import SourceError

__all__ = [
    "DefaultPipelineFactory",
    "PipelineFactory",
    "PipelineLike",
    "PipelineRequest",
    "source_factory_for",
]

log = logging.getLogger(__name__)


class PipelineLike(Protocol):
    """What the window uses of `coach.live.LivePipeline` (see docs/live_contract.md)."""

    error: str | None

    @property
    def state(self) -> Any: ...  # coach.live.WorkerState

    def start(self) -> None: ...
    def stop(self, timeout_s: float = 3.0) -> None: ...
    def latest(self) -> Any: ...  # coach.live.LiveResult | None
    def drain_events(self) -> list[Any]: ...
    def drain_series(self) -> tuple[np.ndarray, np.ndarray]: ...
    def stats(self) -> Any: ...  # coach.live.PipelineStats
    def set_activity(self, activity: str | None) -> None: ...
    def set_mirror(self, on: bool) -> None: ...
    def set_speak_counts(self, on: bool) -> None: ...
    @property
    def recording(self) -> bool: ...
    def start_recording(
        self, directory: str | Path, *, athlete: str = "", exercise: str | None = None, source: str = ""
    ) -> Path: ...
    def stop_recording(self) -> Any: ...  # coach.session.RecorderStats | None


@dataclass(frozen=True, slots=True)
class PipelineRequest:
    """What the user chose: `source` is camera digits or a video path; `activity` None means auto-detect.

    `cue_sink` is called on the pipeline's analysis thread with every `coach.cues.Cue` to speak.
    """

    source: str
    activity: str | None
    mirror: bool
    loop_video: bool
    cue_sink: Callable[[Any], None] | None
    athlete: str = ""  # recorded in sessions; their good-form reps set the anomaly threshold


PipelineFactory = Callable[[PipelineRequest], PipelineLike]


def is_camera(source: str) -> bool:
    return source.strip().isascii() and source.strip().isdigit()


def source_factory_for(source: str, *, loop: bool) -> Callable[[], FrameSource]:
    """A zero-argument callable opening `source` (called on the pipeline's capture thread).

    A video path is checked here, on the caller's thread, so a missing file is reported at Start rather
    than as a fault a moment later.
    """
    if is_camera(source):
        index = int(source)
        return lambda: CameraSource(index)
    path = Path(source).expanduser()
    if not path.is_file():
        raise SourceError(f"video file not found: {path} (choose another file, or a camera)")
    return lambda: VideoFileSource(path, realtime=True, loop=loop)


class DefaultPipelineFactory:
    """Builds the real `coach.live.LivePipeline`. The pose model is resolved on the first request (this may
    download it; `ModelError` says what to do) and reused afterwards. GUI thread only."""

    def __init__(self, model_path: Path | None = None, pose_model: str | None = None) -> None:
        self._model_path = model_path
        self._pose_model = pose_model

    def __call__(self, request: PipelineRequest) -> PipelineLike:
        # Imported here so that `coach --help` and headless commands never load the live stack.
        from coach.live import LivePipeline
        from coach.pose.model_store import resolve_pose_model

        source_factory = source_factory_for(request.source, loop=request.loop_video)
        if self._model_path is None:
            self._model_path = resolve_pose_model(self._pose_model)
            log.info("live pipeline uses pose model %s", self._model_path)
        return LivePipeline(
            source_factory,
            self._model_path,
            activity=request.activity,
            mirror=request.mirror,
            cue_sink=request.cue_sink,
            loop_video=request.loop_video,
            athlete=request.athlete,
        )
