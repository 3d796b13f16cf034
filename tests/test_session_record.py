"""`coach record` on a real clip, in-process: every frame is recorded, the reps are the clip's, each rep is
scored by the anomaly model, replaying the stored landmarks through a fresh engine gives exactly the
recorded rep events, and a headless recording holds exactly the events the live pipeline records for the
same file."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from coach.capture.sources import probe_video
from coach.capture.video_file import VideoFileSource
from coach.cli import record_cmd, sessions_cmd
from coach.live import LivePipeline, WorkerState
from coach.live.activity import ActivityTracker
from coach.live.step import IntervalView
from coach.pose.types import PoseSample
from coach.session import CameraInfo, SessionReader, SessionWriter, verify
from coach.session.events import event_to_json
from coach.session.headless import record_session

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
        views = IntervalView()  # the views the engine saw: re-estimated on the live schedule
        replayed: list[dict] = []
        for i in range(r.frame_count):
            pose = r.pose(i)
            t, f = float(r.media_ts[i]), int(r.frame_index[i])
            view = views.update(t, pose)
            replayed += [event_to_json(e, t=t, frame=f) for e in tracker.update(PoseSample(t, f, pose), view)]
        last_t, last_f = float(r.media_ts[-1]), int(r.frame_index[-1])
        replayed += [event_to_json(e, t=last_t, frame=last_f) for e in tracker.finish()]
        # Cues and the anomaly model's verdicts are not the engine's: they are checked elsewhere.
        recorded = [e for e in r.events if e["type"] not in ("cue", "anomaly")]
    assert replayed == recorded
    assert any(e["type"] == "rep_completed" for e in recorded)


def test_every_rep_recorded_headless_has_its_anomaly_score(session: Path) -> None:
    with SessionReader(session) as r:
        events = r.events
    ends = [e for e in events if e["type"] in ("rep_completed", "partial_rep")]
    scored = [e for e in events if e["type"] == "anomaly"]
    assert ends and [e["rep_index"] for e in scored] == [e["rep"]["index"] for e in ends]
    not_cues = [e for e in events if e["type"] != "cue"]
    for e in scored:
        before = not_cues[not_cues.index(e) - 1]  # right after its own rep's event (and its cues), as live
        assert before["type"] in ("rep_completed", "partial_rep") and before["rep"]["index"] == e["rep_index"]
        anomaly = e["anomaly"]
        assert {"score", "threshold", "top_joints", "phase"} <= anomaly.keys()
        assert anomaly["threshold"] > 0 and 0 <= anomaly["score"] < 1e6


def test_headless_and_live_record_the_same_events_in_auto_mode(full_model: Path, tmp_path: Path) -> None:
    """The same file, analysed losslessly by `record_session` and by the live pipeline (auto mode, so the
    classifier recognises the squat and switches the engine): events.jsonl is identical line for line."""
    with VideoFileSource(GOBLET) as probe:
        camera = CameraInfo(source=GOBLET.name, width=probe.size[0], height=probe.size[1], fps=probe.fps)

    headless_dir = tmp_path / "headless"
    writer = SessionWriter(headless_dir, camera=camera, pose_model=full_model, lossless=True)
    result = record_session(VideoFileSource(GOBLET), writer, full_model, activity=None, lossless=True)
    assert result.stop_reason == "end_of_video" and result.frames_recorded == probe_video(GOBLET).frame_count

    pipeline = LivePipeline(lambda: VideoFileSource(GOBLET), full_model, activity=None, lossless=True)
    live_dir = pipeline.start_recording(tmp_path / "live", camera=camera)
    pipeline.start()
    deadline = time.monotonic() + 180.0
    while pipeline.state in (WorkerState.STARTING, WorkerState.RUNNING) and time.monotonic() < deadline:
        time.sleep(0.05)
    pipeline.stop()
    assert pipeline.state is WorkerState.STOPPED and pipeline.error is None
    assert pipeline.stop_recording() is not None

    with SessionReader(headless_dir) as h, SessionReader(live_dir) as lv:
        headless, live = h.events, lv.events
    types = [e["type"] for e in headless]
    assert types.count("exercise_switched") == 1 and types.count("anomaly") >= 1 and "cue" in types
    switch = next(e for e in headless if e["type"] == "exercise_switched")
    assert (switch["from"], switch["to"]) == (None, "squat")
    assert headless == live


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
