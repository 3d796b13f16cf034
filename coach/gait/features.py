"""Per-frame gait features from one `Pose`: feet relative to the pelvis and signed sagittal angles.

Everything is measured in the image (pixels, aspect ratio kept) and normalised by the leg length, so the
features do not depend on the camera's resolution or distance. "Forward" is the athlete's direction of
travel along the image's x axis (`forward` = +1 when the runner faces image-right, -1 when image-left), which
is why these features need a side or oblique view: in a front view forward motion is depth, not x.

Angle conventions (degrees, sagittal plane, signed so the same numbers come out whichever way the runner
faces; these are the signed counterparts of `coach.kinematics.angles`, whose included angles cannot tell
flexion from extension at the hip or dorsi- from plantarflexion at the ankle):
    thigh / shank angle   segment from its proximal end, measured from the downward vertical, + = forward;
    trunk_lean            shoulder mid-point ahead of the hip mid-point, 0 = upright, + = leaning forward;
    hip_flexion           thigh angle relative to the trunk's line, + = flexion, - = extension;
    knee_flexion          thigh angle - shank angle, 0 = straight, + = flexed;
    foot_angle            heel->toe line against the horizontal, + = toes up (heel first);
    ankle_dorsiflexion    foot_angle - shank angle, 0 = neutral (foot flat, shank vertical), + = dorsiflexed;
    arm_angle             upper arm (shoulder->elbow) from the downward vertical, + = forward.
Missing landmarks give NaN (never 0).
"""

from __future__ import annotations

import numpy as np

from coach.pose.landmarks import Landmark as Lm

LEG_FEATURES = ("d", "h", "hip_flexion", "knee_flexion", "ankle_dorsiflexion", "foot_angle", "arm_angle")
"""Per-leg feature names, in the column order of `leg_features`."""

SIDES: tuple[dict[str, int], dict[str, int]] = (
    {
        "shoulder": Lm.LEFT_SHOULDER,
        "elbow": Lm.LEFT_ELBOW,
        "wrist": Lm.LEFT_WRIST,
        "hip": Lm.LEFT_HIP,
        "knee": Lm.LEFT_KNEE,
        "ankle": Lm.LEFT_ANKLE,
        "heel": Lm.LEFT_HEEL,
        "toe": Lm.LEFT_FOOT_INDEX,
    },
    {
        "shoulder": Lm.RIGHT_SHOULDER,
        "elbow": Lm.RIGHT_ELBOW,
        "wrist": Lm.RIGHT_WRIST,
        "hip": Lm.RIGHT_HIP,
        "knee": Lm.RIGHT_KNEE,
        "ankle": Lm.RIGHT_ANKLE,
        "heel": Lm.RIGHT_HEEL,
        "toe": Lm.RIGHT_FOOT_INDEX,
    },
)  # index 0 = the pose model's "left", 1 = its "right" (which it may swap in side views)


def _mid(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mid-point, or the one finite point when the other is missing (a side view hides one hip)."""
    fa, fb = np.isfinite(a), np.isfinite(b)
    return np.where(fa & fb, 0.5 * (a + b), np.where(fa, a, b))


def _angle_from_vertical(top: np.ndarray, bottom: np.ndarray, forward: float) -> float:
    """Angle of the segment top->bottom from the downward vertical (image y down), + = bottom is forward."""
    dx, dy = bottom[0] - top[0], bottom[1] - top[1]
    return float(np.degrees(np.arctan2(forward * dx, dy)))


def heel_toe_direction(pixels: np.ndarray) -> float:
    """Sum over both feet of the heel->toe x offset plus the ear->nose x offset (pixels).

    Its sign is the direction of travel in a side view; its size relative to the leg length says how
    sideways the view is. NaN when nothing is visible.
    """
    parts = [pixels[s["toe"], 0] - pixels[s["heel"], 0] for s in SIDES]
    parts.append(pixels[Lm.NOSE, 0] - 0.5 * (pixels[Lm.LEFT_EAR, 0] + pixels[Lm.RIGHT_EAR, 0]))
    vals = np.array(parts, dtype=np.float64)
    vals = vals[np.isfinite(vals)]
    return float(vals.sum()) if len(vals) else float("nan")


def leg_length_px(pixels: np.ndarray) -> float:
    """Hip->knee + knee->ankle in pixels, the longer side (foreshortening only shortens), NaN if unseen."""
    best = float("nan")
    for s in SIDES:
        hip, knee, ankle = pixels[s["hip"]], pixels[s["knee"]], pixels[s["ankle"]]
        length = float(np.linalg.norm(knee - hip) + np.linalg.norm(ankle - knee))
        if np.isfinite(length) and not length <= best:
            best = length
    return best


def pelvis_px(pixels: np.ndarray) -> np.ndarray:
    return _mid(pixels[Lm.LEFT_HIP], pixels[Lm.RIGHT_HIP])


def trunk_lean(pixels: np.ndarray, forward: float) -> float:
    """Forward lean of the hip->shoulder line from vertical (degrees, + = forward)."""
    hip = pelvis_px(pixels)
    shoulder = _mid(pixels[Lm.LEFT_SHOULDER], pixels[Lm.RIGHT_SHOULDER])
    # Measured as the angle of shoulder->hip from the downward vertical, negated: a forward lean puts the
    # hips behind the shoulders.
    return -_angle_from_vertical(shoulder, hip, forward)


def leg_features(pixels: np.ndarray, forward: float, leg_px: float) -> np.ndarray:
    """(2, len(LEG_FEATURES)) per-leg features in the pose model's left/right order.

    d: foot (mean of ankle, heel and toe) ahead of the pelvis, in leg lengths; h: foot height above the
    pelvis, in leg lengths (image y is down, so h grows as the foot lifts).
    """
    out = np.full((2, len(LEG_FEATURES)), np.nan)
    pelvis = pelvis_px(pixels)
    lean = trunk_lean(pixels, forward)
    for i, s in enumerate(SIDES):
        foot_pts = pixels[[s["ankle"], s["heel"], s["toe"]]]
        foot_pts = foot_pts[np.isfinite(foot_pts).all(axis=1)]
        if len(foot_pts):
            foot = foot_pts.mean(axis=0)
            out[i, 0] = forward * (foot[0] - pelvis[0]) / leg_px
            out[i, 1] = (pelvis[1] - foot[1]) / leg_px
        hip, knee, ankle = pixels[s["hip"]], pixels[s["knee"]], pixels[s["ankle"]]
        thigh = _angle_from_vertical(hip, knee, forward)
        shank = _angle_from_vertical(knee, ankle, forward)
        heel, toe = pixels[s["heel"]], pixels[s["toe"]]
        foot_angle = float(np.degrees(np.arctan2(heel[1] - toe[1], forward * (toe[0] - heel[0]))))
        out[i, 2] = thigh + lean  # the trunk's downward line points `lean` degrees backward
        out[i, 3] = thigh - shank
        out[i, 4] = foot_angle - shank
        out[i, 5] = foot_angle
        out[i, 6] = _angle_from_vertical(pixels[s["shoulder"]], pixels[s["elbow"]], forward) + lean
    return out


def wrist_crossover(pixels: np.ndarray, leg_px: float, min_shoulder_width: float) -> np.ndarray:
    """(2,) how far each wrist is past the shoulders' mid-line towards the other side, in shoulder widths
    (+ = crossing over); NaN when the shoulders are narrower than `min_shoulder_width` leg lengths.

    Only a front (or oblique) view shows it: a side view puts the shoulders on top of each other, where the
    ratio would explode, so it says "unknown" instead."""
    sh_l, sh_r = pixels[Lm.LEFT_SHOULDER], pixels[Lm.RIGHT_SHOULDER]
    width = abs(sh_r[0] - sh_l[0])
    mid = 0.5 * (sh_l[0] + sh_r[0])
    to_right = np.sign(sh_r[0] - sh_l[0])
    # A left wrist right of the mid-line (towards the right shoulder) is positive, and vice versa.
    left = (pixels[Lm.LEFT_WRIST, 0] - mid) * to_right
    right = (mid - pixels[Lm.RIGHT_WRIST, 0]) * to_right
    cross = np.array([left, right])
    return cross / width if width >= min_shoulder_width * leg_px else np.full(2, np.nan)


def heel_toe_offsets(pixels: np.ndarray, forward: float, leg_px: float) -> np.ndarray:
    """(2, 2) forward offsets of each foot's heel (column 0) and toe (column 1) from the pelvis, leg lengths.

    Rows in the pose model's left/right order; NaN where the point is unseen. Walking events are timed on
    these (heel strike: the heel furthest forward; toe off: the toe furthest back, Zeni et al. 2008) rather
    than on the whole foot, which rolls from heel to toe through stance.
    """
    out = np.full((2, 2), np.nan)
    pelvis_x = pelvis_px(pixels)[0]
    for i, s in enumerate(SIDES):
        out[i, 0] = forward * (pixels[s["heel"], 0] - pelvis_x) / leg_px
        out[i, 1] = forward * (pixels[s["toe"], 0] - pelvis_x) / leg_px
    return out


def foot_heights(pixels: np.ndarray, leg_px: float) -> np.ndarray:
    """(2,) height of each foot's lowest point (the lowest of ankle, heel and toe), in leg lengths with
    image y up (absolute, not relative to the pelvis), in the pose model's left/right order; NaN if unseen."""
    low = np.full(2, np.nan)
    for i, s in enumerate(SIDES):
        ys = pixels[[s["ankle"], s["heel"], s["toe"]], 1]
        ys = ys[np.isfinite(ys)]
        if len(ys):
            low[i] = -float(ys.max()) / leg_px  # image y grows downward: the lowest point has max y
    return low
