"""The replay window on a real recorded session (goblet squat clip recorded once per module with the real
pose model), driven as a coach would: keys, clicks on the rep list and the plot, deleting a rep."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import show_replay_window
from PySide6.QtCore import QPoint, QPointF, Qt

from coach.replay import ReplayModel
from coach.session import SessionReader
from coach.ui.replay import ReplayWindow

# The clip behind `recorded` (conftest.squat_session); other modules import it with the fixtures.
CLIP = Path(__file__).resolve().parents[1].parent / "shared" / "videos" / "squat__front__nowva_goblet.mp4"

pytestmark = [pytest.mark.video, pytest.mark.usefixtures("no_thread_left_behind")]


@pytest.fixture(scope="module")
def recorded(squat_session: Path) -> Path:
    """The goblet squat recorded once per run (conftest); read-only, see `session`."""
    return squat_session


@pytest.fixture
def session(recorded: Path, tmp_path: Path) -> Path:
    """A private copy: tests write corrections into it."""
    return Path(shutil.copytree(recorded, tmp_path / "session"))




@pytest.fixture
def window(qtbot, session: Path) -> Iterator[ReplayWindow]:
    w = show_replay_window(qtbot, ReplayModel(session))
    qtbot.waitUntil(lambda: w.video.has_image(), timeout=2000)
    yield w
    w.close()


def _shown(w: ReplayWindow) -> np.ndarray:
    assert w.video._array is not None
    return w.video._array.copy()


def test_model_sees_the_recorded_reps(session: Path) -> None:
    model = ReplayModel(session)
    try:
        assert len(model.reps) >= 3
        assert np.isfinite(model.angle).mean() > 0.9
        for rep in model.reps:  # the knee bends in every rep: its bottom is well below its start
            assert model.angle[rep.bottom_row] < model.angle[rep.start_row] - 30
        best = model.reps.best()
        assert best is not None
        other = next(r for r in model.reps if r is not best)
        match = model.renderer.ghost_row(other.bottom_row, best)
        assert match is not None and abs(match - best.bottom_row) <= 4  # bottoms pair up
    finally:
        model.close()


def test_right_arrow_steps_exactly_one_frame(qtbot, window: ReplayWindow) -> None:
    window.controller.seek(100)
    qtbot.waitUntil(lambda: window.controller.shown_row == 100, timeout=1000)
    before_image, before_label = _shown(window), window.transport.frame_label.text()
    assert before_label.startswith("frame 101 /")
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.controller.shown_row == 101, timeout=1000)
    assert window.transport.frame_label.text().startswith("frame 102 /")
    assert not np.array_equal(_shown(window), before_image)
    qtbot.keyClick(window, Qt.Key.Key_Left)
    qtbot.waitUntil(lambda: window.controller.shown_row == 100, timeout=1000)
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    qtbot.waitUntil(lambda: window.controller.shown_row == 110, timeout=1000)
    qtbot.keyClick(window, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.controller.shown_row == 100, timeout=1000)


def test_space_plays_in_media_time_and_loop_keys(qtbot, window: ReplayWindow) -> None:
    pb = window.model.playback
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert pb.playing
    t0 = time.monotonic()
    qtbot.waitUntil(lambda: window.controller.shown_row >= 15, timeout=3000)  # 0.5 s of video
    assert time.monotonic() - t0 > 0.35  # paced, not as fast as it can decode
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not pb.playing
    pb.seek(50)
    qtbot.keyClick(window, Qt.Key.Key_I)
    pb.seek(55)
    qtbot.keyClick(window, Qt.Key.Key_O)
    qtbot.keyClick(window, Qt.Key.Key_L)
    assert (pb.loop_in, pb.loop_out, pb.loop) == (50, 55, True)
    pb.set_speed(2.0)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    seen: set[int] = set()
    window.controller.frame_rendered.connect(lambda _img, row: seen.add(row))
    qtbot.wait(700)  # 1.4 s of media at 2x: more than four passes over the 6-frame loop
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert seen and min(seen) == 50 and max(seen) == 55


def test_rep_list_click_and_bracket_keys_seek_to_reps(qtbot, window: ReplayWindow) -> None:
    reps = window.model.reps
    table = window.rep_table
    assert table.rowCount() == len(reps)
    target = reps[2]
    rect = table.visualRect(table.model().index(2, 1))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: window.controller.shown_row == target.start_row, timeout=1000)
    qtbot.keyClick(window, Qt.Key.Key_BracketRight)
    qtbot.waitUntil(lambda: window.controller.shown_row == reps[3].start_row, timeout=1000)
    qtbot.keyClick(window, Qt.Key.Key_BracketLeft)
    qtbot.waitUntil(lambda: window.controller.shown_row == target.start_row, timeout=1000)


def test_plot_cursor_follows_the_playhead_and_click_seeks(qtbot, window: ReplayWindow) -> None:
    ts = window.model.reader.media_ts
    for row in (40, 200, 41):
        window.controller.seek(row)
        qtbot.waitUntil(lambda r=row: abs(window.plot.cursor_time() - ts[r]) < 1e-9, timeout=1000)
    # Click the plot at 6 s: the playhead goes there.
    vb = window.plot.plot.getPlotItem().getViewBox()
    scene_pos = vb.mapViewToScene(QPointF(6.0, float(np.nanmean(window.model.angle))))
    widget_pos = window.plot.plot.mapFromScene(scene_pos)
    qtbot.mouseClick(window.plot.plot.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(int(widget_pos.x()), int(widget_pos.y())))
    qtbot.waitUntil(lambda: abs(ts[window.controller.shown_row] - 6.0) < 0.1, timeout=1000)


def test_delete_key_removes_the_selected_rep_and_saves_it(qtbot, window: ReplayWindow, session: Path) -> None:
    reps_before = list(window.model.reps)
    victim = reps_before[1]
    window.rep_table.selectRow(1)
    qtbot.keyClick(window, Qt.Key.Key_Delete)
    assert window.rep_table.rowCount() == len(reps_before) - 1
    assert (session / "corrections.jsonl").is_file()
    with SessionReader(session) as fresh:
        ends = [e["rep"]["end_frame"] for e in fresh.events if e["type"] in ("rep_completed", "partial_rep")]
    assert victim.end_frame not in ends
    assert len(ends) == len(reps_before) - 1
    # A new replay of the session shows the corrected list.
    again = ReplayModel(session)
    try:
        assert [r.start_frame for r in again.reps] == [r.start_frame for r in reps_before if r is not victim]
    finally:
        again.close()


def test_f_shows_written_feedback_that_follows_corrections(qtbot, window: ReplayWindow) -> None:
    # GPT is opt-in and off in the test's settings: the rule-based text appears at once.
    qtbot.keyClick(window, Qt.Key.Key_F)
    panel = window.feedback_panel
    assert panel is not None and window.feedback_dock is not None and window.feedback_dock.isVisible()
    reps = len(window.model.reps)
    qtbot.waitUntil(lambda: f"{reps} reps" in panel.text(), timeout=2000)
    assert "Rule-based" in panel.source_text() or "rule" in panel.source_text().lower()
    window.rep_table.selectRow(0)
    qtbot.keyClick(window, Qt.Key.Key_Delete)  # a correction: the numbers the text is built on change
    qtbot.waitUntil(lambda: f"{reps - 1} reps" in panel.text(), timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_F)
    assert not window.feedback_dock.isVisible()


def test_ghost_key_draws_the_best_rep(qtbot, window: ReplayWindow) -> None:
    best = window.model.reps.best()
    assert best is not None
    other = next(r for r in window.model.reps if r is not best)
    window.controller.seek(other.bottom_row)
    qtbot.waitUntil(lambda: window.controller.shown_row == other.bottom_row, timeout=1000)
    plain = _shown(window)
    qtbot.keyClick(window, Qt.Key.Key_G)
    qtbot.waitUntil(lambda: not np.array_equal(_shown(window), plain), timeout=1000)
    assert window.model.ghost
    qtbot.keyClick(window, Qt.Key.Key_G)
    qtbot.waitUntil(lambda: np.array_equal(_shown(window), plain), timeout=1000)


def test_replay_command_opens_plays_and_screenshots(qapp, session: Path, tmp_path: Path) -> None:
    from coach.cli import replay_cmd

    shot = tmp_path / "replay.png"
    assert replay_cmd.main([str(session), "--play", "--screenshot", str(shot), "--quit-after", "1.0"]) == 0
    assert shot.is_file() and shot.stat().st_size > 10_000
    assert replay_cmd.main([str(tmp_path / "missing")]) == 2


def test_k_marks_a_rep_as_good_form_and_the_list_judges_by_the_personal_threshold(
    qtbot, session: Path
) -> None:
    from coach.ui.replay.rep_table import COLUMNS

    good_col = [c[0] for c in COLUMNS].index("good")
    form_col = [c[0] for c in COLUMNS].index("form score")
    w = show_replay_window(qtbot, ReplayModel(session, good_form_source=lambda *_: []))  # no other sessions
    try:
        table, reps = w.rep_table, w.model.reps
        population = reps[0].anomaly_threshold
        assert population is not None and reps[0].anomaly is not None
        assert table.item(0, form_col).text().startswith(f"{reps[0].anomaly:.1f}")
        table.selectRow(0)
        qtbot.keyClick(w, Qt.Key.Key_K)
        marked = w.model.reps[0]
        assert marked.good_form and table.item(0, good_col).text() == "✓"
        personal = max(1.0, 1.25 * marked.anomaly, population * marked.anomaly)
        assert w.model.personal_threshold() == pytest.approx(personal)
        assert f"personal threshold {personal:.1f} from 1 good-form rep" in w.statusBar().currentMessage()
        for row, rep in enumerate(w.model.reps):  # every scored rep is now judged by the personal one
            text = table.item(row, form_col).text()
            if rep.anomaly is not None:
                assert text.endswith(" ok") if rep.anomaly <= personal else f"> {personal:.1f}" in text
        assert (session / "corrections.jsonl").read_text().count('"mark_good"') == 1
        table.selectRow(0)
        qtbot.keyClick(w, Qt.Key.Key_K)  # take the mark back
        assert not w.model.reps[0].good_form and table.item(0, good_col).text() == ""
        assert w.model.personal_threshold() is None
    finally:
        w.close()
