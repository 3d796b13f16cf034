"""PoseEstimator on real frames: the project's Pose comes back, timestamps are forgiven, close is clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from coach.errors import ModelError
from coach.pose.landmarks import Landmark
from coach.pose.mediapipe_landmarker import PoseEstimator, RunMode


def _frames(video: Path, n: int) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(video))
    out = []
    for _ in range(n):
        ok, bgr = cap.read()
        assert ok
        out.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    return out


def test_detects_a_person_and_returns_project_pose(videos_dir: Path, full_model: Path) -> None:
    frames = _frames(videos_dir / "squat__front__nowva_goblet.mp4", 5)
    with PoseEstimator(full_model) as est:
        poses = [est.detect(f, i / 30.0) for i, f in enumerate(frames)]
    assert all(p is not None for p in poses)
    p = poses[-1]
    assert p.landmarks.shape == (33, 5) and p.world.shape == (33, 3)
    assert p.image_size == (1280, 720)
    # A person standing upright facing the camera: shoulders above hips above knees above ankles (y down).
    y = p.landmarks[:, 1]
    assert y[Landmark.LEFT_SHOULDER] < y[Landmark.LEFT_HIP] < y[Landmark.LEFT_KNEE] < y[Landmark.LEFT_ANKLE]
    # World landmarks are metres around the hips: a plausible shoulder-to-ankle span.
    span = p.world[Landmark.LEFT_ANKLE, 1] - p.world[Landmark.LEFT_SHOULDER, 1]
    assert 0.8 < span < 2.0


def test_repeated_and_backward_timestamps_do_not_raise(videos_dir: Path, full_model: Path) -> None:
    frames = _frames(videos_dir / "squat__front__nowva_goblet.mp4", 3)
    with PoseEstimator(full_model) as est:
        for ts in (1.0, 1.0, 0.5):  # MediaPipe's VIDEO mode itself rejects all but the first
            assert est.detect(frames[0], ts) is not None


def test_empty_image_gives_none(full_model: Path) -> None:
    with PoseEstimator(full_model, mode=RunMode.IMAGE) as est:
        assert est.detect(np.zeros((240, 320, 3), np.uint8), 0.0) is None


def test_missing_model_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="not found"):
        PoseEstimator(tmp_path / "nope.task")


def test_closed_estimator_refuses_work(full_model: Path) -> None:
    est = PoseEstimator(full_model)
    est.close()
    est.close()  # idempotent
    with pytest.raises(RuntimeError):
        est.detect(np.zeros((64, 64, 3), np.uint8), 0.0)


def test_forgotten_estimator_does_not_break_interpreter_exit(full_model: Path) -> None:
    """MediaPipe raises at interpreter exit when a landmarker is left open; ours must exit cleanly."""
    code = (
        "from coach.pose.mediapipe_landmarker import PoseEstimator\n"
        f"est = PoseEstimator({str(full_model)!r})\n"
        "import numpy as np; est.detect(np.zeros((64, 64, 3), np.uint8), 0.0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Traceback" not in out.stderr and "Exception ignored" not in out.stderr
