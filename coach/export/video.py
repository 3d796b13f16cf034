"""MP4 export: the recorded video with the live overlays burned in.

Each recorded frame is decoded, drawn on by `coach.overlay.Overlay` (skeleton, angle arcs, target line, bar
path, rep counter, phase, cue banner) from the stored pose and the state rebuilt by
`coach.export.overlay_timeline`, and encoded with OpenCV's 'mp4v' codec (always built into opencv-python;
H.264 needs an external encoder that may be missing). Offline export never drops a frame: the MP4 holds
exactly one frame per recorded frame at the session's fps. (Frames a camera dropped while recording are not
re-inserted, so such a video plays that much faster than real time.)

The file is written under a temporary name and renamed when complete and re-opened successfully, so a
failed or interrupted export never leaves a truncated MP4 behind under the requested name.
Runs on the caller's thread; `on_frame(done)` is called after every frame (the CLI's progress bar).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from coach.export.errors import ExportError
from coach.export.overlay_timeline import overlay_timeline
from coach.export.session_data import SessionData
from coach.overlay.compose import Overlay
from coach.session.format import SessionError

__all__ = ["Mp4Export", "export_mp4"]

FOURCC = "mp4v"


@dataclass(frozen=True, slots=True)
class Mp4Export:
    """What `export_mp4` wrote: `frames` as counted by re-opening the file."""

    path: Path
    frames: int
    fps: float
    size: tuple[int, int]  # (width, height)


def export_mp4(data: SessionData, path: Path, on_frame: Callable[[int], None] | None = None) -> Mp4Export:
    """Write the overlaid video to `path` (.mp4); raises `ExportError` when it cannot be written."""
    path = Path(path)
    n = data.frame_count
    if n == 0:
        raise ExportError(f"{data.path} has no recorded frames to export")
    timeline = overlay_timeline(data)
    first = _image(data, 0)
    height, width = first.shape[:2]
    fps = data.fps
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create {path.parent}: {exc}") from exc
    tmp = path.with_name(f".{path.stem}.part{path.suffix or '.mp4'}")
    writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*FOURCC), fps, (width, height))
    if not writer.isOpened():
        raise ExportError(f"OpenCV cannot write an '{FOURCC}' MP4 at {tmp} (is the directory writable?)")
    overlay = Overlay(timeline[0].activity)
    completed = False
    try:
        for row in range(n):
            image = first if row == 0 else _image(data, row)
            if image.shape[:2] != (height, width):  # a camera that changed resolution mid-session
                image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
            state = timeline[row]
            if state.activity != overlay.activity:
                overlay.set_activity(state.activity)
            overlay.draw(image, state)
            writer.write(image)
            if on_frame is not None:
                on_frame(row + 1)
        completed = True
    finally:
        writer.release()
        if not completed:
            with contextlib.suppress(OSError):
                tmp.unlink()
    frames = _count_frames(tmp)
    if frames != n:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise ExportError(f"the MP4 written has {frames} frames instead of {n}; nothing was exported")
    try:
        os.replace(tmp, path)
    except OSError as exc:
        raise ExportError(f"cannot move the finished MP4 to {path}: {exc}") from exc
    return Mp4Export(path, frames, fps, (width, height))


def _image(data: SessionData, row: int) -> np.ndarray:
    try:
        return data.reader.image(row)
    except SessionError as exc:
        raise ExportError(f"frame row {row} of {data.path} cannot be decoded: {exc}") from exc


def _count_frames(path: Path) -> int:
    """Frames in the video at `path` as a player sees them (decoded, not the container's claim)."""
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            return 0
        count = 0
        while cap.grab():
            count += 1
        return count
    finally:
        cap.release()
