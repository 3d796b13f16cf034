"""`coach analyze` on real clips: every frame analysed, pose found, plausible angles and view, JSON, CSV."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from coach.analysis.offline import ClipAnalysis, analyze_video
from coach.analysis.pose_lanes import MIN_FRAMES_PER_LANE, plan_segments

REAL_CLIPS = [
    # (file, view the labels give, (min, max) knee-angle range the movement must reach)
    "squat__front__nowva_goblet.mp4",
    "deadlift__side__posereader_nico_clear.mp4",
    "running__treadmill_side__gaitlab_male_side.mp4",
]


@pytest.fixture(scope="module")
def analyses(videos_dir: Path, full_model: Path) -> dict[str, ClipAnalysis]:
    return {name: analyze_video(videos_dir / name, full_model) for name in REAL_CLIPS}


@pytest.mark.parametrize("name", REAL_CLIPS)
def test_every_frame_is_analysed_with_a_pose(analyses: dict, labels: dict, name: str) -> None:
    a = analyses[name]
    assert a.frames == labels[name]["frames"]  # offline never drops a frame
    assert np.array_equal(a.raw.frame_index, np.arange(a.frames))
    assert np.all(np.diff(a.raw.media_ts) > 0)
    assert a.raw.media_ts[-1] == pytest.approx((a.frames - 1) / labels[name]["fps"], rel=0.02)
    assert a.frames_with_pose >= 0.95 * a.frames


@pytest.mark.parametrize("name", REAL_CLIPS)
def test_clip_view_matches_the_label(analyses: dict, labels: dict, name: str) -> None:
    first = labels[name]["view"].split(",")[0]  # "side (sagittal), treadmill" -> "side (sagittal)"
    expected = next(v for v in ("oblique", "side", "front") if v in first)
    assert analyses[name].view.value == expected


def test_squat_knees_bend_and_straighten(analyses: dict, labels: dict) -> None:
    name = "squat__front__nowva_goblet.mp4"
    a = analyses[name]
    knee = np.nanmean(np.stack([a.angles["left_knee"], a.angles["right_knee"]]), axis=0)
    assert np.nanmax(knee) > 160  # standing
    assert np.nanmin(knee) < 110  # at the bottom of a goblet squat
    # Each squat takes the knee angle from the top third of its range to the bottom third and back.
    lo, hi = np.nanmin(knee), np.nanmax(knee)
    state, dips = "up", 0
    for k in knee[np.isfinite(knee)]:
        if state == "up" and k < lo + (hi - lo) / 3:
            state, dips = "down", dips + 1
        elif state == "down" and k > hi - (hi - lo) / 3:
            state = "up"
    assert dips == labels[name]["reps"]


def test_deadlift_side_view_trunk_leans_then_stands(analyses: dict) -> None:
    a = analyses["deadlift__side__posereader_nico_clear.mp4"]
    lean = a.angles["trunk_lean"]
    assert np.nanmax(lean) > 40  # hinged over the bar
    assert np.nanmin(lean) < 15  # locked out


def test_two_lanes_cover_the_same_frames_as_one(videos_dir: Path, full_model: Path) -> None:
    video = videos_dir / "squat__front__nowva_goblet.mp4"
    one = analyze_video(video, full_model, lanes=1)
    two = analyze_video(video, full_model, lanes=2)
    assert two.timing.lanes == 2 and one.timing.lanes == 1
    assert np.array_equal(one.raw.frame_index, two.raw.frame_index)
    assert np.array_equal(one.raw.media_ts, two.raw.media_ts)
    # Tracking restarts at the lane boundary, so values may differ slightly, but not the picture.
    diff = np.nanmax(np.abs(one.raw.landmarks[:, :, :2] - two.raw.landmarks[:, :, :2]), axis=(1, 2))
    assert np.nanmedian(diff) < 0.02


def test_segments_cover_the_clip_without_gaps() -> None:
    assert plan_segments(10, 2) == [(0, None)]  # too short to be worth a second lane
    n = 4 * MIN_FRAMES_PER_LANE
    assert plan_segments(n, 2) == [(0, n // 2), (n // 2, None)]
    assert plan_segments(0, 2) == [(0, None)]


def _coach(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "coach", *args], capture_output=True, text=True, timeout=timeout
    )


def test_cli_json_document(videos_dir: Path, full_model: Path, tmp_path: Path) -> None:
    video = videos_dir / "squat__front__nowva_goblet.mp4"
    out = _coach(
        "analyze",
        str(video),
        "--exercise",
        "squat",
        "--pose-model",
        str(full_model),
        "--json",
        "--out",
        str(tmp_path / "out"),
    )
    assert out.returncode == 0, out.stderr[-2000:]
    doc = json.loads(out.stdout)  # exactly one JSON document on stdout
    for key in (
        "schema",
        "video",
        "fps",
        "frames",
        "frames_with_pose",
        "exercise",
        "reps",
        "rep_events",
        "gait",
        "timing",
    ):
        assert key in doc
    assert doc["schema"] == 1 and doc["exercise"] == "squat" and doc["fps"] == pytest.approx(30.0)
    assert doc["exercise_confidence"] is None  # named by the user, not recognised
    assert doc["reps"] == 5 and len(doc["rep_events"]) == 5
    for event in doc["rep_events"]:
        assert event["anomaly"]["score"] > 0 and event["anomaly"]["threshold"] > 0
        assert isinstance(event["anomaly"]["top_joints"], list)
    assert doc["frames"] == 365 and doc["frames_with_pose"] >= 0.95 * 365
    assert doc["timing"]["wall_s"] > 0 and doc["timing"]["pose_ms_per_frame"] > 0
    assert "frame" in out.stderr or "%" in out.stderr  # the progress bar went to stderr
    assert "W0000" not in out.stderr and "XNNPACK" not in out.stderr  # MediaPipe's start-up chatter muted
    # The per-frame table opens as a plain CSV with one row per frame and numeric angle columns.
    with (tmp_path / "out" / "frames.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 365
    assert {"frame", "time_s", "left_knee_x", "left_knee_wz", "left_knee_vis", "angle_left_knee"} <= set(
        rows[0]
    )
    knees = [float(r["angle_left_knee"]) for r in rows if r["angle_left_knee"]]
    assert len(knees) >= 0.95 * 365 and 40 < min(knees) < max(knees) <= 180
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["frames"] == 365
    assert (tmp_path / "out" / "frames_columns.txt").read_text().startswith("Per-frame CSV export")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.mp4", "not found"),
        (lambda d: (d / "notes.mp4").write_text("not a video") and d / "notes.mp4", "video"),
    ],
)
def test_cli_errors_are_clear_and_without_traceback(tmp_path: Path, make, message: str) -> None:
    out = _coach("analyze", str(make(tmp_path)), "--json")
    assert out.returncode == 2
    assert out.stdout == ""
    assert "Traceback" not in out.stderr
    # Only our one-line message (after whatever FFmpeg itself printed while probing).
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("coach: error:") and message in last.lower()


def test_help_lists_subcommands() -> None:
    out = _coach("--help")
    assert out.returncode == 0
    for cmd in ("analyze", "models", "app"):
        assert cmd in out.stdout


def test_auto_recognises_the_exercise_and_counts(videos_dir: Path, full_model: Path, labels: dict) -> None:
    name = "squat__front__nowva_goblet.mp4"
    a = analyze_video(videos_dir / name, full_model, exercise=None)
    assert a.exercise == labels[name]["movement"]
    assert a.exercise_confidence is not None and 0.5 < a.exercise_confidence <= 1.0
    assert a.reps is not None and a.reps.reps == labels[name]["reps"]
