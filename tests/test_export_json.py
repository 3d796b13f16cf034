"""`coach export --format json` on a real recorded session: strict JSON that agrees with `verify()`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import SQUAT_SESSION_ATHLETE

from coach.cli import export_cmd
from coach.feedback import rule_based_summary, summary_from_events
from coach.kinematics.angles import angles_from_landmarks
from coach.session import SessionReader, verify

pytestmark = pytest.mark.video



@pytest.fixture(scope="module")
def session(squat_session: Path) -> Path:
    return squat_session


@pytest.fixture(scope="module")
def document(session: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("json") / "session.json"
    assert export_cmd.main([str(session), "--format", "json", "--out", str(out)]) == 0

    def no_constants(name: str) -> float:
        raise AssertionError(f"{name} is not JSON")

    return json.loads(out.read_text(encoding="utf-8"), parse_constant=no_constants)


def test_json_matches_verify(session: Path, document: dict) -> None:
    report = verify(session)
    s = document["session"]
    assert (s["frames"], s["reps"], s["partial_reps"], s["events"], s["frames_with_pose"]) == (
        report.frames, report.reps, report.partial_reps, report.events, report.frames_with_pose)
    assert s["duration_s"] == pytest.approx(report.duration_s) and s["ok"] is True
    assert len(document["reps"]) == report.reps + report.partial_reps
    assert len(document["events"]) == report.events
    assert document["manifest"]["athlete"] == SQUAT_SESSION_ATHLETE
    assert document["manifest"]["exercise"] == "squat"
    for key in ("frame", "time_s", "capture_ts", "has_pose", "rep"):
        assert len(document["per_frame"][key]) == report.frames
    assert all(len(v) == report.frames for v in document["per_frame"]["angles"].values())


def test_angles_are_the_recomputed_ones_and_missing_is_null(session: Path, document: dict) -> None:
    with SessionReader(session) as r:
        expected = angles_from_landmarks(r.landmarks, r.image_size)["left_knee"]
    got = np.array([math.nan if v is None else v for v in document["per_frame"]["angles"]["left_knee"]])
    assert np.allclose(got, expected, atol=0.006, equal_nan=True)
    # Some joint is hidden in some frame of a real clip (e.g. a wrist behind the dumbbell): null, never 0.
    values = [v for a in document["per_frame"]["angles"].values() for v in a]
    assert None in values or all(document["per_frame"]["has_pose"])


def test_rep_metrics_and_written_summary_are_included(session: Path, document: dict) -> None:
    rep = document["reps"][0]
    assert rep["rep"] == 1 and rep["metrics"]["depth"] is not None and rep["end_frame"] > rep["start_frame"]
    with SessionReader(session) as r:
        expected = rule_based_summary(summary_from_events(r.events, exercise="squat"))
    assert document["feedback"]["text"] == expected and "Squat" in expected
    assert document["gait"] is None  # a squat has no gait summary
