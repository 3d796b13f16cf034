"""The motion synthesizer: deterministic, in the project's array layout, moving the joints each exercise
is about through plausible ranges, and drawing the form faults it claims to."""

from __future__ import annotations

import numpy as np
import pytest

from coach.activities import REP_EXERCISES
from coach.kinematics.angles import angles_from_landmarks, angles_from_world
from coach.pose.landmarks import Landmark as L
from coach.synth import ACTIVITY_LABELS, FAULTS, generate


def test_every_activity_the_classifier_needs_is_generated() -> None:
    assert set(REP_EXERCISES) | {"running", "walking", "idle", "other"} == set(ACTIVITY_LABELS)


@pytest.mark.parametrize("activity", ACTIVITY_LABELS)
def test_same_seed_same_clip_other_seed_other_clip(activity: str) -> None:
    a = generate(activity, seed=3)
    b = generate(activity, seed=3)
    c = generate(activity, seed=4)
    np.testing.assert_array_equal(a.landmarks, b.landmarks)
    np.testing.assert_array_equal(a.world, b.world)
    assert a.landmarks.shape != c.landmarks.shape or not np.allclose(
        np.nan_to_num(a.landmarks), np.nan_to_num(c.landmarks)
    )


@pytest.mark.parametrize("activity", ACTIVITY_LABELS)
def test_arrays_follow_the_pose_layout(activity: str) -> None:
    clip = generate(activity, seed=1)
    n = len(clip)
    assert clip.landmarks.shape == (n, 33, 5) and clip.landmarks.dtype == np.float32
    assert clip.world.shape == (n, 33, 3)
    assert np.all(np.diff(clip.media_ts) > 0)
    track = clip.to_track()  # validates the layout
    assert track.has_pose.mean() > 0.8
    ok = track.has_pose
    vis = clip.landmarks[ok, :, 3]
    assert np.all((vis >= 0) & (vis <= 1))
    # Most of the body is inside the image (the upper body at least, in a close-up).
    xy = clip.landmarks[ok][:, : L.LEFT_HIP if clip.camera.close_up else 33, :2]
    assert np.mean((xy >= 0) & (xy <= 1)) > 0.8
    # World landmarks are centred between the hips, y down: the nose is above (smaller y) the ankles
    # whenever the athlete is upright.
    mid_hip = 0.5 * (clip.world[ok, L.LEFT_HIP] + clip.world[ok, L.RIGHT_HIP])
    assert np.nanmax(np.abs(mid_hip)) < 0.1


def _range(activity: str, name: str, seeds=(0, 1, 2), yaw: float = 90.0) -> tuple[float, float]:
    lo, hi = [], []
    for s in seeds:
        clip = generate(activity, seed=s, clean=True, camera_yaw_deg=yaw)
        a = angles_from_world(clip.world)[name]
        lo.append(np.nanmin(a))
        hi.append(np.nanmax(a))
    return float(np.mean(lo)), float(np.mean(hi))


@pytest.mark.parametrize(
    ("activity", "angle", "max_low", "min_high"),
    [
        ("squat", "left_knee", 110, 160),
        ("deadlift", "left_hip", 130, 165),
        ("pushup", "left_elbow", 110, 150),
        ("lunge", "left_knee", 120, 160),
        ("jumping_jack", "left_shoulder", 40, 130),
        # MediaPipe under-reads curl flexion (real clips bottom out at ~70-80 deg); the synthesizer follows.
        ("bicep_curl", "left_elbow", 90, 150),
        ("lateral_raise", "left_shoulder", 30, 70),
        ("shoulder_press", "left_shoulder", 110, 150),
        ("running", "left_knee", 110, 150),
        ("walking", "left_knee", 150, 165),
    ],
)
def test_primary_joint_moves_through_a_plausible_range(activity, angle, max_low, min_high) -> None:
    lo, hi = _range(activity, angle)
    assert lo < max_low, f"{activity} {angle} never gets below {lo:.0f}"
    assert hi > min_high, f"{activity} {angle} never gets above {hi:.0f}"


def test_close_ups_mostly_lose_the_legs_but_keep_the_arms() -> None:
    clips = [generate("bicep_curl", seed=s) for s in range(60)]
    close = [c for c in clips if c.camera.close_up]
    assert 0 < len(close) < 30  # arm exercises: ~30 % close-ups
    ankles = [np.nanmean(c.landmarks[:, L.LEFT_ANKLE, 3]) for c in close]
    wrists = [
        np.nanmean(np.maximum(c.landmarks[:, L.LEFT_WRIST, 3], c.landmarks[:, L.RIGHT_WRIST, 3]))
        for c in close
    ]
    assert np.mean(np.array(ankles) < 0.5) >= 0.7
    assert min(wrists) > 0.5


def test_idle_barely_moves() -> None:
    lo, hi = _range("idle", "left_knee")
    assert hi - lo < 15


def test_image_angles_match_world_angles_side_on() -> None:
    clip = generate("squat", seed=0, clean=True, camera_yaw_deg=90.0)
    img = angles_from_landmarks(clip.landmarks, clip.camera.image_size)["left_knee"]
    wd = angles_from_world(clip.world)["left_knee"]
    # Perspective and a slight camera pitch make them differ a little, not by a different movement.
    assert np.nanmedian(np.abs(img - wd)) < 12


def _at_turn(clip, values: np.ndarray) -> float:
    return float(np.nanmedian(values[clip.phase > 0.8 * clip.phase.max()]))


def _mean_over_seeds(activity: str, fault: str | None, fn, seeds=range(4)) -> float:
    return float(np.mean([fn(generate(activity, seed=s, fault=fault, clean=True)) for s in seeds]))


def _knee_gap_ratio(clip) -> float:
    p = clip.body_points
    knees = np.abs(p[:, L.LEFT_KNEE, 0] - p[:, L.RIGHT_KNEE, 0])
    ankles = np.abs(p[:, L.LEFT_ANKLE, 0] - p[:, L.RIGHT_ANKLE, 0])
    return _at_turn(clip, knees / ankles)


def _elbow_min(clip) -> float:
    return float(np.nanmin(angles_from_world(clip.world)["left_elbow"]))


def _knee_min(clip) -> float:
    return float(np.nanmin(angles_from_world(clip.world)["left_knee"]))


def _lean_at_turn(clip) -> float:
    p = clip.body_points
    trunk = 0.5 * (p[:, L.LEFT_SHOULDER] + p[:, L.RIGHT_SHOULDER]) - 0.5 * (
        p[:, L.LEFT_HIP] + p[:, L.RIGHT_HIP]
    )
    lean = np.degrees(np.arctan2(np.hypot(trunk[:, 0], trunk[:, 2]), trunk[:, 1]))
    return _at_turn(clip, lean)


def _heel_height_at_turn(clip) -> float:
    return _at_turn(clip, clip.body_points[:, L.LEFT_HEEL, 1])


def _torso_shortening_at_turn(clip) -> float:
    """How much shorter mid-hip to mid-shoulder is at the turn than at rest (a rounding back shortens it)."""
    p = clip.body_points
    trunk = 0.5 * (p[:, L.LEFT_SHOULDER] + p[:, L.RIGHT_SHOULDER]) - 0.5 * (
        p[:, L.LEFT_HIP] + p[:, L.RIGHT_HIP]
    )
    chord = np.linalg.norm(trunk, axis=1)
    return 1.0 - _at_turn(clip, chord) / float(np.median(chord[clip.phase < 0.05]))


def _hip_sag(clip) -> float:
    p = clip.body_points
    sh = 0.5 * (p[:, L.LEFT_SHOULDER] + p[:, L.RIGHT_SHOULDER])
    an = 0.5 * (p[:, L.LEFT_ANKLE] + p[:, L.RIGHT_ANKLE])
    hip = 0.5 * (p[:, L.LEFT_HIP] + p[:, L.RIGHT_HIP])
    f = (hip[:, 2] - an[:, 2]) / (sh[:, 2] - an[:, 2])
    line_y = an[:, 1] + f * (sh[:, 1] - an[:, 1])
    return float(np.median(line_y - hip[:, 1]))


def _elbow_forward_at_top(clip) -> float:
    p = clip.body_points
    return _at_turn(clip, p[:, L.LEFT_ELBOW, 2] - p[:, L.LEFT_SHOULDER, 2]) + _at_turn(
        clip, p[:, L.RIGHT_ELBOW, 2] - p[:, L.RIGHT_SHOULDER, 2]
    )


def _contact_reach(clip) -> float:
    p = clip.body_points
    hip_z = 0.5 * (p[:, L.LEFT_HIP, 2] + p[:, L.RIGHT_HIP, 2])
    return float(np.max(p[:, L.LEFT_ANKLE, 2] - hip_z))


def _trunk_lean_mean(clip) -> float:
    p = clip.body_points
    t = 0.5 * (p[:, L.LEFT_SHOULDER] + p[:, L.RIGHT_SHOULDER]) - 0.5 * (p[:, L.LEFT_HIP] + p[:, L.RIGHT_HIP])
    return float(np.mean(np.degrees(np.arctan2(np.hypot(t[:, 0], t[:, 2]), t[:, 1]))))


def _ascent_knee_lead(clip) -> float:
    """Knee angle on the way up minus on the way down at mid-depth (positive: knees straighten first)."""
    knee = angles_from_world(clip.world)["left_knee"]
    d = np.gradient(clip.phase)
    mid = np.abs(clip.phase - 0.5 * clip.phase.max()) < 0.15
    return float(np.nanmean(knee[mid & (d < 0)]) - np.nanmean(knee[mid & (d > 0)]))


@pytest.mark.parametrize(
    ("activity", "fault", "measure", "sign"),
    [
        ("squat", "knee_valgus", _knee_gap_ratio, -1),
        ("lunge", "knee_valgus", _knee_gap_ratio, -1),
        ("squat", "shallow_depth", _knee_min, +1),
        ("pushup", "shallow_depth", _elbow_min, +1),
        ("squat", "forward_lean", _lean_at_turn, +1),
        ("lunge", "forward_lean", _lean_at_turn, +1),
        ("squat", "heel_lift", _heel_height_at_turn, +1),
        ("deadlift", "heel_lift", _heel_height_at_turn, +1),
        ("squat", "hips_rising_first", _ascent_knee_lead, +1),
        ("deadlift", "hips_rising_first", _ascent_knee_lead, +1),
        ("deadlift", "rounded_back", _torso_shortening_at_turn, +1),
        ("pushup", "hip_sag", _hip_sag, +1),
        ("bicep_curl", "elbow_drift", _elbow_forward_at_top, +1),
        ("running", "overstride", _contact_reach, +1),
        ("walking", "overstride", _contact_reach, +1),
        ("running", "excessive_trunk_lean", _trunk_lean_mean, +1),
    ],
)
def test_fault_changes_the_intended_measure(activity, fault, measure, sign) -> None:
    assert fault in FAULTS[activity]
    good = _mean_over_seeds(activity, None, measure)
    bad = _mean_over_seeds(activity, fault, measure)
    assert sign * (bad - good) > 0.15 * max(abs(good), 1e-2), f"{fault}: good {good:.3f} faulty {bad:.3f}"


def test_a_camera_above_looks_down_on_the_athlete() -> None:
    from coach.synth import SynthOptions

    above = generate("idle", seed=1, clean=True, camera_yaw_deg=0.0,
                     options=SynthOptions(pitch_deg=(60.0, 60.0)))  # fmt: skip
    below = generate("idle", seed=1, clean=True, camera_yaw_deg=0.0,
                     options=SynthOptions(pitch_deg=(-15.0, -15.0)))  # fmt: skip
    # World z grows away from the camera: from above, the head is nearer than the feet; from below, the
    # feet are.
    assert above.world[0, L.NOSE, 2] < above.world[0, L.LEFT_ANKLE, 2]
    assert below.world[0, L.NOSE, 2] > below.world[0, L.LEFT_ANKLE, 2]


def test_a_push_up_from_above_and_behind_stands_upright_in_the_image() -> None:
    from coach.synth import SynthOptions

    clip = generate("pushup", seed=2, camera_yaw_deg=180.0, options=SynthOptions(pitch_deg=(75.0, 75.0)))
    # Looking down the back (as a phone on a shelf behind the feet does): head at the top of the frame.
    assert np.nanmedian(clip.landmarks[:, L.NOSE, 1]) < np.nanmedian(clip.landmarks[:, L.LEFT_ANKLE, 1])


def test_unknown_activity_or_fault_is_refused() -> None:
    with pytest.raises(ValueError):
        generate("yoga", seed=0)
    with pytest.raises(ValueError):
        generate("squat", seed=0, fault="overstride")
