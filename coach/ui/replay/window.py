"""`ReplayWindow`: the replay screen assembled from panels (video, transport bar, rep list, session plot)
over a `ReplayController`. It wires signals, keys and menus and holds no logic of its own: the model
(`coach.replay.ReplayModel`) decides, the controller paces, the panels display.

What the coach can do here (every key is in `KEYMAP`, shown in the status bar's tooltip and in the menus):

* Review: Space play/pause; Left/Right one frame; Shift+Left/Right and PgUp/PgDown ten frames; Home/End
  first/last frame; [ and ] previous/next rep or gait event; I/O loop in/out; L loop on/off; G ghost of the
  best rep; a click in the rep list or on the plot seeks.
* Compare (View menu): C opens `CompareDialog`, two reps side by side aligned by DTW: the two reps selected
  in the list (Ctrl+click), else the selected rep or the one under the playhead against the best rep.
  F shows the written feedback on the session in a dock (`coach.ui.feedback_panel`: rules at once, GPT
  when opted in, on the feedback service's thread), rebuilt after every correction.
* Correct (Edit menu; every edit is saved at once to the session's corrections.jsonl): A adds a missed rep
  over the I/O range (its bottom is the frame where the primary angle is most extreme); Delete deletes the
  selected rep (or the one under the playhead); E selects the gait event nearest the playhead (ringed on
  the plot), M moves it to the shown frame; K marks the selected rep (or the one under the playhead) as
  good form, or takes the mark back: the scores of the athlete's good-form reps (this session's and, from
  the library, their other sessions of the exercise) set their personal threshold, which the rep list's
  form scores are then judged by.
* Open (File menu): Ctrl+O a video file or a session's manifest.json, Ctrl+Shift+O a session folder. A
  video is analysed into a new session first (`VideoImporter`: worker thread, cancellable progress
  dialog; the GUI never waits), then replayed. Ctrl+Q or Esc closes.

The window can start empty (`ReplayWindow()`) and open a session later; opening another session replaces
the model, the controller and the panels. GUI thread only; the worker threads are the importer's (cancelled
and joined when the window closes) and the feedback service's (abandoned at close: a GPT answer still on
its way is dropped).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from coach.errors import CoachError
from coach.replay.model import ReplayModel
from coach.replay.reps import GaitMark, RepItem, StrideItem
from coach.session.format import MANIFEST_FILE
from coach.session.from_video import VideoImport
from coach.ui.feedback_panel import FeedbackPanel, make_feedback_service
from coach.ui.replay.compare_view import CompareDialog
from coach.ui.replay.controller import ReplayController, item_name
from coach.ui.replay.importer import VideoImporter
from coach.ui.replay.rep_table import RepTable
from coach.ui.replay.timeline import SessionPlot
from coach.ui.replay.transport import TransportBar
from coach.ui.video_view import VideoView

__all__ = ["KEYMAP", "MENUS", "VIDEO_SUFFIXES", "ReplayWindow", "run_replay"]

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv")
_EMPTY_HINT = "Open a video or a recorded session: File > Open (Ctrl+O)"

# (keys, what it does, controller method name or a window method prefixed with "window.")
KEYMAP: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("Space",), "play / pause", "toggle_play"),
    (("Right",), "one frame forward", "step_forward"),
    (("Left",), "one frame back", "step_back"),
    (("Shift+Right", "PgDown"), "ten frames forward", "step_forward_10"),
    (("Shift+Left", "PgUp"), "ten frames back", "step_back_10"),
    (("]",), "next rep / gait event", "next_mark"),
    (("[",), "previous rep / gait event", "prev_mark"),
    (("I",), "loop start here (start of a rep to add)", "set_loop_in"),
    (("O",), "loop end here (end of a rep to add)", "set_loop_out"),
    (("L",), "loop on / off", "toggle_loop"),
    (("G",), "ghost of the best rep on / off", "toggle_ghost"),
    (("F",), "written feedback on this session on / off", "window.toggle_feedback"),
    (("C",), "compare two selected reps (or this rep with the best) side by side", "window.compare_reps"),
    (("A",), "add a missed rep over the I/O range", "window.add_rep"),
    (("Del",), "delete the selected rep", "window.delete_selected_rep"),
    (("E",), "select the gait event nearest the playhead", "window.select_gait_event"),
    (("M",), "move the selected gait event to this frame", "window.move_gait_event"),
    (("K",), "mark the selected rep (stride, in a run) as good form (sets the athlete's personal "
     "threshold) / unmark",
     "window.toggle_good_form"),
    (("Home",), "first frame", "first"),
    (("End",), "last frame", "last"),
    (("Ctrl+O",), "open a video or a session…", "window.open_dialog"),
    (("Ctrl+Shift+O",), "open a session folder…", "window.open_folder_dialog"),
    (("Ctrl+Q", "Esc"), "close", "window.close"),
)

# Menu title -> KEYMAP names, in menu order (every KEYMAP entry is in exactly one menu).
MENUS: dict[str, tuple[str, ...]] = {
    "&File": ("window.open_dialog", "window.open_folder_dialog", "window.close"),
    "&Edit": ("window.add_rep", "window.delete_selected_rep", "window.select_gait_event",
              "window.move_gait_event", "window.toggle_good_form"),
    "&View": ("window.compare_reps", "toggle_ghost", "window.toggle_feedback"),
    "&Playback": ("toggle_play", "step_forward", "step_back", "step_forward_10", "step_back_10", "next_mark",
                  "prev_mark", "first", "last", "set_loop_in", "set_loop_out", "toggle_loop"),
}

_COMMANDS: dict[str, Callable[[ReplayController], Callable[[], None]]] = {
    "step_forward": lambda c: lambda: c.step(1),
    "step_back": lambda c: lambda: c.step(-1),
    "step_forward_10": lambda c: lambda: c.step(10),
    "step_back_10": lambda c: lambda: c.step(-10),
    "first": lambda c: lambda: c.seek(0),
    "last": lambda c: lambda: c.seek(c.playback.last_row),
}


def keymap_tooltip() -> str:
    return "\n".join(f"{' / '.join(k)}: {what}" for k, what, _ in KEYMAP)


class ReplayWindow(QMainWindow):
    """The replay of one session (or none yet). Owns the `ReplayModel` it shows and closes it when it
    closes or opens another session.

    `exercise`, `pose_model` and `duration_s` apply to videos opened here (None: recognise the exercise;
    the default pose model; the whole video)."""

    session_opened = Signal(str)  # the session directory now shown
    open_failed = Signal(str)  # why a session or video could not be opened

    def __init__(self, model: ReplayModel | None = None, parent: QWidget | None = None, *,
                 exercise: str | None = None, pose_model: str | None = None,
                 duration_s: float | None = None) -> None:
        super().__init__(parent)
        self.model: ReplayModel | None = None
        self.controller: ReplayController | None = None
        self.compare_dialog: CompareDialog | None = None
        self.importer: VideoImporter | None = None
        self.feedback_dock: QDockWidget | None = None
        self.feedback_panel: FeedbackPanel | None = None
        self.import_options = {"exercise": exercise, "pose_model": pose_model, "duration_s": duration_s}
        self.setWindowTitle("coach replay")
        self.status = QLabel()
        self.status.setToolTip(keymap_tooltip())
        self.statusBar().addWidget(self.status, 1)
        self.actions_by_name: dict[str, QAction] = {}
        for keys, what, name in KEYMAP:
            self._add_action(keys, what, name)
        menubar = self.menuBar()
        for title, names in MENUS.items():
            menu = menubar.addMenu(title)
            for name in names:
                menu.addAction(self.actions_by_name[name])
        self.resize(1280, 860)
        if model is not None:
            self.set_model(model)
        else:
            self._show_empty(_EMPTY_HINT)

    # ------------------------------------------------------------------ sessions
    def set_model(self, model: ReplayModel) -> None:
        """Show `model` (replacing, and closing, the session shown so far)."""
        self._release_model()
        self.model = model
        self.controller = c = ReplayController(model, self)
        self.setWindowTitle(f"coach replay — {model.reader.path.name}")

        self.video = VideoView()
        self.video.clear("Loading…")
        self.transport = TransportBar(model.playback.frame_count)
        self.rep_table = RepTable()
        title = f"{model.angle_name.capitalize()} angle" if model.angle_name else "No primary angle"
        self.plot = SessionPlot(model.reader.media_ts, model.angle, title)
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
        self.setCentralWidget(main)  # the previous session's panels are deleted with the old central widget

        c.frame_rendered.connect(self._show_frame)
        c.state_changed.connect(lambda: self.transport.show_state(model.playback))
        c.state_changed.connect(self._show_status)
        c.reps_changed.connect(self._show_reps)
        c.failed.connect(self._show_message)
        self.transport.seek_requested.connect(c.seek)
        self.transport.speed_selected.connect(c.set_speed)
        self.transport.play_clicked.connect(c.toggle_play)
        self.rep_table.rep_activated.connect(c.seek_item)
        self.plot.seek_requested.connect(c.seek_time)
        self._show_reps()
        c.render_now()
        if self.feedback_dock is not None and self.feedback_dock.isVisible():
            self._refresh_feedback()
        self.session_opened.emit(str(model.reader.path))

    def open_path(self, path: str | Path) -> VideoImporter | None:
        """Open a session directory (or its manifest.json) at once, or start importing a video file; returns
        the importer for a video (its `imported` signal fires when the session is shown), else None."""
        path = Path(path)
        if path.is_file() and path.name == MANIFEST_FILE:
            path = path.parent
        if path.is_dir():
            try:
                model = ReplayModel(path)
            except CoachError as exc:
                self._open_failed(f"Cannot open {path}: {exc}")
                return None
            self.set_model(model)
            return None
        if self.importer is not None and self.importer.running:
            self._open_failed(f"Still opening {self.importer.video.name}: cancel it first")
            return None
        if self.controller is not None:
            self.controller.playback.pause()
        importer = VideoImporter(path, parent=self, **self.import_options)  # type: ignore[arg-type]
        importer.imported.connect(self._on_imported)
        importer.failed.connect(self._open_failed)
        importer.cancelled.connect(lambda: self._show_message(f"Opening {path.name} cancelled", 5000))
        self.importer = importer
        importer.start()
        return importer

    def open_dialog(self) -> None:
        """File > Open: a video file, or a session's manifest.json."""
        patterns = " ".join(f"*{s}" for s in VIDEO_SUFFIXES)
        name, _filter = QFileDialog.getOpenFileName(
            self, "Open a video or a recorded session", str(self._start_dir()),
            f"Videos and sessions ({patterns} {MANIFEST_FILE});;All files (*)")
        if name:
            self.open_path(name)

    def open_folder_dialog(self) -> None:
        """File > Open session folder."""
        name = QFileDialog.getExistingDirectory(self, "Open a recorded session", str(self._start_dir()))
        if name:
            self.open_path(name)

    # ------------------------------------------------------------------ commands that need the panels
    def _target_rep(self) -> RepItem | None:
        """The rep a rep command acts on: the one selected in the list, or else the one under the playhead
        (None, with a message, when there is none or no session)."""
        if self.model is None or self.controller is None:
            self._no_session()
            return None
        index = self.rep_table.selected_index()
        rep = self.model.reps[index] if index >= 0 else self.model.current_rep()
        if rep is None:
            self._show_message("No rep selected", 3000)
        return rep

    def delete_selected_rep(self) -> None:
        """Delete the rep selected in the list, or else the one under the playhead."""
        rep = self._target_rep()
        if rep is not None and self.controller is not None and self.controller.delete_rep(rep):
            self._show_message(f"Rep {rep.number} deleted (saved in corrections.jsonl)", 5000)

    def _target_stride(self) -> StrideItem | None:
        """The stride a command acts on in a run: the one selected in the list, or else the one under the
        playhead (the foot that landed last)."""
        if self.model is None or self.controller is None:
            self._no_session()
            return None
        index = self.rep_table.selected_index()
        stride = self.model.strides[index] if index >= 0 else self.model.stride_at(self.model.playback.row)
        if stride is None:
            self._show_message("No scored stride here", 3000)
        return stride

    def toggle_good_form(self) -> None:
        """Mark the rep (the stride, in a run) selected in the list, or else the one under the playhead, as
        good form, or unmark it; says what the athlete's personal threshold is now."""
        gait = self.model is not None and self.model.is_run
        rep = self._target_stride() if gait else self._target_rep()
        good = None if rep is None or self.controller is None else self.controller.toggle_good_form(rep)
        if rep is None or good is None or self.model is None:
            return
        what = f"{item_name(rep)} {'marked as good form' if good else 'no longer marked as good form'}"
        if rep.anomaly is None:
            what += " (it has no form score, so the threshold does not change)"
        self._show_message(f"{what}; {_threshold_text(self.model)} (saved in corrections.jsonl)", 8000)

    def add_rep(self) -> None:
        """Add a missed rep over the I/O range."""
        if self.controller is None:
            return self._no_session()
        rep = self.controller.add_rep_over_loop()
        if rep is not None:
            self._show_message(f"Rep {rep.number} added over frames {rep.start_row + 1}-{rep.end_row + 1}, "
                               f"bottom at frame {rep.bottom_row + 1} (saved in corrections.jsonl)", 8000)
        return None

    def select_gait_event(self) -> None:
        if self.controller is None:
            return self._no_session()
        mark = self.controller.select_nearest_mark()
        if mark is not None:
            self._show_message(f"Selected {_mark_text(mark)}: step to the right frame and press M", 8000)
        return None

    def move_gait_event(self) -> None:
        if self.controller is None:
            return self._no_session()
        before = self.controller.model.selected_mark
        mark = self.controller.move_selected_mark()
        if mark is not None and before is not None:
            self._show_message(f"Moved {_mark_text(before)} to {mark.t:.2f} s (saved in corrections.jsonl)",
                               8000)
        return None

    def compare_reps(self) -> None:
        """Open the side-by-side comparison (see the module docstring for which reps)."""
        if self.model is None or self.controller is None:
            return self._no_session()
        try:
            player = self.model.compare(self.rep_table.selected_indices())
        except ValueError as exc:
            self._show_message(f"Cannot compare: {exc}", 6000)
            return None
        self.controller.playback.pause()
        self._close_compare()
        self.compare_dialog = CompareDialog(player, self)
        self.compare_dialog.show()
        return None

    def toggle_feedback(self) -> None:
        """Show or hide the written feedback on this session (rules at once; GPT when the user opted in,
        never blocking: see `coach.ui.feedback_panel`). It follows the coach's corrections."""
        if self.feedback_dock is not None and self.feedback_dock.isVisible():
            self.feedback_dock.hide()
            return None
        if self.model is None:
            return self._no_session()
        if self.feedback_dock is None:
            from coach.settings import load_settings

            settings = load_settings()
            service = make_feedback_service(settings)
            self.feedback_panel = FeedbackPanel(service, use_gpt=settings.feedback_gpt)
            self.feedback_dock = QDockWidget("Written feedback", self)
            self.feedback_dock.setObjectName("feedback")
            self.feedback_dock.setWidget(self.feedback_panel)
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.feedback_dock)
        self.feedback_dock.show()
        self._refresh_feedback()
        return None

    def _refresh_feedback(self) -> None:
        if self.feedback_panel is not None and self.model is not None:
            self.feedback_panel.show_session(self.model.reader.path)

    # ------------------------------------------------------------------ wiring helpers
    def _add_action(self, keys: tuple[str, ...], what: str, name: str) -> None:
        action = QAction(what, self)
        action.setShortcuts([QKeySequence(k) for k in keys])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False, n=name: self._run(n))
        self.addAction(action)
        self.actions_by_name[name] = action

    def _run(self, name: str) -> None:
        # Resolved at trigger time: opening another session replaces the controller.
        if name.startswith("window."):
            getattr(self, name.removeprefix("window."))()
            return
        c = self.controller
        if c is None:
            self._no_session()
            return
        (_COMMANDS[name](c) if name in _COMMANDS else getattr(c, name))()

    def _show_frame(self, image: np.ndarray, row: int) -> None:
        assert self.model is not None
        t = float(self.model.reader.media_ts[row])
        self.video.show_image(image)
        self.transport.show_row(row, t)
        self.plot.set_playhead(t)
        m = self.model
        if m.is_run:
            stride = m.stride_at(row)
            self.rep_table.highlight(m.strides.index(stride) if stride is not None else -1)
        else:
            rep = m.reps.at_row(row)
            self.rep_table.highlight(rep.number - 1 if rep is not None else -1)

    def _show_reps(self) -> None:
        assert self.model is not None
        self._close_compare()  # its reps may have changed
        if self.model.is_run:
            self.rep_table.show_strides(self.model.strides, self.model.threshold_for)
        else:
            self.rep_table.show_reps(self.model.reps, self.model.threshold_for)
        self.plot.show_reps(self.model.reps, self.model.gait)
        self._show_status()
        if self.feedback_dock is not None and self.feedback_dock.isVisible():
            self._refresh_feedback()  # a deleted or added rep changes the numbers the text is built on

    def _show_status(self) -> None:
        m = self.model
        if m is None:
            return
        best = m.reps.best()
        ghost = f"ghost: rep {best.number}" if m.ghost and best else ("ghost: no reference rep" if m.ghost
                                                                         else "ghost off (G)")
        counted = f"{len(m.strides)} scored strides" if m.is_run else f"{len(m.reps)} reps"
        parts = [m.activity or "no activity", counted, f"{m.playback.speed:g}x", ghost]
        if m.good_form_scores:
            parts.append(_threshold_text(m))
        if m.gait:
            parts.append(f"selected {_mark_text(m.selected_mark)} (M moves it here)" if m.selected_mark
                         else f"{len(m.gait)} gait events (E selects one)")
        self.status.setText(" · ".join([*parts, "hover for keys"]))
        self.plot.show_selected_mark(m.selected_mark)

    def _show_empty(self, hint: str) -> None:
        self.video = VideoView()
        self.video.clear(hint)
        self.setCentralWidget(self.video)
        self.status.setText("no session · hover for keys")

    def _show_message(self, text: str, timeout_ms: int = 0) -> None:
        self.statusBar().showMessage(text, timeout_ms)

    def _no_session(self) -> None:
        self._show_message("No session open: File > Open (Ctrl+O)", 4000)

    def _open_failed(self, message: str) -> None:
        log.warning("%s", message)
        self._show_message(message)
        if self.model is None:
            self.video.clear(f"{message}\n\n{_EMPTY_HINT}")
        self.open_failed.emit(message)

    def _on_imported(self, result: VideoImport) -> None:
        self.open_path(result.directory)
        if self.model is None or self.model.reader.path != result.directory:
            return
        self.activateWindow()  # the keys act on the new session at once, not on the closed dialog
        how = (f"recognised as {result.exercise}" if result.recognised else
               f"analysed as {result.exercise}" if result.exercise else "exercise not recognised: no reps")
        indexed = "added to the library" if result.index_error is None else \
            f"not added to the library ({result.index_error})"
        self._show_message(f"{result.record.frames_recorded} frames {how}; session saved in "
                           f"{result.directory}, {indexed}", 15000)

    def _start_dir(self) -> Path:
        if self.model is not None:
            return self.model.reader.path.parent
        from coach.settings import sessions_dir

        root = sessions_dir()
        return root if root.is_dir() else Path.home()

    def _close_compare(self) -> None:
        if self.compare_dialog is not None:
            self.compare_dialog.close()
            self.compare_dialog.deleteLater()
            self.compare_dialog = None

    def _release_model(self) -> None:
        self._close_compare()
        if self.controller is not None:
            self.controller.stop()
            self.controller.deleteLater()
            self.controller = None
        if self.model is not None:
            self.model.close()
            self.model = None

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self.importer is not None and self.importer.running:
            self.importer.cancel()
            if not self.importer.wait(10.0):
                log.warning("the video import did not stop within 10 s")
        self._release_model()
        if self.feedback_panel is not None:
            self.feedback_panel.shutdown(wait=False)  # a GPT request still out is abandoned, not awaited
        super().closeEvent(event)


def _mark_text(mark: GaitMark) -> str:
    return f"{mark.kind.replace('_', ' ')} {mark.foot} at {mark.t:.2f} s"


def run_replay(path: Path | None, *, screenshot: Path | None = None, quit_after_s: float | None = None,
               play: bool = False, exercise: str | None = None, pose_model: str | None = None,
               duration_s: float | None = None) -> int:
    """Open the replay window on `path` (a session directory, or a video file analysed into a session
    first; None: an empty window) and run Qt's event loop; returns the exit status. A session that cannot
    be read or a file that is not a video raises a `CoachError` before any window opens."""
    from coach.capture.sources import probe_video
    from coach.ui.app import grab_window

    model: ReplayModel | None = None
    is_video = path is not None and path.is_file() and path.name != MANIFEST_FILE
    if is_video:
        probe_video(path)  # type: ignore[arg-type]  # SourceError (exit status 2) for a file that is no video
    elif path is not None:
        model = ReplayModel(path.parent if path.name == MANIFEST_FILE else path)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("coach")
    window = ReplayWindow(model, exercise=exercise, pose_model=pose_model, duration_s=duration_s)
    window.show()
    status = {"code": 0}

    def start_playing() -> None:
        if window.controller is not None:
            window.controller.toggle_play()

    def finish() -> None:
        if screenshot is not None and not grab_window(window, screenshot):  # type: ignore[arg-type]
            status["code"] = 1
        window.close()

    def arm_quit(_directory: str = "") -> None:
        status["code"] = 0  # a session is shown (after a failed or cancelled video, perhaps another one)
        if play:
            QTimer.singleShot(0, start_playing)
        if quit_after_s is not None:
            QTimer.singleShot(int(quit_after_s * 1000), finish)

    if is_video:
        def give_up(_message: str = "") -> None:
            status["code"] = 1
            if quit_after_s is not None:  # a smoke test: nothing will be shown, do not wait for a user
                window.close()

        window.session_opened.connect(arm_quit)
        window.open_failed.connect(give_up)
        QTimer.singleShot(0, lambda: window.open_path(path))  # type: ignore[arg-type]
    else:
        arm_quit()
    code = app.exec()
    return code or status["code"]


def _threshold_text(model: ReplayModel) -> str:
    """Whose personal threshold applies now, and from how many good-form reps (strides, in a run)."""
    threshold, n = model.personal_threshold(), len(model.good_form_scores)
    who = f"{model.athlete}'s" if model.athlete else "this session's"
    unit = "stride" if model.is_run else "rep"
    if threshold is None:
        return f"no good-form {unit} with a score: {who} {unit}s are judged by the population threshold"
    return f"{who} personal threshold {threshold:.1f} from {n} good-form {unit}{'s' if n != 1 else ''}"
