"""Synthetic 33-landmark athletes for tests and benchmarks: a side-view skeleton driven by a squat depth
and an elbow flexion over time, with camera scale, offset, roll, mirroring, noise and dropouts.

Profiles are plain arrays; `rep_profile` builds one from a list of segments so a test reads like a
session: ``[("hold", 2.0, 0.0), ("rep", 2.0, 1.0), ("rep", 2.0, 0.5), ("hold", 3.0, 0.0)]``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from coach.analysis.track import PoseTrack
from coach.pose.landmarks import NUM_LANDMARKS
from coach.pose.landmarks import Landmark as L

__all__ = ["Camera", "inject_fault", "rep_profile", "skeleton_track"]


@dataclass(frozen=True, slots=True)
class Camera:
    image_size: tuple[int, int] = (1280, 720)
    shank_px: float = 110.0  # athlete size in the image
    center_px: tuple[float, float] = (640.0, 620.0)  # where the ankle is
    roll_deg: float = 0.0  # camera not level
    mirrored: bool = False
    noise_px: float = 0.0
    seed: int = 0


def rep_profile(segments: list[tuple[str, float, float]], fps: float = 30.0) -> np.ndarray:
    """Concatenate segments: ("hold", seconds, level) or ("rep", seconds, depth) (smooth 0 -> depth -> 0)."""
    out: list[np.ndarray] = []
    for kind, seconds, level in segments:
        n = max(1, round(seconds * fps))
        if kind == "hold":
            out.append(np.full(n, level))
        elif kind == "rep":
            out.append(level * 0.5 * (1 - np.cos(np.linspace(0, 2 * np.pi, n, endpoint=False))))
        else:
            raise ValueError(kind)
    return np.concatenate(out)


def _side_skeleton(depth: float, curl: float) -> np.ndarray:
    """(33, 2) points in shank units, y up, ankle at the origin, facing +x."""
    knee_flex = math.radians(115.0 * depth)
    a_shank = 0.45 * knee_flex
    a_thigh = knee_flex - a_shank
    a_torso = 0.6 * a_thigh
    ankle = np.array([0.0, 0.0])
    knee = ankle + np.array([math.sin(a_shank), math.cos(a_shank)])
    hip = knee + 1.05 * np.array([-math.sin(a_thigh), math.cos(a_thigh)])
    shoulder = hip + 1.3 * np.array([math.sin(a_torso), math.cos(a_torso)])
    elbow = shoulder + np.array([0.0, -0.8])
    c = math.radians(150.0 * curl)
    wrist = elbow + 0.75 * np.array([math.sin(c), -math.cos(c)])
    p = np.zeros((NUM_LANDMARKS, 2))
    head = shoulder + np.array([0.15, 0.45])
    p[:11] = head
    p[L.NOSE] = head + np.array([0.2, 0.0])
    p[[L.LEFT_EAR, L.RIGHT_EAR]] = head
    for o in (0, 1):
        dx = 0.03 * (1 if o else -1)  # the far side sits a hair behind in a side view
        p[L.LEFT_SHOULDER + o] = shoulder + [dx, 0]
        p[L.LEFT_ELBOW + o] = elbow + [dx, 0]
        p[L.LEFT_WRIST + o] = wrist + [dx, 0]
        for k in (L.LEFT_PINKY, L.LEFT_INDEX, L.LEFT_THUMB):
            p[k + o] = wrist + [dx + 0.1, 0]
        p[L.LEFT_HIP + o] = hip + [dx, 0]
        p[L.LEFT_KNEE + o] = knee + [dx, 0]
        p[L.LEFT_ANKLE + o] = ankle + [dx, 0]
        p[L.LEFT_HEEL + o] = ankle + [dx - 0.25, -0.12]
        p[L.LEFT_FOOT_INDEX + o] = ankle + [dx + 0.6, -0.12]
    return p


def skeleton_track(
    depth: np.ndarray,
    curl: np.ndarray | None = None,
    *,
    fps: float = 30.0,
    camera: Camera | None = None,
    dropouts: tuple[tuple[int, int], ...] = (),
    present: np.ndarray | None = None,
) -> PoseTrack:
    """A `PoseTrack` (landmarks already 'smooth': feed it straight to the engine or smooth it first).

    `depth` and `curl` are per-frame values in [0, 1]; `dropouts` are (first, last) frame ranges without a
    pose; `present` (N,) bool marks frames where the athlete is in view at all (walk-in / walk-out)."""
    cam = camera or Camera()
    n = len(depth)
    curl = np.zeros(n) if curl is None else curl
    rng = np.random.default_rng(cam.seed)
    w, h = cam.image_size
    r = math.radians(cam.roll_deg)
    rot = np.array([[math.cos(r), -math.sin(r)], [math.sin(r), math.cos(r)]])
    lm = np.full((n, NUM_LANDMARKS, 5), np.nan, dtype=np.float32)
    for i in range(n):
        pts = _side_skeleton(float(depth[i]), float(curl[i])) * cam.shank_px
        pts[:, 1] *= -1  # image y points down
        if cam.mirrored:
            pts[:, 0] *= -1
        pts = pts @ rot.T + np.asarray(cam.center_px)
        pts += rng.normal(0.0, cam.noise_px, pts.shape)
        lm[i, :, 0] = pts[:, 0] / w
        lm[i, :, 1] = pts[:, 1] / h
        lm[i, :, 2] = 0.0
        lm[i, :, 3:] = 0.99
    for a, b in dropouts:
        lm[a : b + 1] = np.nan
    if present is not None:
        lm[~present] = np.nan
    world = np.where(np.isfinite(lm[:, :, :3]), 0.0, np.nan).astype(np.float32)
    ts = np.arange(n) / fps
    return PoseTrack(np.arange(n, dtype=np.int64), ts, lm, world, cam.image_size)


def inject_fault(track: PoseTrack, kind: str, amount: np.ndarray) -> PoseTrack:
    """A copy of a side-view `skeleton_track` with a form fault drawn in, `amount` (N,) per frame in [0, 1+].

    - "heel_lift": both heels rise by `amount` foot lengths while the toes stay on the ground;
    - "rounded_back": the head drops by `amount` torso lengths below the hip->shoulder chord (toward the
      floor side of the chord), as when the upper back curls;
    - "hip_flexion": the upper body (head, trunk, arms) pitches forward about the hips by `amount` degrees
      while the legs stay as they are (hips not opened at a lockout).
    Works in pixel space so it composes with any `Camera` (scale, roll, mirroring)."""
    lm = track.landmarks.copy()
    w, h = track.image_size
    px = lm[:, :, :2].astype(np.float64) * np.array([w, h])
    for i, a in enumerate(np.asarray(amount, dtype=np.float64)):
        if not a or not np.isfinite(px[i]).all():
            continue
        if kind == "heel_lift":
            for heel, toe in ((L.LEFT_HEEL, L.LEFT_FOOT_INDEX), (L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX)):
                foot = px[i, toe] - px[i, heel]
                up = np.array([foot[1], -foot[0]]) / np.hypot(*foot)  # normal of the sole
                if up[1] > 0:
                    up = -up
                px[i, heel] += a * np.hypot(*foot) * up
        elif kind == "rounded_back":
            sho = px[i, [L.LEFT_SHOULDER, L.RIGHT_SHOULDER]].mean(axis=0)
            hip = px[i, [L.LEFT_HIP, L.RIGHT_HIP]].mean(axis=0)
            chord = sho - hip
            normal = np.array([-chord[1], chord[0]]) / np.hypot(*chord)
            if normal[1] < 0:
                normal = -normal
            px[i, :11] += a * np.hypot(*chord) * normal  # the whole head
        elif kind == "hip_flexion":
            hip = px[i, [L.LEFT_HIP, L.RIGHT_HIP]].mean(axis=0)
            facing = np.sign(px[i, L.LEFT_FOOT_INDEX, 0] - px[i, L.LEFT_HEEL, 0]) or 1.0
            r = math.radians(a) * facing  # image y is down: positive turns the head toward the toes
            rot = np.array([[math.cos(r), -math.sin(r)], [math.sin(r), math.cos(r)]])
            upper = list(range(L.LEFT_HIP))  # every landmark above the hips
            px[i, upper] = (px[i, upper] - hip) @ rot.T + hip
        else:
            raise ValueError(kind)
    lm[:, :, :2] = (px / np.array([w, h])).astype(np.float32)
    return PoseTrack(track.frame_index, track.media_ts, lm, track.world, track.image_size)
