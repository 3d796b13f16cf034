"""The live models' helpers: the pose ring buffer a rep is scored from, and joint colours from attribution."""

from __future__ import annotations

import numpy as np
import pytest

from coach.live.models import LiveModels, PoseRing, activity_of_label, joint_scores, load_models
from coach.ml.anomaly import RepAnomalyScorer


def _pose(i: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full((33, 5), float(i)), np.full((33, 3), float(i))


def test_ring_returns_a_rep_span_in_order_and_forgets_what_it_overwrote() -> None:
    ring = PoseRing(10)
    for frame in range(25):  # wraps twice; frames 15..24 remain
        ring.append(frame, *_pose(frame))
    assert len(ring) == 10
    span = ring.span(17, 21)
    assert span is not None
    lm, world = span
    assert lm[:, 0, 0].tolist() == [17, 18, 19, 20, 21] and world.shape == (5, 33, 3)
    assert ring.span(12, 20) is None  # started before the oldest buffered frame: not scored half
    lm[:] = -1  # a copy: scoring cannot disturb the buffer
    again = ring.span(17, 17)
    assert again is not None and again[0][0, 0, 0] == 17


def test_ring_returns_a_stride_by_media_time_as_offline_selects_its_rows() -> None:
    ring = PoseRing(10)
    for frame in range(25):  # 30 fps; frames 15..24 remain
        ring.append(frame, *_pose(frame), t=frame / 30)
    span = ring.span_time(17 / 30, 21 / 30)  # [t0, t1): the next contact's frame belongs to the next cycle
    assert span is not None and span[0][:, 0, 0].tolist() == [17, 18, 19, 20]
    assert ring.span_time(14 / 30, 20 / 30) is None  # reaches back past the oldest buffered frame
    assert ring.span_time(30 / 30, 31 / 30) is None  # nothing buffered in the span yet
    untimed = PoseRing(4)
    untimed.append(0, *_pose(0))
    assert untimed.span_time(0.0, 1.0) is None  # rows appended without a time are never taken


def test_joint_scores_map_channels_to_joints_green_to_red() -> None:
    scores = joint_scores({
        "world_left_knee": 1.0, "img_left_knee": 4.0,  # the worse view of the joint wins
        "world_right_hip": 2.0, "img_knee_width_ratio": 0.0,  # 0: not measured, colours nothing
        "world_trunk_lean": 8.0, "img_heel_lift": 0.5,
    })  # fmt: skip
    assert scores["left_knee"] == 1.0
    assert scores["right_hip"] == pytest.approx(0.5)
    assert "right_knee" not in scores
    assert scores["left_shoulder"] == scores["right_shoulder"] == 1.0
    assert scores["left_heel"] == 0.0  # better than good reps: green


def test_only_trackable_labels_become_activities() -> None:
    assert activity_of_label("squat") == "squat" and activity_of_label("running") == "running"
    assert activity_of_label("idle") is None and activity_of_label("other") is None
    assert activity_of_label(None) is None


def test_classifier_is_fed_at_its_window_rate_not_every_frame() -> None:
    classifier, scorer = load_models()
    assert classifier is not None and isinstance(scorer, RepAnomalyScorer)
    models = LiveModels(classifier, scorer)
    assert models.recognizer is not None
    fed: list[int] = []
    original = models.recognizer.update

    def spy(t: float, *args: object) -> object:
        fed.append(round(t * 30))
        return original(t, *args)  # type: ignore[arg-type]

    models.recognizer.update = spy  # type: ignore[method-assign]
    lm, world = _pose(0)
    for i in range(60):  # 2 s at 30 fps, the classifier samples at 15 Hz
        models.observe(i / 30, i, lm, world, (640, 480), True)
    assert len(models.ring) == 60
    assert len(fed) == 30 and np.all(np.diff(fed) == 2)
