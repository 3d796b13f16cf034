"""Window features for the learned models, shared by training and the runtime (no torch here).

Two steps, so the live path does the per-frame work once per frame and the per-window work once per
inference:

1. `frame_features(landmarks (T, 33, 5), world (T, 33, 3), image_size) -> (T, FRAME_WIDTH)`: per frame,
   - image coordinates of `POINTS` in pixels (aspect ratio preserved), centred on the mid-hip of that frame;
   - world coordinates of `POINTS` in metres, centred on the mid-hip (MediaPipe's world origin already is);
   - joint angles (`coach.kinematics.angles` conventions: 10 joints + signed trunk lean) from the image and
     from the world landmarks, in degrees / 180;
   - view-independent shape cues (names carry no side, so they are their own mirror image): left/right
     asymmetry |left - right| of the knee and hip angles (image and world; a lunge or a stride is
     asymmetric, a squat or deadlift symmetric), the world ankle distance over the world hip width (split or
     wide stance vs feet under the hips) and the world vertical gap between the ankles over the torso
     (one foot off the floor);
   - ``pose_present`` 1/0 (always the last column);
   - two scale columns (image torso length in pixels, world torso length in metres) used by step 2.
2. `window_features(frames, ts, t_end, rate_hz, length) -> (length, len(FEATURE_NAMES))`: resamples the
   frames onto a fixed grid of `length` samples at `rate_hz` ending at `t_end` (media seconds, so 24, 30 and
   60 fps footage give the same window), then divides the coordinates by the window's body scale (the 90th
   percentile of the torso length over the window, so a torso that foreshortens while bending does not
   shrink the scale) and drops the scale columns.

Missing data policy (explicit): a landmark that is NaN (no pose, or gated by the smoother) makes every
feature that uses it NaN; resampling interpolates linearly between the two neighbouring frames only when
both are finite, else takes the nearer frame's value (which may be NaN). `fill_missing` then marks what is
missing (``pose_present`` = 0 for samples without a pose) and replaces remaining NaNs by 0 AFTER
standardisation, i.e. by the training mean, which is what the models were trained with. Never a silent 0
in raw units.

Threads: pure functions; any thread.
"""

from __future__ import annotations

import numpy as np

from coach.kinematics.angles import JOINTS, body_angles, to_pixels
from coach.pose.landmarks import Landmark as L

__all__ = [
    "FEATURE_NAMES",
    "FRAME_WIDTH",
    "POINTS",
    "fill_missing",
    "frame_features",
    "window_features",
    "window_ends",
]

POINTS: tuple[L, ...] = (
    L.NOSE,
    L.LEFT_SHOULDER, L.RIGHT_SHOULDER, L.LEFT_ELBOW, L.RIGHT_ELBOW, L.LEFT_WRIST, L.RIGHT_WRIST,
    L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE,
    L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX,
)  # fmt: skip
_ANGLES: tuple[str, ...] = (*JOINTS, "trunk_lean_signed")
_P = np.array([int(p) for p in POINTS])
_SHAPE: tuple[str, ...] = (
    "img_knee_asymmetry", "img_hip_asymmetry", "world_knee_asymmetry", "world_hip_asymmetry",
    "world_stance_ratio", "world_feet_height_gap",
)  # fmt: skip

FEATURE_NAMES: tuple[str, ...] = (
    *(f"img_{ax}_{p.name.lower()}" for p in POINTS for ax in "xy"),
    *(f"world_{ax}_{p.name.lower()}" for p in POINTS for ax in "xyz"),
    *(f"img_angle_{a}" for a in _ANGLES),
    *(f"world_angle_{a}" for a in _ANGLES),
    *_SHAPE,
    "pose_present",
)
_N_IMG = 2 * len(POINTS)
_N_WORLD = 3 * len(POINTS)
_PRESENT = len(FEATURE_NAMES) - 1
FRAME_WIDTH = len(FEATURE_NAMES) + 2  # + image and world torso scale
_SCALE_IMG, _SCALE_WORLD = FRAME_WIDTH - 2, FRAME_WIDTH - 1


def _mid(p: np.ndarray, a: int, b: int) -> np.ndarray:
    return 0.5 * (p[:, a] + p[:, b])


def frame_features(landmarks: np.ndarray, world: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """(T, FRAME_WIDTH) float64 per-frame features (see the module docstring); NaN where missing."""
    lm = np.asarray(landmarks)
    wd = np.asarray(world, dtype=np.float64)
    if lm.ndim == 2:
        lm, wd = lm[None], wd[None]
    t = len(lm)
    px = to_pixels(lm, image_size)
    out = np.full((t, FRAME_WIDTH), np.nan)
    hip_px = _mid(px, L.LEFT_HIP, L.RIGHT_HIP)
    out[:, :_N_IMG] = (px[:, _P] - hip_px[:, None]).reshape(t, -1)
    hip_w = _mid(wd, L.LEFT_HIP, L.RIGHT_HIP)
    out[:, _N_IMG : _N_IMG + _N_WORLD] = (wd[:, _P] - hip_w[:, None]).reshape(t, -1)
    a_img = body_angles(px)
    a_w = body_angles(wd)
    k = _N_IMG + _N_WORLD
    for i, name in enumerate(_ANGLES):
        out[:, k + i] = a_img[name] / 180.0
        out[:, k + len(_ANGLES) + i] = a_w[name] / 180.0
    k += 2 * len(_ANGLES)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[:, k] = np.abs(a_img["left_knee"] - a_img["right_knee"]) / 180.0
        out[:, k + 1] = np.abs(a_img["left_hip"] - a_img["right_hip"]) / 180.0
        out[:, k + 2] = np.abs(a_w["left_knee"] - a_w["right_knee"]) / 180.0
        out[:, k + 3] = np.abs(a_w["left_hip"] - a_w["right_hip"]) / 180.0
        hip_width = np.linalg.norm(wd[:, L.LEFT_HIP] - wd[:, L.RIGHT_HIP], axis=-1)
        stance = np.linalg.norm(wd[:, L.LEFT_ANKLE] - wd[:, L.RIGHT_ANKLE], axis=-1)
        # Clipped: a hip width squeezed by noise must not produce a huge ratio.
        out[:, k + 4] = np.clip(stance / np.where(hip_width > 0.05, hip_width, np.nan), 0.0, 8.0)
        torso_w = np.linalg.norm(_mid(wd, L.LEFT_SHOULDER, L.RIGHT_SHOULDER) - hip_w, axis=-1)
        gap = np.abs(wd[:, L.LEFT_ANKLE, 1] - wd[:, L.RIGHT_ANKLE, 1])
        out[:, k + 5] = np.clip(gap / np.where(torso_w > 0.05, torso_w, np.nan), 0.0, 3.0)
    out[:, _PRESENT] = np.isfinite(lm[:, :, 0]).any(axis=1).astype(np.float64)
    out[:, _SCALE_IMG] = np.linalg.norm(_mid(px, L.LEFT_SHOULDER, L.RIGHT_SHOULDER) - hip_px, axis=-1)
    out[:, _SCALE_WORLD] = np.linalg.norm(_mid(wd, L.LEFT_SHOULDER, L.RIGHT_SHOULDER) - hip_w, axis=-1)
    return out


def _resample(values: np.ndarray, ts: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Linear interpolation of (T, F) at `grid` with the missing-data policy of the module docstring."""
    j = np.searchsorted(ts, grid, side="right")  # ts[j-1] <= g < ts[j]
    lo = np.clip(j - 1, 0, len(ts) - 1)
    hi = np.clip(j, 0, len(ts) - 1)
    span = ts[hi] - ts[lo]
    w = np.where(span > 0, (grid - ts[lo]) / np.where(span > 0, span, 1.0), 0.0)
    w = np.clip(w, 0.0, 1.0)[:, None]
    a, b = values[lo], values[hi]
    lin = a * (1 - w) + b * w
    nearest = np.where(w < 0.5, a, b)
    out = np.where(np.isfinite(a) & np.isfinite(b), lin, nearest)
    out[grid < ts[0] - 1e-9] = np.nan  # before the first frame nothing is known
    return out


def window_features(
    frames: np.ndarray, ts: np.ndarray, t_end: float, rate_hz: float, length: int
) -> np.ndarray:
    """(length, len(FEATURE_NAMES)) features of the window ending at media time `t_end` (see module doc).

    `frames` (T, FRAME_WIDTH) from `frame_features`, `ts` (T,) increasing media seconds. The result still
    holds NaN for missing values; pass it through `fill_missing` after standardising."""
    ts = np.asarray(ts, dtype=np.float64)
    grid = t_end - (length - 1 - np.arange(length)) / rate_hz
    # Only the frames that can matter, so the live path stays cheap with a long buffer.
    first = max(0, int(np.searchsorted(ts, grid[0], side="right")) - 1)
    last = min(len(ts), int(np.searchsorted(ts, grid[-1], side="right")) + 1)
    v = _resample(frames[first:last], ts[first:last], grid)
    with np.errstate(all="ignore"):
        s_img = np.nanpercentile(v[:, _SCALE_IMG], 90) if np.isfinite(v[:, _SCALE_IMG]).any() else np.nan
        s_w = np.nanpercentile(v[:, _SCALE_WORLD], 90) if np.isfinite(v[:, _SCALE_WORLD]).any() else np.nan
    out = v[:, : len(FEATURE_NAMES)].copy()
    out[:, :_N_IMG] /= s_img if s_img > 0 else np.nan
    out[:, _N_IMG : _N_IMG + _N_WORLD] /= s_w if s_w > 0 else np.nan
    out[:, _PRESENT] = np.nan_to_num(out[:, _PRESENT], nan=0.0)
    return out


def fill_missing(standardised: np.ndarray) -> np.ndarray:
    """Replace NaN by 0 in standardised features (= the training mean); returns float32."""
    return np.nan_to_num(standardised, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)


def window_ends(ts: np.ndarray, window_s: float, hop_s: float) -> np.ndarray:
    """End times of windows every `hop_s` across a clip (the first one ends `window_s` after the start)."""
    ts = np.asarray(ts, dtype=np.float64)
    if len(ts) == 0 or ts[-1] - ts[0] < window_s:
        return np.array([ts[-1]]) if len(ts) else np.empty(0)
    return np.arange(ts[0] + window_s, ts[-1] + 1e-9, hop_s)


def _mirror_tables() -> tuple[np.ndarray, np.ndarray]:
    """Index permutation and signs that turn features of a pose into those of its mirror image (image x
    flipped, athlete's left and right swapped): x coordinates and signed lean change sign, left/right
    names swap."""
    index = {n: i for i, n in enumerate(FEATURE_NAMES)}
    perm = np.arange(len(FEATURE_NAMES))
    sign = np.ones(len(FEATURE_NAMES))
    for i, name in enumerate(FEATURE_NAMES):
        twin = name.replace("left", "\0").replace("right", "left").replace("\0", "right")
        perm[i] = index[twin]
        if name.startswith(("img_x_", "world_x_")) or name.endswith("trunk_lean_signed"):
            sign[i] = -1.0
    return perm, sign


_MIRROR_PERM, _MIRROR_SIGN = _mirror_tables()


def mirror_windows(x: np.ndarray) -> np.ndarray:
    """Features (..., F) of the mirrored movement (a training augmentation: a left-facing athlete becomes a
    right-facing one). Applying it twice gives the input back."""
    return x[..., _MIRROR_PERM] * _MIRROR_SIGN
