"""Gait strides scored by the anomaly model while recording (`coach record`, the live pipeline's analysis
step): a real running clip gets one verdict per gait cycle, replaying the stored landmarks through a fresh
gait engine and scoring them offline gives exactly the recorded verdicts, and the session's written summary
says how many strides the model flagged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coach.analysis.model_scores import cycle_rows
from coach.cli import record_cmd
from coach.feedback import rule_based_summary
from coach.feedback.summary_input import summary_from_events
from coach.live.activity import ActivityTracker
from coach.live.step import IntervalView
from coach.ml import RepAnomalyScorer
from coach.pose.types import PoseSample
from coach.session import SessionReader

pytestmark = pytest.mark.video

VIDEOS = Path(__file__).resolve().parents[1].parent / "shared" / "videos"
RUN = VIDEOS / "running__treadmill_side__gaitlab_male_side.mp4"


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory, full_model: Path) -> Path:
    out = tmp_path_factory.mktemp("rec") / "run"
    code = record_cmd.main(["--source", str(RUN), "--exercise", "running", "--out", str(out),
                            "--no-progress", "--pose-model", str(full_model)])
    assert code == 0
    return out


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
