"""Frames from a folder of still images, in natural file-name order."""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from coach.capture.frame import Frame
from coach.capture.lifecycle import SourceLifecycle
from coach.errors import SourceError

logger = logging.getLogger(__name__)

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"})

_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple[tuple[int, str | int], ...]:
    """Sort key that orders embedded numbers by value ('img2' before 'img10'), ignoring case.

    Each part is tagged (0 for text, 1 for a number) so text and numbers never get compared directly.
    """
    parts = _DIGITS.split(name.casefold())
    return tuple((1, int(p)) if p.isdigit() else (0, p) for p in parts if p)


def list_images(folder: Path) -> list[Path]:
    """Image files directly in `folder` (common extensions, any case; hidden files skipped), natural order."""
    files = [
        p
        for p in folder.iterdir()
        if p.suffix.casefold() in IMAGE_EXTENSIONS and not p.name.startswith(".") and p.is_file()
    ]
    return sorted(files, key=lambda p: (natural_key(p.name), p.name))


class ImageFolderSource(SourceLifecycle):
    """The images of a folder as frames, as if filmed at `fps`.

    Thread ownership: not thread-safe; one thread creates, reads and closes it.

    Images are read in natural order of their names (img2 before img10); other files are ignored.
    `Frame.index` is k (0-based), `Frame.media_ts` is k / fps, `Frame.capture_ts` is `clock()` after the
    image was read. All images must have the size of the first one. An image that cannot be read, or has
    another size, makes `read()` raise a `SourceError` naming the file.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        fps: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not fps > 0:
            raise ValueError(f"fps must be positive, got {fps}")
        self._path = Path(path)
        self._fps = float(fps)
        self._clock = clock
        if not self._path.exists():
            raise SourceError(f"Image folder not found: {self._path}. Check the path.")
        if not self._path.is_dir():
            raise SourceError(f"{self._path} is not a folder. Choose a folder of images or a video file.")
        try:
            self._files = list_images(self._path)
        except OSError as exc:
            raise SourceError(
                f"Cannot list the folder {self._path}: {exc.strerror}. Check its permissions."
            ) from exc
        if not self._files:
            extensions = ", ".join(sorted(IMAGE_EXTENSIONS))
            raise SourceError(
                f"No images found in {self._path}. Put image files ({extensions}) in it, "
                "or choose another folder."
            )
        self._next = 0
        self._closed = False
        first = self._load(self._files[0])
        height, width = first.shape[:2]
        self._size = (width, height)
        self._pending: np.ndarray | None = first

    @property
    def path(self) -> Path:
        return self._path

    @property
    def files(self) -> tuple[Path, ...]:
        """The image files, in the order they are delivered."""
        return tuple(self._files)

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the first image, which every image must share."""
        return self._size

    @property
    def frame_count(self) -> int:
        return len(self._files)

    def read(self) -> Frame | None:
        """The next image as a frame, or None after the last one."""
        if self._closed:
            raise ValueError(f"read from a closed source ({self._path})")
        if self._next >= len(self._files):
            return None
        k = self._next
        if self._pending is not None:
            image, self._pending = self._pending, None
        else:
            image = self._load(self._files[k])
        capture_ts = self._clock()
        height, width = image.shape[:2]
        if (width, height) != self._size:
            raise SourceError(
                f"Image {self._files[k]} is {width}x{height}, but the folder's images are "
                f"{self._size[0]}x{self._size[1]}. Resize it or remove it from the folder."
            )
        self._next += 1
        return Frame(index=k, capture_ts=capture_ts, media_ts=k / self._fps, image=image)

    def close(self) -> None:
        """Idempotent; nothing is held open between reads."""
        self._closed = True
        self._pending = None

    def __repr__(self) -> str:
        return f"ImageFolderSource({str(self._path)!r}, fps={self._fps})"

    @staticmethod
    def _load(file: Path) -> np.ndarray:
        # Read the bytes ourselves: cv2.imread cannot tell "missing" from "not an image", and fails on
        # non-ASCII paths on Windows.
        try:
            data = np.fromfile(file, dtype=np.uint8)
        except OSError as exc:
            raise SourceError(f"Cannot read image {file}: {exc.strerror}. Check the file.") from exc
        image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
        if image is None:
            raise SourceError(
                f"Cannot read image {file}: it is damaged or not an image. Replace it or remove it "
                "from the folder."
            )
        return image
