"""Joint and segment angles from pose landmarks: pure, vectorised, NaN in -> NaN out.

Angle conventions (the project's only definition; everything else uses these functions):

- Units: degrees.
- Joint angle: the included angle at the joint between its two segments, in [0, 180]. 180 = straight / fully
  extended, 0 = fully folded. Flexion = 180 - joint angle.

  ========== ================================ =====================================================
  name       points (at the middle one)        reading
  ========== ================================ =====================================================
  knee       hip, knee, ankle                  180 straight leg; ~90 at a parallel squat
  hip        shoulder, hip, knee               180 standing tall; smaller = more hip flexion
  elbow      shoulder, elbow, wrist            180 straight arm; ~40 at the top of a curl
  shoulder   hip, shoulder, elbow              0 arm along the trunk, 90 horizontal, 180 overhead
  ankle      knee, ankle, foot_index           ~90 to ~110 standing (foot roughly square to the shin);
                                               smaller = dorsiflexion (knee over toes), larger =
                                               plantarflexion (on the toes)
  ========== ================================ =====================================================

  Included angles are unsigned: they do not say in which plane or direction the joint bends, and from a
  single image they are the angles of the projected segments (true angles only when the limb moves in a
  plane facing the camera).
- Segment angle (`segment_angle`): the direction of the segment a -> b measured from vertical "up", in
  (-180, 180]. 0 = pointing straight up, 90 = horizontal towards +x, -90 = horizontal towards -x, 180 =
  pointing straight down. "Up" is -y both in images (y grows downwards) and in MediaPipe world landmarks
  (y points down there too). Positive = leaning towards +x, which is the image's right in both. For 3D
  points the magnitude is the full 3D angle from up and the sign is that of the x component.
- Trunk lean: `segment_angle` of mid-hip -> mid-shoulder. ``trunk_lean`` is its magnitude (0 = upright,
  90 = horizontal, as in the bottom of a push-up), ``trunk_lean_signed`` keeps the sign (positive = the
  shoulders are towards the image's +x from the hips).
- Thigh and shin: ``*_thigh`` = `segment_angle` of knee -> hip and ``*_shin`` = of ankle -> knee, signed;
  0 = vertical (standing), +-90 = horizontal (thigh parallel at the bottom of a squat).
- "left"/"right" are the athlete's own sides (`Landmark`).

Coordinates. Angles need isotropic units: image landmarks are normalised separately by width and height,
so they are first converted to pixels (`to_pixels`: x * width, y * height); world landmarks are metres
already. Every function accepts points of shape (..., 2) or (..., 3) and broadcasts over leading axes.

Missing data. Any NaN among a measurement's input points gives NaN; so does a zero-length segment (shorter
than `ZERO_LENGTH`), never 0. Low visibility is not judged here: pass landmarks that were already gated
(`coach.pose.smoothing.PoseSmoother` turns untrustworthy landmarks into NaN) or use ``min_visibility``
of `angles_from_landmarks`.

Threads: pure functions, callable from any thread.
"""

from __future__ import annotations

import numpy as np

from coach.pose.landmarks import NUM_LANDMARKS, Landmark
from coach.pose.types import VISIBILITY

__all__ = [
    "ANGLE_NAMES",
    "JOINTS",
    "ZERO_LENGTH",
    "angles_from_landmarks",
    "angles_from_world",
    "body_angles",
    "joint_angle",
    "segment_angle",
    "to_pixels",
]

# Segments shorter than this (pixels or metres) have no direction; far below any real bone in either unit.
ZERO_LENGTH = 1e-9

L = Landmark
# name -> (a, b, c): joint angle at b.
JOINTS: dict[str, tuple[Landmark, Landmark, Landmark]] = {
    "left_knee": (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE),
    "right_knee": (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE),
    "left_hip": (L.LEFT_SHOULDER, L.LEFT_HIP, L.LEFT_KNEE),
    "right_hip": (L.RIGHT_SHOULDER, L.RIGHT_HIP, L.RIGHT_KNEE),
    "left_elbow": (L.LEFT_SHOULDER, L.LEFT_ELBOW, L.LEFT_WRIST),
    "right_elbow": (L.RIGHT_SHOULDER, L.RIGHT_ELBOW, L.RIGHT_WRIST),
    "left_shoulder": (L.LEFT_HIP, L.LEFT_SHOULDER, L.LEFT_ELBOW),
    "right_shoulder": (L.RIGHT_HIP, L.RIGHT_SHOULDER, L.RIGHT_ELBOW),
    "left_ankle": (L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_FOOT_INDEX),
    "right_ankle": (L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_FOOT_INDEX),
}
# name -> (from, to): signed segment angle of from -> to.
_SEGMENTS: dict[str, tuple[Landmark, Landmark]] = {
    "left_thigh": (L.LEFT_KNEE, L.LEFT_HIP),
    "right_thigh": (L.RIGHT_KNEE, L.RIGHT_HIP),
    "left_shin": (L.LEFT_ANKLE, L.LEFT_KNEE),
    "right_shin": (L.RIGHT_ANKLE, L.RIGHT_KNEE),
}
ANGLE_NAMES: tuple[str, ...] = (*JOINTS, "trunk_lean", "trunk_lean_signed", *_SEGMENTS)


def _points(p: np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    if p.ndim == 0 or p.shape[-1] not in (2, 3):
        raise ValueError(f"points must have shape (..., 2) or (..., 3), got {p.shape}")
    return p


def _cross_norm(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    if u.shape[-1] == 2:
        return np.abs(u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0])
    return np.linalg.norm(np.cross(u, v), axis=-1)


def joint_angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Included angle at ``b`` between b -> a and b -> c, degrees in [0, 180] (180 = straight).

    Points (..., 2) or (..., 3), broadcast together; returns (...). NaN if any point is NaN or either
    segment is shorter than `ZERO_LENGTH`.
    """
    a, b, c = _points(a), _points(b), _points(c)
    if not a.shape[-1] == b.shape[-1] == c.shape[-1]:
        raise ValueError("points must all be 2D or all 3D")
    # NaN propagates silently; only infinities could warn (inf - inf), and they must end as NaN too.
    with np.errstate(invalid="ignore", over="ignore"):
        u, v = a - b, c - b
        # atan2(|u x v|, u . v) stays accurate near 0 and 180 degrees, where arccos loses digits.
        ang = np.degrees(np.arctan2(_cross_norm(u, v), np.einsum("...i,...i->...", u, v)))
        ok = (np.linalg.norm(u, axis=-1) >= ZERO_LENGTH) & (np.linalg.norm(v, axis=-1) >= ZERO_LENGTH)
        ok &= np.isfinite(ang)
    return np.where(ok, ang, np.nan)  # NaN norms compare False too


def segment_angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Signed angle of the segment a -> b from vertical up (-y), degrees in (-180, 180]; positive towards
    +x. For 3D points the magnitude is the 3D angle from up. NaN for NaN or zero-length segments."""
    a, b = _points(a), _points(b)
    if a.shape[-1] != b.shape[-1]:
        raise ValueError("points must both be 2D or both 3D")
    with np.errstate(invalid="ignore", over="ignore"):  # see joint_angle
        d = b - a
        lateral = np.linalg.norm(d[..., ::2], axis=-1) if d.shape[-1] == 3 else np.abs(d[..., 0])  # x and z
        mag = np.degrees(np.arctan2(lateral, -d[..., 1]))
        signed = np.where(d[..., 0] < 0, -mag, mag)
        ok = (np.linalg.norm(d, axis=-1) >= ZERO_LENGTH) & np.isfinite(d).all(axis=-1)
    return np.where(ok, signed, np.nan)


_JOINT_IDX = np.array(list(JOINTS.values()), dtype=np.intp)  # (joints, 3)
_SEGMENT_IDX = np.array(list(_SEGMENTS.values()), dtype=np.intp)  # (segments, 2)


def body_angles(points: np.ndarray) -> dict[str, np.ndarray]:
    """All `ANGLE_NAMES` for a body: ``points`` (..., 33, 2|3) in pixels or metres -> name -> (...)."""
    p = _points(points)
    if p.ndim < 2 or p.shape[-2] != NUM_LANDMARKS:
        raise ValueError(f"points must have shape (..., 33, 2|3), got {p.shape}")
    # All joints in one call, and all segments in another: a live frame costs a few dozen numpy calls
    # instead of a few hundred.
    joints = joint_angle(
        p[..., _JOINT_IDX[:, 0], :], p[..., _JOINT_IDX[:, 1], :], p[..., _JOINT_IDX[:, 2], :]
    )
    mid_hip = 0.5 * (p[..., L.LEFT_HIP, :] + p[..., L.RIGHT_HIP, :])
    mid_shoulder = 0.5 * (p[..., L.LEFT_SHOULDER, :] + p[..., L.RIGHT_SHOULDER, :])
    starts = np.concatenate([mid_hip[..., None, :], p[..., _SEGMENT_IDX[:, 0], :]], axis=-2)
    ends = np.concatenate([mid_shoulder[..., None, :], p[..., _SEGMENT_IDX[:, 1], :]], axis=-2)
    segments = segment_angle(starts, ends)
    out = {name: joints[..., i] for i, name in enumerate(JOINTS)}
    out["trunk_lean"] = np.abs(segments[..., 0])
    out["trunk_lean_signed"] = segments[..., 0]
    out.update({name: segments[..., i + 1] for i, name in enumerate(_SEGMENTS)})
    return out


def to_pixels(landmarks: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """Normalised landmarks (..., 33, >=2) -> (..., 33, 2) float64 pixels; ``image_size`` = (width, height).

    Needed before measuring angles: normalised x and y have different units unless the image is square.
    """
    w, h = image_size
    if not (w > 0 and h > 0):
        raise ValueError(f"image_size must be positive, got {image_size}")
    lm = np.asarray(landmarks)
    if lm.ndim < 2 or lm.shape[-2] != NUM_LANDMARKS or lm.shape[-1] < 2:
        raise ValueError(f"landmarks must have shape (..., 33, >=2), got {lm.shape}")
    return lm[..., :2].astype(np.float64) * np.array([w, h], dtype=np.float64)


def angles_from_landmarks(
    landmarks: np.ndarray, image_size: tuple[int, int], min_visibility: float | None = None
) -> dict[str, np.ndarray]:
    """`body_angles` of normalised image landmarks (..., 33, 5) after conversion to pixels.

    ``min_visibility``: if given, landmarks whose visibility is below it (or NaN) count as missing. Leave it
    None for landmarks already gated by `PoseSmoother`, whose held positions keep their low visibility.
    """
    px = to_pixels(landmarks, image_size)
    if min_visibility is not None:
        visible = np.asarray(landmarks)[..., VISIBILITY] >= min_visibility
        px[~visible] = np.nan
    return body_angles(px)


def angles_from_world(world: np.ndarray) -> dict[str, np.ndarray]:
    """`body_angles` of world landmarks (..., 33, 3) in metres (y down, like images, so "up" is -y)."""
    w = _points(world)
    if w.shape[-1] != 3:
        raise ValueError(f"world landmarks must have shape (..., 33, 3), got {w.shape}")
    return body_angles(w)
