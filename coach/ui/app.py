"""The desktop app entry point: builds the live window from the saved settings and runs Qt's event loop.

`run_app(options)` is what `coach`, `coach app` and `coach live` call. It creates the speaker (the one
object that talks to pyttsx3, owning its own thread) and the pipeline factory, and injects both into
`LiveWindow`. Two hidden options serve the screenshot test and the README: `screenshot` grabs the window
from the screen (`QScreen.grabWindow`, i.e. what the display shows) after `quit_after_s` seconds and
closes the app; `quit_after_s` alone just closes it.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from coach.activities import ACTIVITIES, AUTO
from coach.settings import config_dir, load_settings, settings_path
from coach.ui.pipeline_factory import DefaultPipelineFactory
from coach.ui.window import LiveWindow

__all__ = ["LaunchOptions", "grab_window", "make_speaker", "run_app"]

log = logging.getLogger(__name__)

GEOMETRY_FILE = "window.ini"


@dataclass(frozen=True, slots=True)
class LaunchOptions:
    """How to open the window. None leaves the saved setting in place."""

    source: str | None = None  # camera digits or a video path
    exercise: str | None = None  # "auto" or an activity
    start: bool = False  # start at once
    loop: bool = False  # loop a video file instead of stopping at its end
    pose_model: str | None = None  # variant or .task path (default: $COACH_POSE_MODEL, else full)
    screenshot: Path | None = None
    quit_after_s: float | None = None

    def __post_init__(self) -> None:
        if self.exercise is not None and self.exercise != AUTO and self.exercise not in ACTIVITIES:
            raise ValueError(f"unknown exercise {self.exercise!r}")


def make_speaker() -> Any:
    """The real speaker (pyttsx3 on its own thread); it reports itself unavailable rather than raising."""
    from coach.cues import Pyttsx3Speaker

    return Pyttsx3Speaker()


def geometry_store() -> QSettings:
    """Window geometry lives in an INI file beside settings.toml (so COACH_CONFIG_DIR moves both)."""
    return QSettings(str(config_dir() / GEOMETRY_FILE), QSettings.Format.IniFormat)


def grab_window(window: LiveWindow, path: Path) -> bool:
    """Save what the screen shows of `window` as PNG; returns whether it was written."""
    screen = window.screen()
    pixmap = screen.grabWindow(window.winId()) if screen is not None else None
    if pixmap is None or pixmap.isNull():
        log.warning("the screen could not be grabbed; rendering the window instead")
        pixmap = window.grab()
    path.parent.mkdir(parents=True, exist_ok=True)
    ok = pixmap.save(str(path), "PNG")
    log.info("screenshot %s (%dx%d): %s", path, pixmap.width(), pixmap.height(), "saved" if ok else "FAILED")
    return ok


def run_app(options: LaunchOptions | None = None, argv: list[str] | None = None) -> int:
    """Open the live window and run Qt's event loop; returns the exit status."""
    options = options or LaunchOptions()
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("coach")
    path = settings_path()
    settings = load_settings(path)
    if options.source is not None:
        settings.source = options.source
    if options.exercise is not None:
        settings.exercise = options.exercise
    window = LiveWindow(
        DefaultPipelineFactory(pose_model=options.pose_model),
        make_speaker(),
        settings,
        settings_path=path,
        geometry_store=geometry_store(),
        loop_video=options.loop,
    )
    window.show()
    if options.start:
        QTimer.singleShot(0, window.start)
    status = {"code": 0}
    if options.quit_after_s is not None:

        def finish() -> None:
            if options.screenshot is not None and not grab_window(window, options.screenshot):
                status["code"] = 1
            window.close()

        QTimer.singleShot(int(options.quit_after_s * 1000), finish)
    code = app.exec()
    window.shutdown()
    return code or status["code"]
