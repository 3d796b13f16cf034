"""`ReplayWindow`: the replay screen assembled from panels (video, transport bar, rep list, session plot)
over a `ReplayController`. It wires signals and keys and holds no logic of its own.

Keyboard map (`KEYMAP`, also shown in the help tooltip): Space play/pause; Left/Right one frame;
Shift+Left/Right and PgUp/PgDown ten frames; [ and ] previous/next rep or gait event; I/O loop in/out;
L loop on/off; G ghost of the best rep; Delete delete the selected rep (or the one under the playhead);
Home/End first/last frame; Ctrl+Q or Esc close. GUI thread only.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QSplitter, QVBoxLayout, QWidget

from coach.replay.model import ReplayModel
from coach.ui.replay.controller import ReplayController
from coach.ui.replay.rep_table import RepTable
from coach.ui.replay.timeline import SessionPlot
from coach.ui.replay.transport import TransportBar
from coach.ui.video_view import VideoView

__all__ = ["KEYMAP", "ReplayWindow", "run_replay"]

log = logging.getLogger(__name__)

# (keys, what it does, controller method name or a window method prefixed with "window.")
KEYMAP: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("Space",), "play / pause", "toggle_play"),
    (("Right",), "one frame forward", "step_forward"),
    (("Left",), "one frame back", "step_back"),
    (("Shift+Right", "PgDown"), "ten frames forward", "step_forward_10"),
    (("Shift+Left", "PgUp"), "ten frames back", "step_back_10"),
    (("]",), "next rep / gait event", "next_mark"),
    (("[",), "previous rep / gait event", "prev_mark"),
    (("I",), "loop start here", "set_loop_in"),
    (("O",), "loop end here", "set_loop_out"),
    (("L",), "loop on / off", "toggle_loop"),
    (("G",), "ghost of the best rep on / off", "toggle_ghost"),
    (("Del",), "delete the selected rep", "window.delete_selected_rep"),
    (("Home",), "first frame", "first"),
    (("End",), "last frame", "last"),
    (("Ctrl+Q", "Esc"), "close", "window.close"),
)


class ReplayWindow(QMainWindow):
    """The replay of one session. Owns the `ReplayModel` it is given and closes it on close."""

    def __init__(self, model: ReplayModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.controller = ReplayController(model, self)
        self.setWindowTitle(f"coach replay — {model.reader.path.name}")

        self.video = VideoView()
        self.video.clear("Loading…")
        self.transport = TransportBar(model.playback.frame_count)
        self.rep_table = RepTable()
        title = f"{model.angle_name.capitalize()} angle" if model.angle_name else "No primary angle"
        self.plot = SessionPlot(model.reader.media_ts, model.angle, title)
        self.status = QLabel()
        self.status.setToolTip("\n".join(f"{' / '.join(k)}: {what}" for k, what, _ in KEYMAP))

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.video, 1)
        left_layout.addWidget(self.transport)
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(left)
        top.addWidget(self.rep_table)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 1)
        main = QSplitter(Qt.Orientation.Vertical)
        main.addWidget(top)
        main.addWidget(self.plot)
        main.setStretchFactor(0, 3)
        main.setStretchFactor(1, 1)
        self.setCentralWidget(main)
        self.statusBar().addWidget(self.status, 1)
        self.resize(1280, 860)

        c = self.controller
        c.frame_rendered.connect(self._show_frame)
        c.state_changed.connect(lambda: self.transport.show_state(model.playback))
        c.state_changed.connect(self._show_status)
        c.reps_changed.connect(self._show_reps)
        c.failed.connect(self.statusBar().showMessage)
        self.transport.seek_requested.connect(c.seek)
        self.transport.speed_selected.connect(c.set_speed)
        self.transport.play_clicked.connect(c.toggle_play)
        self.rep_table.rep_activated.connect(c.seek_rep)
        self.plot.seek_requested.connect(c.seek_time)
        self.actions_by_name: dict[str, QAction] = {}
        for keys, what, name in KEYMAP:
            self._add_action(keys, what, name)
        self._show_reps()
        c.render_now()

    # ------------------------------------------------------------------ wiring helpers
    def _add_action(self, keys: tuple[str, ...], what: str, name: str) -> None:
        target: Callable[[], object]
        if name.startswith("window."):
            target = getattr(self, name.removeprefix("window."))
        else:
            target = _COMMANDS[name](self.controller) if name in _COMMANDS else getattr(self.controller, name)
        action = QAction(what, self)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False, fn=target: fn())
        self.addAction(action)
        self.actions_by_name[name] = action

    def _show_frame(self, image: np.ndarray, row: int) -> None:
        t = float(self.model.reader.media_ts[row])
        self.video.show_image(image)
        self.transport.show_row(row, t)
        self.plot.set_playhead(t)
        rep = self.model.reps.at_row(row)
        self.rep_table.highlight(rep.number - 1 if rep is not None else -1)

    def _show_reps(self) -> None:
        self.rep_table.show_reps(self.model.reps)
        self.plot.show_reps(self.model.reps, self.model.gait)
        self._show_status()

    def _show_status(self) -> None:
        m = self.model
        best = m.reps.best()
        ghost = f"ghost: rep {best.number}" if m.ghost and best else ("ghost: no reference rep" if m.ghost
                                                                         else "ghost off (G)")
        self.status.setText(f"{m.activity or 'no activity'} · {len(m.reps)} reps · {m.playback.speed:g}x · "
                            f"{ghost} · hover for keys")

    # ------------------------------------------------------------------ commands that need the panels
    def delete_selected_rep(self) -> None:
        """Delete the rep selected in the list, or else the one under the playhead."""
        index = self.rep_table.selected_index()
        rep = self.model.reps[index] if index >= 0 else self.model.current_rep()
        if rep is None:
            self.statusBar().showMessage("No rep selected", 3000)
            return
        if self.controller.delete_rep(rep):
            self.statusBar().showMessage(f"Rep {rep.number} deleted (saved in corrections.jsonl)", 5000)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.controller.stop()
        self.model.close()
        super().closeEvent(event)


_COMMANDS: dict[str, Callable[[ReplayController], Callable[[], None]]] = {
    "step_forward": lambda c: lambda: c.step(1),
    "step_back": lambda c: lambda: c.step(-1),
    "step_forward_10": lambda c: lambda: c.step(10),
    "step_back_10": lambda c: lambda: c.step(-10),
    "first": lambda c: lambda: c.seek(0),
    "last": lambda c: lambda: c.seek(c.playback.last_row),
}


def run_replay(path: Path, *, screenshot: Path | None = None, quit_after_s: float | None = None,
               play: bool = False) -> int:
    """Open the replay window on session `path` and run Qt's event loop; returns the exit status."""
    from coach.ui.app import grab_window

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("coach")
    window = ReplayWindow(ReplayModel(path))
    window.show()
    if play:
        QTimer.singleShot(0, window.controller.toggle_play)
    status = {"code": 0}
    if quit_after_s is not None:

        def finish() -> None:
            if screenshot is not None and not grab_window(window, screenshot):  # type: ignore[arg-type]
                status["code"] = 1
            window.close()

        QTimer.singleShot(int(quit_after_s * 1000), finish)
    code = app.exec()
    return code or status["code"]
