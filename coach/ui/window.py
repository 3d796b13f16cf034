"""The live coaching window: assembles the panels and wires them together; the decisions live elsewhere.

Layout: controls on top; the video with the live plots under it on the left; the side panel on the right;
the status bar at the bottom. `LiveSession` owns the pipeline and pulls from it; the panels only display.
Keyboard: Space start/stop, M mute, R start/stop recording (while running), Ctrl+L session library,
Ctrl+O open a recorded session in replay, Ctrl+Q quit. Settings (source, exercise, mirror, mute, count aloud,
GPT feedback opt-in and server) are saved to the TOML settings file when they change; the window geometry is
kept in a QSettings file next to it.

When a recording stops, a non-modal "Feedback" dock shows written feedback on the recorded set
(`FeedbackPanel`: the rule-based text at once, GPT's later when opted in, never blocking this thread). The
library and replay windows are separate top-level windows owned by this one. Closing the window stops the
pipeline, closes the speaker, the feedback service and the library and replay windows. GUI thread only.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QDockWidget, QFileDialog, QMainWindow, QSplitter, QVBoxLayout, QWidget

from coach.errors import CoachError
from coach.settings import AppSettings, base_url_problem, save_settings, sessions_dir
from coach.ui.controls import ControlBar
from coach.ui.feedback_panel import FeedbackPanel, FeedbackSettingsDialog, make_feedback_service
from coach.ui.library_window import LibraryWindow, open_replay_window
from coach.ui.pipeline_factory import PipelineFactory
from coach.ui.plots import LivePlots
from coach.ui.session import LiveSession
from coach.ui.side_panel import SidePanel
from coach.ui.status_bar import LiveStatusBar
from coach.ui.throttle import Throttled
from coach.ui.video_view import VideoView

__all__ = ["LiveWindow"]

log = logging.getLogger(__name__)

PLOT_REFRESH_MS = 100  # plots redraw at most 10 times a second
PANEL_REFRESH_MS = 100  # side panel text likewise


class LiveWindow(QMainWindow):
    """The main window. `pipeline_factory` and `speaker` are injected (tests pass real or recording ones)."""

    def __init__(
        self,
        pipeline_factory: PipelineFactory,
        speaker: Any,
        settings: AppSettings | None = None,
        *,
        settings_path: Path | None = None,
        geometry_store: QSettings | None = None,
        loop_video: bool = False,
    ) -> None:
        super().__init__()
        self.setWindowTitle("coach — live")
        self.settings = settings or AppSettings()
        self._settings_path = settings_path
        self._geometry_store = geometry_store
        self._speaker = speaker
        self._loop_video = loop_video
        self._closed = False
        self._recording_note = ""  # the last recording's message, kept for the "Stopped" notice
        self.library_window: LibraryWindow | None = None  # made on first Ctrl+L
        self.replay_windows: list[QWidget] = []
        self.feedback_panel: FeedbackPanel | None = None  # made when first needed (GPT: imports openai)
        self.feedback_dock: QDockWidget | None = None
        self._last_recording: Path | None = None

        self.controls = ControlBar()
        self.video = VideoView()
        self.side_panel = SidePanel()
        self.plots = LivePlots()
        self.status = LiveStatusBar()
        self.session = LiveSession(pipeline_factory, speaker, self)
        self._assemble()
        self._make_actions()
        self._apply_settings()
        self._connect()

        self._plot_timer = QTimer(self)
        self._plot_timer.setInterval(PLOT_REFRESH_MS)
        self._plot_timer.timeout.connect(self.plots.refresh)
        self._plot_timer.start()
        self._show_result_text = Throttled(self._update_panels, PANEL_REFRESH_MS, self)
        self._restore_geometry()
        if not getattr(speaker, "available", True):
            self._report_voice_unavailable(getattr(speaker, "unavailable_reason", None))

    # -- assembly ---------------------------------------------------------------------------------------
    def _assemble(self) -> None:
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.video)
        left.addWidget(self.plots)
        left.setStretchFactor(0, 3)
        left.setStretchFactor(1, 1)
        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(left)
        body.addWidget(self.side_panel)
        body.setStretchFactor(0, 1)
        body.setStretchFactor(1, 0)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.controls)
        layout.addWidget(body, 1)
        self.setCentralWidget(central)
        self.setStatusBar(self.status)
        self.resize(1280, 760)

    def _make_actions(self) -> None:
        menu = self.menuBar().addMenu("&Session")
        self.start_action = QAction("Start / Stop", self, shortcut=QKeySequence(Qt.Key.Key_Space))
        self.mute_action = QAction("Mute", self, shortcut=QKeySequence(Qt.Key.Key_M), checkable=True)
        self.counts_action = QAction("Count reps aloud", self, checkable=True)
        self.record_action = QAction("Record", self, shortcut=QKeySequence(Qt.Key.Key_R))
        self.quit_action = QAction("Quit", self, shortcut=QKeySequence("Ctrl+Q"))
        self.library_action = QAction("Session library…", self, shortcut=QKeySequence("Ctrl+L"))
        self.open_replay_action = QAction("Open replay…", self, shortcut=QKeySequence("Ctrl+O"))
        self.feedback_action = QAction("Feedback on the last recording", self)
        self.feedback_settings_action = QAction("Feedback settings…", self)
        for action in (self.start_action, self.mute_action, self.counts_action, self.record_action):
            menu.addAction(action)
        menu.addSeparator()
        for action in (self.library_action, self.open_replay_action, self.feedback_action,
                       self.feedback_settings_action):  # fmt: skip
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.quit_action)
        self.feedback_action.setEnabled(False)  # until something was recorded
        for action in (self.start_action, self.mute_action, self.record_action, self.quit_action,
                       self.library_action, self.open_replay_action):  # fmt: skip
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.addAction(action)

    def _apply_settings(self) -> None:
        s = self.settings
        self.controls.set_source(s.source)
        self.controls.set_exercise(s.exercise)
        self.controls.set_athlete(s.athlete)
        self.controls.mirror_box.setChecked(s.mirror)
        self.controls.mute_box.setChecked(s.muted)
        self.mute_action.setChecked(s.muted)
        self.counts_action.setChecked(s.speak_counts)
        self.session.speak_counts = s.speak_counts
        self._speaker.set_muted(s.muted)

    def _connect(self) -> None:
        c, session = self.controls, self.session
        c.start_requested.connect(self.start)
        c.stop_requested.connect(self.stop)
        c.source_changed.connect(lambda v: self._remember(source=v))
        c.exercise_changed.connect(self._on_exercise_changed)
        c.athlete_changed.connect(lambda name: self._remember(athlete=name))
        c.mirror_toggled.connect(self._on_mirror_toggled)
        c.mute_toggled.connect(self._on_mute_toggled)
        self.start_action.triggered.connect(self.toggle_running)
        self.mute_action.toggled.connect(c.mute_box.setChecked)
        self.counts_action.toggled.connect(self._on_counts_toggled)
        self.record_action.triggered.connect(self.toggle_recording)
        self.quit_action.triggered.connect(self.close)
        self.library_action.triggered.connect(self.show_library)
        self.open_replay_action.triggered.connect(self._choose_replay)
        self.feedback_action.triggered.connect(self._show_last_feedback)
        self.feedback_settings_action.triggered.connect(self.edit_feedback_settings)

        session.started.connect(self._on_started)
        session.stopped.connect(self._on_stopped)
        session.failed.connect(self._on_failed)
        session.result_arrived.connect(self._on_result)
        session.series_arrived.connect(self.plots.add_series)
        session.events_arrived.connect(self.plots.add_events)
        session.stats_updated.connect(self._on_stats)
        session.recording_started.connect(self._on_recording_started)
        session.recording_stopped.connect(self._on_recording_stopped)
        session.recording_failed.connect(lambda message: self.status.notify(message, 15000))

    # -- user actions -------------------------------------------------------------------------------------
    def start(self) -> bool:
        """Start on the selected source and exercise (Space, Start button, `coach live --start`)."""
        return self.session.start(
            self.controls.source(),
            self.controls.exercise(),
            mirror=self.controls.mirror_box.isChecked(),
            loop_video=self._loop_video,
            athlete=self.controls.athlete(),
        )

    def stop(self) -> None:
        self.session.stop()

    def toggle_running(self) -> None:
        if self.session.running:
            self.stop()
        else:
            self.start()

    def toggle_recording(self) -> None:
        """R: start recording the running session, or stop (and index) the recording."""
        if self.session.recording:
            self.session.stop_recording()
        else:
            self.session.start_recording()

    # -- handlers (small; state lives in the session, the panels and the settings) -------------------------
    def _on_started(self) -> None:
        self.controls.set_running(True)
        self._remember(source=self.controls.source(), exercise=self.controls.exercise())
        self.side_panel.reset()
        self.plots.reset()
        self.video.paint_fps.reset()

    def _on_stopped(self, reason: str) -> None:
        self.controls.set_running(False)
        self._show_result_text.flush()
        self.status.show_warnings(())
        text = f"Stopped: {reason}" if reason else "Stopped"
        timeout_ms = 8000
        if self._recording_note:  # the session stopped while recording: say where the recording went
            text, self._recording_note, timeout_ms = f"{text} · {self._recording_note}", "", 15000
        self.status.notify(text, timeout_ms)

    def _on_failed(self, message: str) -> None:
        self.controls.set_running(False)
        self.status.notify(f"Could not start: {message}", 15000)

    def _on_stats(self, stats: Any | None) -> None:
        self.status.show_stats(stats, self.video.paint_fps.fps())
        if self.session.recording:
            self.status.show_recording(True, stats)

    def _on_recording_started(self, path: str) -> None:
        self.status.show_recording(True)
        self.status.notify(f"Recording into {path}", 5000)

    def _on_recording_stopped(self, path: str, message: str) -> None:
        self.status.show_recording(False)
        self.status.notify(message, 15000)
        if self.session.running:
            self._recording_note = ""
        else:
            self._recording_note = message  # the session is stopping: _on_stopped shows both
        if self._closed:
            return  # closing while recording: the recording is saved; no panel for a closing window
        if self.library_window is not None and self.library_window.isVisible():
            self.library_window.refresh()
        directory = Path(path)
        if (directory / "manifest.json").is_file():  # a recording that could not start has no manifest
            self._last_recording = directory
            self.feedback_action.setEnabled(True)
            self.show_feedback(directory)

    # -- library, replay and feedback ----------------------------------------------------------------------
    def show_library(self) -> LibraryWindow:
        """Ctrl+L: the session library window (one, reused), raised and re-read."""
        if self.library_window is None:
            self.library_window = LibraryWindow()
            self.library_window.feedback_requested.connect(lambda p: self.show_feedback(Path(p)))
        window = self.library_window
        if window.isVisible():
            window.refresh()
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def _choose_replay(self) -> None:
        start = sessions_dir()
        chosen = QFileDialog.getExistingDirectory(
            self, "Open a recorded session", str(start if start.is_dir() else Path.home())
        )
        if chosen:
            self.open_replay(Path(chosen))

    def open_replay(self, directory: Path) -> QWidget | None:
        """Open the session at `directory` in a replay window; a bad directory is reported, not raised."""
        try:
            window = open_replay_window(directory)
        except (CoachError, OSError) as exc:
            log.warning("cannot replay %s: %s", directory, exc)
            self.status.notify(f"Cannot open {directory}: {exc}", 15000)
            return None
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.replay_windows.append(window)
        window.destroyed.connect(
            lambda _obj=None, w=window: self.replay_windows.remove(w) if w in self.replay_windows else None
        )
        window.show()
        window.raise_()
        return window

    def show_feedback(self, directory: Path) -> FeedbackPanel:
        """Show the (non-modal) feedback dock on the session at `directory`."""
        panel = self._feedback_panel()
        panel.show_session(directory)
        assert self.feedback_dock is not None
        self.feedback_dock.show()
        self.feedback_dock.raise_()
        return panel

    def _show_last_feedback(self) -> None:
        if self._last_recording is not None:
            self.show_feedback(self._last_recording)

    def _feedback_panel(self) -> FeedbackPanel:
        if self.feedback_panel is None:
            s = self.settings
            self.feedback_panel = FeedbackPanel(make_feedback_service(s), use_gpt=s.feedback_gpt)
            dock = QDockWidget("Feedback", self)
            dock.setObjectName("feedback_dock")
            dock.setWidget(self.feedback_panel)
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable
                             | QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetFloatable)  # fmt: skip
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            self.feedback_dock = dock
        return self.feedback_panel

    def edit_feedback_settings(self) -> bool:
        """The GPT opt-in and server dialog; saved on OK, and the feedback panel uses it from then on."""
        dialog = FeedbackSettingsDialog(self.settings, self)
        if not dialog.exec():
            return False
        self.apply_feedback_settings(**dialog.values())
        return True

    def apply_feedback_settings(self, **values: Any) -> None:
        """Remember `feedback_*` settings and rebuild the feedback service from them (ValueError for a base
        URL that could carry a secret; nothing is changed then)."""
        problem = base_url_problem(str(values.get("feedback_base_url", "")))
        if problem:
            raise ValueError(problem)
        self._remember(**values)
        if self.feedback_panel is not None:
            s = self.settings
            self.feedback_panel.configure(make_feedback_service(s), use_gpt=s.feedback_gpt)

    def _on_result(self, result: Any) -> None:
        self.video.show_image(result.image)
        self._show_result_text(result)

    def _update_panels(self, result: Any) -> None:
        self.side_panel.show_result(result)
        self.plots.set_activity(result.activity)
        self.plots.add_gait(result.media_ts, result.gait)
        self.plots.add_last_rep(result.last_rep)
        self.status.show_warnings(tuple(result.warnings))

    def _on_exercise_changed(self, exercise: str) -> None:
        self.session.set_activity(exercise)
        self._remember(exercise=exercise)

    def _on_mirror_toggled(self, on: bool) -> None:
        self.session.set_mirror(on)
        self._remember(mirror=on)

    def _on_mute_toggled(self, muted: bool) -> None:
        self._speaker.set_muted(muted)
        self.mute_action.setChecked(muted)
        self._remember(muted=muted)

    def _on_counts_toggled(self, on: bool) -> None:
        self.session.speak_counts = on
        self._remember(speak_counts=on)

    def _report_voice_unavailable(self, reason: str | None) -> None:
        why = f" ({reason})" if reason else ""
        message = f"Spoken cues unavailable{why}; cues are shown on screen"
        log.warning("%s", message)
        self.status.notify(message, 15000)
        self.controls.mute_box.setToolTip(message)

    # -- persistence ---------------------------------------------------------------------------------------
    def _remember(self, **changes: Any) -> None:
        for key, value in changes.items():
            setattr(self.settings, key, value)
        if self._settings_path is None:
            return
        try:
            save_settings(self.settings, self._settings_path)
        except OSError as exc:
            log.warning("could not save settings to %s: %s", self._settings_path, exc)

    def _restore_geometry(self) -> None:
        if self._geometry_store is None:
            return
        geometry = self._geometry_store.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """Stop every thread (pipeline, speaker) before the window goes."""
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Idempotent: stop the session, close the speaker, save the geometry."""
        if self._closed:
            return
        self._closed = True
        self._plot_timer.stop()
        self._show_result_text.cancel()
        self.session.stop()
        self._speaker.close()
        if self.feedback_panel is not None:
            # No wait: a request in flight ends at its timeout, on its own thread; its answer is dropped.
            self.feedback_panel.shutdown(wait=False)
        if self.library_window is not None:
            self.library_window.shutdown()
        for window in list(self.replay_windows):
            window.close()
        if self._geometry_store is not None:
            self._geometry_store.setValue("window/geometry", self.saveGeometry())
            self._geometry_store.sync()
