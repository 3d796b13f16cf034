"""Per-rep (or per-stride) trajectories for the anomaly autoencoder, shared by training and the runtime.

A rep is the frames from its start to its end (from the rep engine, the gait engine, or the synthesizer's
truth). `rep_trajectory` measures `CHANNELS` on every frame and resamples them onto `REP_SAMPLES` points
equally spaced in the rep's own time (0 = start, 1 = end), so a slow and a quick rep line up by phase.

Channels: world joint angles (both sides; view-independent), image knee and hip angles and the image
knee-width ratio (knee gap / ankle gap: what a front camera sees of knees caving in), the trunk lean, and
the heel height above the toe (in shank lengths, image). Angles in degrees / 180.

Fault-specific, view-independent channels (world landmarks; names carry a side only where the measure
does, and a left/right label swap by the pose model swaps them without changing their values):

- ``world_knee_width_ratio``: knee gap / ankle gap in 3D (knees caving in, seen from any side);
- ``world_left_arm_out`` / ``world_right_arm_out``: how much the upper arm points sideways, away from the
  other shoulder (cosine; elbows drifting forward in a press lower it while the shoulder angle stays);
- ``world_trunk_turn``: the angle the trunk (mid-hip -> mid-shoulder) has turned since the rep started
  (rocking back to swing a weight, hips rising first), free of the camera's pitch that the lean carries;
- ``world_torso_length``: mid-hip to mid-shoulder distance over its longest in the rep (a back that
  rounds shortens it; a straight back keeps it at 1);
- ``world_ankle_gap``: ankle distance over the leg length (stride reach, stance).

Missing data: NaN stays NaN through resampling (linear between finite neighbours, else nearest); a
channel measured in less than `MIN_COVERAGE` of the rep's frames is dropped whole (NaN): a far knee seen in
two frames of a side view is noise, and its error on those two frames dominated the score of good reps.
The runtime fills NaN with the exercise's mean AFTER standardisation and excludes it from the score.

Threads: pure functions; any thread.
"""

from __future__ import annotations

import numpy as np

from coach.kinematics.angles import body_angles, to_pixels
from coach.pose.landmarks import Landmark as L

__all__ = ["CHANNELS", "CHANNEL_LABELS", "PHASES", "REP_SAMPLES", "rep_trajectory"]

REP_SAMPLES = 32
MIN_COVERAGE = 0.5  # share of a rep's frames a channel must be measured in to count
_WORLD_ANGLES = (
    "left_knee", "right_knee", "left_hip", "right_hip", "left_elbow", "right_elbow",
    "left_shoulder", "right_shoulder", "left_ankle", "right_ankle", "trunk_lean",
)  # fmt: skip
CHANNELS: tuple[str, ...] = (
    *(f"world_{a}" for a in _WORLD_ANGLES),
    "img_left_knee", "img_right_knee", "img_left_hip", "img_right_hip", "img_trunk_lean",
    "img_knee_width_ratio", "img_heel_lift",
    "world_knee_width_ratio", "world_left_arm_out", "world_right_arm_out", "world_trunk_turn",
    "world_torso_length", "world_ankle_gap",
)  # fmt: skip
# What the athlete hears: channel -> body part.
CHANNEL_LABELS: dict[str, str] = {
    c: c.removeprefix("world_").removeprefix("img_").replace("_", " ") for c in CHANNELS
}
CHANNEL_LABELS.update({"img_knee_width_ratio": "knees (caving in)", "img_heel_lift": "heels",
                       "world_trunk_lean": "trunk", "img_trunk_lean": "trunk",
                       "world_knee_width_ratio": "knees (caving in)", "world_left_arm_out": "left elbow",
                       "world_right_arm_out": "right elbow", "world_trunk_turn": "trunk",
                       "world_torso_length": "back", "world_ankle_gap": "stride"})  # fmt: skip
# Phase names by share of the rep's time.
PHASES: tuple[tuple[str, float, float], ...] = (
    ("start of the rep", 0.0, 0.25),
    ("on the way out", 0.25, 0.45),
    ("at the turn", 0.45, 0.6),
    ("on the way back", 0.6, 0.85),
    ("end of the rep", 0.85, 1.0001),
)


def _frame_channels(landmarks: np.ndarray, world: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    px = to_pixels(landmarks, image_size)
    aw = body_angles(np.asarray(world, dtype=np.float64))
    ai = body_angles(px)
    cols = [aw[a] / 180.0 for a in _WORLD_ANGLES]
    cols += [ai[a] / 180.0 for a in ("left_knee", "right_knee", "left_hip", "right_hip", "trunk_lean")]
    with np.errstate(invalid="ignore", divide="ignore"):
        knees = np.linalg.norm(px[:, L.LEFT_KNEE] - px[:, L.RIGHT_KNEE], axis=-1)
        ankles = np.linalg.norm(px[:, L.LEFT_ANKLE] - px[:, L.RIGHT_ANKLE], axis=-1)
        cols.append(np.where(ankles > 1e-6, knees / ankles, np.nan))
        shank = 0.5 * (
            np.linalg.norm(px[:, L.LEFT_KNEE] - px[:, L.LEFT_ANKLE], axis=-1)
            + np.linalg.norm(px[:, L.RIGHT_KNEE] - px[:, L.RIGHT_ANKLE], axis=-1)
        )
        # Image y grows downwards: heel above toe = toe_y - heel_y > 0.
        lift = 0.5 * (
            (px[:, L.LEFT_FOOT_INDEX, 1] - px[:, L.LEFT_HEEL, 1])
            + (px[:, L.RIGHT_FOOT_INDEX, 1] - px[:, L.RIGHT_HEEL, 1])
        )
        cols.append(np.where(shank > 1e-6, lift / shank, np.nan))
        cols += _world_shape(np.asarray(world, dtype=np.float64))
    return np.stack(cols, axis=1)


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 1e-6, v / n, np.nan)


def _world_shape(wd: np.ndarray) -> list[np.ndarray]:
    """The fault-specific world channels of the module docstring, per frame (the trunk turn and torso
    length relative to the segment's first / longest frame, so call this on one rep's frames)."""
    knees = np.linalg.norm(wd[:, L.LEFT_KNEE] - wd[:, L.RIGHT_KNEE], axis=-1)
    ankles = np.linalg.norm(wd[:, L.LEFT_ANKLE] - wd[:, L.RIGHT_ANKLE], axis=-1)
    leg = 0.5 * sum(
        np.linalg.norm(wd[:, a] - wd[:, b], axis=-1)
        for a, b in ((L.LEFT_HIP, L.LEFT_KNEE), (L.LEFT_KNEE, L.LEFT_ANKLE),
                     (L.RIGHT_HIP, L.RIGHT_KNEE), (L.RIGHT_KNEE, L.RIGHT_ANKLE))
    )  # fmt: skip
    cols = [
        # Clipped: feet together make the ratio explode on noise alone.
        np.clip(np.where(ankles > 0.05, knees / ankles, np.nan), 0.0, 3.0),
    ]
    for sh, other, elbow in ((L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_ELBOW),
                             (L.RIGHT_SHOULDER, L.LEFT_SHOULDER, L.RIGHT_ELBOW)):  # fmt: skip
        out_dir = _unit(wd[:, sh] - wd[:, other])
        cols.append(np.einsum("ij,ij->i", _unit(wd[:, elbow] - wd[:, sh]), out_dir))
    mid_hip = 0.5 * (wd[:, L.LEFT_HIP] + wd[:, L.RIGHT_HIP])
    trunk = 0.5 * (wd[:, L.LEFT_SHOULDER] + wd[:, L.RIGHT_SHOULDER]) - mid_hip
    u = _unit(trunk)
    ok = np.isfinite(u).all(axis=1)
    if ok.any():
        # The start of the rep: the mean direction over its first few valid frames (noise).
        ref = _unit(np.nanmean(u[np.flatnonzero(ok)[:3]], axis=0)[None])[0]
        cols.append(np.degrees(np.arccos(np.clip(u @ ref, -1.0, 1.0))) / 180.0)
    else:
        cols.append(np.full(len(wd), np.nan))
    length = np.linalg.norm(trunk, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        longest = np.nanpercentile(length, 95) if np.isfinite(length).any() else np.nan
        cols.append(length / longest if longest > 1e-6 else np.full(len(wd), np.nan))
        cols.append(np.where(leg > 0.1, ankles / leg, np.nan))
    return cols


def rep_trajectory(
    landmarks: np.ndarray, world: np.ndarray, image_size: tuple[int, int], first: int, last: int
) -> np.ndarray:
    """(REP_SAMPLES, len(CHANNELS)) trajectory of frames `first`..`last` (inclusive, row indices)."""
    if last <= first:
        raise ValueError("a rep needs at least two frames")
    seg = _frame_channels(landmarks[first : last + 1], world[first : last + 1], image_size)
    seg[:, np.isfinite(seg).mean(axis=0) < MIN_COVERAGE] = np.nan
    n = len(seg)
    pos = np.linspace(0.0, n - 1, REP_SAMPLES)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    w = (pos - lo)[:, None]
    a, b = seg[lo], seg[hi]
    return np.where(np.isfinite(a) & np.isfinite(b), a * (1 - w) + b * w, np.where(w < 0.5, a, b))
