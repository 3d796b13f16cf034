"""Per-rep (or per-stride) anomaly bars: one bar per recent rep or stride, height = anomaly score in [0, 1];
a dash where there is none.

Until the form models exist, reps carry no score and every slot shows a dash: no bar is ever invented.
GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from coach.ui.formatting import DASH

__all__ = ["AnomalyBars"]


class AnomalyBars(QWidget):
    """The last `max_reps` reps' anomaly scores (None = not scored)."""

    def __init__(self, max_reps: int = 12, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._max = max_reps
        self._scores: list[tuple[int, float | None]] = []
        self.unit = "rep"  # what a bar stands for: "rep" or "stride" (the empty widget's text)
        self.setMinimumHeight(56)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(220, 64)

    def set_rep(self, rep_index: int, score: float | None) -> None:
        """Add or update rep `rep_index`'s score."""
        for i, (idx, _old) in enumerate(self._scores):
            if idx == rep_index:
                self._scores[i] = (rep_index, score)
                break
        else:
            self._scores.append((rep_index, score))
            del self._scores[: -self._max]
        self.update()

    def scores(self) -> list[tuple[int, float | None]]:
        return list(self._scores)

    def clear(self) -> None:
        self._scores.clear()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        try:
            pal = self.palette()
            text = pal.windowText().color()
            if not self._scores:
                painter.setPen(text)
                painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, f"{DASH} (no {self.unit}s yet)")
                return
            label_h = 14
            slot_w = self.width() / self._max
            base = self.height() - label_h
            for i, (idx, score) in enumerate(self._scores):
                x = i * slot_w
                painter.setPen(text)
                painter.drawText(QRectF(x, base, slot_w, label_h), Qt.AlignmentFlag.AlignCenter, str(idx))
                if score is None:
                    painter.drawText(QRectF(x, 0, slot_w, base), Qt.AlignmentFlag.AlignCenter, DASH)
                    continue
                s = min(max(score, 0.0), 1.0)
                colour = QColor.fromHsvF((1.0 - s) * 0.33, 0.8, 0.85)  # green (normal) -> red (anomalous)
                h = max(1.0, s * (base - 2))
                painter.fillRect(QRectF(x + slot_w * 0.15, base - h, slot_w * 0.7, h), colour)
        finally:
            painter.end()
