"""The transport bar: play/pause, scrub bar, frame and time labels, speed selector, loop range label.

Display only: it emits what the user asked for (`seek_requested`, `speed_selected`, `play_clicked`) and is
told what is shown (`show_row`, `show_state`). Setting the scrub bar from playback blocks its signals, so
a moving playhead never echoes back as a seek. Widgets take no keyboard focus: the window's shortcuts
(arrows, Space) must keep working whatever was clicked last. GUI thread only.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

from coach.replay.playback import Playback

__all__ = ["SPEEDS", "TransportBar"]

SPEEDS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)


class TransportBar(QWidget):
    """Play button, scrub slider over rows, "frame / total" and time labels, speed and loop display."""

    seek_requested = Signal(int)  # row
    speed_selected = Signal(float)
    play_clicked = Signal()

    def __init__(self, frame_count: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        self.play_button = QPushButton("Play")
        self.play_button.setToolTip("Play / pause (Space)")
        self.play_button.clicked.connect(self.play_clicked)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, max(0, frame_count - 1))
        self.slider.setPageStep(10)
        self.slider.valueChanged.connect(self.seek_requested)
        self.frame_label = QLabel()
        self.frame_label.setMinimumWidth(110)
        self.time_label = QLabel()
        self.time_label.setMinimumWidth(70)
        self.speed_box = QComboBox()
        for speed in SPEEDS:
            self.speed_box.addItem(f"{speed:g}x", speed)
        self.speed_box.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_box.setToolTip("Playback speed")
        self.speed_box.currentIndexChanged.connect(lambda i: self.speed_selected.emit(SPEEDS[i]))
        self.loop_label = QLabel()
        self.loop_label.setToolTip("Loop range: I sets the start, O the end, L toggles looping")
        for w in (self.play_button, self.slider, self.speed_box):
            w.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout.addWidget(self.play_button)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.frame_label)
        layout.addWidget(self.time_label)
        layout.addWidget(self.speed_box)
        layout.addWidget(self.loop_label)
        self._frame_count = frame_count

    def show_row(self, row: int, t: float) -> None:
        """The playhead is at `row` (media time `t`)."""
        self.slider.blockSignals(True)
        self.slider.setValue(row)
        self.slider.blockSignals(False)
        self.frame_label.setText(f"frame {row + 1} / {self._frame_count}")
        self.time_label.setText(f"{t:7.2f} s")

    def show_state(self, playback: Playback) -> None:
        """Play button, speed and loop range as `playback` has them."""
        self.play_button.setText("Pause" if playback.playing else "Play")
        i = min(range(len(SPEEDS)), key=lambda k: abs(SPEEDS[k] - playback.speed))
        if i != self.speed_box.currentIndex():
            self.speed_box.blockSignals(True)
            self.speed_box.setCurrentIndex(i)
            self.speed_box.blockSignals(False)
        state = "on" if playback.loop else "off"
        self.loop_label.setText(f"loop {state} [{playback.loop_in + 1}-{playback.loop_out + 1}]")
