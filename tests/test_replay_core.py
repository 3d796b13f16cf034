"""The replay's plain parts (no Qt, no video): playback transport, rep list, corrections file, DTW."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from coach.replay import Corrections, Playback, RepList, align_reps, dtw_path
from coach.replay.align import fill_gaps
from coach.session.events import apply_corrections

FPS = 30.0


def _playback(n: int = 100) -> Playback:
    return Playback(np.arange(n) / FPS, FPS)


def test_step_and_seek_clamp_to_the_session() -> None:
    p = _playback()
    p.step(1)
    assert p.row == 1
    p.step(10)
    assert p.row == 11
    p.step(-20)
    assert p.row == 0
    p.seek(1000)
    assert p.row == 99
    p.seek_time(0.5)
    assert p.row == 15
    p.seek_time(0.51)  # between frames: the frame on screen at that moment
    assert p.row == 15


def test_step_pauses_and_play_at_the_end_restarts() -> None:
    p = _playback()
    p.play()
    p.step(1)
    assert not p.playing
    p.seek(99)
    p.play()
    assert p.playing and p.row == 0


def test_advance_paces_by_media_time_and_speed() -> None:
    p = _playback()
    p.play()
    for _ in range(10):  # 10 ticks of 10 ms = 0.1 s = 3 frames at 1x
        p.advance(0.01)
    assert p.row == 3
    p.set_speed(0.5)
    p.advance(0.2)  # 0.1 s of media at half speed
    assert p.row == 6
    p.set_speed(5.0)
    assert p.speed == 2.0
    p.set_speed(0.0)
    assert p.speed == 0.1


def test_playing_stops_at_the_end_without_loop() -> None:
    p = _playback(10)
    p.play()
    p.advance(5.0)
    assert p.row == 9
    assert not p.playing


def test_loop_range_wraps() -> None:
    p = _playback()
    p.seek(20)
    p.set_loop_in()
    p.seek(29)
    p.set_loop_out()
    p.set_loop(True)
    p.play()
    assert p.row == 29
    p.advance(1.0 / FPS + 1e-6)  # past the end of the out frame: back to the in frame
    assert p.row == 20
    rows = []
    for _ in range(60):
        p.advance(1.0 / FPS)
        rows.append(p.row)
    assert min(rows) == 20 and max(rows) == 29
    p.set_loop(False)
    p.advance(5.0)
    assert p.row == 99


def test_prev_next_mark() -> None:
    p = _playback()
    marks = [10, 40, 70]
    assert p.next_mark(marks) and p.row == 10
    assert p.next_mark(marks) and p.row == 40
    assert p.prev_mark(marks) and p.row == 10
    assert not p.prev_mark(marks) and p.row == 10
    p.seek(70)
    assert not p.next_mark(marks) and p.row == 70


def test_listeners_hear_changes() -> None:
    p = _playback()
    calls: list[int] = []
    p.subscribe(lambda: calls.append(p.row))
    p.step(2)
    p.toggle()
    assert calls[0] == 2 and len(calls) >= 2


def _rep_event(start: int, bottom: int, end: int, *, rom: float, faults: int = 0) -> dict:
    return {"t": end / FPS, "frame": end, "type": "rep_completed", "set_index": 1,
            "rep": {"index": None, "start_s": start / FPS, "bottom_s": bottom / FPS, "end_s": end / FPS,
                    "start_frame": start, "bottom_frame": bottom, "end_frame": end, "partial": False,
                    "truncated": False, "metrics": {"rom": rom, "duration_s": (end - start) / FPS},
                    "faults": [{"rule": "depth", "cue": "lower"}] * faults}}


def test_rep_list_rows_counts_and_best() -> None:
    events = [_rep_event(10, 20, 30, rom=1.0), _rep_event(40, 50, 60, rom=1.3, faults=1),
              _rep_event(70, 80, 90, rom=1.2)]
    reps = RepList.from_events(events, row_of_frame=lambda f: f - 5)  # 5 frames were not recorded
    assert [r.number for r in reps] == [1, 2, 3]
    assert reps[0].start_row == 5 and reps[0].end_row == 25
    assert reps.at_row(50) is reps[1]
    assert reps.at_row(30) is None
    assert reps.counts_at(60) == (2, 0)
    assert reps.best() is reps[2]  # the deepest rep has a fault: the best clean one wins


def test_corrections_append_lines_and_apply(tmp_path: Path) -> None:
    events = [_rep_event(10, 20, 30, rom=1.0), _rep_event(40, 50, 60, rom=1.3),
              {"t": 3.0, "frame": 90, "type": "gait_event", "kind": "initial_contact", "foot": "L"}]
    corr = Corrections(tmp_path, events)
    corr.delete_rep(30)
    corr.add_rep(start_frame=100, bottom_frame=110, end_frame=120, start_s=3.3, bottom_s=3.6, end_s=4.0)
    corr.move_gait_event(frame=90, kind="initial_contact", foot="L", to_frame=92, to_t=92 / FPS)
    lines = [json.loads(x) for x in (tmp_path / "corrections.jsonl").read_text().splitlines()]
    assert [c["op"] for c in lines] == ["delete_rep", "add_rep", "move_gait_event"]
    # What any reader computes from the file is what the object shows.
    assert apply_corrections(events, lines)[0] == corr.events
    reps = RepList.from_events(corr.events, row_of_frame=lambda f: f)
    assert [(r.start_frame, r.added) for r in reps] == [(40, False), (100, True)]
    gait = [e for e in corr.events if e["type"] == "gait_event"]
    assert gait[0]["frame"] == 92 and gait[0]["moved_from"] == 90
    with pytest.raises(ValueError, match="no rep ends at frame 30"):
        corr.delete_rep(30)  # already gone: nothing written
    assert len((tmp_path / "corrections.jsonl").read_text().splitlines()) == 3


def test_dtw_aligns_a_slow_rep_to_a_fast_one() -> None:
    # The same squat-like dip, one rep with a long pause at the bottom.
    fast = 170 - 100 * np.sin(np.linspace(0, np.pi, 30))
    slow = np.concatenate([170 - 100 * np.sin(np.linspace(0, np.pi / 2, 15)), np.full(20, 70.0),
                           170 - 100 * np.sin(np.linspace(np.pi / 2, np.pi, 15))])
    al = align_reps(slow, fast)
    assert al.distance < 3.0
    assert len(al.b_index) == len(slow)
    assert np.all(np.diff(al.b_index) >= 0)  # time never runs backwards
    # Every frame of the pause pairs with the fast rep's bottom, not with where frame k would be.
    bottom = int(np.argmin(fast))
    assert all(abs(al.map(i) - bottom) <= 1 for i in range(16, 34))
    assert al.map(0) == 0 and al.map(len(slow) - 1) == len(fast) - 1
    # A shape that does not match costs more than one that does.
    assert align_reps(slow, np.linspace(170, 70, 30)).distance > al.distance


def test_dtw_path_endpoints_and_gaps() -> None:
    path = dtw_path(np.array([0.0, 1, 2, 3]), np.array([0.0, 0, 1, 2, 3]))
    assert tuple(path[0]) == (0, 0) and tuple(path[-1]) == (3, 4)
    filled = fill_gaps(np.array([1.0, np.nan, 3.0, np.nan]))
    assert filled is not None and filled.tolist() == [1.0, 2.0, 3.0, 3.0]
    assert fill_gaps(np.array([np.nan, 1.0])) is None
    unmeasured = align_reps(np.full(10, np.nan), np.arange(5.0))
    assert np.isnan(unmeasured.distance) and unmeasured.map(9) == 4


def test_replay_core_loads_no_qt() -> None:
    import subprocess
    import sys

    code = "import sys, coach.replay; print(any(m.startswith(('PySide6', 'pyqtgraph')) for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
