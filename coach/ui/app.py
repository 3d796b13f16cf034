"""The desktop app entry point. The live coaching window is assembled here as its panels land."""

from __future__ import annotations

import sys

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QVBoxLayout, QWidget

from coach import __version__

_COMING = (
    "<h2>coach {version}</h2>"
    "<p>The live coaching window (camera, skeleton overlay, rep counter, spoken cues) is being built.</p>"
    "<p>Available now from a terminal:</p>"
    "<ul><li><code>coach analyze VIDEO --json</code> &mdash; pose, angles and view for every frame</li>"
    "<li><code>coach models list</code> / <code>coach models fetch</code> &mdash; pose model bundles</li>"
    "</ul>"
)


class PlaceholderWindow(QMainWindow):
    """Says what is coming until the live window replaces it."""

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("coach")
        label = QLabel(_COMING.format(version=__version__))
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(label)
        self.setCentralWidget(body)
        self.resize(640, 360)


def run_app(argv: list[str] | None = None) -> int:
    """Start Qt's event loop with the main window; returns the exit status."""
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    window = PlaceholderWindow()
    window.show()
    return app.exec()
