"""Gait strides scored by the anomaly model while recording (`coach record`, the live pipeline's analysis
step): a real running clip gets one verdict per gait cycle, replaying the stored landmarks through a fresh
gait engine and scoring them offline gives exactly the recorded verdicts, and the session's written summary
says how many strides the model flagged. Strides marked good form in the replay (K) set the runner's
personal threshold: in the replay list, in the library and in their next recording."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import show_replay_window
from PySide6.QtCore import Qt

from coach.analysis.model_scores import cycle_rows
from coach.cli import record_cmd
from coach.cli.main import main as coach_main
from coach.export import export_csv, load_session, render_html, session_document
from coach.feedback import rule_based_summary
from coach.feedback.summary_input import summary_from_events
from coach.library import Library
from coach.live.activity import ActivityTracker
from coach.live.models import athlete_thresholds
from coach.live.step import IntervalView
from coach.ml import RepAnomalyScorer
from coach.ml.anomaly import personal_threshold
from coach.pose.types import PoseSample
from coach.replay import ReplayModel
from coach.session import SessionReader
from coach.ui.replay.rep_table import STRIDE_COLUMNS

pytestmark = pytest.mark.video

VIDEOS = Path(__file__).resolve().parents[1].parent / "shared" / "videos"
RUN = VIDEOS / "running__treadmill_side__gaitlab_male_side.mp4"
RUNNER = "Ria Stride"  # only this module's recordings are hers in the test library


def _record(out: Path, model: Path) -> Path:
    code = record_cmd.main(["--source", str(RUN), "--exercise", "running", "--out", str(out),
                            "--athlete", RUNNER, "--no-progress", "--pose-model", str(model)])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory, full_model: Path) -> Path:
    return _record(tmp_path_factory.mktemp("rec") / "run", full_model)


def test_every_gait_cycle_recorded_gets_one_stride_verdict(session: Path) -> None:
    with SessionReader(session) as r:
        events = r.events
    strides = [e for e in events if e["type"] == "stride_anomaly"]
    contacts = [e for e in events if e["type"] == "gait_event" and e["kind"] == "initial_contact"]
    # A cycle is one foot's contact to its next one (with its toe-off and both mid-stances between): at
    # most every contact but each foot's last starts one.
    assert 10 < len(strides) <= len(contacts) - 2
    assert [e["stride_index"] for e in strides] == list(range(1, len(strides) + 1))
    starts = {(round(e["t"], 4), e["foot"]) for e in contacts}
    for e in strides:
        assert (e["start_s"], e["foot"]) in starts and e["end_s"] > e["start_s"]
        assert {"score", "threshold", "top_joints", "phase"} <= e["anomaly"].keys()
        assert e["anomaly"]["threshold"] > 0 and np.isfinite(e["anomaly"]["score"])
    assert {e["foot"] for e in strides} == {"L", "R"}


def test_replaying_the_stored_landmarks_gives_the_recorded_stride_verdicts(session: Path) -> None:
    scorer = RepAnomalyScorer()
    with SessionReader(session) as r:
        tracker = ActivityTracker("running")
        views = IntervalView()
        for i in range(r.frame_count):
            t, f = float(r.media_ts[i]), int(r.frame_index[i])
            tracker.update(PoseSample(t, f, r.pose(i)), views.update(t, r.pose(i)))
        cycles = tracker.new_cycles()
        landmarks, world, media_ts, size = r.landmarks, r.world, r.media_ts, r.image_size
        recorded = [e for e in r.events if e["type"] == "stride_anomaly"]
    assert len(cycles) == len(recorded)
    for cycle, e in zip(cycles, recorded, strict=True):
        first, last = cycle_rows(media_ts, cycle)
        offline = scorer.score_rep("running", landmarks, world, size, first, last).to_json()
        assert (cycle.foot.value, round(cycle.t0, 4), round(cycle.t1, 4)) == (e["foot"], e["start_s"],
                                                                             e["end_s"])
        assert offline["score"] == pytest.approx(e["anomaly"]["score"], rel=1e-3)
        assert offline["top_joints"] == e["anomaly"]["top_joints"]


def test_the_written_summary_counts_the_flagged_strides(session: Path) -> None:
    with SessionReader(session) as r:
        strides = [e for e in r.events if e["type"] == "stride_anomaly"]
        summary = summary_from_events(r.events, exercise="running")
    flagged = sum(e["anomaly"]["score"] > e["anomaly"]["threshold"] for e in strides)
    verdict = summary["run"]["stride_anomaly"]
    assert (verdict["scored_strides"], verdict["flagged_strides"]) == (len(strides), flagged)
    text = rule_based_summary(summary)
    expected = (f"found {flagged} of {len(strides)} strides unlike" if flagged
                else f"No stride looked unlike the movement model's good strides ({len(strides)} scored)")
    assert expected in text


def test_k_in_the_replay_marks_the_stride_under_the_playhead_and_the_list_judges_by_it(
    qtbot, session: Path, tmp_path: Path
) -> None:
    copy = Path(shutil.copytree(session, tmp_path / "run"))
    model = ReplayModel(copy, on_corrected=lambda _path: None, good_form_source=lambda *_: [])
    w = show_replay_window(qtbot, model)
    try:
        table, strides = w.rep_table, model.strides
        assert model.is_run and len(strides) > 10 and table.rowCount() == len(strides)
        assert table.headers == list(STRIDE_COLUMNS)
        good_col, form_col = STRIDE_COLUMNS.index("good"), STRIDE_COLUMNS.index("form score")
        # Mid-run every frame lies in two strides, one per foot: K takes the one that began last.
        middle = strides[len(strides) // 2]
        row = middle.start_row + 2
        around = [s for s in strides if s.contains(row)]
        assert len(around) == 2 and {s.foot for s in around} == {"L", "R"}
        model.playback.seek(row)
        qtbot.keyClick(w, Qt.Key.Key_K)
        marked = model.stride_at(row)
        assert marked is not None and marked.index == middle.index and marked.good_form
        position = model.strides.index(marked)
        assert table.item(position, good_col).text() == "✓"
        assert f"Stride {marked.index} ({marked.foot}) marked as good form" in w.statusBar().currentMessage()
        population = marked.population_threshold
        assert marked.anomaly is not None and population is not None
        personal = personal_threshold([marked.anomaly], default=population)
        assert model.personal_threshold() == pytest.approx(personal)
        assert "from 1 good-form stride" in w.statusBar().currentMessage()
        for i, stride in enumerate(model.strides):  # every stride is judged by the personal threshold now
            text = table.item(i, form_col).text()
            assert text.endswith(" ok") if stride.anomaly <= personal else f"> {personal:.1f}" in text
        assert (copy / "corrections.jsonl").read_text().count('"mark_good_stride"') == 1
        qtbot.keyClick(w, Qt.Key.Key_K)  # the playhead has not moved: take the mark back
        assert not model.stride_at(row).good_form and model.personal_threshold() is None
    finally:
        w.close()


def test_marked_strides_set_the_runners_threshold_in_the_library_and_her_next_recording(
    session: Path, tmp_path: Path, full_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = ReplayModel(session)  # corrections re-index the session in the (test) library
    try:
        for stride in model.strides[3:6]:
            model.toggle_good_form(stride)
        marked = [s.anomaly for s in model.strides if s.good_form]
        population = model.strides[0].population_threshold
    finally:
        model.close()
    assert len(marked) == 3 and population is not None
    with Library() as library:
        assert library.good_form_scores(RUNNER, "running") == pytest.approx(marked)
    scorer = RepAnomalyScorer()
    personal = personal_threshold(marked, default=scorer.default_threshold("running"))
    assert personal != pytest.approx(population)
    assert athlete_thresholds(RUNNER, scorer)["running"] == pytest.approx(personal)

    capsys.readouterr()
    assert coach_main(["analyze", str(RUN), "--json", "--exercise", "running", "--no-progress",
                       "--pose-model", str(full_model), "--athlete", RUNNER]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["personal_threshold"] == {"athlete": RUNNER, "good_form_reps": 3,
                                            "threshold": round(personal, 3)}
    assert {s["anomaly"]["threshold"] for s in report["gait"]["strides"]} == {round(personal, 3)}

    again = _record(tmp_path / "again", full_model)  # her next run is judged by her own threshold
    with SessionReader(again) as r:
        verdicts = [e["anomaly"] for e in r.events if e["type"] == "stride_anomaly"]
    assert verdicts and all(v["threshold"] == pytest.approx(personal, abs=1e-3) for v in verdicts)
    assert all(v["population_threshold"] == pytest.approx(population, abs=1e-3) for v in verdicts)
    replay = ReplayModel(again)  # her marks from the first run; rescaled from the population threshold
    try:
        assert replay.good_form_scores == pytest.approx(marked)
        assert replay.personal_threshold() == pytest.approx(personal, abs=1e-3)
    finally:
        replay.close()


def _copy_with_marked_strides(session: Path, to: Path, which: slice) -> Path:
    """A private copy of the run with exactly `which` of its strides marked good form (no library
    involved; the copied corrections may already mark some)."""
    copy = Path(shutil.copytree(session, to))
    model = ReplayModel(copy, on_corrected=lambda _path: None, good_form_source=lambda *_: [])
    try:
        wanted = {s.index for s in model.strides[which]}
        for stride in list(model.strides):
            if stride.good_form != (stride.index in wanted):
                model.toggle_good_form(stride)
    finally:
        model.close()
    return copy


def test_exports_list_a_runs_strides_judged_by_its_good_form_strides(session: Path, tmp_path: Path) -> None:
    session = _copy_with_marked_strides(session, tmp_path / "run", slice(3, 6))
    with load_session(session, good_form_source=lambda *_: []) as data:
        with SessionReader(session) as r:
            events = [e for e in r.events if e["type"] == "stride_anomaly"]
        marked = [e["anomaly"]["score"] for e in events if e.get("good_form")]
        assert len(data.strides) == len(events) and len(marked) == 3 and data.good_form_reps == 3
        population = events[0]["anomaly"]["threshold"]
        personal = personal_threshold(marked, default=population)
        assert all(s.anomaly_threshold == pytest.approx(personal) for s in data.strides)
        doc = session_document(data)
        assert [s["stride"] for s in doc["strides"]] == [e["stride_index"] for e in events]
        assert sum(s["good_form"] for s in doc["strides"]) == 3
        flagged = sum(s["anomaly"]["flagged"] for s in doc["strides"])
        n = len(events)  # the written summary in the document counts what the document flags
        said = (f"found {flagged} of {n} strides unlike" if flagged
                else f"No stride looked unlike the movement model's good strides ({n} scored)")
        assert said in doc["feedback"]["text"]
        csv_out = export_csv(data, tmp_path / "csv")
        assert csv_out.strides == len(events) and csv_out.strides_path is not None
        lines = csv_out.strides_path.read_text().splitlines()
        assert lines[0].startswith("stride,foot,start_s,end_s,good_form") and len(lines) == len(events) + 1
        html = render_html(data)
    assert "Anomaly per stride" in html and "Anomaly per rep" not in html
    assert f"{flagged} of {len(events)} strides" in html
    assert f"{RUNNER}&#x27;s personal threshold, from 3 strides marked good form" in html


class _StoredPoses:
    """A pose estimator that returns a recorded session's poses (injected into `AnalysisStep`)."""

    def __init__(self, reader: SessionReader) -> None:
        self.reader = reader

    def detect(self, _rgb: np.ndarray, t: float) -> object:
        return self.reader.pose(self.reader.row_at(t))


def test_stride_numbers_stay_unique_across_activity_switches(session: Path) -> None:
    """A session that switches away from running and back numbers its strides on: corrections and the
    library refer to a stride by its number."""
    from coach.capture.frame import Frame
    from coach.live.models import load_live_models
    from coach.live.step import AnalysisStep
    from coach.live.types import StrideScored

    with SessionReader(session) as r:
        step = AnalysisStep(_StoredPoses(r), load_live_models(), "running", None)
        w, h = r.image_size
        image = np.zeros((h, w, 3), dtype=np.uint8)
        indices: list[int] = []
        n = r.frame_count
        for i in range(n):
            if i in (n // 3, n // 2):  # running -> squat -> running: the running engine starts over
                step.request_activity("squat" if i == n // 3 else "running")
            out = step.process(Frame(i, float(r.media_ts[i]), float(r.media_ts[i]), image), rgb=image)
            indices += [e.index for e in out.events if isinstance(e, StrideScored)]
    assert len(indices) > 10 and indices == list(range(1, len(indices) + 1))


def test_a_runs_overlay_counts_steps_alike_in_the_replay_and_the_exported_video(session: Path) -> None:
    """The live counter shows a runner's steps (a run has no reps); the replay and the video export rebuild
    the same counter and stance/swing phase from the recorded gait events."""
    from coach.export.overlay_timeline import overlay_timeline

    model = ReplayModel(session, on_corrected=lambda _path: None, good_form_source=lambda *_: [])
    try:
        with load_session(session, good_form_source=lambda *_: []) as data:
            exported = overlay_timeline(data)
        replayed = [model.renderer.overlay_data(row) for row in range(model.reader.frame_count)]
        contacts = [e for e in model.reader.events
                    if e["type"] == "gait_event" and e["kind"] == "initial_contact"]
    finally:
        model.close()
    assert [(d.steps, d.phase) for d in replayed] == [(d.steps, d.phase) for d in exported]
    assert replayed[-1].steps == len(contacts) > 20 and replayed[0].steps == 0
    steps = [d.steps for d in replayed]
    assert steps == sorted(steps) and {d.phase for d in replayed} == {"idle", "stance", "swing"}
    assert all(d.reps == 0 for d in replayed)

