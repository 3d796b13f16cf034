"""Joint, segment and trunk angles (`coach.kinematics.angles`) on hand-computed cases."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from coach.kinematics.angles import (
    ANGLE_NAMES,
    angles_from_landmarks,
    angles_from_world,
    body_angles,
    joint_angle,
    segment_angle,
    to_pixels,
)
from coach.pose.landmarks import Landmark as L

# A standing athlete facing the camera, world metres (origin mid-hip, x = image right, y down, z away from
# the camera). The athlete's left side is on the image's right.
STANDING = {
    L.NOSE: (0.0, -0.68, -0.10),
    L.LEFT_EYE_INNER: (0.015, -0.71, -0.08),
    L.LEFT_EYE: (0.03, -0.71, -0.08),
    L.LEFT_EYE_OUTER: (0.045, -0.71, -0.07),
    L.LEFT_EAR: (0.075, -0.69, 0.0),
    L.MOUTH_LEFT: (0.025, -0.64, -0.08),
    L.LEFT_SHOULDER: (0.18, -0.50, 0.0),
    L.LEFT_ELBOW: (0.18, -0.22, 0.0),
    L.LEFT_WRIST: (0.18, 0.03, 0.0),
    L.LEFT_PINKY: (0.19, 0.10, 0.01),
    L.LEFT_INDEX: (0.18, 0.11, -0.02),
    L.LEFT_THUMB: (0.16, 0.07, -0.03),
    L.LEFT_HIP: (0.10, 0.0, 0.0),
    L.LEFT_KNEE: (0.10, 0.45, 0.0),
    L.LEFT_ANKLE: (0.10, 0.88, 0.0),
    L.LEFT_HEEL: (0.10, 0.93, 0.05),
    L.LEFT_FOOT_INDEX: (0.11, 0.95, -0.15),
}


def standing_world() -> np.ndarray:
    """(33, 3) world landmarks of `STANDING`, right side mirrored from the left."""
    pts = np.full((33, 3), np.nan)
    for lm, (x, y, z) in STANDING.items():
        pts[lm] = (x, y, z)
        twin = L[lm.name.replace("LEFT", "RIGHT")] if "LEFT" in lm.name else lm
        pts[twin] = (-x if twin != lm else x, y, z)
    return pts


def test_right_straight_folded_and_45() -> None:
    o = np.zeros(2)
    assert joint_angle([1, 0], o, [0, 1]) == pytest.approx(90)
    assert joint_angle([1, 0], o, [-3, 0]) == pytest.approx(180)
    assert joint_angle([1, 0], o, [2, 0]) == pytest.approx(0)
    assert joint_angle([1, 0], o, [1, 1e-4]) == pytest.approx(math.degrees(1e-4), rel=1e-6)  # nearly folded
    assert joint_angle([1, 0], o, [1, 1]) == pytest.approx(45)
    assert joint_angle([1, 0], o, [-1, 1]) == pytest.approx(135)
    # The angle is independent of the segments' lengths and of translation.
    assert joint_angle([10, 5], [5, 5], [5, 5.5]) == pytest.approx(90)


def test_3d_joint_angles() -> None:
    o = np.zeros(3)
    assert joint_angle([1, 0, 0], o, [0, 0, 1]) == pytest.approx(90)
    assert joint_angle([1, 1, 0], o, [1, 0, 0]) == pytest.approx(45)
    assert joint_angle([1, 1, 1], o, [-1, -1, -1]) == pytest.approx(180)
    # Between the cube diagonal and an axis: arccos(1/sqrt(3)).
    assert joint_angle([1, 1, 1], o, [0, 0, 5]) == pytest.approx(math.degrees(math.acos(1 / math.sqrt(3))))
    # A knee bent to 90 degrees in a plane the camera sees edge-on: the 3D angle is still 90.
    assert joint_angle([0, -0.45, 0], o, [0, 0, 0.45]) == pytest.approx(90)


def test_vectorised_over_leading_axes_and_broadcasting() -> None:
    rng = np.random.default_rng(0)
    a, b, c = (rng.normal(size=(4, 5, 3)) for _ in range(3))
    out = joint_angle(a, b, c)
    assert out.shape == (4, 5)
    assert out[2, 3] == pytest.approx(float(joint_angle(a[2, 3], b[2, 3], c[2, 3])))
    # One vertex shared by many points.
    theta = np.radians(np.arange(0, 181, 15))
    ring = np.stack([np.cos(theta), np.sin(theta)], axis=-1)
    np.testing.assert_allclose(joint_angle(ring, np.zeros(2), [1.0, 0.0]), np.degrees(theta), atol=1e-9)
    assert segment_angle(np.zeros((7, 2)), ring[:7]).shape == (7,)


def test_segment_angle_sign_convention() -> None:
    o = np.zeros(2)
    assert segment_angle(o, [0, -1]) == pytest.approx(0)  # up is -y
    assert segment_angle(o, [1, -1]) == pytest.approx(45)  # towards +x: positive
    assert segment_angle(o, [-1, -1]) == pytest.approx(-45)
    assert segment_angle(o, [1, 0]) == pytest.approx(90)
    assert segment_angle(o, [0, 1]) == pytest.approx(180)
    assert segment_angle(o, [-1, math.sqrt(3)]) == pytest.approx(-150)
    # 3D: magnitude is the full angle from up, sign is the x direction.
    assert segment_angle(np.zeros(3), [0, -1, 1]) == pytest.approx(45)
    assert segment_angle(np.zeros(3), [-1, -1, 0]) == pytest.approx(-45)
    assert segment_angle(np.zeros(3), [-1, -math.sqrt(2), 1]) == pytest.approx(-45)


def test_nan_in_nan_out_and_zero_length_is_nan_without_warnings() -> None:
    o = np.zeros(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(joint_angle([np.nan, 0], o, [0, 1]))
        assert np.isnan(joint_angle([1, 0], [np.nan, np.nan], [0, 1]))
        assert np.isnan(joint_angle([1, 0], o, [0, 0]))  # zero-length segment: NaN, not 0
        assert np.isnan(joint_angle(o, o, o))
        assert np.isnan(joint_angle([np.inf, 0], [np.inf, 1], [0, 1]))
        assert np.isnan(segment_angle(o, o))
        assert np.isnan(segment_angle(o, [np.nan, 1]))
        assert np.isnan(segment_angle([np.inf, 0], [np.inf, 1]))
        batch = joint_angle(np.array([[1, 0], [np.nan, 0], [0, 0]]), o, [0, 1])
    np.testing.assert_array_equal(np.isnan(batch), [False, True, True])
    assert batch[0] == pytest.approx(90)


def test_standing_skeleton() -> None:
    world = standing_world()
    for angles in (body_angles(world), angles_from_world(world), body_angles(world[:, :2])):
        for side in ("left", "right"):
            assert angles[f"{side}_knee"] == pytest.approx(180, abs=1)
            assert angles[f"{side}_hip"] == pytest.approx(180, abs=10)  # shoulders wider than hips
            assert angles[f"{side}_elbow"] == pytest.approx(180, abs=1)
            assert angles[f"{side}_shoulder"] == pytest.approx(0, abs=20)
            assert angles[f"{side}_thigh"] == pytest.approx(0, abs=1)
            assert angles[f"{side}_shin"] == pytest.approx(0, abs=1)
        assert angles["trunk_lean"] == pytest.approx(0, abs=1e-9)
        assert angles["trunk_lean_signed"] == pytest.approx(0, abs=1e-9)
    ankles = body_angles(world)
    # The 3D foot runs forward (towards the camera), roughly square to the shin.
    assert 85 <= ankles["left_ankle"] <= 115 and 85 <= ankles["right_ankle"] <= 115
    # In 3D the arm hangs exactly along the trunk side.
    assert body_angles(world)["left_shoulder"] == pytest.approx(math.degrees(math.atan2(0.08, 0.5)), abs=1e-6)


def test_names_and_shapes() -> None:
    world = np.repeat(standing_world()[None, None], 6, axis=1).repeat(2, axis=0)  # (2, 6, 33, 3)
    angles = body_angles(world)
    assert tuple(angles) == ANGLE_NAMES
    assert all(v.shape == (2, 6) for v in angles.values())
    assert ANGLE_NAMES[:12] == (
        "left_knee", "right_knee", "left_hip", "right_hip", "left_elbow", "right_elbow",
        "left_shoulder", "right_shoulder", "left_ankle", "right_ankle", "trunk_lean", "trunk_lean_signed",
    )  # fmt: skip
    with pytest.raises(ValueError):
        body_angles(np.zeros((32, 3)))
    with pytest.raises(ValueError):
        body_angles(np.zeros((33, 4)))


def test_arm_positions_read_as_the_convention_says() -> None:
    world = standing_world()
    world[L.LEFT_ELBOW] = world[L.LEFT_SHOULDER] + (0.28, 0, 0)  # abducted to horizontal
    world[L.LEFT_WRIST] = world[L.LEFT_ELBOW] + (0, -0.25, 0)  # forearm up: elbow at 90
    world[L.RIGHT_ELBOW] = world[L.RIGHT_SHOULDER] + (0, -0.28, 0)  # straight overhead
    world[L.RIGHT_WRIST] = world[L.RIGHT_ELBOW] + (0, -0.25, 0)
    a = body_angles(world)
    # The shoulder -> hip line leans 0.08 m inwards over 0.5 m, so it is not quite vertical.
    side_tilt = math.degrees(math.atan2(0.08, 0.5))
    assert a["left_shoulder"] == pytest.approx(90 + side_tilt, abs=1e-6)
    assert a["left_elbow"] == pytest.approx(90)
    assert a["right_shoulder"] == pytest.approx(180 - side_tilt, abs=1e-6)
    assert a["right_elbow"] == pytest.approx(180)


def test_parallel_squat() -> None:
    world = standing_world()
    for hip, knee, ankle in (
        (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE),
        (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE),
    ):
        world[knee] = world[ankle] + (0, -0.45, 0)
        world[hip] = world[knee] + (0, 0, 0.45)  # thigh horizontal, hips behind (away from the camera)
    a = body_angles(world)
    assert a["left_knee"] == pytest.approx(90) and a["right_knee"] == pytest.approx(90)
    assert a["left_thigh"] == pytest.approx(90)  # knee -> hip horizontal
    assert a["left_shin"] == pytest.approx(0)


def test_trunk_lean_upright_30_degrees_and_sign() -> None:
    world = standing_world()
    hips = 0.5 * (world[L.LEFT_HIP] + world[L.RIGHT_HIP])

    def lean_to(angle_deg: float) -> dict[str, np.ndarray]:
        w = world.copy()
        r = math.radians(angle_deg)
        # Rotate the shoulders about the mid-hip in the image plane; positive = towards +x.
        for s in (L.LEFT_SHOULDER, L.RIGHT_SHOULDER):
            dx, dy = w[s, 0] - hips[0], w[s, 1] - hips[1]
            w[s, 0] = hips[0] + dx * math.cos(r) - dy * math.sin(r)
            w[s, 1] = hips[1] + dx * math.sin(r) + dy * math.cos(r)
        return body_angles(w)

    assert lean_to(0)["trunk_lean"] == pytest.approx(0, abs=1e-9)
    assert lean_to(30)["trunk_lean"] == pytest.approx(30)
    assert lean_to(30)["trunk_lean_signed"] == pytest.approx(30)
    assert lean_to(-30)["trunk_lean"] == pytest.approx(30)
    assert lean_to(-30)["trunk_lean_signed"] == pytest.approx(-30)
    assert lean_to(90)["trunk_lean"] == pytest.approx(90)  # horizontal, e.g. a push-up

    # Leaning towards the camera (world -z) by 30 degrees: 30 in 3D, invisible in the image plane.
    w = world.copy()
    for s in (L.LEFT_SHOULDER, L.RIGHT_SHOULDER):
        w[s, 1], w[s, 2] = -0.5 * math.cos(math.radians(30)), -0.5 * math.sin(math.radians(30))
    assert body_angles(w)["trunk_lean"] == pytest.approx(30)
    assert body_angles(w[:, :2])["trunk_lean"] == pytest.approx(0, abs=1e-9)


def test_aspect_ratio_correction() -> None:
    # In a 1280x720 image a knee bent to 45 degrees in pixels is not 45 degrees in normalised units.
    w, h = 1280, 720
    lm = np.full((33, 5), 0.5)
    knee = np.array([640.0, 360.0])
    lm[L.LEFT_KNEE, :2] = knee / (w, h)
    lm[L.LEFT_ANKLE, :2] = (knee + (0, 100)) / (w, h)  # shin straight down
    lm[L.LEFT_HIP, :2] = (knee + (100, 100)) / (w, h)  # thigh 45 degrees from the shin
    pixels_angle = angles_from_landmarks(lm, (w, h))["left_knee"]
    naive = joint_angle(lm[L.LEFT_HIP, :2], lm[L.LEFT_KNEE, :2], lm[L.LEFT_ANKLE, :2])
    assert pixels_angle == pytest.approx(45)
    assert naive == pytest.approx(math.degrees(math.atan2(100 / w, 100 / h)))  # ~29.4: wrong
    assert abs(naive - 45) > 10
    np.testing.assert_allclose(to_pixels(lm, (w, h))[L.LEFT_KNEE], knee)
    assert to_pixels(lm[None].repeat(3, axis=0), (w, h)).shape == (3, 33, 2)
    with pytest.raises(ValueError):
        to_pixels(lm, (0, 720))


def test_projected_skeleton_matches_world_for_a_frontal_view() -> None:
    # Orthographic frontal projection into a 1280x720 frame: image angles equal world angles for joints
    # moving in the image plane.
    w, h = 1280, 720
    world = standing_world()
    world[L.LEFT_KNEE] += (0.15, 0, 0)  # knees out: a valgus/varus-like bend seen from the front
    lm = np.zeros((33, 5))
    px_per_m = 0.8 * h / 1.75
    lm[:, 0] = (w / 2 + world[:, 0] * px_per_m) / w
    lm[:, 1] = (h / 2 + world[:, 1] * px_per_m) / h
    lm[:, 3:] = 0.9
    image = angles_from_landmarks(lm, (w, h))
    metric = angles_from_world(world)
    for name in ("left_knee", "right_knee", "left_elbow", "trunk_lean_signed", "left_thigh"):
        assert image[name] == pytest.approx(metric[name], abs=1e-6), name
    assert image["left_knee"] < 150


def test_min_visibility_gates_landmarks() -> None:
    world = standing_world()
    lm = np.zeros((33, 5))
    lm[:, :2] = 0.5 + world[:, :2] * 0.3
    lm[:, 3] = 0.9
    lm[L.LEFT_ANKLE, 3] = 0.2
    gated = angles_from_landmarks(lm, (720, 1280), min_visibility=0.5)
    ungated = angles_from_landmarks(lm, (720, 1280))
    assert np.isnan(gated["left_knee"]) and np.isnan(gated["left_shin"])
    assert gated["right_knee"] == pytest.approx(180, abs=1)
    assert ungated["left_knee"] == pytest.approx(180, abs=1)
