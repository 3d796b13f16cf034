"""The replay screen's review tools on real recordings, driven as a coach would: comparing two reps side by
side (goblet squat clip), adding a missed rep (goblet), moving a gait event (treadmill running clip), and
opening plain video files through the window (analysed on a worker thread behind a progress dialog,
cancellable). Sessions are recorded once per module with the real pose model (`coach record`)."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from coach.cli import record_cmd
from coach.library import Library
from coach.replay import ReplayModel
from coach.session import SessionReader
from coach.settings import sessions_dir
from coach.ui.replay import KEYMAP, MENUS, CompareDialog, ReplayWindow
from coach.ui.replay.importer import THREAD_NAME

VIDEOS = Path(__file__).resolve().parents[1].parent / "shared" / "videos"
SQUAT = VIDEOS / "squat__front__nowva_goblet.mp4"
RUNNING = VIDEOS / "running__treadmill_side__gaitlab_male_side.mp4"
SHORT = VIDEOS / "deadlift__side__posereader_heel_lift.mp4"  # 64 frames: a whole clip in a few seconds

pytestmark = [pytest.mark.video, pytest.mark.usefixtures("no_thread_left_behind")]


def _record(out: Path, clip: Path, exercise: str, model: Path, *extra: str) -> Path:
    code = record_cmd.main(["--source", str(clip), "--exercise", exercise, "--out", str(out), "--no-index",
                            "--no-progress", "--pose-model", str(model), *extra])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def recorded_squat(tmp_path_factory: pytest.TempPathFactory, full_model: Path) -> Path:
    return _record(tmp_path_factory.mktemp("screen") / "goblet", SQUAT, "squat", full_model)


@pytest.fixture(scope="module")
def recorded_run(tmp_path_factory: pytest.TempPathFactory, full_model: Path) -> Path:
    # Four seconds of steady treadmill running: a dozen contacts and toe-offs.
    return _record(tmp_path_factory.mktemp("screen") / "run", RUNNING, "running", full_model,
                   "--duration", "4")




@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private user data directory: imported sessions and the library go here."""
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def _open(qtbot, w: ReplayWindow) -> ReplayWindow:
    qtbot.addWidget(w)
    with qtbot.waitExposed(w):
        w.show()
    with qtbot.waitActive(w):  # shortcuts belong to the active window
        w.activateWindow()
    if w.model is not None:
        qtbot.waitUntil(lambda: w.video.has_image(), timeout=2000)
    return w


@pytest.fixture
def squat_window(qtbot, recorded_squat: Path, tmp_path: Path) -> Iterator[ReplayWindow]:
    session = Path(shutil.copytree(recorded_squat, tmp_path / "squat"))  # tests write corrections
    w = _open(qtbot, ReplayWindow(ReplayModel(session)))
    yield w
    w.close()


@pytest.fixture
def run_window(qtbot, recorded_run: Path, tmp_path: Path) -> Iterator[ReplayWindow]:
    session = Path(shutil.copytree(recorded_run, tmp_path / "run"))
    w = _open(qtbot, ReplayWindow(ReplayModel(session)))
    yield w
    w.close()


def _seek(qtbot, w: ReplayWindow, row: int) -> None:
    assert w.controller is not None
    w.controller.seek(row)
    qtbot.waitUntil(lambda: w.controller.shown_row == row, timeout=1000)


# ---------------------------------------------------------------------------------------------- comparing
def test_every_key_is_in_a_menu_and_the_tooltip(squat_window: ReplayWindow) -> None:
    names = [name for _keys, _what, name in KEYMAP]
    in_menus = [name for names_ in MENUS.values() for name in names_]
    assert sorted(in_menus) == sorted(names)
    keys = [k for keys_, _what, _name in KEYMAP for k in keys_]
    assert len(keys) == len(set(keys)), "a key is bound twice"
    tooltip = squat_window.status.toolTip()
    for key in ("C", "A", "E", "M", "Ctrl+O"):
        assert f"\n{key}:" in f"\n{tooltip}"
    menus = [a.menu() for a in squat_window.menuBar().actions()]
    assert [m.title() for m in menus] == list(MENUS)
    in_menu_actions = {a for m in menus for a in m.actions()}
    assert in_menu_actions == set(squat_window.actions_by_name.values())


def test_c_compares_two_selected_reps_frame_by_frame(
        qtbot, squat_window: ReplayWindow, tmp_path: Path) -> None:
    w = squat_window
    reps = w.model.reps
    assert len(reps) >= 4
    table = w.rep_table
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                     pos=table.visualRect(table.model().index(3, 1)).center())
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier,
                     pos=table.visualRect(table.model().index(1, 1)).center())
    assert table.selected_indices() == [1, 3]
    qtbot.keyClick(w, Qt.Key.Key_C)
    dialog = w.compare_dialog
    assert isinstance(dialog, CompareDialog)
    a, b = dialog.player.a, dialog.player.b
    assert (a.number, b.number) == (2, 4)
    with qtbot.waitExposed(dialog):
        dialog.show()
    with qtbot.waitActive(dialog):
        dialog.activateWindow()
    qtbot.waitUntil(lambda: dialog.shown_rows == (a.start_row, b.start_row), timeout=1000)
    # Both reps' figures and the DTW distance are shown.
    assert dialog.metrics.horizontalHeaderItem(0).text() == f"A: rep {a.number}"
    assert dialog.metrics.item(0, 0).text() != "—" and dialog.metrics.item(0, 1).text() != "—"
    assert "DTW distance" in dialog.distance_label.text() and "°" in dialog.distance_label.text()
    assert 0 < dialog.player.comparison.distance < 15  # two clean squats of one athlete: similar curves

    # Right steps rep A by exactly one frame; rep B shows its DTW match, so bottoms meet bottoms.
    alignment = w.model.renderer.alignment(a, b)
    left_before, right_before = dialog.view_a._array.copy(), dialog.view_b._array.copy()
    qtbot.keyClick(dialog, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: dialog.shown_rows[0] == a.start_row + 1, timeout=1000)
    assert dialog.shown_rows[1] == b.start_row + alignment.map(1)
    assert not np.array_equal(dialog.view_a._array, left_before)
    dialog.seek(a.bottom_row - a.start_row)
    qtbot.waitUntil(lambda: dialog.shown_rows[0] == a.bottom_row, timeout=1000)
    assert abs(dialog.shown_rows[1] - b.bottom_row) <= 4
    assert not np.array_equal(dialog.view_b._array, right_before)
    # The one slider is rep A's progress: its end shows both reps' last frames.
    dialog.slider.setValue(dialog.slider.maximum())
    qtbot.waitUntil(lambda: dialog.shown_rows == (a.end_row, b.end_row), timeout=1000)
    assert dialog.progress_label.text() == "100 %"
    qtbot.keyClick(dialog, Qt.Key.Key_Home)
    qtbot.waitUntil(lambda: dialog.shown_rows == (a.start_row, b.start_row), timeout=1000)
    # Space plays both reps together (at the recording's rate), Space again pauses.
    qtbot.keyClick(dialog, Qt.Key.Key_Space)
    assert dialog.playing
    qtbot.waitUntil(lambda: dialog.shown_rows[0] >= a.start_row + 5, timeout=2000)
    qtbot.keyClick(dialog, Qt.Key.Key_Space)
    assert not dialog.playing
    shot = tmp_path / "compare.png"
    assert dialog.grab().save(str(shot)) and shot.stat().st_size > 20_000
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=1000)


def test_c_without_selection_compares_the_rep_under_the_playhead_with_the_best(
        qtbot, squat_window: ReplayWindow) -> None:
    w = squat_window
    best = w.model.reps.best()
    assert best is not None
    other = next(r for r in w.model.reps if r.start_row != best.start_row)
    _seek(qtbot, w, other.bottom_row)
    qtbot.keyClick(w, Qt.Key.Key_C)
    assert w.compare_dialog is not None
    assert (w.compare_dialog.player.a, w.compare_dialog.player.b) == (other, best)
    w.compare_dialog.close()
    w.compare_dialog = None
    with qtbot.waitActive(w):
        w.activateWindow()
    # On the best rep itself there is nothing to compare with: the coach is told, no dialog opens.
    _seek(qtbot, w, best.bottom_row)
    qtbot.keyClick(w, Qt.Key.Key_C)
    assert w.compare_dialog is None
    assert "best rep" in w.statusBar().currentMessage()


# ---------------------------------------------------------------------------------------------- corrections
def test_a_adds_a_missed_rep_over_the_loop_range_and_it_survives_reopening(
        qtbot, squat_window: ReplayWindow) -> None:
    w = squat_window
    session = w.model.reader.path
    # Make a "missed" rep: delete rep 3 (as if the engine had not counted it), then add it back by hand.
    missed = w.model.reps[2]
    w.rep_table.selectRow(2)
    qtbot.keyClick(w, Qt.Key.Key_Delete)
    assert len(w.model.reps) == 4
    # A without a range set is refused: a rep over the whole session is never what the coach meant.
    qtbot.keyClick(w, Qt.Key.Key_A)
    assert len(w.model.reps) == 4 and "I at its start" in w.statusBar().currentMessage()
    _seek(qtbot, w, missed.start_row)
    qtbot.keyClick(w, Qt.Key.Key_I)
    _seek(qtbot, w, missed.end_row)
    qtbot.keyClick(w, Qt.Key.Key_O)
    qtbot.keyClick(w, Qt.Key.Key_A)
    assert len(w.model.reps) == 5
    assert w.rep_table.rowCount() == 5 and w.rep_table.item(2, 0).text() == "3 (added)"
    added = w.model.reps[2]
    assert added.added and (added.start_row, added.end_row) == (missed.start_row, missed.end_row)
    # Its bottom is where the knee bends most: the engine's bottom of the same rep, within a few frames.
    assert abs(added.bottom_row - missed.bottom_row) <= 5
    assert w.model.angle[added.bottom_row] < w.model.angle[added.start_row] - 30
    qtbot.waitUntil(lambda: w.controller.shown_row == added.bottom_row, timeout=1000)
    # The plot shades the new rep too.
    assert len(w.plot._spans) == 5
    # Overlapping an existing rep is refused and nothing is written.
    lines = (session / "corrections.jsonl").read_text().splitlines()
    _seek(qtbot, w, w.model.reps[0].start_row)
    qtbot.keyClick(w, Qt.Key.Key_I)
    qtbot.keyClick(w, Qt.Key.Key_A)
    assert "overlaps rep 1" in w.statusBar().currentMessage()
    assert (session / "corrections.jsonl").read_text().splitlines() == lines
    assert [json.loads(x)["op"] for x in lines] == ["delete_rep", "add_rep"]
    w.close()
    again = ReplayModel(session)
    try:
        assert len(again.reps) == 5
        rep = again.reps[2]
        assert rep.added and (rep.start_frame, rep.bottom_frame, rep.end_frame) == (
            added.start_frame, added.bottom_frame, added.end_frame)
    finally:
        again.close()


def test_e_and_m_move_a_gait_event_of_a_running_session(qtbot, run_window: ReplayWindow) -> None:
    w = run_window
    session = w.model.reader.path
    assert w.model.activity == "running" and len(w.model.gait) >= 8
    marks = w.model.gait
    # An event with no other event within 4 frames, so that "nearest" is unambiguous two frames away.
    target = next(m for prev, m, nxt in zip(marks, marks[1:], marks[2:], strict=False)
                  if m.row - prev.row >= 4 and nxt.row - m.row >= 4)
    _seek(qtbot, w, target.row + 1)  # near the event, not on it
    qtbot.keyClick(w, Qt.Key.Key_E)
    assert w.model.selected_mark == target
    ring_t = float(w.model.reader.media_ts[target.row])
    qtbot.waitUntil(lambda: w.plot.selected_mark_time() == pytest.approx(ring_t), timeout=1000)  # next tick
    assert "M moves it here" in w.status.text()
    # The coach steps to where the foot really lands and moves the event there.
    qtbot.keyClick(w, Qt.Key.Key_Right)
    qtbot.keyClick(w, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: w.controller.shown_row == target.row + 3, timeout=1000)
    qtbot.keyClick(w, Qt.Key.Key_M)
    new_t = float(w.model.reader.media_ts[target.row + 3])
    moved = [m for m in w.model.gait if m.kind == target.kind and m.foot == target.foot and m.t == new_t]
    assert len(moved) == 1 and moved[0].row == target.row + 3
    assert target not in w.model.gait
    assert w.model.selected_mark == moved[0]  # still selected: M again would move it again
    qtbot.waitUntil(lambda: w.plot.selected_mark_time() == pytest.approx(new_t), timeout=1000)
    w.close()
    with SessionReader(session) as fresh:
        events = [e for e in fresh.events if e["type"] == "gait_event" and e.get("moved_from") is not None]
    assert len(events) == 1
    assert events[0]["moved_from"] == target.frame and events[0]["t"] == pytest.approx(new_t)
    assert events[0]["t"] != pytest.approx(target.t)


def test_m_without_a_selected_event_and_a_in_a_gait_session_are_explained(
        qtbot, run_window: ReplayWindow) -> None:
    w = run_window
    qtbot.keyClick(w, Qt.Key.Key_M)
    assert "no gait event selected" in w.statusBar().currentMessage()
    _seek(qtbot, w, 10)
    qtbot.keyClick(w, Qt.Key.Key_I)
    _seek(qtbot, w, 40)
    qtbot.keyClick(w, Qt.Key.Key_O)
    qtbot.keyClick(w, Qt.Key.Key_A)
    assert "gait events, not reps" in w.statusBar().currentMessage()
    assert not (w.model.reader.path / "corrections.jsonl").exists()


# --------------------------------------------------------------------------------------------- opening videos
def test_opening_a_video_analyses_it_into_a_replayable_indexed_session(
        qtbot, data_dir: Path, labels: dict[str, dict]) -> None:
    w = _open(qtbot, ReplayWindow())
    assert w.model is None
    progress: list[tuple[int, int]] = []
    with qtbot.waitSignal(w.session_opened, timeout=60_000):
        importer = w.open_path(SHORT)  # auto: the exercise is recognised
        assert importer is not None
        # Progress arrives through queued signals, handled by the event loop: connecting now misses none.
        importer.progressed.connect(lambda done, total: progress.append((done, total)))
        assert importer.dialog.isVisible()
        # The GUI is not blocked while the worker analyses: events keep being processed meanwhile.
        qtbot.waitUntil(lambda: len(progress) >= 3, timeout=20_000)
        assert importer.running and w.model is None
    assert not importer.running and not importer.dialog.isVisible()
    frames = labels[SHORT.name]["frames"]
    assert w.model is not None and w.model.reader.frame_count == frames
    assert w.model.reader.path.parent == sessions_dir()
    assert w.model.activity == labels[SHORT.name]["movement"]  # recognised by the classifier
    done = [d for d, _t in progress]
    assert done == sorted(done) and done[-1] == progress[-1][1]  # advanced to the announced total
    assert done[-1] >= frames
    # The session replays: stepping shows another frame.
    qtbot.waitUntil(lambda: w.video.has_image(), timeout=2000)
    qtbot.waitUntil(w.isActiveWindow, timeout=2000)  # back in front once the progress dialog has gone
    before = w.video._array.copy()
    qtbot.keyClick(w, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: w.controller.shown_row == 1, timeout=1000)
    assert not np.array_equal(w.video._array, before)
    with Library() as library:
        assert [s.path for s in library.list_sessions()] == [w.model.reader.path]
    # The same session opens from its folder like any recording, in the same window.
    path = w.model.reader.path
    assert w.open_path(path / "manifest.json") is None
    assert w.model.reader.path == path
    w.close()


def test_cancelling_an_import_stops_the_worker_and_leaves_nothing(qtbot, data_dir: Path) -> None:
    w = _open(qtbot, ReplayWindow(exercise="squat"))
    importer = w.open_path(SQUAT)
    assert importer is not None
    qtbot.waitUntil(lambda: importer.frames_done >= 5, timeout=20_000)
    assert any(t.name == THREAD_NAME for t in threading.enumerate())
    button = importer.dialog.findChild(QPushButton)
    assert button is not None and button.text() == "Cancel"
    with qtbot.waitSignal(importer.cancelled, timeout=10_000):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert not importer.running
    assert not any(t.name == THREAD_NAME for t in threading.enumerate())
    assert importer.frames_done < 365  # stopped early, not after the whole clip
    assert w.model is None and "cancelled" in w.statusBar().currentMessage()
    root = sessions_dir()
    assert not root.exists() or list(root.iterdir()) == []  # no half session left on disk
    w.close()


def test_closing_the_window_during_an_import_stops_it(qtbot, data_dir: Path) -> None:
    w = _open(qtbot, ReplayWindow(exercise="squat"))
    importer = w.open_path(SQUAT)
    assert importer is not None
    qtbot.waitUntil(lambda: importer.frames_done >= 2, timeout=20_000)
    w.close()
    assert not importer.running
    root = sessions_dir()
    assert not root.exists() or list(root.iterdir()) == []


def test_opening_a_file_that_is_not_a_video_is_reported(qtbot, data_dir: Path, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("not a video")
    w = _open(qtbot, ReplayWindow())
    importer = w.open_path(bogus)
    assert importer is not None
    with qtbot.waitSignal(w.open_failed, timeout=10_000) as blocker:
        pass
    assert "notes.mp4" in blocker.args[0]
    assert w.model is None and not importer.running
    w.close()


def test_replay_command_opens_a_video_file(qapp, data_dir: Path, tmp_path: Path) -> None:
    from coach.cli import replay_cmd

    shot = tmp_path / "replay.png"
    code = replay_cmd.main([str(SHORT), "--exercise", "deadlift", "--duration", "1",
                            "--screenshot", str(shot), "--quit-after", "0.5"])
    assert code == 0
    assert shot.is_file() and shot.stat().st_size > 10_000
    (session,) = sessions_dir().iterdir()
    with SessionReader(session) as reader:
        assert reader.manifest["exercise"] == "deadlift"
        assert reader.duration_s == pytest.approx(1.0, abs=0.05)
    bogus = tmp_path / "bogus.mp4"
    bogus.write_text("no video")
    assert replay_cmd.main([str(bogus)]) == 2
