"""The control bar: source, exercise, athlete, Start/Stop, mute, mirror. Emits requests; decides nothing.

Sources are camera numbers ("Camera 0".."Camera 3") or a video file standing in for a camera ("Video
file…" opens a file dialog; a chosen file is added to the list). A source is identified by a string: digits
for a camera, else a path (the same string `coach live --source` takes and the settings file stores).
GUI thread only.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from coach.activities import ACTIVITIES, AUTO

__all__ = ["ControlBar"]

CAMERA_COUNT = 4
_VIDEO_FILE_ITEM = "__video_file__"
VIDEO_FILTER = "Videos (*.mp4 *.mov *.avi *.mkv *.webm *.m4v);;All files (*)"


def _source_label(source: str) -> str:
    return f"Camera {source}" if source.isdigit() else Path(source).name


class ControlBar(QWidget):
    """Row of controls at the top of the window."""

    start_requested = Signal()
    stop_requested = Signal()
    source_changed = Signal(str)
    exercise_changed = Signal(str)  # "auto" or an activity name
    mute_toggled = Signal(bool)
    mirror_toggled = Signal(bool)
    athlete_changed = Signal(str)  # after editing (Enter or leaving the box)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source_box = QComboBox()
        self.source_box.setToolTip("Camera, or a video file standing in for a camera")
        self.source_box.setMinimumContentsLength(18)
        for i in range(CAMERA_COUNT):
            self.source_box.addItem(f"Camera {i}", str(i))
        self.source_box.insertSeparator(CAMERA_COUNT)
        self.source_box.addItem("Video file…", _VIDEO_FILE_ITEM)
        self._current_source = "0"

        self.exercise_box = QComboBox()
        self.exercise_box.addItem("Auto-detect", AUTO)
        for name in ACTIVITIES:
            self.exercise_box.addItem(name.replace("_", " ").capitalize(), name)

        self.athlete_edit = QLineEdit()
        self.athlete_edit.setPlaceholderText("athlete (optional)")
        self.athlete_edit.setToolTip(
            "Who trains: written into recordings (the library groups sessions by it); reps marked good "
            "form in the replay (K) set this athlete's personal form-score threshold. Enter to confirm."
        )
        self.athlete_edit.setMaxLength(80)
        # It has to take focus to be typed into; Enter (or a click elsewhere) hands the keys back.
        self.athlete_edit.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self._athlete = ""

        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("Start or stop (Space)")
        self.start_button.setMinimumWidth(90)
        self.mute_box = QCheckBox("Mute")
        self.mute_box.setToolTip("Silence spoken cues (M)")
        self.mirror_box = QCheckBox("Mirror")
        self.mirror_box.setToolTip("Show the video like a mirror (left/right stay the athlete's own)")
        self.mirror_box.setChecked(True)
        # Keyboard shortcuts (Space, M) belong to the window, so the controls never take keyboard focus.
        for w in (self.source_box, self.exercise_box, self.start_button, self.mute_box, self.mirror_box):
            w.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(QLabel("Source"))
        layout.addWidget(self.source_box)
        layout.addSpacing(12)
        layout.addWidget(QLabel("Exercise"))
        layout.addWidget(self.exercise_box)
        layout.addSpacing(12)
        layout.addWidget(QLabel("Athlete"))
        layout.addWidget(self.athlete_edit)
        layout.addSpacing(12)
        layout.addWidget(self.start_button)
        layout.addStretch(1)
        layout.addWidget(self.mirror_box)
        layout.addWidget(self.mute_box)

        self._running = False
        self.source_box.activated.connect(self._on_source_activated)
        self.exercise_box.currentIndexChanged.connect(
            lambda _i: self.exercise_changed.emit(self.exercise())
        )
        self.start_button.clicked.connect(self._on_start_clicked)
        self.mute_box.toggled.connect(self.mute_toggled)
        self.mirror_box.toggled.connect(self.mirror_toggled)
        self.athlete_edit.editingFinished.connect(self._on_athlete_edited)

    # -- state the window reads and sets -------------------------------------------------------------------
    def source(self) -> str:
        return self._current_source

    def set_source(self, source: str) -> None:
        """Select `source` (a camera number as digits, or a video path), adding a file to the list."""
        i = self.source_box.findData(source)
        if i < 0:
            i = self.source_box.count() - 1  # before "Video file…"
            self.source_box.insertItem(i, _source_label(source), source)
            self.source_box.setItemData(i, source, Qt.ItemDataRole.ToolTipRole)
        self.source_box.setCurrentIndex(i)
        if source != self._current_source:
            self._current_source = source
            self.source_changed.emit(source)

    def exercise(self) -> str:
        return str(self.exercise_box.currentData())

    def set_exercise(self, exercise: str) -> None:
        i = self.exercise_box.findData(exercise)
        self.exercise_box.setCurrentIndex(max(i, 0))

    def athlete(self) -> str:
        return self._athlete

    def set_athlete(self, name: str) -> None:
        self.athlete_edit.setText(name)
        self._on_athlete_edited()

    def set_running(self, running: bool) -> None:
        """Reflect the pipeline's state: the button label; the source and athlete are fixed while running."""
        self._running = running
        self.start_button.setText("Stop" if running else "Start")
        self.source_box.setEnabled(not running)
        self.athlete_edit.setEnabled(not running)

    # -- handlers ---------------------------------------------------------------------------------------
    def _on_athlete_edited(self) -> None:
        name = " ".join(self.athlete_edit.text().split())  # no stray or doubled spaces in a name
        self.athlete_edit.setText(name)
        self.athlete_edit.clearFocus()
        if name != self._athlete:
            self._athlete = name
            self.athlete_changed.emit(name)

    def _on_start_clicked(self) -> None:
        (self.stop_requested if self._running else self.start_requested).emit()

    def _on_source_activated(self, index: int) -> None:
        data = self.source_box.itemData(index)
        if data != _VIDEO_FILE_ITEM:
            self.set_source(str(data))
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open a video file", "", VIDEO_FILTER)
        if path:
            self.set_source(path)
        else:  # cancelled: go back to the source that was selected
            self.set_source(self._current_source)
