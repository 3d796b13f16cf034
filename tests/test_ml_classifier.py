"""Runtime exercise classifier: the shipped ONNX file, its metadata, and the live smoothing/hysteresis."""

from __future__ import annotations

import numpy as np
import pytest

from coach.features import FEATURE_NAMES, frame_features, mirror_windows
from coach.ml import ExerciseClassifier, LiveExerciseClassifier, model_path
from coach.pose.smoothing import smooth_track
from coach.synth import generate

SHIPPED = model_path("exercise_classifier.onnx")


@pytest.fixture(scope="module")
def classifier() -> ExerciseClassifier:
    return ExerciseClassifier(SHIPPED)


def test_shipped_model_describes_its_own_input(classifier: ExerciseClassifier) -> None:
    assert SHIPPED.is_file()
    assert {"squat", "running", "walking", "idle", "other"} <= set(classifier.labels)
    assert classifier.length * classifier.rate_hz > 0
    x = np.zeros((2, classifier.length, len(FEATURE_NAMES)), dtype=np.float32)
    p = classifier.predict(x)
    assert p.shape == (2, len(classifier.labels))
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("activity", ["squat", "pushup", "jumping_jack", "bicep_curl", "running", "idle"])
def test_unseen_synthetic_clips_are_recognised(classifier: ExerciseClassifier, activity: str) -> None:
    # Seeds far from the training seeds (0..59 per label).
    hits = 0
    for seed in (90_001, 90_002, 90_003):
        clip = generate(activity, seed=seed, duration_s=8.0)
        lm, wd = smooth_track(clip.media_ts, clip.landmarks, clip.world)
        track = clip.to_track()
        smoothed = type(track)(track.frame_index, track.media_ts, lm, wd, track.image_size)
        result = classifier.classify_track(smoothed)
        assert result is not None
        hits += result.label == activity
    assert hits >= 2


def test_a_mirrored_athlete_gets_the_same_probabilities(classifier: ExerciseClassifier) -> None:
    # The shipped file asks for mirror averaging, so swapping left and right changes nothing.
    assert classifier.mirror_average
    clip = generate("lunge", seed=90_004, duration_s=6.0)
    lm, wd = smooth_track(clip.media_ts, clip.landmarks, clip.world)
    frames = frame_features(lm, wd, clip.camera.image_size)
    x = np.stack([classifier.window(frames, clip.media_ts, float(t)) for t in (2.5, 4.0, 5.5)])
    p = classifier.predict(x)
    np.testing.assert_allclose(classifier.predict(mirror_windows(x)), p, atol=1e-5)
    # ... and the average is not a no-op: the same file read without it answers differently.
    plain = ExerciseClassifier(SHIPPED)
    plain.mirror_average = False
    assert np.abs(p - plain.predict(x)).max() > 1e-4


def test_a_clip_without_anyone_has_no_label(classifier: ExerciseClassifier) -> None:
    clip = generate("squat", seed=1)
    track = clip.to_track()
    empty = type(track)(
        track.frame_index,
        track.media_ts,
        np.full_like(track.landmarks, np.nan),
        np.full_like(track.world, np.nan),
        track.image_size,
    )
    assert classifier.classify_track(empty) is None


class _Scripted:
    """Stands in for `ExerciseClassifier`: returns scripted probabilities, one row per call."""

    labels = ("squat", "pushup", "idle")
    window_s = 2.0

    def __init__(self, rows: list[list[float]]) -> None:
        self.rows = rows
        self.calls = 0

    def window(self, frames, ts, t_end):
        return np.ones((30, len(FEATURE_NAMES)))  # pose present throughout

    def predict(self, x):
        row = self.rows[min(self.calls, len(self.rows) - 1)]
        self.calls += 1
        return np.asarray([row], dtype=np.float32)


def _run(rows: list[list[float]], seconds: float) -> list:
    live = LiveExerciseClassifier(_Scripted(rows), hop_s=0.25, tau_s=0.5, enter=0.6, min_dwell_s=1.0)
    lm = np.zeros((33, 5), np.float32)
    lm[:, 3:] = 1.0
    wd = np.zeros((33, 3), np.float32)
    states = []
    for i in range(int(seconds * 30)):
        s = live.update(i / 30, lm, wd, (640, 480))
        if s is not None:
            states.append(s)
    return states


def test_live_label_ignores_a_short_burst_of_another_exercise() -> None:
    squat, pushup = [0.9, 0.05, 0.05], [0.05, 0.9, 0.05]
    rows = [squat] * 12 + [pushup] * 2 + [squat] * 20
    states = _run(rows, 10.0)
    labels = {s.label for s in states if s.label}
    assert labels == {"squat"}


def test_live_label_switches_after_a_sustained_change_and_says_so() -> None:
    squat, pushup = [0.9, 0.05, 0.05], [0.05, 0.9, 0.05]
    rows = [squat] * 12 + [pushup] * 30
    states = _run(rows, 12.0)
    assert states[-1].label == "pushup"
    switches = [s for s in states if s.switched]
    assert [s.label for s in switches] == ["squat", "pushup"]
    t_change = next(s.t for s in states if s.top == "pushup")
    # The switch waits for the dwell time after the smoothed top changed.
    assert switches[1].t - t_change >= 1.0 - 1e-9
