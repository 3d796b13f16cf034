"""Frame sources behind one protocol: video files, cameras and image folders.

`open_source(spec)` picks the right one: `VideoFileSource` (video_file.py), `CameraSource` (camera.py) or
`ImageFolderSource` (image_folder.py). `probe_video(path)` describes a video file without reading it all.
Every failure a user can cause (missing or broken file, no camera, empty folder) is a `SourceError` whose
message says what is wrong and what to do.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self, runtime_checkable

import cv2

from coach.capture.camera import CameraSource
from coach.capture.frame import Frame
from coach.capture.image_folder import ImageFolderSource
from coach.capture.video_file import (
    FALLBACK_FPS,
    VideoFileSource,
    fourcc_to_str,
    no_decodable_frame_error,
    open_video_capture,
)

__all__ = [
    "CameraSource",
    "FrameSource",
    "ImageFolderSource",
    "VideoFileSource",
    "VideoInfo",
    "open_source",
    "probe_video",
]


@runtime_checkable
class FrameSource(Protocol):
    """Frames in order. Not thread-safe: one thread owns a source (the capture worker, or the offline
    decoder) and creates, reads and closes it."""

    @property
    def fps(self) -> float:
        """Nominal (files, image folders) or driver-reported (cameras) frame rate."""
        ...

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the frames actually delivered."""
        ...

    @property
    def frame_count(self) -> int | None:
        """None for cameras; an estimate from container metadata for files; exact for image folders."""
        ...

    def read(self) -> Frame | None:
        """The next frame; None at the end (files, folders). Raises `SourceError` on failure."""
        ...

    def close(self) -> None:
        """Release the source. Idempotent."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def __iter__(self) -> Iterator[Frame]:
        """Yields frames until `read()` returns None."""
        ...


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What a video file's container says about it, plus the size of its first decoded frame.

    `frame_count` and `duration_s` (= frame_count / fps) come from the container's metadata and can be a
    few frames off; None where the container does not say. `codec` is a fourcc-like string ('h264',
    'VP90', 'MJPG'; '' if unknown).
    """

    path: Path
    fps: float
    frame_count: int | None
    width: int
    height: int
    duration_s: float | None
    codec: str


def probe_video(path: str | os.PathLike[str]) -> VideoInfo:
    """Describe a video file by opening it and decoding only its first frame.

    Raises `SourceError` (with what to do) for a missing, empty, non-video, frameless or undecodable file.
    """
    video = Path(path)
    cap = open_video_capture(video)
    try:
        codec = fourcc_to_str(cap.get(cv2.CAP_PROP_FOURCC))
        ok, image = cap.read()
        if not ok or image is None:
            raise no_decodable_frame_error(video, codec)
        fps = cap.get(cv2.CAP_PROP_FPS)
        if not math.isfinite(fps) or fps <= 0:
            fps = FALLBACK_FPS
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        cap.release()
    frame_count = count if count > 0 else None
    height, width = image.shape[:2]
    return VideoInfo(
        path=video,
        fps=float(fps),
        frame_count=frame_count,
        width=width,
        height=height,
        duration_s=frame_count / fps if frame_count is not None else None,
        codec=codec,
    )


def open_source(spec: str | int | os.PathLike[str], **options: Any) -> FrameSource:
    """Open the source `spec` names; `options` go to that source's constructor.

    * an int, or a str of digits ("0"): the camera with that number (`CameraSource`);
      to open a file whose name is all digits, pass a `Path`;
    * a folder: its images (`ImageFolderSource`);
    * anything else: a video file (`VideoFileSource`).
    """
    if isinstance(spec, bool):
        raise TypeError("a source is a camera number, a folder or a video file, not a bool")
    if isinstance(spec, int):
        return CameraSource(spec, **options)
    if isinstance(spec, str) and spec.strip().isascii() and spec.strip().isdigit():
        return CameraSource(int(spec.strip()), **options)
    path = Path(spec)
    if path.is_dir():
        return ImageFolderSource(path, **options)
    return VideoFileSource(path, **options)
