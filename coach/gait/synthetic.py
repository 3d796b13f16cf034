"""A synthetic runner or walker seen from the side: 33 landmarks with known gait events.

Truth is physical: initial contact is when the foot's lowest point (heel, toe or ankle) reaches the ground,
toe off when it leaves it. Through stance the foot moves backward relative to the pelvis at constant speed
and rolls from heel to toe with its lowest point on the ground; through swing it lifts on a half sine (so it
lands and lifts with a real vertical speed) and swings forward with swing-leg retraction: it keeps moving
back for a moment after toe off and is already moving back when it lands, as runners' feet do. So the
forward and backward extremes relative to the pelvis come tens of milliseconds before contact and after toe
off, as on real footage, and a detector that stops at the extremes is measurably wrong. Knees come from
two-segment inverse kinematics, arms swing against the legs. Left and right stay apart in depth only (as
in a real side view), so the 2D image alone cannot tell them apart. Used by the tests and the benchmark;
never by the product.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coach.analysis.track import PoseTrack
from coach.gait.types import Foot
from coach.pose.landmarks import MIRROR_PERMUTATION, NUM_LANDMARKS
from coach.pose.landmarks import Landmark as Lm


@dataclass(frozen=True, slots=True)
class SyntheticGait:
    """A generated clip and its truth (real seconds; `time_scale` only stretches the media timestamps)."""

    track: PoseTrack
    contacts: tuple[tuple[Foot, float], ...]  # (foot, IC time), time order
    toe_offs: tuple[tuple[Foot, float], ...]
    cadence_spm: float
    contact_s: float
    fps: float
    time_scale: float


_THIGH, _SHANK = 0.45, 0.45
_GROUND = 0.0
_RETRACTION = 0.04  # m; amplitude of the swing-leg retraction term (its extremes lead/lag the events ~40 ms)


def _knee(hip: np.ndarray, ankle: np.ndarray) -> np.ndarray:
    """Knee position (x forward, y up) for a leg bending forward, by two-link inverse kinematics."""
    v = ankle - hip
    dist = min(float(np.hypot(*v)), 0.999 * (_THIGH + _SHANK))
    along = (dist**2 + _THIGH**2 - _SHANK**2) / (2 * dist)
    off = np.sqrt(max(_THIGH**2 - along**2, 0.0))
    u = v / np.hypot(*v)
    normal = np.array([-u[1], u[0]])  # left of the hip->ankle direction, i.e. forward for a downward leg
    if normal[0] < 0:
        normal = -normal
    return hip + along * u + off * normal


def _body(phase: float, duty: float, stride_s: float, excursion: float, lift: float) -> np.ndarray:
    """(33, 3) world-like positions (x forward, y up, z towards the camera) at stride phase in [0, 1)."""
    out = np.zeros((NUM_LANDMARKS, 3))
    # Pelvis lowest at each mid stance, highest in flight: two oscillations per stride.
    pelvis = np.array([0.0, 0.86 - 0.03 * np.cos(2 * np.pi * 2 * (phase - duty / 2)), 0.0])
    lean = np.radians(8.0)
    shoulder = pelvis + 0.52 * np.array([np.sin(lean), np.cos(lean), 0.0])
    head = shoulder + 0.22 * np.array([np.sin(lean), np.cos(lean), 0.0])
    sides = ((0.0, +1), (0.5, -1))  # right foot lands at phase 0, left at 0.5; (offset, z side)
    feet = {}
    for foot_index, (offset, zs) in enumerate(sides):
        u = (phase - offset) % 1.0
        if u < duty:
            x = excursion - 2 * excursion * u / duty
            clearance = 0.0
            angle = np.radians(10.0 * (1 - u / duty) - 25.0 * max(0.0, u / duty - 0.7) / 0.3)
        else:
            s = (u - duty) / (1 - duty)
            # -sin(2 pi s) moves the foot back at both ends of the swing (retraction), zero net effect.
            x = -excursion + excursion * (1 - np.cos(np.pi * s)) - _RETRACTION * np.sin(2 * np.pi * s)
            clearance = lift * np.sin(np.pi * s)
            angle = np.radians(-25.0 + 35.0 * s)
        # The ankle sits so that the foot's lowest point is `clearance` above the ground.
        foot_dir = np.array([np.cos(angle), np.sin(angle)])
        heel_off = -0.06 * foot_dir - np.array([0.0, 0.04])
        toe_off = heel_off + 0.22 * foot_dir
        y = _GROUND + clearance - min(heel_off[1], toe_off[1], 0.0)
        feet[foot_index] = (np.array([pelvis[0] + x, y]), angle, zs, u)
    names = (
        (Lm.RIGHT_HIP, Lm.RIGHT_KNEE, Lm.RIGHT_ANKLE, Lm.RIGHT_HEEL, Lm.RIGHT_FOOT_INDEX),
        (Lm.LEFT_HIP, Lm.LEFT_KNEE, Lm.LEFT_ANKLE, Lm.LEFT_HEEL, Lm.LEFT_FOOT_INDEX),
    )
    arms = (
        (
            Lm.RIGHT_SHOULDER,
            Lm.RIGHT_ELBOW,
            Lm.RIGHT_WRIST,
            Lm.RIGHT_INDEX,
            Lm.RIGHT_PINKY,
            Lm.RIGHT_THUMB,
        ),
        (Lm.LEFT_SHOULDER, Lm.LEFT_ELBOW, Lm.LEFT_WRIST, Lm.LEFT_INDEX, Lm.LEFT_PINKY, Lm.LEFT_THUMB),
    )
    for i in range(2):
        ankle2, angle, zs, u = feet[i]
        z = 0.1 * zs
        hip2 = pelvis[:2]
        knee2 = _knee(hip2, ankle2)
        foot_dir = np.array([np.cos(angle), np.sin(angle)])
        heel2 = ankle2 - 0.06 * foot_dir - np.array([0.0, 0.04])
        toe2 = heel2 + 0.22 * foot_dir
        for name, p2 in zip(names[i], (hip2, knee2, ankle2, heel2, toe2), strict=True):
            out[name] = (p2[0], p2[1], z)
        # Arm swings opposite to its own leg: forward when the same-side foot is furthest back.
        swing = np.radians(35.0) * np.cos(2 * np.pi * (u - 0.5 - duty / 2))
        sh = shoulder + np.array([0.0, 0.0, 1.6 * z])
        elbow = sh + 0.28 * np.array([np.sin(swing), -np.cos(swing), 0.0])
        fore = swing + np.radians(90.0)
        wrist = elbow + 0.26 * np.array([np.sin(fore), -np.cos(fore), 0.0])
        for name, p3 in zip(arms[i], (sh, elbow, wrist, wrist, wrist, wrist), strict=True):
            out[name] = p3
    for name in (
        Lm.NOSE,
        Lm.LEFT_EYE_INNER,
        Lm.LEFT_EYE,
        Lm.LEFT_EYE_OUTER,
        Lm.RIGHT_EYE_INNER,
        Lm.RIGHT_EYE,
        Lm.RIGHT_EYE_OUTER,
        Lm.MOUTH_LEFT,
        Lm.MOUTH_RIGHT,
    ):
        out[name] = head + np.array([0.09, 0.0, 0.0])
    out[Lm.LEFT_EAR] = head + np.array([0.0, 0.0, -0.07])
    out[Lm.RIGHT_EAR] = head + np.array([0.0, 0.0, 0.07])
    del stride_s
    return out


def synthetic_gait(
    *,
    cadence_spm: float = 170.0,
    contact_s: float = 0.25,
    fps: float = 30.0,
    duration_s: float = 8.0,
    start_phase: float = 0.13,
    facing: int = -1,
    excursion_m: float = 0.30,
    swing_lift_m: float = 0.25,
    swap_spans_s: tuple[tuple[float, float], ...] = (),
    dropout_spans_s: tuple[tuple[float, float], ...] = (),
    noise_px: float = 0.0,
    time_scale: float = 1.0,
    seed: int = 0,
    image_size: tuple[int, int] = (720, 1280),
    view: str = "side",
    camera_distance_m: float = 4.0,
    camera_height_m: float = 1.0,
) -> SyntheticGait:
    """Generate a clip. `facing` -1 runs towards image-left; swaps mirror every left/right label;
    dropouts remove the pose; `time_scale` > 1 makes slow-motion footage (media time = real time * scale).

    `view="front"`: a pinhole camera `camera_distance_m` in front of the treadmill runner at
    `camera_height_m`, looking back at them (their right side on image-left): forward motion becomes depth,
    so a foot landing ahead is lower in the image, and only heights tell contact from swing."""
    if view not in ("side", "front"):
        raise ValueError(f"view must be 'side' or 'front', not {view!r}")
    stride_s = 120.0 / cadence_spm
    duty = contact_s / stride_s
    if not 0 < duty < 1:
        raise ValueError("contact time must be shorter than a stride")
    rng = np.random.default_rng(seed)
    n = int(round(duration_s * fps))
    t_real = np.arange(n) / fps
    w, h = image_size
    px_per_m = 0.45 * h  # a ~1.8 m runner fills most of the frame's height
    landmarks = np.full((n, NUM_LANDMARKS, 5), np.nan, dtype=np.float32)
    world = np.full((n, NUM_LANDMARKS, 3), np.nan, dtype=np.float32)
    perm = np.array(MIRROR_PERMUTATION)
    for i, t in enumerate(t_real):
        if any(a <= t < b for a, b in dropout_spans_s):
            continue
        body = _body((start_phase + t / stride_s) % 1.0, duty, stride_s, excursion_m, swing_lift_m)
        if view == "side":
            x = 0.5 * w + facing * body[:, 0] * px_per_m
            y = 0.85 * h - body[:, 1] * px_per_m
        else:
            depth = camera_distance_m - body[:, 0]
            focal = px_per_m * camera_distance_m
            x = 0.5 * w - focal * body[:, 2] / depth
            y = 0.5 * h - focal * (body[:, 1] - camera_height_m) / depth
        if noise_px:
            x = x + rng.normal(0, noise_px, NUM_LANDMARKS)
            y = y + rng.normal(0, noise_px, NUM_LANDMARKS)
        lm = np.zeros((NUM_LANDMARKS, 5))
        lm[:, 0], lm[:, 1] = x / w, y / h
        lm[:, 2] = -body[:, 2]
        lm[:, 3] = np.where(body[:, 2] >= 0, 0.95, 0.75) if view == "side" else 0.95
        lm[:, 4] = 0.99
        wd = np.stack([facing * body[:, 0], -(body[:, 1] - 0.86), -body[:, 2]], axis=1)
        if any(a <= t < b for a, b in swap_spans_s):
            lm, wd = lm[perm], wd[perm]
        landmarks[i], world[i] = lm, wd
    # Truth: right contact at phase 0, left at 0.5.
    contacts, toe_offs = [], []
    first = -start_phase * stride_s
    k = 0
    while first + k * stride_s / 2 < duration_s:
        t_ic = first + k * stride_s / 2
        foot = Foot.RIGHT if k % 2 == 0 else Foot.LEFT
        if t_ic >= 0:
            contacts.append((foot, t_ic))
        if 0 <= t_ic + contact_s < duration_s:
            toe_offs.append((foot, t_ic + contact_s))
        k += 1
    track = PoseTrack(
        frame_index=np.arange(n, dtype=np.int64),
        media_ts=t_real * time_scale,
        landmarks=landmarks,
        world=world,
        image_size=image_size,
    )
    return SyntheticGait(
        track, tuple(contacts), tuple(toe_offs), cadence_spm, contact_s, fps, time_scale
    )
