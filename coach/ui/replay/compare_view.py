"""`CompareDialog`: two reps side by side, aligned in time by DTW, driven by one playhead.

Display only, over a `coach.replay.compare.ComparePlayer` (which holds the index mapping and renders both
sides with the live overlays): the left video is rep A frame by frame, the right one rep B at the frame DTW
matched; one slider spans rep A from its start (0 %) to its end (100 %). Under the videos: each rep's
figures and the DTW distance. Keys (`COMPARE_KEYS`, also in the tooltip): Left/Right one frame of rep A,
Shift+arrows ten, Home/End start/end, Space play the pair in a loop, Esc close.

Like the main window, a move only sets a dirty flag; a short timer renders once (two decodes and overlays,
about 10 ms). Playing steps rep A at its recording's frame rate. GUI thread only; no worker threads.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSlider,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from coach.replay.compare import ComparePlayer
from coach.replay.reps import RepItem
from coach.ui.video_view import VideoView

__all__ = ["COMPARE_KEYS", "SLIDER_STEPS", "CompareDialog"]

SLIDER_STEPS = 1000  # the slider is rep A's progress in 0.1 % steps, whatever the rep's length
RENDER_MS = 15

COMPARE_KEYS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("Right",), "rep A one frame forward (rep B follows its DTW match)", "step_forward"),
    (("Left",), "rep A one frame back", "step_back"),
    (("Shift+Right", "PgDown"), "ten frames forward", "step_forward_10"),
    (("Shift+Left", "PgUp"), "ten frames back", "step_back_10"),
    (("Home",), "start of the reps", "first"),
    (("End",), "end of the reps", "last"),
    (("Space",), "play / pause both reps (in a loop)", "toggle_play"),
    (("Esc", "C"), "close the comparison", "close"),
)


def _rep_title(rep: RepItem, side: str, best: RepItem | None) -> str:
    tags = [t for t, on in (("best", best is not None and best.start_row == rep.start_row),
                            ("partial", rep.partial), ("added", rep.added)) if on]
    extra = f" ({', '.join(tags)})" if tags else ""
    return f"{side}: rep {rep.number}{extra} · {rep.start_s:.2f}–{rep.end_s:.2f} s"


class CompareDialog(QDialog):
    """Side-by-side comparison of `player.a` and `player.b` (non-modal; owns nothing but its widgets)."""

    frame_rendered = Signal(int, int)  # (row of rep A, row of rep B) now shown

    def __init__(self, player: ComparePlayer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.player = player
        model = player.model
        a, b = player.a, player.b
        self.setWindowTitle(f"Compare rep {a.number} with rep {b.number}")
        best = model.reps.best()

        self.view_a, self.view_b = VideoView(), VideoView()
        for view in (self.view_a, self.view_b):
            view.clear("Loading…")
            view.setMinimumSize(360, 300)
        self.title_a = QLabel(_rep_title(a, "A", best))
        self.title_b = QLabel(_rep_title(b, "B", best) + " — DTW-matched frame")
        self.frame_a, self.frame_b = QLabel(), QLabel()
        videos = QGridLayout()
        for col, (title, view, frame) in enumerate(((self.title_a, self.view_a, self.frame_a),
                                                    (self.title_b, self.view_b, self.frame_b))):
            title.setStyleSheet("font-weight: bold")
            videos.addWidget(title, 0, col)
            videos.addWidget(view, 1, col)
            videos.addWidget(frame, 2, col)
        videos.setRowStretch(1, 1)

        self.play_button = QPushButton("Play")
        self.play_button.setToolTip("Play / pause both reps (Space)")
        self.play_button.clicked.connect(self.toggle_play)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setToolTip("Progress through rep A; rep B shows its DTW-matched frame")
        self.slider.valueChanged.connect(self._slider_moved)
        self.progress_label = QLabel()
        self.progress_label.setMinimumWidth(60)
        distance = player.comparison.distance
        joint = model.angle_name or "primary"
        self.distance_label = QLabel(
            f"DTW distance {distance:.1f}° ({joint} angle, mean along the match)" if math.isfinite(distance)
            else "DTW distance — (no measured angle: rep B is stretched linearly)")
        for w in (self.play_button, self.slider):
            w.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        transport = QHBoxLayout()
        transport.addWidget(self.play_button)
        transport.addWidget(self.slider, 1)
        transport.addWidget(self.progress_label)

        rows = player.metric_rows()
        self.metrics = QTableWidget(len(rows), 2)
        self.metrics.setHorizontalHeaderLabels([f"A: rep {a.number}", f"B: rep {b.number}"])
        self.metrics.setVerticalHeaderLabels([r[0] for r in rows])
        for r, (_label, text_a, text_b) in enumerate(rows):
            for c, text in enumerate((text_a, text_b)):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.metrics.setItem(r, c, item)
        self.metrics.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.metrics.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.metrics.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.metrics.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.metrics.setMaximumHeight(self.metrics.verticalHeader().length()
                                      + self.metrics.horizontalHeader().height() + 6)

        self.help = QLabel("Left/Right step rep A · Space play · hover for keys")
        self.help.setToolTip("\n".join(f"{' / '.join(k)}: {what}" for k, what, _ in COMPARE_KEYS))
        layout = QVBoxLayout(self)
        layout.addLayout(videos, 1)
        layout.addLayout(transport)
        layout.addWidget(self.distance_label)
        layout.addWidget(self.metrics)
        layout.addWidget(self.help)
        self.resize(1200, 760)

        commands: dict[str, Callable[[], None]] = {
            "step_forward": lambda: self.step(1),
            "step_back": lambda: self.step(-1),
            "step_forward_10": lambda: self.step(10),
            "step_back_10": lambda: self.step(-10),
            "first": lambda: self.seek(0),
            "last": lambda: self.seek(self.player.comparison.length - 1),
            "toggle_play": self.toggle_play,
            "close": self.close,
        }
        for keys, what, name in COMPARE_KEYS:
            action = QAction(what, self)
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _checked=False, fn=commands[name]: fn())
            self.addAction(action)

        self.shown_rows: tuple[int, int] = (-1, -1)
        self._dirty = True
        player.subscribe(self._on_moved)
        self._render_timer = QTimer(self)
        self._render_timer.timeout.connect(self.render_now)
        self._render_timer.start(RENDER_MS)
        fps = float(model.reader.fps)
        self._play_timer = QTimer(self)
        self._play_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._play_timer.setInterval(max(1, round(1000.0 / fps)))
        self._play_timer.timeout.connect(self.player.step_wrapping)
        self.render_now()

    # ------------------------------------------------------------------ commands
    def step(self, n: int) -> None:
        self.pause()
        self.player.step(n)

    def seek(self, i: int) -> None:
        self.pause()
        self.player.seek(i)

    def toggle_play(self) -> None:
        if self._play_timer.isActive():
            self.pause()
        else:
            self._play_timer.start()
            self.play_button.setText("Pause")

    def pause(self) -> None:
        self._play_timer.stop()
        self.play_button.setText("Play")

    @property
    def playing(self) -> bool:
        return self._play_timer.isActive()

    def render_now(self) -> None:
        """Show the playhead's frames if anything moved since the last render."""
        if not self._dirty:
            return
        self._dirty = False
        image_a, image_b = self.player.render()
        self.view_a.show_image(image_a)
        self.view_b.show_image(image_b)
        row_a, row_b = self.player.rows
        a, b = self.player.a, self.player.b
        self.frame_a.setText(f"frame {row_a - a.start_row + 1} of {len(a.rows)} · {self._time(row_a):.2f} s")
        self.frame_b.setText(f"matched frame {row_b - b.start_row + 1} of {len(b.rows)} · "
                             f"{self._time(row_b):.2f} s")
        self.progress_label.setText(f"{100 * self.player.fraction:.0f} %")
        self.slider.blockSignals(True)
        self.slider.setValue(round(self.player.fraction * SLIDER_STEPS))
        self.slider.blockSignals(False)
        self.shown_rows = (row_a, row_b)
        self.frame_rendered.emit(row_a, row_b)

    # ------------------------------------------------------------------ internals
    def _time(self, row: int) -> float:
        return float(self.player.model.reader.media_ts[row])

    def _slider_moved(self, value: int) -> None:
        self.pause()
        self.player.seek_fraction(value / SLIDER_STEPS)

    def _on_moved(self) -> None:
        self._dirty = True

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self._play_timer.stop()
        self._render_timer.stop()
        super().closeEvent(event)
