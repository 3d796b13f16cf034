"""Per-frame features the rep engine reads: joint angles and body-normalised heights and distances.

Every feature is a float in the units named below, NaN where the landmarks it needs are missing (the
smoother already turned low-visibility landmarks into NaN; a NaN is never replaced by 0).

Angles come from `coach.kinematics.angles.body_angles` on pixel coordinates (aspect ratio preserved), so
they follow its convention: included angle in degrees, 180 = straight; shoulder = angle(hip, shoulder,
elbow), 0 = arm down, 180 = overhead; trunk_lean 0 = upright.

Lengths are divided by a body dimension so the numbers do not depend on the athlete's size or distance:
- heights of hips/shoulders above the ground are in SHANK lengths (knee to ankle), because the shank keeps
  its image length in squats, hinges and lunges seen from the front or the side, where the torso and thigh
  foreshorten;
- upper-body distances are in TORSO lengths (shoulder to hip).
Image y points down, so every "height" below is flipped to point up.

Two features come from the WORLD landmarks instead (metres, hip-centred, in the athlete's own 3D frame):
`knee_over_foot_left/right`, the frontal-plane knee track used for knee valgus, because the image x-distance
between the knees changes with the camera's yaw and cannot be compared between a front and a 45-degree view.

Pairs of left/right values are combined symmetrically (mean, min or max of the sides present), so a
left/right swap of the landmarks in a side view does not change a combined feature.
"""

from __future__ import annotations

import math

import numpy as np

from coach.kinematics.angles import body_angles
from coach.pose.landmarks import Landmark as L
from coach.pose.types import Pose

__all__ = ["FEATURE_NAMES", "frame_features"]

_SIDES = ("left", "right")

FEATURE_NAMES: tuple[str, ...] = (
    "knee", "knee_min", "hip", "hip_min", "elbow", "elbow_min", "shoulder", "shoulder_max",
    "trunk_lean", "hip_height", "shoulder_height", "hip_minus_shoulder_height", "hip_below_knee",
    "heel_lift", "elbow_drift", "wrist_above_shoulder", "ear_shoulder_gap",
    "hip_sag", "knee_past_toe", "neck_trunk", "head_below_trunk", "hip_extension_lag", "lr_knee", "lr_hip",
    "lr_elbow", "lr_shoulder", "knee_over_foot_left", "knee_over_foot_right",
)

# Below this trunk lean the trunk is near vertical: "below the trunk line" has no defined side, and a head
# carried forward while standing is posture, not a loaded rounded back.
_HINGE_MIN_LEAN_DEG = 30.0

# A foot's pitch is only read from heel and toe landmarks MediaPipe is confident it sees. The smoother keeps
# anything at visibility >= 0.5 ("more likely visible than not"), which is enough to place a landmark but not
# to judge a few degrees of foot pitch: a foot hidden behind barbell plates or in shadow is still placed, on
# the model's prior for the pose, and that prior lifts the heels of a deep hinge. A fault is something the
# athlete is told, so it needs more than a coin flip.
_FOOT_CONFIDENT_VISIBILITY = 0.8

# Knee over the foot (world landmarks): a foot pitched more than 75 degrees (heel high, or a landmark
# glitch) has too short a horizontal heel->toe direction to define the foot's plane.
_MIN_FOOT_HORIZONTAL = 0.25


def _mean(*v: float) -> float:
    f = [x for x in v if math.isfinite(x)]
    return sum(f) / len(f) if f else math.nan


def _min(*v: float) -> float:
    f = [x for x in v if math.isfinite(x)]
    return min(f) if f else math.nan


def _max(*v: float) -> float:
    f = [x for x in v if math.isfinite(x)]
    return max(f) if f else math.nan


def _dist(p: list[list[float]], a: int, b: int) -> float:
    # Plain floats (a pose's pixels as nested lists): numpy's per-call overhead dominates for two numbers,
    # and this runs several times per frame on the live analysis thread.
    return math.hypot(p[a][0] - p[b][0], p[a][1] - p[b][1])


def _angle3(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    u, v = a - b, c - b
    n = float(np.hypot(*u) * np.hypot(*v))
    if not n > 0:
        return math.nan
    return math.degrees(math.acos(max(-1.0, min(1.0, float(u @ v) / n))))


def _point_line_offset(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Image-vertical offset of p from the line a-b (positive = p below the line in the image)."""
    dx = b[0] - a[0]
    if not abs(dx) > 1e-6:
        return math.nan
    y_line = a[1] + (p[0] - a[0]) * (b[1] - a[1]) / dx
    return float(p[1] - y_line)


def _knee_over_foot(world: np.ndarray) -> tuple[float, float]:
    """(left, right) tilt of each shank out of its foot's vertical plane, degrees, from WORLD landmarks.

    The foot's plane is the vertical plane through the heel->toe line; the tilt is the angle between the
    ankle->knee vector and that plane, positive when the knee is lateral to it (outside the foot, away from
    the body's midline), negative when medial (knee caving in). Knees that track over the toes stay in the
    plane whatever the stance width or toe-out, and the measure lives in the athlete's own body frame, so it
    reads the same from the front and at 45 degrees (the image x-distance between knees does not: it
    shrinks with the cosine of the yaw and mixes in the knees' forward travel). It needs both hips (to tell
    medial from lateral), the knee, ankle, heel and toe of that leg; NaN otherwise. MediaPipe's world y
    points down, so "vertical" is the world y axis (a camera pitched by a few degrees tilts it slightly).
    """
    # Plain floats: a dozen three-component products per frame are far cheaper without numpy's per-call cost.
    w = world.astype(np.float64).tolist()
    lh, rh = w[L.LEFT_HIP], w[L.RIGHT_HIP]
    hip_line = (lh[0] - rh[0], lh[1] - rh[1], lh[2] - rh[2])  # points to the athlete's left
    out = []
    for side, (knee, ankle, heel, toe) in (
        (1.0, (L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX)),
        (-1.0, (L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX)),
    ):
        fx, fy, fz = (w[toe][i] - w[heel][i] for i in range(3))
        h_len, f_len = math.hypot(fx, fz), math.sqrt(fx * fx + fy * fy + fz * fz)
        sx, sy, sz = (w[knee][i] - w[ankle][i] for i in range(3))
        s_len = math.sqrt(sx * sx + sy * sy + sz * sz)
        # Every comparison is False on NaN, so a missing landmark ends here as NaN.
        if not (h_len > _MIN_FOOT_HORIZONTAL * f_len and s_len > 0):
            out.append(math.nan)
            continue
        nx, nz = fz / h_len, -fx / h_len  # horizontal, perpendicular to the foot
        lateral = (nx * hip_line[0] + nz * hip_line[2]) * side
        if not abs(lateral) > 0:
            out.append(math.nan)
            continue
        sign = math.copysign(1.0, lateral)  # away from the midline
        along = sign * (sx * nx + sz * nz)
        out.append(math.degrees(math.asin(max(-1.0, min(1.0, along / s_len)))))
    return out[0], out[1]


# The last pose's features (a one-entry memo, keyed by the Pose object itself, which stays alive while
# held here, so identity cannot be reused): the live pipeline reads its plotted angle from the features the
# rep engine then asks for again for the same frame. Poses are frozen and never changed after smoothing.
# One tuple, read and replaced atomically: safe if several threads call this.
_last: tuple[Pose, dict[str, float]] | None = None


def frame_features(pose: Pose | None) -> dict[str, float]:
    """All features of one smoothed pose (see module docstring); every value NaN when `pose` is None.
    Returns a new dict each call; asking again for the same `Pose` object costs a dict copy."""
    global _last
    if pose is None:
        return dict.fromkeys(FEATURE_NAMES, math.nan)
    last = _last
    if last is not None and last[0] is pose:
        return dict(last[1])
    f = _features(pose)
    _last = (pose, f)
    return dict(f)


def _features(pose: Pose) -> dict[str, float]:
    p = pose.pixels().astype(np.float64)
    pl = p.tolist()
    ang = {k: float(v) for k, v in body_angles(p).items()}
    f: dict[str, float] = {}
    for joint in ("knee", "hip", "elbow", "shoulder"):
        lv, rv = ang[f"left_{joint}"], ang[f"right_{joint}"]
        f[joint] = _mean(lv, rv)
        f[f"lr_{joint}"] = abs(lv - rv)  # NaN unless both sides are seen
    f["knee_min"] = _min(ang["left_knee"], ang["right_knee"])
    f["hip_min"] = _min(ang["left_hip"], ang["right_hip"])
    f["elbow_min"] = _min(ang["left_elbow"], ang["right_elbow"])
    f["shoulder_max"] = _max(ang["left_shoulder"], ang["right_shoulder"])
    f["trunk_lean"] = ang["trunk_lean"]

    shank = _mean(_dist(pl, L.LEFT_KNEE, L.LEFT_ANKLE), _dist(pl, L.RIGHT_KNEE, L.RIGHT_ANKLE))
    torso = _mean(_dist(pl, L.LEFT_SHOULDER, L.LEFT_HIP), _dist(pl, L.RIGHT_SHOULDER, L.RIGHT_HIP))
    # The lower ankle in the image is the one on the ground (the other may be stepping or hidden).
    ground = _max(p[L.LEFT_ANKLE, 1], p[L.RIGHT_ANKLE, 1])
    hip_y = _mean(p[L.LEFT_HIP, 1], p[L.RIGHT_HIP, 1])
    sho_y = _mean(p[L.LEFT_SHOULDER, 1], p[L.RIGHT_SHOULDER, 1])
    knee_y = _mean(p[L.LEFT_KNEE, 1], p[L.RIGHT_KNEE, 1])
    f["hip_height"] = (ground - hip_y) / shank
    f["shoulder_height"] = (ground - sho_y) / shank
    f["hip_minus_shoulder_height"] = f["hip_height"] - f["shoulder_height"]
    f["hip_below_knee"] = (hip_y - knee_y) / shank  # > 0: hip crease below the knee (deep squat)

    f["knee_over_foot_left"], f["knee_over_foot_right"] = _knee_over_foot(pose.world)
    # Foot pitch: heel above the toe (image y smaller) in FOOT lengths (heel to foot_index), the larger of the
    # two feet. A rigid foot pivoting on its toes gives sin(pitch), whatever the athlete's size or distance.
    # Flat feet read a small constant (the heel landmark sits above the sole), so rules use it relative to
    # the athlete's own value at the top of the rep.
    # Only feet whose heel and toe are confidently visible (see _FOOT_CONFIDENT_VISIBILITY) are read.
    vis = pose.visibility
    pitches = []
    for heel, toe in ((L.LEFT_HEEL, L.LEFT_FOOT_INDEX), (L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX)):
        foot = _dist(pl, heel, toe)
        seen = min(float(vis[heel]), float(vis[toe])) >= _FOOT_CONFIDENT_VISIBILITY  # NaN -> False
        pitches.append(float(p[toe, 1] - p[heel, 1]) / foot if foot > 0 and seen else math.nan)
    f["heel_lift"] = _max(*pitches)
    f["elbow_drift"] = _max(
        abs(p[L.LEFT_ELBOW, 0] - p[L.LEFT_SHOULDER, 0]) / torso,
        abs(p[L.RIGHT_ELBOW, 0] - p[L.RIGHT_SHOULDER, 0]) / torso,
    )
    f["wrist_above_shoulder"] = _max(
        (p[L.LEFT_SHOULDER, 1] - p[L.LEFT_WRIST, 1]) / torso,
        (p[L.RIGHT_SHOULDER, 1] - p[L.RIGHT_WRIST, 1]) / torso,
    )
    f["ear_shoulder_gap"] = _mean(
        _dist(pl, L.LEFT_EAR, L.LEFT_SHOULDER) / torso, _dist(pl, L.RIGHT_EAR, L.RIGHT_SHOULDER) / torso
    )
    # Pushup (side view): hip below the shoulder-ankle line = sag (> 0), above = pike (< 0).
    f["hip_sag"] = _mean(
        _point_line_offset(p[L.LEFT_HIP], p[L.LEFT_SHOULDER], p[L.LEFT_ANKLE]) / torso,
        _point_line_offset(p[L.RIGHT_HIP], p[L.RIGHT_SHOULDER], p[L.RIGHT_ANKLE]) / torso,
    )
    # Knee ahead of the toes along the foot's own heel->toe direction, in shank lengths (lunge, side view).
    travel = []
    for heel, toe, knee in ((L.LEFT_HEEL, L.LEFT_FOOT_INDEX, L.LEFT_KNEE),
                            (L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX, L.RIGHT_KNEE)):
        direction = np.sign(p[toe, 0] - p[heel, 0])
        travel.append(float((p[knee, 0] - p[toe, 0]) * direction) / shank)
    f["knee_past_toe"] = _max(*travel)
    # Rounded-back proxy (side view): the head dropping below the hip-shoulder line closes this angle.
    f["neck_trunk"] = _max(
        _angle3(p[L.LEFT_EAR], p[L.LEFT_SHOULDER], p[L.LEFT_HIP]),
        _angle3(p[L.RIGHT_EAR], p[L.RIGHT_SHOULDER], p[L.RIGHT_HIP]),
    )
    # Rounded-back proxy (side view, hinged trunk): how far the ear hangs below the hip->shoulder chord
    # extended past the shoulder, in torso lengths (> 0: head and shoulders curled toward the floor, < 0:
    # head lifted). MediaPipe has no mid-back point, so the curl of the upper back shows only through where
    # the head ends up relative to the trunk chord. NaN while the trunk is near vertical (no "below").
    drops = []
    for sho, hip, ear in ((L.LEFT_SHOULDER, L.LEFT_HIP, L.LEFT_EAR),
                          (L.RIGHT_SHOULDER, L.RIGHT_HIP, L.RIGHT_EAR)):
        chord = p[sho] - p[hip]
        length = float(np.hypot(*chord))
        if not length > 0:
            continue
        normal = np.array([-chord[1], chord[0]]) / length
        if normal[1] < 0:  # the side of the chord facing the floor (image y down)
            normal = -normal
        drops.append(float((p[ear] - p[sho]) @ normal) / length)
    lean = f["trunk_lean"]
    f["head_below_trunk"] = _mean(*drops) if lean >= _HINGE_MIN_LEAN_DEG else math.nan
    # Lockout (side view): at the top of a hinge the hips should be as straight as the knees. Comparing the
    # two joints of the same athlete in the same image cancels most of the 2D projection bias that makes an
    # absolute hip angle unreliable (a locked-out hip rarely reads 180 degrees from a phone camera).
    f["hip_extension_lag"] = f["knee"] - f["hip"]
    return f
