"""The plain parts of comparing reps and correcting a session (no Qt, no video): which reps are paired,
the DTW index mapping behind the side-by-side view, the figures it shows, the bottom of an added rep, and
the loop range a coach sets before adding one."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coach.replay import Playback, RepList, align_reps, extreme_row, metric_rows, pick_pair, rep_figures
from coach.replay.compare import RepComparison
from coach.session.events import apply_corrections

FPS = 30.0


def _rep_event(start: int, bottom: int, end: int, *, rom: float, faults: int = 0) -> dict:
    return {"t": end / FPS, "frame": end, "type": "rep_completed", "set_index": 1,
            "rep": {"index": None, "start_s": start / FPS, "bottom_s": bottom / FPS, "end_s": end / FPS,
                    "start_frame": start, "bottom_frame": bottom, "end_frame": end, "partial": False,
                    "truncated": False, "metrics": {"rom": rom, "depth": rom / 4,
                                                    "duration_s": (end - start) / FPS},
                    "faults": [{"rule": "knees_in", "cue": "knees out"}] * faults}}


def _reps() -> RepList:
    # Rep 3 is the best (no fault, largest range of motion among the clean ones).
    events = [_rep_event(10, 20, 30, rom=1.0), _rep_event(40, 50, 60, rom=1.4, faults=1),
              _rep_event(70, 85, 110, rom=1.2), _rep_event(120, 130, 140, rom=0.9)]
    return RepList.from_events(events, row_of_frame=lambda f: f)


def test_pick_pair_follows_the_selection_then_the_playhead_against_the_best() -> None:
    reps = _reps()
    a, b = pick_pair(reps, [3, 1], current_row=0)
    assert (a.number, b.number) == (2, 4)  # two selected: in list order, whatever the click order
    a, b = pick_pair(reps, [0], current_row=125)
    assert (a.number, b.number) == (1, 3)  # one selected: against the best
    a, b = pick_pair(reps, [], current_row=125)
    assert (a.number, b.number) == (4, 3)  # nothing selected: the rep under the playhead
    with pytest.raises(ValueError, match="best rep"):
        pick_pair(reps, [], current_row=90)  # standing on the best rep itself
    with pytest.raises(ValueError, match="stand on a rep"):
        pick_pair(reps, [], current_row=35)  # between reps
    with pytest.raises(ValueError, match="two reps"):
        pick_pair(RepList(reps.reps[:1]), [0], current_row=15)


def _dip(n_down: int, n_hold: int, n_up: int) -> np.ndarray:
    down = 170 - 100 * np.sin(np.linspace(0, np.pi / 2, n_down))
    up = 170 - 100 * np.sin(np.linspace(np.pi / 2, np.pi, n_up))
    return np.concatenate([down, np.full(n_hold, 70.0), up])


def test_comparison_maps_rep_a_frames_to_the_matching_moment_of_rep_b() -> None:
    # Rep A (rows 100..149) pauses at the bottom; rep B (rows 10..39) does not.
    angle = np.full(200, 170.0)
    angle[100:150] = _dip(15, 20, 15)
    angle[10:40] = _dip(15, 0, 15)
    events = [_rep_event(10, 24, 39, rom=1.0), _rep_event(100, 120, 149, rom=1.0)]
    reps = RepList.from_events(events, row_of_frame=lambda f: f)
    b, a = reps[0], reps[1]
    cmp = RepComparison(a, b, align_reps(angle[a.start_row:a.end_row + 1], angle[b.start_row:b.end_row + 1]))
    assert cmp.length == 50
    assert cmp.rows(0) == (100, 10)
    assert cmp.rows(49) == (149, 39)
    assert cmp.rows(10_000) == (149, 39)  # clamped
    b_bottom = 10 + int(np.argmin(angle[10:40]))
    for i in range(16, 34):  # every frame of A's pause shows B at its bottom
        row_a, row_b = cmp.rows(i)
        assert row_a == 100 + i and abs(row_b - b_bottom) <= 1
    b_rows = [cmp.rows(i)[1] for i in range(cmp.length)]
    assert b_rows == sorted(b_rows)  # B never runs backwards while A plays forwards
    # The normalised playhead: 0 and 1 are the ends of rep A, and positions round-trip.
    assert cmp.index_at(0.0) == 0 and cmp.index_at(1.0) == 49 and cmp.index_at(0.5) == 24
    assert cmp.index_at(-3) == 0 and cmp.index_at(float("nan")) == 0
    assert all(cmp.index_at(cmp.fraction_of(i)) == i for i in range(cmp.length))
    assert cmp.distance < 3.0
    with pytest.raises(ValueError, match="alignment covers"):
        RepComparison(b, a, cmp.alignment)  # an alignment made for another rep


def test_figures_and_metric_rows_cover_an_added_rep_without_recorded_metrics() -> None:
    angle = np.full(200, 170.0)
    angle[10:40] = _dip(15, 0, 15)
    angle[100:150] = _dip(15, 20, 15)
    angle[105] = np.nan  # one unmeasured frame: NaN in, skipped, not a zero
    events = [_rep_event(10, 24, 39, rom=1.0, faults=1)]
    corrected, notes = apply_corrections(events, [{"op": "add_rep", "start_frame": 100, "bottom_frame": 120,
                                                   "end_frame": 149, "start_s": 100 / FPS,
                                                   "bottom_s": 120 / FPS, "end_s": 149 / FPS}])
    assert not notes
    reps = RepList.from_events(corrected, row_of_frame=lambda f: f)
    recorded, added = reps[0], reps[1]
    assert added.added and not added.metrics
    ts = np.arange(200) / FPS
    figs = rep_figures(added, angle, ts)
    assert figs["duration_s"] == pytest.approx(49 / FPS)
    assert figs["to_bottom_s"] == pytest.approx(20 / FPS)
    assert figs["from_bottom_s"] == pytest.approx(29 / FPS)
    assert figs["bottom_angle"] == pytest.approx(70.0)
    assert figs["angle_range"] == pytest.approx(100.0)
    cmp = RepComparison(added, recorded, align_reps(angle[100:150], angle[10:40]))
    rows = {label: (ta, tb) for label, ta, tb in metric_rows(cmp, angle, ts, "knee")}
    assert rows["duration s"] == ("1.63", "0.97")
    assert rows["knee angle range deg"] == ("100", "100")
    assert rows["depth"] == ("—", "0.25")  # the added rep has no recorded depth: shown as missing
    assert rows["faults"] == ("none", "knees_in")


def test_extreme_row_finds_the_bottom_whatever_the_direction() -> None:
    squat = np.concatenate([np.full(5, 170.0), _dip(10, 3, 10), np.full(5, 170.0)])
    assert extreme_row(squat, 0, len(squat) - 1) == int(np.argmin(squat))
    raise_ = 180 - squat  # a lateral raise: the angle goes up during the rep
    assert extreme_row(raise_, 0, len(raise_) - 1) == int(np.argmax(raise_))
    # Rows are session rows: only the given range counts (the deeper first dip is outside it).
    two = np.concatenate([squat - 10, squat])
    assert extreme_row(two, len(squat), len(two) - 1) == len(squat) + int(np.argmin(squat))
    gappy = squat.copy()
    gappy[int(np.argmin(squat))] = np.nan
    assert 0 < abs(extreme_row(gappy, 0, len(gappy) - 1) - int(np.argmin(squat))) <= 2
    assert extreme_row(np.full(20, np.nan), 4, 10) == 7  # nothing measured: the middle of the range
    with pytest.raises(ValueError, match="not inside"):
        extreme_row(squat, 10, 1000)


def test_loop_range_counts_as_set_only_after_i_or_o() -> None:
    p = Playback(np.arange(100) / FPS, FPS)
    assert not p.range_set and (p.loop_in, p.loop_out) == (0, 99)
    p.seek(20)
    p.set_loop_in()
    assert p.range_set
    q = Playback(np.arange(100) / FPS, FPS)
    q.set_loop_out(40)
    assert q.range_set and (q.loop_in, q.loop_out) == (0, 40)
    assert not math.isnan(q.t)
