"""Overlay annotators draw where they should, and mirroring flips x while keeping left and right."""

from __future__ import annotations

import numpy as np
import pytest

from coach.overlay import (
    BarPathAnnotator,
    CueBannerAnnotator,
    JointAngleAnnotator,
    JointAnomalyAnnotator,
    Overlay,
    OverlayData,
    RepCounterAnnotator,
    SkeletonAnnotator,
    TargetLineAnnotator,
    anomaly_color,
    mirror_image,
    mirror_pose,
)
from coach.pose.landmarks import NUM_LANDMARKS
from coach.pose.landmarks import Landmark as L
from coach.pose.types import Pose

W, H = 640, 480


def _standing_pose(knee_bend_px: float = 0.0) -> Pose:
    """A frontal athlete: the athlete's left side on the image's right (camera view, not mirrored)."""
    pts = {
        L.NOSE: (320, 80),
        L.LEFT_SHOULDER: (370, 140), L.RIGHT_SHOULDER: (270, 140),
        L.LEFT_ELBOW: (390, 210), L.RIGHT_ELBOW: (250, 210),
        L.LEFT_WRIST: (340, 200), L.RIGHT_WRIST: (300, 200),
        L.LEFT_HIP: (350, 260), L.RIGHT_HIP: (290, 260),
        L.LEFT_KNEE: (355 + knee_bend_px, 350), L.RIGHT_KNEE: (285 - knee_bend_px, 350),
        L.LEFT_ANKLE: (355, 440), L.RIGHT_ANKLE: (285, 440),
    }
    lm = np.full((NUM_LANDMARKS, 5), np.nan, dtype=np.float32)
    for k, (x, y) in pts.items():
        lm[k] = (x / W, y / H, 0.0, 0.99, 0.99)
    world = np.zeros((NUM_LANDMARKS, 3), dtype=np.float32)
    return Pose(landmarks=lm, world=world, image_size=(W, H))


def _blank() -> np.ndarray:
    return np.zeros((H, W, 3), np.uint8)


def _changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    return np.any(before != after, axis=2)


def test_skeleton_draws_bones_at_the_landmarks_and_nothing_without_a_pose() -> None:
    img = SkeletonAnnotator().annotate(_blank(), _standing_pose())
    # Midpoint of the left thigh (hip (350, 260) -> knee (355, 350)) is on a bone.
    assert img[305, 350:356].max() > 200
    # Far from the body nothing is drawn.
    assert img[10:60, 10:60].max() == 0
    assert SkeletonAnnotator().annotate(_blank(), None).max() == 0


def test_hidden_landmarks_are_skipped_not_drawn_at_zero() -> None:
    pose = _standing_pose()
    lm = pose.landmarks.copy()
    lm[L.LEFT_ANKLE, :2] = np.nan
    img = SkeletonAnnotator().annotate(_blank(), Pose(lm, pose.world, pose.image_size))
    assert img[0:10, 0:10].max() == 0  # nothing at the origin
    assert img[395, 350:360].max() == 0  # the left shin is gone


def test_angle_arc_and_value_drawn_at_the_knee() -> None:
    pose = _standing_pose(knee_bend_px=40)
    img = JointAngleAnnotator(["left_knee"]).annotate(_blank(), pose)
    changed = _changed(_blank(), img)
    ys, xs = np.nonzero(changed)
    assert len(xs) > 50
    # Everything drawn is near the left knee (395, 350): the arc and its label.
    assert np.all(np.abs(xs - 395) < 120) and np.all(np.abs(ys - 350) < 120)
    with pytest.raises(ValueError, match="unknown joints"):
        JointAngleAnnotator(["left_tail"])


def test_depth_line_at_knee_height_turns_green_when_hips_reach_it() -> None:
    standing = TargetLineAnnotator("knee_height").annotate(_blank(), _standing_pose())
    b, g, r = standing[350, 320].tolist()  # a white line at knee height (y = 350)
    assert min(b, g, r) > 200 and b == g == r
    assert standing[300, 320].max() == 0
    pose = _standing_pose()
    lm = pose.landmarks.copy()
    lm[[L.LEFT_HIP, L.RIGHT_HIP], 1] = 360 / H  # hips below the knees: depth reached
    deep = TargetLineAnnotator("knee_height").annotate(_blank(), Pose(lm, pose.world, pose.image_size))
    b, g, r = deep[350, 320].tolist()
    assert g > 150 and g > r + 50 and g > b + 50


def test_rep_counter_and_cue_banner_draw_in_their_corners() -> None:
    data = OverlayData(pose=None, activity="squat", reps=3, partial_reps=1, phase="descent")
    img = RepCounterAnnotator().annotate(np.full((H, W, 3), 128, np.uint8), data)
    changed = _changed(np.full((H, W, 3), 128, np.uint8), img)
    assert changed[:70, :140].mean() > 0.5  # the shaded box top-left
    assert not changed[H // 2 :, :].any()
    img = CueBannerAnnotator().annotate(np.full((H, W, 3), 128, np.uint8), "Knees out")
    changed = _changed(np.full((H, W, 3), 128, np.uint8), img)
    assert changed[H - 20, :].all()  # a banner across the bottom
    assert not changed[: H // 2, :].any()
    assert CueBannerAnnotator().annotate(_blank(), None).max() == 0


def test_a_runs_counter_shows_its_steps_not_its_reps() -> None:
    def box(**kw: object) -> np.ndarray:
        data = OverlayData(pose=None, phase="stance", **kw)  # type: ignore[arg-type]
        return RepCounterAnnotator().annotate(np.full((H, W, 3), 128, np.uint8), data)

    run = box(activity="running", steps=12)
    assert np.array_equal(run, box(activity="running", steps=12, reps=5))  # a run has no reps to show
    assert not np.array_equal(run, box(activity="running", steps=13))
    squat = box(activity="squat", reps=12)
    assert np.array_equal(squat, box(activity="squat", reps=12, steps=3))  # and a squat only its reps
    assert not np.array_equal(squat, box(activity="squat", reps=11))


def test_bar_path_trails_the_wrists_and_resets() -> None:
    ann = BarPathAnnotator()
    pose = _standing_pose()
    for dy in range(0, 60, 6):  # the wrists move down 60 px
        lm = pose.landmarks.copy()
        lm[[L.LEFT_WRIST, L.RIGHT_WRIST], 1] += dy / H
        img = ann.annotate(_blank(), Pose(lm, pose.world, pose.image_size))
    changed = _changed(_blank(), img)
    ys, xs = np.nonzero(changed)
    assert abs(np.median(xs) - 320) < 5  # the wrists' midpoint
    assert ys.min() < 205 and ys.max() > 250  # the whole path, not only the last point
    ann.reset()
    assert ann.annotate(_blank(), pose).max() == 0  # a single point is no trail


def test_anomaly_colours_joints_by_score() -> None:
    pose = _standing_pose()
    img = JointAnomalyAnnotator().annotate(_blank(), pose, {"left_knee": 1.0, "right_knee": 0.0, "nope": 1})
    b, g, r = img[350, 355].tolist()  # left knee: red
    assert r == 255 and g < 30 and b < 30
    b, g, r = img[350, 285].tolist()  # right knee: green
    assert g > 200 and r < 30
    assert anomaly_color(0.5) == (0, 220, 255)  # yellow in between
    assert JointAnomalyAnnotator().annotate(_blank(), pose, None).max() == 0


def test_mirroring_flips_x_and_keeps_the_athletes_left() -> None:
    pose = _standing_pose()
    mirrored = mirror_pose(pose)
    np.testing.assert_allclose(mirrored.landmarks[:, 0], 1.0 - pose.landmarks[:, 0])
    np.testing.assert_array_equal(mirrored.landmarks[:, 1:], pose.landmarks[:, 1:])
    # The athlete's left shoulder was on the image's right; in the mirror it is on the left, still "left".
    assert pose.landmarks[L.LEFT_SHOULDER, 0] > 0.5 > mirrored.landmarks[L.LEFT_SHOULDER, 0]
    # Drawing the mirrored pose on the mirrored image equals mirroring the drawing.
    # (Pixel column c flips to W - 1 - c while x flips to W - x: allow that one pixel.)
    direct = _changed(_blank(), mirror_image(SkeletonAnnotator().annotate(_blank(), pose)))
    drawn = _changed(_blank(), SkeletonAnnotator().annotate(mirror_image(_blank()), mirrored))
    assert abs(np.nonzero(direct)[1].mean() - np.nonzero(drawn)[1].mean()) < 1.5
    assert abs(np.nonzero(direct)[0].mean() - np.nonzero(drawn)[0].mean()) < 0.5
    assert abs(int(direct.sum()) - int(drawn.sum())) < 0.05 * direct.sum()


def test_overlay_composes_everything_for_a_squat() -> None:
    overlay = Overlay("squat")
    data = OverlayData(pose=_standing_pose(), activity="squat", reps=2, phase="top", cue="Sit deeper")
    img = overlay.draw(np.full((H, W, 3), 90, np.uint8), data, anomaly={"left_hip": 0.9})
    changed = _changed(np.full((H, W, 3), 90, np.uint8), img)
    assert changed[:60, :150].mean() > 0.5  # counter
    assert changed[H - 10, :].all()  # banner
    assert changed[350, 320]  # depth line at knee height
    b, g, r = img[260, 350].tolist()  # left hip coloured by anomaly
    assert r > 200 and b < 60
