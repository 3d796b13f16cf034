"""`coach record` on a real clip, in-process: every frame is recorded, the reps are the clip's, and replaying
the stored landmarks through a fresh engine gives exactly the recorded rep events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coach.capture.sources import probe_video
from coach.cli import record_cmd, sessions_cmd
from coach.kinematics.view import View, ViewClassifier, estimate_yaw
from coach.live.activity import ActivityTracker
from coach.pose.types import PoseSample
from coach.session import SessionReader, verify
from coach.session.events import event_to_json

pytestmark = pytest.mark.video

VIDEOS = Path(__file__).resolve().parents[1].parent / "shared" / "videos"
GOBLET = VIDEOS / "squat__front__nowva_goblet.mp4"


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory, full_model: Path) -> Path:
    out = tmp_path_factory.mktemp("rec") / "goblet"
    code = record_cmd.main(["--source", str(GOBLET), "--exercise", "squat", "--out", str(out),
                            "--athlete", "Test Athlete", "--no-progress", "--pose-model", str(full_model)])
    assert code == 0
    return out


def test_every_frame_is_recorded_with_the_clips_reps(session: Path, labels: dict[str, dict]) -> None:
    report = verify(session, decode_all=True)
    assert report.ok, report.problems
    assert report.frames == probe_video(GOBLET).frame_count
    assert report.closed and report.stop_reason == "end_of_video" and report.dropped_frames == 0
    assert report.reps == labels[GOBLET.name]["reps"]
    manifest = json.loads((session / "manifest.json").read_text())
    assert manifest["athlete"] == "Test Athlete" and manifest["pose_model"] == "pose_landmarker_full.task"
    assert len(manifest["pose_model_sha256"]) == 64


def test_replaying_the_stored_landmarks_gives_the_recorded_events(session: Path) -> None:
    with SessionReader(session) as r:
        tracker = ActivityTracker("squat")
        views = ViewClassifier()
        replayed: list[dict] = []
        for i in range(r.frame_count):
            pose = r.pose(i)
            view = None
            if pose is not None:
                views.update(float(estimate_yaw(pose.landmarks, pose.world, r.image_size)))
                view = None if views.state is View.UNKNOWN else views.state.value
            t, f = float(r.media_ts[i]), int(r.frame_index[i])
            replayed += [event_to_json(e, t=t, frame=f) for e in tracker.update(PoseSample(t, f, pose), view)]
        last_t, last_f = float(r.media_ts[-1]), int(r.frame_index[-1])
        replayed += [event_to_json(e, t=last_t, frame=last_f) for e in tracker.finish()]
        recorded = [e for e in r.events if e["type"] != "cue"]
    assert replayed == recorded
    assert any(e["type"] == "rep_completed" for e in recorded)


def test_sessions_verify_json_is_one_document(session: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert sessions_cmd.main(["verify", str(session), "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    doc = json.loads(out[0])
    assert doc["ok"] is True and doc["frames"] > 0 and doc["reps"] >= 1 and doc["duration_s"] > 10


def test_sessions_verify_fails_on_a_directory_without_a_session(tmp_path: Path) -> None:
    assert sessions_cmd.main(["verify", str(tmp_path)]) == 1


def test_recording_is_indexed_in_the_library(session: Path, labels: dict[str, dict]) -> None:
    from coach.library import Library

    with Library() as library:  # COACH_DATA_DIR points at a test directory (tests/conftest.py)
        rows = [r for r in library.list_sessions(athlete="Test Athlete") if Path(r.path) == session.resolve()]
        assert len(rows) == 1
        reps = library.reps(rows[0].id, include_partial=False)
    assert len(reps) == labels[GOBLET.name]["reps"]
