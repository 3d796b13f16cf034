"""The live window on the real pipeline: a real squat clip stands in for the camera (paced in real time).

These tests drive the window as a user would (Start, Space, M, R, close) and check what a user notices:
frames shown, the rep counter going up, plots filling, count cues reaching the speaker, and nothing left
running after Stop or close. The speaker is a `RecordingSpeaker` through the same interface as the real one.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from coach.cues import RecordingSpeaker
from coach.library import Library
from coach.session import SessionReader, verify
from coach.settings import load_settings, sessions_dir
from coach.ui.session import RECORDING_SAVED

CLIP = Path(__file__).resolve().parents[1].parent / "shared" / "videos" / "squat__front__nowva_goblet.mp4"

pytestmark = [pytest.mark.video, pytest.mark.usefixtures("no_thread_left_behind")]


def test_live_window_counts_reps_plots_and_speaks(qtbot, make_live_window, labels) -> None:
    speaker = RecordingSpeaker()
    window = make_live_window(speaker)
    before = set(threading.enumerate())
    counts_seen: list[int] = []
    window.session.result_arrived.connect(lambda _r: counts_seen.append(int(window.side_panel.reps_text())))

    assert window.start()
    assert window.controls.start_button.text() == "Stop"
    # The whole clip (12 s at its real frame rate); the session stops by itself when the video ends.
    qtbot.waitUntil(lambda: not window.session.running, timeout=60_000)

    reps = int(window.side_panel.reps_text())
    assert window.video.frames_shown > 30 and window.video.has_image()
    assert counts_seen[0] == 0 and reps >= 1 and counts_seen == sorted(counts_seen)  # it went up
    assert reps <= labels[CLIP.name]["reps"]  # never phantom reps
    assert window.plots.angle_samples() > 100 and window.plots.curve_points() > 100
    assert window.plots.rep_markers() == reps + int(window.side_panel.partial_label.text())
    # The form model scored every rep shown: a bar per rep in the side panel and the plot, no dash.
    bars = window.side_panel.anomaly_bars.scores()
    assert bars and all(score is not None and 0.0 <= score <= 1.0 for _i, score in bars)
    assert window.plots.anomaly_reps() == len(bars)
    assert "1" in speaker.texts()  # the first rep's count reached the speaker
    assert window.status.currentMessage().startswith("Stopped: Video ended")
    assert window.controls.start_button.text() == "Start"
    assert [t for t in threading.enumerate() if t not in before] == []
    saved = load_settings(Path(window._settings_path))
    assert (saved.source, saved.exercise) == (str(CLIP), "squat")


def test_count_reps_aloud_off_silences_the_counts_but_not_the_coaching(qtbot, make_live_window) -> None:
    speaker = RecordingSpeaker()
    window = make_live_window(speaker)
    window.counts_action.setChecked(False)  # Session > Count reps aloud, unticked before Start
    assert not window.session.speak_counts
    assert window.start()
    qtbot.waitUntil(lambda: not window.session.running, timeout=60_000)
    assert int(window.side_panel.reps_text()) >= 1  # reps were counted on screen...
    assert [c for c in speaker.spoken if c.kind == "count"] == []  # ...but none was said
    assert any(c.text.startswith("Set done") for c in speaker.spoken)  # the rest of the coaching was
    assert not load_settings(Path(window._settings_path)).speak_counts


def test_keyboard_start_mute_record_stop_and_close(qtbot, make_live_window) -> None:
    speaker = RecordingSpeaker()
    window = make_live_window(speaker)
    before = set(threading.enumerate())

    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.video.frames_shown >= 5, timeout=20_000)
    assert window.session.running
    assert {t.name for t in threading.enumerate()} >= {"coach-live-capture", "coach-live-analysis"}

    qtbot.keyClick(window, Qt.Key.Key_M)
    assert speaker.muted and window.controls.mute_box.isChecked()
    qtbot.keyClick(window, Qt.Key.Key_R)  # record a bit, then R again
    assert window.session.recording and window.status.recording_text().startswith("● REC")
    assert "coach-session-writer" in {t.name for t in threading.enumerate()}
    shown = window.video.frames_shown
    qtbot.waitUntil(lambda: window.video.frames_shown >= shown + 15, timeout=20_000)
    qtbot.waitUntil(lambda: " rec · " in window.status.recording_text(), timeout=5_000)
    qtbot.keyClick(window, Qt.Key.Key_R)
    assert not window.session.recording and window.status.recording_text() == ""
    assert window.session.running  # stopping the recording does not stop the live session
    message = window.status.currentMessage()
    assert message.startswith(RECORDING_SAVED) and "not added" not in message
    directory = Path(message.split(": ", 1)[1].split(" (")[0])
    assert directory.parent == sessions_dir() and directory.name.endswith("_squat")
    session = SessionReader(directory)
    assert session.frame_count >= 10 and session.manifest["closed"] and verify(directory).ok
    with Library() as library:
        assert str(directory) in {str(row.path) for row in library.list_sessions()}

    t0 = time.monotonic()
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not window.session.running and time.monotonic() - t0 < 3.0
    assert [t for t in threading.enumerate() if t not in before] == []
    assert window.settings.muted and load_settings(Path(window._settings_path)).muted

    qtbot.keyClick(window, Qt.Key.Key_Space)  # start again, then close the window while running
    qtbot.waitUntil(lambda: window.session.running and window.video.frames_shown >= 8, timeout=20_000)
    window.close()
    assert speaker.closed and not window.session.running
    assert [t for t in threading.enumerate() if t not in before] == []


def test_missing_video_is_reported_and_nothing_starts(qtbot, make_live_window, tmp_path: Path) -> None:
    window = make_live_window(RecordingSpeaker(), source=str(tmp_path / "gone.mp4"))
    assert not window.start()
    assert "Could not start" in window.status.currentMessage()
    assert "gone.mp4" in window.status.currentMessage()
    assert not window.session.running and window.controls.start_button.text() == "Start"


def test_unavailable_speaker_is_reported_once_and_the_app_keeps_going(qtbot, make_live_window) -> None:
    speaker = RecordingSpeaker(available=False, unavailable_reason="no audio device")
    window = make_live_window(speaker)
    assert "no audio device" in window.status.currentMessage()
    assert window.start()
    qtbot.waitUntil(lambda: window.video.frames_shown >= 5, timeout=20_000)
    window.stop()
    assert window.status.currentMessage().startswith("Stopped")


def test_recording_while_the_clip_ends_is_saved_and_indexed(qtbot, make_live_window) -> None:
    window = make_live_window(RecordingSpeaker())
    qtbot.keyClick(window, Qt.Key.Key_R)  # not running: nothing to record, said so
    assert not window.session.recording and "Start the live session" in window.status.currentMessage()
    assert window.start()
    qtbot.waitUntil(lambda: window.video.frames_shown >= 3, timeout=20_000)
    window.toggle_recording()
    assert window.session.recording
    # The clip ends by itself: the recording is closed with the run, saved and indexed.
    qtbot.waitUntil(lambda: not window.session.running, timeout=60_000)
    assert not window.session.recording and window.status.recording_text() == ""
    message = window.status.currentMessage()
    assert message.startswith("Stopped: Video ended") and RECORDING_SAVED in message
    directory = Path(message.split(f"{RECORDING_SAVED}: ", 1)[1].split(" (")[0])
    session = SessionReader(directory)
    assert session.manifest["stop_reason"] == "end_of_video" and verify(directory).ok
    recorded_reps = sum(e["type"] == "rep_completed" for e in session.events)
    assert 1 <= recorded_reps <= int(window.side_panel.reps_text())
    with Library() as library:
        rows = [r for r in library.list_sessions() if str(r.path) == str(directory)]
    assert len(rows) == 1 and rows[0].exercise == "squat" and rows[0].reps == recorded_reps


def test_the_athlete_is_recorded_and_their_good_form_reps_set_the_live_threshold(
    qtbot, make_live_window, tmp_path: Path
) -> None:
    from test_library_fixtures import rep_end_frame, rep_event, squat_events, write_session

    from coach.ml.anomaly import RepAnomalyScorer, personal_threshold

    name = "Ana Live"
    # An earlier session of hers with two reps marked good form (scores 2 and 3), in the library.
    events = squat_events([90.0, 90.0])
    events[1], events[2] = rep_event(1, 2.5, anomaly=2.0), rep_event(2, 4.5, anomaly=3.0)
    marks = [{"op": "mark_good", "frame": rep_end_frame(t), "good": True} for t in (2.5, 4.5)]
    earlier = tmp_path / "earlier"
    write_session(earlier, events, corrections=marks, athlete=name)
    with Library() as library:
        library.add(earlier)
    expected = personal_threshold([2.0, 3.0], default=RepAnomalyScorer().default_threshold("squat"))

    window = make_live_window(RecordingSpeaker())
    window.controls.athlete_edit.setText("  Ana   Live ")
    window.controls.athlete_edit.editingFinished.emit()  # what Enter does
    assert window.controls.athlete() == name
    assert load_settings(Path(window._settings_path)).athlete == name
    assert window.start()
    assert not window.controls.athlete_edit.isEnabled()  # fixed while running, like the source
    qtbot.waitUntil(lambda: window.video.frames_shown >= 3, timeout=20_000)
    window.toggle_recording()
    qtbot.waitUntil(lambda: not window.session.running, timeout=60_000)
    message = window.status.currentMessage()
    directory = Path(message.split(f"{RECORDING_SAVED}: ", 1)[1].split(" (")[0])
    session = SessionReader(directory)
    assert session.manifest["athlete"] == name
    verdicts = [e["anomaly"] for e in session.events if e["type"] == "anomaly"]
    assert verdicts, "the recorded squats were scored"
    assert all(v["threshold"] == pytest.approx(expected, abs=1e-3) for v in verdicts)
    with Library() as library:
        assert name in library.athletes()
        assert {r.athlete for r in library.list_sessions() if str(r.path) == str(directory)} == {name}


def test_a_runner_sees_one_anomaly_bar_per_scored_stride(qtbot, make_live_window) -> None:
    run = CLIP.parent / "running__treadmill_side__gaitlab_male_side.mp4"
    window = make_live_window(RecordingSpeaker(), source=str(run), exercise="running")
    strides: list[int] = []
    steps: list[int] = []  # what the overlay's counter showed: a run counts steps, not reps
    window.session.result_arrived.connect(
        lambda r: (steps.append(r.steps), strides.append(r.last_stride["index"]) if r.last_stride else None)
    )
    assert window.start()
    qtbot.waitUntil(lambda: not window.session.running, timeout=60_000)
    panel = window.side_panel
    assert panel.anomaly_group.title() == "Anomaly per stride" and panel.rep_group.isHidden()
    assert not panel.anomaly_group.isHidden() and not panel.gait_group.isHidden()
    bars = panel.anomaly_bars.scores()
    # 12 s of running at ~2.8 strides/s: the bars keep the last 12, each one a scored stride, in order (the
    # panel refreshes at 10 Hz, so a stalled GUI thread could skip one: not asserted consecutive).
    indices = [i for i, _s in bars]
    assert len(bars) == 12 and strides and indices[-1] == max(strides) > 12
    assert indices == sorted(set(indices))
    assert all(score is not None and 0.0 <= score <= 1.0 for _i, score in bars)
    assert steps == sorted(steps) and steps[-1] > 20 and window.side_panel.reps_text() == "0"
