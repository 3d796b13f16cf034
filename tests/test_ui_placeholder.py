"""The desktop window opens offscreen and says what is coming (the live window replaces it later)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from coach.ui.app import PlaceholderWindow


def test_window_shows_what_is_available(qtbot) -> None:
    window = PlaceholderWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    text = " ".join(label.text() for label in window.findChildren(QLabel))
    assert "coach analyze" in text and "coach models" in text
    assert window.windowTitle() == "coach"
