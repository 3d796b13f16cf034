"""Camera-view estimate (`coach.kinematics.view`) on synthetic skeletons turned by known yaws."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from coach.kinematics.view import (
    FRONT_MAX_DEG,
    SIDE_MIN_DEG,
    View,
    ViewClassifier,
    classify_view,
    clip_view,
    estimate_yaw,
    summarize_views,
    yaw_cues,
)
from coach.pose.landmarks import Landmark as L

# Left half of a standing athlete facing the camera, metres: origin mid-hip, x = image right (the athlete's
# left), y down, z away from the camera. Right landmarks mirror x.
_LEFT_HALF = {
    L.NOSE: (0.0, -0.68, -0.10),
    L.LEFT_EYE_INNER: (0.015, -0.71, -0.08),
    L.LEFT_EYE: (0.03, -0.71, -0.08),
    L.LEFT_EYE_OUTER: (0.045, -0.71, -0.07),
    L.LEFT_EAR: (0.075, -0.69, 0.0),
    L.MOUTH_LEFT: (0.025, -0.64, -0.08),
    L.LEFT_SHOULDER: (0.18, -0.50, 0.0),
    L.LEFT_ELBOW: (0.20, -0.22, 0.0),
    L.LEFT_WRIST: (0.21, 0.03, 0.0),
    L.LEFT_PINKY: (0.22, 0.10, 0.01),
    L.LEFT_INDEX: (0.21, 0.11, -0.02),
    L.LEFT_THUMB: (0.19, 0.07, -0.03),
    L.LEFT_HIP: (0.10, 0.0, 0.0),
    L.LEFT_KNEE: (0.10, 0.45, 0.0),
    L.LEFT_ANKLE: (0.10, 0.88, 0.0),
    L.LEFT_HEEL: (0.10, 0.93, 0.05),
    L.LEFT_FOOT_INDEX: (0.11, 0.95, -0.15),
}


def standing_body() -> np.ndarray:
    pts = np.empty((33, 3))
    for lm, (x, y, z) in _LEFT_HALF.items():
        pts[lm] = (x, y, z)
        if "LEFT" in lm.name:
            pts[L[lm.name.replace("LEFT", "RIGHT")]] = (-x, y, z)
    return pts


def turned(body: np.ndarray, yaw_deg: float) -> np.ndarray:
    """The body turned about the vertical axis through the mid-hip by yaw_deg (0 = facing the camera)."""
    r = math.radians(yaw_deg)
    rot = np.array([[math.cos(r), 0, math.sin(r)], [0, 1, 0], [-math.sin(r), 0, math.cos(r)]])
    return body @ rot.T


def camera_view(
    world: np.ndarray, image_size: tuple[int, int] = (1280, 720), distance_m: float = 3.5
) -> np.ndarray:
    """Pinhole projection of camera-aligned world points (metres, origin mid-hip) into (33, 5) normalised
    landmarks; the athlete fills ~80 % of the image height, the camera is level with the mid-hip."""
    w, h = image_size
    f = 0.8 * h * distance_m / 1.75
    depth = world[:, 2] + distance_m
    lm = np.empty((33, 5))
    lm[:, 0] = (w / 2 + f * world[:, 0] / depth) / w
    lm[:, 1] = (h / 2 + f * (world[:, 1] - 0.05) / depth) / h
    lm[:, 2] = f * world[:, 2] / distance_m / w  # MediaPipe-like relative depth, unused by the estimate
    lm[:, 3:] = 0.9
    return lm


def frame(yaw_deg: float, image_size: tuple[int, int] = (1280, 720), body: np.ndarray | None = None):
    world = turned(standing_body() if body is None else body, yaw_deg)
    return camera_view(world, image_size), world


@pytest.mark.parametrize("yaw", [0, 10, 20, 30, 45, 60, 75, 85, 90])
@pytest.mark.parametrize("image_size", [(1280, 720), (720, 1280)])
def test_recovers_known_yaw(yaw: float, image_size: tuple[int, int]) -> None:
    lm, world = frame(yaw, image_size)
    assert estimate_yaw(lm, world, image_size) == pytest.approx(yaw, abs=2.0)


@pytest.mark.parametrize(("yaw", "folded"), [(-45, 45), (135, 45), (180, 0), (-100, 80), (270, 90)])
def test_yaw_folds_turning_direction_and_facing_away(yaw: float, folded: float) -> None:
    lm, world = frame(yaw)
    assert estimate_yaw(lm, world, (1280, 720)) == pytest.approx(folded, abs=2.0)


@pytest.mark.parametrize(
    ("yaw", "view"), [(5, View.FRONT), (25, View.FRONT), (45, View.OBLIQUE), (70, View.SIDE)]
)
def test_views_of_synthetic_skeletons(yaw: float, view: View) -> None:
    lm, world = frame(yaw)
    est = estimate_yaw(lm, world, (1280, 720))
    assert classify_view([est]) == [view]
    assert clip_view([est]) == view


def bent_towards_camera(body: np.ndarray, angle_deg: float) -> np.ndarray:
    """The trunk, head and arms pitched about the hip axis by angle_deg towards -z (a hip hinge)."""
    body = body.copy()
    upper = body[:, 1] < 0  # above the hips
    r = math.radians(angle_deg)
    y, z = body[upper, 1], body[upper, 2]
    body[upper, 1], body[upper, 2] = y * math.cos(r) - z * math.sin(r), y * math.sin(r) + z * math.cos(r)
    return body


def test_image_cue_fooled_by_foreshortening_is_outvoted() -> None:
    # A 60-degree hip hinge seen at 45 degrees: the torso shortens in the image, so the image cue reads ~10
    # degrees too frontal; the world cues outvote it.
    lm, world = frame(45, body=bent_towards_camera(standing_body(), 60))
    cues = yaw_cues(lm, world, (1280, 720))
    assert cues[2] < 40
    assert estimate_yaw(lm, world, (1280, 720)) == pytest.approx(45, abs=1.0)


def test_one_world_line_losing_its_depth_is_outvoted() -> None:
    # Hips hidden (e.g. behind plates) and MediaPipe flattening their depth: the hip cue reads "front" for a
    # side-on athlete. The image cue, whose reference width also comes from the world hips, sags by ~7.
    lm, world = frame(80)
    world[[L.LEFT_HIP, L.RIGHT_HIP], 2] = 0.0
    cues = yaw_cues(lm, world, (1280, 720))
    assert cues[1] == pytest.approx(0.0, abs=1e-9)
    yaw = estimate_yaw(lm, world, (1280, 720))
    assert yaw == pytest.approx(80, abs=10.0)
    assert classify_view([yaw]) == [View.SIDE]


def test_frontal_athlete_bent_towards_the_camera_stays_front() -> None:
    # A deadlift seen from the front: the torso leans 60 degrees towards the camera, so its image length
    # shrinks and the width/torso ratio exceeds the frontal one; that must read as frontal, not as "turned".
    body = bent_towards_camera(standing_body(), 60)
    lm, world = frame(0, body=body)
    assert estimate_yaw(lm, world, (1280, 720)) < 5
    lm, world = frame(75, body=body)  # the same lift from the side
    assert estimate_yaw(lm, world, (1280, 720)) == pytest.approx(75, abs=3.0)


def test_missing_landmarks_give_nan_and_unknown_without_warnings() -> None:
    lm, world = frame(40)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        no_pose = estimate_yaw(np.full((33, 5), np.nan), np.full((33, 3), np.nan), (1280, 720))
        assert np.isnan(no_pose)
        # Without a hip line in either space only the shoulder cue is left, and it is still correct.
        partial_lm, partial_world = lm.copy(), world.copy()
        partial_lm[L.LEFT_HIP] = np.nan
        partial_world[L.LEFT_HIP] = np.nan
        assert estimate_yaw(partial_lm, partial_world, (1280, 720)) == pytest.approx(40, abs=2.0)
        # Degenerate: both shoulders and both hips at one point.
        flat = world.copy()
        flat[[L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_HIP, L.RIGHT_HIP]] = 0.0
        assert np.isnan(estimate_yaw(camera_view(flat), flat, (1280, 720)))
        assert classify_view([np.nan]) == [View.UNKNOWN]
        assert clip_view([np.nan, np.nan]) == View.UNKNOWN
        assert clip_view([]) == View.UNKNOWN


def test_vectorised_over_frames() -> None:
    yaws = np.array([0.0, 30.0, 60.0, 90.0])
    frames = [frame(y) for y in yaws]
    lm = np.stack([f[0] for f in frames])
    world = np.stack([f[1] for f in frames])
    out = estimate_yaw(lm, world, (1280, 720))
    assert out.shape == (4,)
    np.testing.assert_allclose(out, yaws, atol=2.0)
    assert estimate_yaw(lm[None], world[None], (1280, 720)).shape == (1, 4)
    assert yaw_cues(lm, world, (1280, 720)).shape == (4, 3)
    with pytest.raises(ValueError):
        estimate_yaw(lm[:, :32], world, (1280, 720))
    with pytest.raises(ValueError):
        estimate_yaw(lm, world, (0, 720))


def test_hysteresis_keeps_the_view_steady_at_a_boundary() -> None:
    wobble = [FRONT_MAX_DEG - 3, FRONT_MAX_DEG + 3] * 5  # +-3 degrees around the front/oblique boundary
    assert classify_view([10.0, *wobble]) == [View.FRONT] * 11
    assert classify_view([45.0, *wobble]) == [View.OBLIQUE] * 11
    # Crossing by more than the hysteresis does switch, both ways, and side behaves the same.
    assert classify_view([10, 36, 24, 56, 66, 56, 54, 20]) == [
        View.FRONT, View.OBLIQUE, View.FRONT, View.OBLIQUE, View.SIDE, View.SIDE, View.OBLIQUE, View.FRONT,
    ]  # fmt: skip
    assert classify_view([10, 36, 24], hysteresis_deg=0) == [View.FRONT, View.OBLIQUE, View.FRONT]
    # Without hysteresis the wobble flickers: the test above would catch a classifier that ignored it.
    assert len(set(classify_view(wobble, hysteresis_deg=0))) == 2


def test_dropped_frame_is_unknown_but_keeps_the_state() -> None:
    c = ViewClassifier()
    assert c.update(75) == View.SIDE
    assert c.update(float("nan")) == View.UNKNOWN
    assert c.state == View.SIDE
    assert c.update(SIDE_MIN_DEG - 3) == View.SIDE  # still within the hysteresis of side
    c.reset()
    assert c.update(SIDE_MIN_DEG - 3) == View.OBLIQUE


def test_clip_view_is_the_median_view() -> None:
    # A clip that starts side-on and turns to the front for its last third: mostly side.
    yaw = np.r_[np.full(60, 80.0), np.full(30, 5.0), np.full(10, np.nan)]
    summary = summarize_views(yaw)
    assert summary.view == View.SIDE == clip_view(yaw)
    assert summary.median_yaw_deg == pytest.approx(80)
    assert summary.coverage == pytest.approx(0.9)
    assert summary.fractions == {
        View.FRONT: pytest.approx(1 / 3), View.OBLIQUE: 0.0, View.SIDE: pytest.approx(2 / 3),
    }  # fmt: skip
    assert clip_view(np.r_[np.full(60, 5.0), np.full(40, 80.0)]) == View.FRONT


def test_classifier_rejects_inconsistent_thresholds() -> None:
    with pytest.raises(ValueError):
        ViewClassifier(front_max_deg=70, side_min_deg=60)
    with pytest.raises(ValueError):
        ViewClassifier(hysteresis_deg=-1)
