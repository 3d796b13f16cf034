"""The status bar: camera fps, processing fps, dropped frames, latency, display fps, warnings and errors.

While recording, a red "● REC" slot shows the frames written and the frames the recorder's queue dropped.

Stats come from `PipelineStats` (the window feeds them a few times per second); warnings are the current
`LiveResult.warnings` ("No person in view", "Very dark image", "Camera lost - retrying"), shown in a
permanent, coloured slot while they last; one-off notices use Qt's temporary message. GUI thread only.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from coach.ui.formatting import format_number

__all__ = ["LiveStatusBar"]


class LiveStatusBar(QStatusBar):
    """QStatusBar with permanent slots for the pipeline's figures."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.warning_label = QLabel("")
        self.warning_label.setStyleSheet("color: #e0a020; font-weight: bold;")
        self.record_label = QLabel("")
        self.record_label.setStyleSheet("color: #e02020; font-weight: bold;")
        self.record_label.setToolTip("Recording: frames written / dropped by the recorder (disk too slow)")
        self.record_label.hide()
        self.addPermanentWidget(self.record_label)
        self.camera_label = QLabel()
        self.processing_label = QLabel()
        self.dropped_label = QLabel()
        self.latency_label = QLabel()
        self.display_label = QLabel()
        self.addPermanentWidget(self.warning_label)
        for label in (self.camera_label, self.processing_label, self.dropped_label, self.latency_label,
                      self.display_label):
            label.setMinimumWidth(60)
            self.addPermanentWidget(label)
        self.camera_label.setToolTip("Frames grabbed per second")
        self.processing_label.setToolTip("Frames analysed per second")
        self.dropped_label.setToolTip("Frames replaced before analysis because analysis was busy")
        self.latency_label.setToolTip("Capture to overlay ready, median / 95th percentile")
        self.display_label.setToolTip("Frames painted per second")
        self.show_stats(None, 0.0)

    def show_stats(self, stats: Any | None, display_fps: float) -> None:
        """Show one `PipelineStats` (None: nothing running)."""
        if stats is None:
            self.camera_label.setText("camera — fps")
            self.processing_label.setText("processing — fps")
            self.dropped_label.setText("dropped —")
            self.latency_label.setText("latency —")
            self.display_label.setText("display — fps")
            return
        self.camera_label.setText(f"camera {format_number(stats.camera_fps, '', 1)} fps")
        self.processing_label.setText(f"processing {format_number(stats.processing_fps, '', 1)} fps")
        self.dropped_label.setText(f"dropped {stats.dropped}")
        p50 = format_number(stats.latency_ms_p50, "", 0)
        p95 = format_number(stats.latency_ms_p95, "", 0)
        self.latency_label.setText(f"latency {p50}/{p95} ms")
        self.display_label.setText(f"display {display_fps:.1f} fps")

    def show_recording(self, on: bool, stats: Any | None = None) -> None:
        """The REC indicator: shown while `on`, with the recorded/dropped counts of `stats`
        (`PipelineStats`) when given."""
        if not on:
            self.record_label.hide()
            self.record_label.setText("")
            return
        text = "● REC"
        if stats is not None:
            recorded, dropped = getattr(stats, "recorded_frames", 0), getattr(stats, "record_dropped", 0)
            text += f" {recorded} rec · {dropped} dropped"
        self.record_label.setText(text)
        self.record_label.show()

    def recording_text(self) -> str:
        """What the REC slot shows ("" when not recording)."""
        return self.record_label.text() if self.record_label.isVisible() else ""

    def show_warnings(self, warnings: tuple[str, ...]) -> None:
        """Show the current warnings (empty tuple clears them)."""
        text = " · ".join(warnings)
        if text != self.warning_label.text():
            self.warning_label.setText(text)

    def notify(self, message: str, timeout_ms: int = 5000) -> None:
        """A temporary message (errors, where a recording was saved)."""
        self.showMessage(message, timeout_ms)
