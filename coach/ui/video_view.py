"""The video view: paints the newest analysed frame (overlay already drawn by the pipeline).

`show_image()` only stores a reference and asks Qt for a repaint; painting happens in `paintEvent`, which Qt
coalesces, so the view never paints more often than the display refreshes and never blocks the pipeline.
The BGR array is wrapped in a QImage without copying (`Format_BGR888` reads OpenCV's row-major layout as is);
the array is kept alive next to the QImage because the QImage does not own the memory. GUI thread only.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from coach.ui.fps_counter import FpsCounter

__all__ = ["VideoView", "bgr_to_qimage"]


def bgr_to_qimage(image: np.ndarray) -> QImage:
    """Wrap an (H, W, 3) uint8 BGR array as a QImage sharing its memory.

    The caller must keep `image` alive as long as the QImage is used. A non-contiguous array (a crop or a
    flipped view) is copied once so the rows are laid out as Qt expects.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected an (H, W, 3) uint8 BGR image, got {image.shape} {image.dtype}")
    if not image.flags.c_contiguous:
        image = np.ascontiguousarray(image)
    h, w = image.shape[:2]
    return QImage(image.data, w, h, int(image.strides[0]), QImage.Format.Format_BGR888)


class VideoView(QWidget):
    """Shows one BGR image scaled to fit, letter-boxed on a dark background, or a hint when idle."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._array: np.ndarray | None = None  # keeps the QImage's memory alive
        self._qimage: QImage | None = None
        self._hint = "Pick a source and press Start (Space)"
        self.paint_fps = FpsCounter()
        self.frames_shown = 0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(800, 600)

    def show_image(self, image: np.ndarray) -> None:
        """Display `image` (BGR uint8) at the next repaint; cheap, never copies a contiguous array."""
        qimage = bgr_to_qimage(image)
        self._array = image
        self._qimage = qimage
        self.update()

    def clear(self, hint: str) -> None:
        """Drop the image and show `hint` instead."""
        self._array = None
        self._qimage = None
        self._hint = hint
        self.update()

    def has_image(self) -> bool:
        return self._qimage is not None

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        try:
            painter.fillRect(self.rect(), QColor(24, 24, 28))
            if self._qimage is None:
                painter.setPen(QColor(190, 190, 200))
                painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self._hint)
                return
            iw, ih = self._qimage.width(), self._qimage.height()
            scale = min(self.width() / iw, self.height() / ih)
            w, h = iw * scale, ih * scale
            target = QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            painter.drawImage(target, self._qimage)
            self.frames_shown += 1
            self.paint_fps.tick()
        finally:
            painter.end()
