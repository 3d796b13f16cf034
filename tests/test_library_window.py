"""The session library window on a real SQLite library: a real recorded session (the goblet squat clip,
recorded once per module by `test_replay_window.recorded` with the real pose model) beside sessions written
by the library's own fixtures (`test_library_fixtures`). Driven as a coach would: filters, Ctrl+F, Enter,
Delete, the message bar for a directory that was moved or deleted, and Ctrl+L from the live window."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from test_library_fixtures import run_events, squat_events, write_session
from test_replay_window import recorded  # noqa: F401 - a fixture used here

from coach.cues import RecordingSpeaker
from coach.library import Library
from coach.ui.library_window import MISSING_TEXT, LibraryWindow, SessionTableModel
from coach.ui.replay import ReplayWindow

pytestmark = [pytest.mark.video, pytest.mark.usefixtures("no_thread_left_behind")]

REPS_COLUMN = SessionTableModel.COLUMNS.index("Reps")
STATUS_COLUMN = SessionTableModel.COLUMNS.index("Status")
# Synthetic sessions: folder -> (athlete, exercise, created, full-rep depths)
SYNTHETIC = {
    "sq01": ("ana", "squat", "2025-01-01T10:00:00Z", [80.0, 90.0]),
    "sq02": ("ana", "squat", "2025-02-01T10:00:00Z", [95.0, 100.0]),
    "bob": ("bob", "squat", "2025-01-05T10:00:00Z", [60.0]),
}


@pytest.fixture
def sessions(tmp_path: Path, recorded: Path) -> dict[str, Path]:  # noqa: F811 - the imported fixture
    """Session directories in tmp_path, all indexed into tmp_path/library.sqlite3."""
    dirs = {"goblet": Path(shutil.copytree(recorded, tmp_path / "goblet"))}
    for name, (athlete, exercise, created, depths) in SYNTHETIC.items():
        write_session(tmp_path / name, squat_events(depths), athlete=athlete, exercise=exercise,
                      created=created)  # fmt: skip
        dirs[name] = tmp_path / name
    write_session(tmp_path / "run", run_events(0.36, 30, 0.22), exercise="running",
                  created="2025-02-10T07:00:00Z")  # fmt: skip
    dirs["run"] = tmp_path / "run"
    with Library(tmp_path / "library.sqlite3") as lib:
        for d in dirs.values():
            lib.add(d)
    return dirs


@pytest.fixture
def window(qtbot, tmp_path: Path, sessions: dict[str, Path]) -> Iterator[LibraryWindow]:
    w = LibraryWindow(tmp_path / "library.sqlite3")
    qtbot.addWidget(w)
    with qtbot.waitExposed(w):
        w.show()
    with qtbot.waitActive(w):  # shortcuts belong to the active window
        w.activateWindow()
    yield w
    w.shutdown()


def _names(w: LibraryWindow) -> list[str]:
    return [r.path.name for r in w.visible_rows()]


def _cell(w: LibraryWindow, name: str, column: int) -> str:
    for i in range(w.proxy.rowCount()):
        if w.proxy.index(i, SessionTableModel.COLUMNS.index("Folder")).data() == name:
            return str(w.proxy.index(i, column).data())
    raise AssertionError(f"{name} not shown")


def _select(w: LibraryWindow, name: str) -> None:
    row = next(r for r in w.visible_rows() if r.path.name == name)
    assert w.select_session(row.id)
    assert w.selected_row() == row


def test_lists_every_indexed_session_with_its_reps_and_trends(window: LibraryWindow, sessions) -> None:
    assert sorted(_names(window)) == sorted(sessions)
    assert _names(window)[0] == "goblet"  # newest first: recorded today, the others in 2025
    events = [json.loads(line) for line in (sessions["goblet"] / "events.jsonl").read_text().splitlines()]
    recorded_reps = sum(e.get("type") == "rep_completed" for e in events)
    assert recorded_reps >= 3
    assert _cell(window, "goblet", REPS_COLUMN) == str(recorded_reps)
    assert _cell(window, "sq01", REPS_COLUMN) == "2"
    assert _cell(window, "run", SessionTableModel.COLUMNS.index("Cadence")) == "167 spm"  # 60 / 0.36 s
    assert "5 sessions" in window.status_label.text()

    # Depth: one point per squat session in date order, the median of its full reps.
    x, y = window.trends.curve_data("depth")
    assert len(x) == 4 and np.all(np.isfinite(y))
    assert y[:3].tolist() == pytest.approx([85.0, 60.0, 97.5])  # sq01, bob, sq02
    assert window.trends.points("depth")[-1].session_id == window.visible_rows()[0].id  # goblet is last
    _x, cadence = window.trends.curve_data("cadence")
    assert cadence.tolist() == pytest.approx([60 / 0.36])
    assert len(window.trends.curve_data("tempo")[0]) == 4
    _select(window, "goblet")
    assert window.trends.highlighted("depth") == 1 and window.trends.highlighted("cadence") == 0


def test_filters_by_athlete_exercise_and_text(qtbot, window: LibraryWindow) -> None:
    window.set_filters(athlete="bob")
    assert _names(window) == ["bob"]
    assert window.trends.curve_data("depth")[1].tolist() == [60.0]
    assert "1 session of 5" in window.status_label.text()

    window.set_filters(exercise="running")
    assert _names(window) == ["run"]
    assert len(window.trends.curve_data("depth")[0]) == 0
    assert len(window.trends.curve_data("cadence")[0]) == 1

    window.set_filters(athlete="ana", exercise="squat")
    assert sorted(_names(window)) == ["sq01", "sq02"]  # the recording has no athlete

    window.set_filters()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.filter_edit.hasFocus()
    qtbot.keyClicks(window.filter_edit, "SQ0")
    assert sorted(_names(window)) == ["sq01", "sq02"]
    window.filter_edit.clear()
    assert len(_names(window)) == 5


def test_enter_opens_the_selected_session_in_replay(qtbot, window: LibraryWindow, sessions) -> None:
    _select(window, "goblet")
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Return)
    assert len(window.replay_windows) == 1
    replay = window.replay_windows[0]
    assert isinstance(replay, ReplayWindow)
    assert replay.model.reader.path == sessions["goblet"]
    qtbot.waitUntil(lambda: replay.isVisible() and replay.video.has_image(), timeout=3000)
    assert len(replay.model.reps) >= 3
    replay.close()
    qtbot.waitUntil(lambda: not window.replay_windows, timeout=2000)  # deleted on close, forgotten


def test_missing_directory_is_reported_and_can_be_removed_or_located(
    qtbot, window: LibraryWindow, sessions, tmp_path: Path
) -> None:
    shutil.rmtree(sessions["sq01"])
    sessions["sq02"].rename(tmp_path / "moved")
    window.refresh()
    assert _cell(window, "sq01", STATUS_COLUMN) == MISSING_TEXT
    assert "2 missing" in window.status_label.text()

    _select(window, "sq01")
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Return)  # no crash, no replay: a message with an offer
    assert window.replay_windows == []
    assert str(sessions["sq01"]) in window.message_bar.text()
    assert window.message_bar.remove_button.isVisible()
    qtbot.mouseClick(window.message_bar.remove_button, Qt.MouseButton.LeftButton)
    assert "sq01" not in _names(window) and not window.message_bar.isVisible()
    with Library(tmp_path / "library.sqlite3") as lib:
        assert "sq01" not in {r.path.name for r in lib.list_sessions()}

    _select(window, "sq02")
    moved_row = window.selected_row()
    assert window.open_selected() is None and "moved or deleted" in window.message_bar.text()
    assert window.message_bar.locate_button.isVisible()
    assert window.relocate(moved_row, tmp_path / "moved")  # what Locate… does with the chosen folder
    assert window.selected_row() is not None and window.selected_row().path.name == "moved"
    assert _cell(window, "moved", STATUS_COLUMN) == "ok" and "missing" not in window.status_label.text()
    assert len(window.trends.curve_data("depth")[0]) == 3  # its history kept: bob, moved, goblet


def test_unreadable_session_is_reported_not_raised(qtbot, window: LibraryWindow, sessions) -> None:
    (sessions["bob"] / "frames.bin").write_bytes(b"")  # still a directory with a manifest, but no frames
    _select(window, "bob")
    assert window.open_selected() is None
    assert window.replay_windows == [] and "Cannot open" in window.message_bar.text()


def _answer_next_box(button: QMessageBox.StandardButton, seen: list[str]) -> None:
    """Click `button` on the confirmation box as soon as it is up (it runs its own event loop)."""

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click)
            return
        seen.append(box.text())
        box.button(button).click()

    QTimer.singleShot(20, click)


def test_delete_key_removes_from_the_index_after_confirmation(
    qtbot, window: LibraryWindow, sessions, tmp_path: Path
) -> None:
    _select(window, "sq02")
    window.table.setFocus()
    seen: list[str] = []
    _answer_next_box(QMessageBox.StandardButton.Cancel, seen)
    qtbot.keyClick(window.table, Qt.Key.Key_Delete)
    assert len(seen) == 1 and str(sessions["sq02"]) in seen[0]
    assert "sq02" in _names(window)  # cancelled: nothing removed

    with qtbot.waitActive(window):  # the window is active again once the box is gone
        window.activateWindow()
    _answer_next_box(QMessageBox.StandardButton.Yes, seen)
    qtbot.keyClick(window.table, Qt.Key.Key_Delete)
    assert len(seen) == 2
    assert "sq02" not in _names(window)
    assert (sessions["sq02"] / "manifest.json").is_file()  # the directory itself is never touched
    with Library(tmp_path / "library.sqlite3") as lib:
        assert len(lib.list_sessions()) == 4


def test_live_window_ctrl_l_opens_the_library_and_open_replay(
    qtbot, tmp_path: Path, sessions, make_live_window, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(tmp_path / "library.sqlite3", data / "library.sqlite3")
    monkeypatch.setenv("COACH_DATA_DIR", str(data))  # the live window opens the default library
    live = make_live_window(RecordingSpeaker(), source="0", exercise="auto")  # the default settings
    try:
        qtbot.keyClick(live, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
        library = live.library_window
        assert library is not None and library.isVisible()
        assert sorted(_names(library)) == sorted(sessions)
        _select(library, "goblet")
        qtbot.mouseClick(library.feedback_button, Qt.MouseButton.LeftButton)  # feedback in the live window
        assert live.feedback_dock is not None and live.feedback_dock.isVisible()
        assert live.feedback_panel is not None and live.feedback_panel.title.text().startswith("goblet")
        assert live.feedback_panel.text().startswith("Squat:")

        assert live.open_replay(tmp_path / "nowhere") is None  # reported in the status bar, not raised
        assert "Cannot open" in live.status.currentMessage()
        replay = live.open_replay(sessions["goblet"])
        assert isinstance(replay, ReplayWindow) and replay.isVisible()
        assert live.replay_windows == [replay]
    finally:
        live.close()
    assert not library.isVisible() and not replay.isVisible()  # closing the app closes its windows
    qtbot.waitUntil(lambda: live.replay_windows == [], timeout=2000)
