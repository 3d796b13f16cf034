"""A parametric 3D skeleton in MediaPipe's 33-landmark layout, built from vectorised forward and inverse
kinematics (every helper takes arrays over frames, shape (N,) or (N, 3), and returns the same).

Body frame (used by the whole synthesizer; the camera module converts it to the project's conventions):
metres, y up, ground at y = 0, the athlete faces +z at rest, x is the athlete's LEFT. It is right-handed
(left x up = forward), so a camera in front of the athlete sees the athlete's left on the image's right,
as a real camera does.

Threads: pure functions and frozen values, callable from any thread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coach.pose.landmarks import NUM_LANDMARKS
from coach.pose.landmarks import Landmark as L

__all__ = ["Body", "Skeleton", "arm", "foot_from_ankle", "foot_on_ground", "head", "leg_ik", "sample_body"]

UP = np.array([0.0, 1.0, 0.0])
FWD = np.array([0.0, 0.0, 1.0])
LEFT = np.array([1.0, 0.0, 0.0])
SIDES = (1, -1)  # +1 = athlete's left, -1 = right


@dataclass(frozen=True, slots=True)
class Body:
    """Segment lengths in metres (joint centre to joint centre, as MediaPipe places its landmarks)."""

    height: float
    thigh: float
    shin: float
    torso: float  # mid-hip to mid-shoulder
    upper_arm: float
    forearm: float
    hip_half: float  # half the distance between the hip landmarks
    shoulder_half: float
    neck: float  # mid-shoulder to head centre
    foot: float  # heel to toe
    ankle_height: float

    @property
    def leg(self) -> float:
        return self.thigh + self.shin + self.ankle_height


def sample_body(rng: np.random.Generator) -> Body:
    """A random adult: height 1.50-1.95 m and every proportion jittered by up to ~8 %."""
    h = float(rng.uniform(1.50, 1.95))

    def j(ratio: float) -> float:
        return float(ratio * h * rng.uniform(0.92, 1.08))

    return Body(
        height=h,
        thigh=j(0.245),
        shin=j(0.240),
        torso=j(0.290),
        upper_arm=j(0.186),
        forearm=j(0.150),
        hip_half=j(0.068),
        shoulder_half=j(0.108),
        neck=j(0.105),
        foot=j(0.140),
        ankle_height=j(0.052),
    )


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v, axis=-1, keepdims=True)
    return v / np.maximum(n, 1e-9)


def _bc(v: np.ndarray | float, n: int) -> np.ndarray:
    """Broadcast a scalar or (N,) to (N, 1), or (3,) / (N, 3) to (N, 3)."""
    a = np.asarray(v, dtype=np.float64)
    if a.ndim == 0:
        return np.full((n, 1), float(a))
    if a.ndim == 1 and a.shape[0] == 3 and n != 3:
        return np.broadcast_to(a, (n, 3))
    if a.ndim == 1:
        return a[:, None]
    return a


def rotate(v: np.ndarray, axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rodrigues rotation of vectors (N, 3) about unit axes (N, 3) by angles (N,) radians."""
    n = len(v)
    axis = _unit(np.broadcast_to(axis, (n, 3)))
    a = _bc(angle, n)
    c, s = np.cos(a), np.sin(a)
    dot = np.sum(axis * v, axis=-1, keepdims=True)
    return v * c + np.cross(axis, v) * s + axis * dot * (1 - c)


@dataclass(frozen=True, slots=True)
class Frame3:
    """An orthonormal frame per time step: `up`, `fwd`, `left`, each (N, 3)."""

    up: np.ndarray
    fwd: np.ndarray
    left: np.ndarray

    @staticmethod
    def from_angles(pitch: np.ndarray, roll: np.ndarray, yaw: np.ndarray) -> Frame3:
        """Trunk-like frame: `pitch` leans forward (towards fwd), `roll` sideways towards the athlete's
        left, `yaw` turns the fwd axis towards the left; radians, arrays (N,)."""
        n = len(pitch)
        up = np.broadcast_to(UP, (n, 3)).copy()
        fwd = np.broadcast_to(FWD, (n, 3)).copy()
        left = np.broadcast_to(LEFT, (n, 3)).copy()
        # Order: roll about fwd, then pitch about left, then yaw about the world's up.
        up, left = rotate(up, fwd, -roll), rotate(left, fwd, -roll)
        up, fwd = rotate(up, left, pitch), rotate(fwd, left, pitch)
        world_up = np.broadcast_to(UP, (n, 3))
        up, fwd, left = rotate(up, world_up, yaw), rotate(fwd, world_up, yaw), rotate(left, world_up, yaw)
        return Frame3(up, fwd, left)


class Skeleton:
    """Accumulates landmark trajectories: ``sk[L.LEFT_KNEE] = (N, 3)``; `array()` gives (N, 33, 3)."""

    def __init__(self, n: int) -> None:
        self._p = np.full((n, NUM_LANDMARKS, 3), np.nan)

    def __setitem__(self, key: int, value: np.ndarray) -> None:
        self._p[:, int(key)] = value

    def __getitem__(self, key: int) -> np.ndarray:
        return self._p[:, int(key)]

    def array(self) -> np.ndarray:
        if np.isnan(self._p).any():
            missing = sorted({int(i) for i in np.where(np.isnan(self._p).any(axis=(0, 2)))[0]})
            raise ValueError(f"skeleton incomplete, landmarks not set: {missing}")
        return self._p


def leg_ik(hip: np.ndarray, ankle: np.ndarray, bend: np.ndarray, thigh: float, shin: float) -> np.ndarray:
    """Knee (N, 3) of a two-link leg from hip to ankle, bending towards `bend` (N, 3) (the knee's pointing
    direction; rotate it towards the midline for valgus). Over-long reaches are clamped to a straight leg."""
    v = ankle - hip
    d = np.linalg.norm(v, axis=-1, keepdims=True)
    d = np.clip(d, abs(thigh - shin) + 1e-3, 0.999 * (thigh + shin))
    u = _unit(v)
    along = (d**2 + thigh**2 - shin**2) / (2 * d)
    off = np.sqrt(np.maximum(thigh**2 - along**2, 0.0))
    b = np.broadcast_to(bend, v.shape)
    normal = _unit(b - np.sum(b * u, axis=-1, keepdims=True) * u)
    return hip + along * u + off * normal


def foot_on_ground(
    toe: np.ndarray, direction: np.ndarray, heel_lift: np.ndarray | float, body: Body
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(heel, ankle, toe) of a foot whose toe rests at `toe` (N, 3), pointing along the horizontal unit
    `direction` (N, 3), pitched heel-up by `heel_lift` radians (0 = flat) about the toe."""
    n = len(toe)
    lift = _bc(heel_lift, n)
    d = _unit(np.broadcast_to(direction, (n, 3)))
    sole = np.cos(lift) * d - np.sin(lift) * UP  # heel -> toe, pointing down-forward when lifted
    heel = toe - body.foot * sole
    perp = np.cross(np.cross(d, UP), sole)  # the foot's own "up" (sole normal, away from the ground)
    perp = _unit(np.where(np.sum(perp * UP, axis=-1, keepdims=True) < 0, -perp, perp))
    ankle = heel + 0.25 * body.foot * sole + body.ankle_height * perp
    return heel, ankle, toe


def foot_from_ankle(
    ankle: np.ndarray, direction: np.ndarray, pitch: np.ndarray | float, body: Body
) -> tuple[np.ndarray, np.ndarray]:
    """(heel, toe) for a foot hanging from `ankle`: `direction` horizontal unit (N, 3), `pitch` radians,
    positive = toes down (plantarflexed), as in swing or push-off."""
    n = len(ankle)
    p = _bc(pitch, n)
    d = _unit(np.broadcast_to(direction, (n, 3)))
    sole = np.cos(p) * d - np.sin(p) * UP
    perp = _unit(np.cross(np.cross(d, UP), sole))
    perp = np.where(np.sum(perp * UP, axis=-1, keepdims=True) < 0, -perp, perp)
    heel = ankle - 0.25 * body.foot * sole - body.ankle_height * perp
    return heel, heel + body.foot * sole


def arm(
    shoulder: np.ndarray,
    frame: Frame3,
    side: int,
    elevation: np.ndarray | float,
    plane: np.ndarray | float,
    elbow_flex: np.ndarray | float,
    bend: np.ndarray,
    body: Body,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(elbow, wrist, index, pinky, thumb) of one arm, each (N, 3).

    The upper arm points `elevation` radians away from the trunk's down direction, in the plane `plane`
    radians from the sagittal plane (0 = forward flexion, pi/2 = sideways abduction; a negative elevation at
    plane 0 points backwards). The forearm bends by `elbow_flex` radians (0 = straight) towards `bend`
    (N, 3), a hint projected perpendicular to the upper arm."""
    n = len(shoulder)
    e, ps = _bc(elevation, n), _bc(plane, n)
    upper = -np.cos(e) * frame.up + np.sin(e) * (np.cos(ps) * frame.fwd + np.sin(ps) * side * frame.left)
    elbow = shoulder + body.upper_arm * upper
    b = np.broadcast_to(bend, (n, 3))
    b = b - np.sum(b * upper, axis=-1, keepdims=True) * upper
    # A hint parallel to the upper arm has no perpendicular part: fall back to the trunk's forward axis.
    weak = np.linalg.norm(b, axis=-1, keepdims=True) < 1e-6
    fb = frame.fwd - np.sum(frame.fwd * upper, axis=-1, keepdims=True) * upper
    b = _unit(np.where(weak, fb, b))
    k = _bc(elbow_flex, n)
    fore = np.cos(k) * upper + np.sin(k) * b
    wrist = elbow + body.forearm * fore
    across = _unit(np.cross(fore, b))  # the hand's width direction
    index = wrist + 0.07 * body.height / 1.75 * fore + 0.012 * across
    pinky = wrist + 0.06 * body.height / 1.75 * fore - 0.025 * across
    thumb = wrist + 0.04 * body.height / 1.75 * fore + 0.035 * across + 0.01 * b
    return elbow, wrist, index, pinky, thumb


def head(sk: Skeleton, centre: np.ndarray, frame: Frame3, body: Body) -> None:
    """Set the 11 face landmarks around a head `centre` (N, 3) oriented by `frame` (face along fwd)."""
    s = body.height / 1.75
    up, fwd, left = frame.up, frame.fwd, frame.left
    sk[L.NOSE] = centre + s * (0.10 * fwd - 0.01 * up)
    for side, inner, eye, outer in (
        (1, L.LEFT_EYE_INNER, L.LEFT_EYE, L.LEFT_EYE_OUTER),
        (-1, L.RIGHT_EYE_INNER, L.RIGHT_EYE, L.RIGHT_EYE_OUTER),
    ):
        base = centre + s * (0.085 * fwd + 0.025 * up)
        sk[inner] = base + s * 0.015 * side * left
        sk[eye] = base + s * 0.032 * side * left
        sk[outer] = base + s * 0.048 * side * left - s * 0.01 * fwd
    sk[L.LEFT_EAR] = centre + s * (0.075 * left - 0.01 * fwd + 0.01 * up)
    sk[L.RIGHT_EAR] = centre + s * (-0.075 * left - 0.01 * fwd + 0.01 * up)
    sk[L.MOUTH_LEFT] = centre + s * (0.085 * fwd - 0.045 * up + 0.022 * left)
    sk[L.MOUTH_RIGHT] = centre + s * (0.085 * fwd - 0.045 * up - 0.022 * left)


ARM_NAMES = {
    1: (L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST, L.LEFT_INDEX, L.LEFT_PINKY, L.LEFT_THUMB),
    -1: (L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST, L.RIGHT_INDEX, L.RIGHT_PINKY, L.RIGHT_THUMB),
}
LEG_NAMES = {
    1: (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
    -1: (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX),
}
