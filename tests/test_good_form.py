"""Reps marked good form set the athlete's personal anomaly threshold: the correction op, the library's
scores across an athlete's sessions (real SQLite), the replay model (a real recorded session) and the
replay window's K key (Qt offscreen)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
from test_library_fixtures import rep_end_frame, rep_event, squat_events, write_session

from coach.library import Library
from coach.ml.anomaly import personal_threshold
from coach.replay import RepList
from coach.session.events import apply_corrections

VIDEOS = Path(__file__).resolve().parents[1].parent / "shared" / "videos"


def _events_with_scores(scores: list[float]) -> list[dict]:
    events = squat_events([90.0] * len(scores))
    for i, score in enumerate(scores, 1):
        events[i] = rep_event(i, 0.5 + 2.0 * i, anomaly=score)
    return events


def test_personal_threshold_rescales_the_population_one_to_the_athletes_good_reps() -> None:
    assert personal_threshold([2.0, 4.0], default=9.0) == pytest.approx(27.0)  # 9 x their median 3
    assert personal_threshold([0.3, 0.5], default=9.0) == pytest.approx(3.6)  # consistent: tighter
    assert personal_threshold([0.5, 6.0], default=2.0) == pytest.approx(7.5)  # never flags a marked rep
    assert personal_threshold([0.1], default=2.0) == 1.0  # the floor
    assert personal_threshold([], default=9.0) == 9.0
    assert personal_threshold([math.nan, 2.0], default=9.0) == pytest.approx(18.0)
    assert personal_threshold([2.0], default=math.nan) == pytest.approx(2.5)  # no population threshold


def test_mark_good_sets_the_flag_a_later_line_wins_and_a_wrong_frame_is_a_note() -> None:
    events = _events_with_scores([2.0, 3.0])
    end1, end2 = rep_end_frame(2.5), rep_end_frame(4.5)
    out, notes = apply_corrections(events, [{"op": "mark_good", "frame": end1, "good": True}])
    reps = [e["rep"] for e in out if e["type"] == "rep_completed"]
    assert [r.get("good_form", False) for r in reps] == [True, False] and notes == []
    assert "good_form" not in events[1]["rep"]  # the recorded events are not modified
    out, _ = apply_corrections(
        events,
        [{"op": "mark_good", "frame": end2, "good": True}, {"op": "mark_good", "frame": end2, "good": False}],
    )
    assert not any(e["rep"].get("good_form") for e in out if e["type"] == "rep_completed")
    _, notes = apply_corrections(events, [{"op": "mark_good", "frame": 1, "good": True}])
    assert notes == ["correction 1: no rep ends at frame 1"]


def test_mark_good_stride_marks_the_scored_stride_a_later_line_wins_and_a_wrong_index_is_a_note() -> None:
    strides = [{"t": 1.0 + i, "frame": 30 * (i + 1), "type": "stride_anomaly", "stride_index": i + 1,
                "foot": "LR"[i % 2], "start_s": 0.5 + i, "end_s": 1.2 + i,
                "anomaly": {"score": 2.0 + i, "threshold": 9.0, "top_joints": [], "phase": ""}}
               for i in range(3)]  # fmt: skip
    marks = [{"op": "mark_good_stride", "index": 2, "good": True},
             {"op": "mark_good_stride", "index": 3, "good": True},
             {"op": "mark_good_stride", "index": 3, "good": False}]  # fmt: skip
    out, notes = apply_corrections(strides, marks)
    assert [e.get("good_form", False) for e in out] == [False, True, False] and notes == []
    assert all("good_form" not in e for e in strides)  # the recorded events are not modified
    _, notes = apply_corrections(strides, [{"op": "mark_good_stride", "index": 9, "good": True}])
    assert notes == ["correction 1: no scored stride 9"]


def test_rep_list_carries_the_verdict_and_the_mark() -> None:
    events = _events_with_scores([2.0, 7.0])
    # The live recorder writes the verdict as its own event, matched by the engine's rep index.
    del events[2]["rep"]["anomaly"]
    events.append({"t": 4.6, "frame": 138, "type": "anomaly", "rep_index": 2,
                   "anomaly": {"score": 7.0, "threshold": 5.0, "top_joints": ["left knee"], "phase": "x"}})
    out, _ = apply_corrections(events, [{"op": "mark_good", "frame": rep_end_frame(2.5), "good": True}])
    reps = RepList.from_events(out, lambda f: f)
    got = [(r.anomaly, r.anomaly_threshold, r.good_form) for r in reps]
    assert got == [(2.0, 0.5, True), (7.0, 5.0, False)]
    assert reps[1].top_joints == ("left knee",)


def test_library_collects_an_athletes_good_form_scores_across_sessions(tmp_path: Path) -> None:
    a = write_session(tmp_path / "a", _events_with_scores([2.0, 3.0, 8.0]),
                      corrections=[{"op": "mark_good", "frame": rep_end_frame(2.5), "good": True},
                                   {"op": "mark_good", "frame": rep_end_frame(4.5), "good": True}])
    b = write_session(tmp_path / "b", _events_with_scores([4.0, 5.0]), created="2025-01-11T09:00:00Z",
                      corrections=[{"op": "mark_good", "frame": rep_end_frame(4.5), "good": True}])
    write_session(tmp_path / "c", _events_with_scores([1.0]), athlete="ben",
                  corrections=[{"op": "mark_good", "frame": rep_end_frame(2.5), "good": True}])
    write_session(tmp_path / "d", _events_with_scores([6.0]), exercise="deadlift",
                  corrections=[{"op": "mark_good", "frame": rep_end_frame(2.5), "good": True}])
    with Library(tmp_path / "lib.sqlite3") as lib:
        for name in "abcd":
            lib.add(tmp_path / name)
        assert lib.good_form_scores("ana", "squat") == [2.0, 3.0, 5.0]
        assert lib.good_form_scores("ana", "squat", exclude_session=a["id"]) == [5.0]
        assert lib.good_form_scores("ana", "squat", exclude_session=b["id"]) == [2.0, 3.0]
        assert lib.good_form_scores("ben", "squat") == [1.0]
        assert [r["good_form"] for r in lib.reps(a["id"])] == [True, True, False]


@pytest.mark.video
def test_marking_reps_in_the_replay_sets_the_personal_threshold(squat_session: Path, tmp_path: Path) -> None:
    from coach.replay import ReplayModel

    session = Path(shutil.copytree(squat_session, tmp_path / "s"))
    asked: list[tuple[str, str, str | None]] = []

    def other_sessions(athlete: str, exercise: str, session_id: str | None) -> list[float]:
        asked.append((athlete, exercise, session_id))
        return [1.5]

    manifest = json.loads((session / "manifest.json").read_text())
    model = ReplayModel(session, on_corrected=lambda _p: None, good_form_source=other_sessions)
    try:
        assert asked == [(manifest["athlete"], "squat", manifest["id"])]
        scored = [r for r in model.reps if r.anomaly is not None]
        assert len(scored) >= 3, "the recorded squats carry the autoencoder's verdicts"
        first = scored[0]
        population = first.anomaly_threshold
        assert population is not None and all(r.anomaly_threshold == population for r in scored)
        # The athlete's good reps of other sessions already set it, before anything here is marked.
        assert model.personal_threshold() == pytest.approx(max(1.25 * 1.5, population * 1.5))
        assert model.threshold_for(first) == model.personal_threshold() != population
        assert model.toggle_good_form(first) is True
        expected = max(1.0, 1.25 * max(1.5, first.anomaly), population * (1.5 + first.anomaly) / 2)
        assert model.personal_threshold() == pytest.approx(expected)
        assert all(model.threshold_for(r) == pytest.approx(expected) for r in scored)
    finally:
        model.close()
    line = json.loads((session / "corrections.jsonl").read_text().splitlines()[-1])
    assert line == {"op": "mark_good", "frame": first.end_frame, "good": True}
    reopened = ReplayModel(session, on_corrected=lambda _p: None, good_form_source=lambda *_: [])
    try:
        rep = next(r for r in reopened.reps if r.end_frame == first.end_frame)
        assert rep.good_form and reopened.good_form_scores == [first.anomaly]
        assert reopened.toggle_good_form(rep) is False
        assert reopened.personal_threshold() is None
        assert reopened.threshold_for(rep) == rep.anomaly_threshold  # back to the population threshold
    finally:
        reopened.close()


def test_a_report_without_marked_reps_keeps_the_population_threshold() -> None:
    from coach.analysis.report import apply_personal_threshold

    report = {"rep_events": [{"anomaly": {"score": 3.0, "threshold": 9.0}}, {"anomaly": None}]}
    apply_personal_threshold(report, "ana", [])
    assert report["rep_events"][0]["anomaly"]["threshold"] == 9.0
    assert report["personal_threshold"] == {"athlete": "ana", "good_form_reps": 0, "threshold": None}
    apply_personal_threshold(report, "ana", [2.0, 4.0])
    assert report["rep_events"][0]["anomaly"]["threshold"] == pytest.approx(27.0)
    assert report["personal_threshold"]["threshold"] == pytest.approx(27.0)


@pytest.mark.video
def test_analyze_judges_reps_by_the_athletes_marked_reps_in_the_library(
    squat_session: Path, tmp_path: Path, full_model: Path
) -> None:
    """Two reps marked good in the replay (real session, real library in a private data directory), then
    `coach analyze --athlete` on the same clip uses the personal threshold in its JSON."""
    import os
    import subprocess
    import sys

    from conftest import SQUAT_SESSION_ATHLETE

    from coach.replay import ReplayModel

    env = {**os.environ, "COACH_DATA_DIR": str(tmp_path / "data")}
    session = Path(shutil.copytree(squat_session, tmp_path / "s"))
    model = ReplayModel(session, on_corrected=lambda _p: None, good_form_source=lambda *_: [])
    try:
        marked = [r for r in model.reps if r.anomaly is not None][:2]
        for rep in marked:
            model.toggle_good_form(rep)
        population = marked[0].anomaly_threshold
    finally:
        model.close()
    with Library(tmp_path / "data" / "library.sqlite3") as lib:
        lib.add(session)
        scores = lib.good_form_scores(SQUAT_SESSION_ATHLETE, "squat")
    assert sorted(scores) == sorted(r.anomaly for r in marked)
    out = subprocess.run(
        [sys.executable, "-m", "coach", "analyze", str(VIDEOS / "squat__front__nowva_goblet.mp4"), "--json",
         "--exercise", "squat", "--no-progress", "--pose-model", str(full_model),
         "--athlete", SQUAT_SESSION_ATHLETE],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    expected = round(personal_threshold(scores, default=population), 3)
    assert expected != population
    assert report["personal_threshold"] == {
        "athlete": SQUAT_SESSION_ATHLETE, "good_form_reps": 2, "threshold": expected
    }
    thresholds = {e["anomaly"]["threshold"] for e in report["rep_events"] if e["anomaly"] is not None}
    assert thresholds == {expected}


@pytest.mark.video
def test_record_with_an_athlete_judges_reps_by_their_personal_threshold(
    tmp_path: Path, full_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coach.cli import record_cmd
    from coach.ml.anomaly import RepAnomalyScorer
    from coach.session import SessionReader

    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    events = _events_with_scores([2.0, 3.0])
    marks = [{"op": "mark_good", "frame": rep_end_frame(t), "good": True} for t in (2.5, 4.5)]
    write_session(tmp_path / "earlier", events, corrections=marks, athlete="Rec Ana")
    with Library() as lib:
        lib.add(tmp_path / "earlier")
    out = tmp_path / "rec"
    code = record_cmd.main(["--source", str(VIDEOS / "squat__front__nowva_goblet.mp4"), "--exercise", "squat",
                            "--out", str(out), "--athlete", "Rec Ana", "--no-progress", "--no-index",
                            "--pose-model", str(full_model)])  # fmt: skip
    assert code == 0
    expected = personal_threshold([2.0, 3.0], default=RepAnomalyScorer().default_threshold("squat"))
    with SessionReader(out) as reader:
        verdicts = [e["anomaly"] for e in reader.events if e["type"] == "anomaly"]
    assert len(verdicts) >= 3
    assert all(v["threshold"] == pytest.approx(expected, abs=1e-3) for v in verdicts)


def test_exports_judge_reps_by_the_athletes_personal_threshold(tmp_path: Path) -> None:
    """The HTML/JSON/CSV exports read reps through `load_session`: the same verdicts as the replay."""
    from coach.export import load_session, render_html

    session = tmp_path / "s"
    write_session(session, _events_with_scores([2.0, 3.0, 8.0]),  # scored against 0.5: all flagged
                  corrections=[{"op": "mark_good", "frame": rep_end_frame(2.5), "good": True}])
    with load_session(session, good_form_source=lambda *_: []) as data:
        assert data.good_form_reps == 1  # its own marked rep (score 2.0)
        assert [r.anomaly_threshold for r in data.reps] == [pytest.approx(2.5)] * 3
        assert [r.flagged for r in data.reps] == [False, True, True]
    asked: list[tuple] = []
    with load_session(session, good_form_source=lambda *a: asked.append(a) or [4.0]) as data:
        assert asked == [("ana", "squat", data.manifest["id"])]
        assert data.good_form_reps == 2
        assert [r.anomaly_threshold for r in data.reps] == [pytest.approx(5.0)] * 3  # 1.25 x 4.0
        assert [r.flagged for r in data.reps] == [False, False, True]
        assert "ana&#x27;s personal threshold, from 2 reps marked good form" in render_html(data)
    unmarked = tmp_path / "u"
    write_session(unmarked, _events_with_scores([2.0, 3.0]))
    with load_session(unmarked, good_form_source=lambda *_: []) as data:
        assert data.good_form_reps == 0 and [r.anomaly_threshold for r in data.reps] == [0.5, 0.5]


def test_written_feedback_judges_strides_and_reps_by_the_personal_threshold(tmp_path: Path) -> None:
    """`coach feedback` and the replay's F key say what the list shows: once strides (reps) are marked
    good form, the written summary counts those above the athlete's personal threshold."""
    from test_library_fixtures import append_corrections, run_events

    from coach.feedback import load_summary

    scores = [2.0, 3.0, 20.0, 30.0, 40.0]  # population threshold 10: three above it
    strides = [{"t": 1.5 + i, "frame": 45 + 30 * i, "type": "stride_anomaly", "stride_index": i + 1,
                "foot": "LR"[i % 2], "start_s": 1.0 + i, "end_s": 1.7 + i,
                "anomaly": {"score": s, "threshold": 10.0, "top_joints": ["trunk"], "phase": ""}}
               for i, s in enumerate(scores)]  # fmt: skip
    events = sorted(run_events(0.35, 16, 0.2) + strides, key=lambda e: e["t"])
    run = tmp_path / "run"
    write_session(run, events, frames=240, exercise="running", athlete="Nobody Else")
    assert load_summary(run)["run"]["stride_anomaly"]["flagged_strides"] == 3
    append_corrections(run, [{"op": "mark_good_stride", "index": i, "good": True} for i in (3, 4)])
    personal = personal_threshold([20.0, 30.0], default=10.0)  # 250: the runner's strides all score high
    assert personal > 40.0
    assert load_summary(run)["run"]["stride_anomaly"]["flagged_strides"] == 0

    squat = tmp_path / "squat"  # reps alike: scores 2 and 3 against a population threshold of 0.5
    write_session(squat, _events_with_scores([2.0, 3.0]), athlete="Nobody Else")
    assert load_summary(squat)["set"]["anomaly"]["flagged_reps"] == [1, 2]
    append_corrections(squat, [{"op": "mark_good", "frame": rep_end_frame(2.5), "good": True}])
    assert personal_threshold([2.0], default=0.5) == 2.5  # 1.25 x the marked rep: rep 2 stays above
    assert load_summary(squat)["set"]["anomaly"]["flagged_reps"] == [2]
