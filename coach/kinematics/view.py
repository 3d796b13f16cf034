"""Which way the athlete faces the camera: a yaw estimate per frame and a front / oblique / side view.

Yaw is the athlete's rotation about the vertical axis relative to the camera, folded into [0, 90] degrees:
0 = facing the camera (or facing away: the two look alike), 90 = side-on. It is the median of three per-frame
cues, each read from the shoulder and hip lines, so that one failing cue cannot decide alone:

1. shoulder line in world landmarks: ``atan2(|dz|, |dx|)`` of left - right shoulder (MediaPipe's world axes
   are camera-aligned: x right, y down, z away from the camera);
2. the same for the hip line;
3. image foreshortening: the image width of the shoulder and hip lines relative to the image torso length,
   divided by the same ratio from the 3D world landmarks (the athlete's own frontal proportions, so no body
   norm is assumed); the width shrinks with the cosine of the yaw, hence ``arccos`` of the ratio.

Cues 1-2 rest on MediaPipe's learned depth, cue 3 on 2D geometry; on real clips cue 3 reads 15-30 degrees
too high for upright frontal athletes (image and world proportions differ) and too low when the torso leans
towards the camera, while the world cues stay within a few degrees of the visible view. The median keeps
the two that agree. The cues are not fully independent: cue 3 takes the athlete's proportions from the world
landmarks, so a world line whose depth collapses also pulls cue 3 towards frontal (by ~7 degrees for the hip
line of a side-on athlete, by ~17 for the shoulder line).

Views. The thresholds split the range into thirds: within 30 degrees of a plane facing the camera that plane
is seen at >= cos(30) = 87 % of its true width, so FRONT (yaw < 30) is good for frontal-plane measures
(knee valgus, lateral raise height) and SIDE (yaw > 60) for sagittal ones (knee and hip flexion, trunk lean);
OBLIQUE is neither. UNKNOWN means no usable shoulders or hips. A camera looking down from above has no view
in this sense; it reads as FRONT when the shoulder line crosses the image.

Per clip, the dominant view is the view of the median yaw over frames with a pose.

Threads: pure functions and a plain `ViewClassifier` object (owned by whichever single thread feeds it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from coach.pose.landmarks import NUM_LANDMARKS, Landmark

__all__ = [
    "FRONT_MAX_DEG",
    "HYSTERESIS_DEG",
    "SIDE_MIN_DEG",
    "View",
    "ViewClassifier",
    "ViewSummary",
    "classify_view",
    "clip_view",
    "estimate_yaw",
    "summarize_views",
    "yaw_cues",
]

FRONT_MAX_DEG = 30.0
SIDE_MIN_DEG = 60.0
# Per-frame yaw wobbles by a degree or two on a steady camera (more on fast movements): 5 degrees of
# hysteresis keeps the view from flickering at a boundary.
HYSTERESIS_DEG = 5.0

_LS, _RS, _LH, _RH = Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER, Landmark.LEFT_HIP, Landmark.RIGHT_HIP


class View(StrEnum):
    FRONT = "front"
    SIDE = "side"
    OBLIQUE = "oblique"
    UNKNOWN = "unknown"


def _norm(v: np.ndarray) -> np.ndarray:
    return np.sqrt(np.sum(v * v, axis=-1))


def yaw_cues(landmarks: np.ndarray, world: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """The three yaw cues of the module docstring, (..., 3) degrees in [0, 90] or NaN, in the order world
    shoulders, world hips, image foreshortening. ``landmarks`` (..., 33, >=2) normalised, ``world``
    (..., 33, 3) metres, ``image_size`` = (width, height)."""
    lm = np.asarray(landmarks, dtype=np.float64)
    w3 = np.asarray(world, dtype=np.float64)
    if lm.shape[-2:-1] != (NUM_LANDMARKS,) or lm.shape[-1] < 2:
        raise ValueError(f"landmarks must have shape (..., 33, >=2), got {lm.shape}")
    if w3.shape[-2:] != (NUM_LANDMARKS, 3):
        raise ValueError(f"world must have shape (..., 33, 3), got {w3.shape}")
    width, height = image_size
    if not (width > 0 and height > 0):
        raise ValueError(f"image_size must be positive, got {image_size}")
    px = lm[..., :2] * np.array([width, height], dtype=np.float64)

    # NaN propagates quietly; zero lengths (0/0) only happen on degenerate input and must end as NaN.
    with np.errstate(invalid="ignore", divide="ignore"):
        w_sh, w_hp = w3[..., _LS, :] - w3[..., _RS, :], w3[..., _LH, :] - w3[..., _RH, :]
        yaw_sh = np.degrees(np.arctan2(np.abs(w_sh[..., 2]), np.abs(w_sh[..., 0])))
        yaw_hp = np.degrees(np.arctan2(np.abs(w_hp[..., 2]), np.abs(w_hp[..., 0])))
        # arctan2(0, 0) = 0 would claim "front" for a degenerate line.
        yaw_sh = np.where(_norm(w_sh[..., ::2]) > 0, yaw_sh, np.nan)
        yaw_hp = np.where(_norm(w_hp[..., ::2]) > 0, yaw_hp, np.nan)

        def width_over_torso(p: np.ndarray) -> np.ndarray:
            widths = _norm(p[..., _LS, :] - p[..., _RS, :]) + _norm(p[..., _LH, :] - p[..., _RH, :])
            torso = _norm(0.5 * (p[..., _LS, :] + p[..., _RS, :] - p[..., _LH, :] - p[..., _RH, :]))
            return widths / torso

        ratio = width_over_torso(px) / width_over_torso(w3)
        yaw_2d = np.degrees(np.arccos(np.clip(ratio, 0.0, 1.0)))  # > 1: torso foreshortened, i.e. frontal
        yaw_2d = np.where(np.isfinite(ratio), yaw_2d, np.nan)
    return np.stack([yaw_sh, yaw_hp, yaw_2d], axis=-1)


def _median_of_finite(cues: np.ndarray) -> np.ndarray:
    # np.nanmedian warns on all-NaN rows; with three cues the median is simple to spell out.
    s = np.sort(cues, axis=-1)  # NaN sorts last
    n = np.isfinite(cues).sum(axis=-1)
    return np.select([n == 3, n == 2, n == 1], [s[..., 1], 0.5 * (s[..., 0] + s[..., 1]), s[..., 0]], np.nan)


def estimate_yaw(landmarks: np.ndarray, world: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """Yaw per frame, degrees in [0, 90] (0 = facing the camera, 90 = side-on), NaN without a pose.

    ``landmarks`` (..., 33, >=2) normalised image landmarks, ``world`` (..., 33, 3) world landmarks of the
    same frames, ``image_size`` = (width, height). Returns (...). Visibility is deliberately ignored: in a
    side view the far shoulder and hip are occluded, yet their estimated positions still carry the
    orientation.
    """
    return _median_of_finite(yaw_cues(landmarks, world, image_size))


class ViewClassifier:
    """Streaming yaw -> `View` with hysteresis: a boundary is crossed only ``hysteresis_deg`` beyond it.

    A NaN yaw gives UNKNOWN for that frame and leaves the hysteresis state as it was, so a dropped frame
    does not make the view flicker. No clock, no I/O; one instance per stream, fed by one thread.
    """

    __slots__ = ("_front_max", "_hysteresis", "_side_min", "_state")

    def __init__(
        self,
        front_max_deg: float = FRONT_MAX_DEG,
        side_min_deg: float = SIDE_MIN_DEG,
        hysteresis_deg: float = HYSTERESIS_DEG,
    ) -> None:
        if not 0 <= front_max_deg <= side_min_deg <= 90:
            raise ValueError("need 0 <= front_max_deg <= side_min_deg <= 90")
        if not hysteresis_deg >= 0:
            raise ValueError("hysteresis_deg must be >= 0")
        self._front_max, self._side_min, self._hysteresis = front_max_deg, side_min_deg, hysteresis_deg
        self._state = View.UNKNOWN

    @property
    def state(self) -> View:
        """The last known view (not UNKNOWN once any yaw has been seen)."""
        return self._state

    def reset(self) -> None:
        self._state = View.UNKNOWN

    def update(self, yaw_deg: float) -> View:
        if not np.isfinite(yaw_deg):
            return View.UNKNOWN
        lo, hi, h = self._front_max, self._side_min, self._hysteresis
        if self._state != View.UNKNOWN:
            # The boundaries move away from the current view, so leaving it takes an extra h degrees.
            lo += h if self._state == View.FRONT else -h
            hi += -h if self._state == View.SIDE else h
        self._state = View.FRONT if yaw_deg < lo else View.SIDE if yaw_deg > hi else View.OBLIQUE
        return self._state


def classify_view(
    yaw_deg: np.ndarray | Sequence[float],
    front_max_deg: float = FRONT_MAX_DEG,
    side_min_deg: float = SIDE_MIN_DEG,
    hysteresis_deg: float = HYSTERESIS_DEG,
) -> list[View]:
    """Per-frame views of a yaw sequence (N,), in order, with hysteresis (see `ViewClassifier`); the same
    views a live `ViewClassifier` fed frame by frame gives."""
    classifier = ViewClassifier(front_max_deg, side_min_deg, hysteresis_deg)
    return [classifier.update(float(y)) for y in np.asarray(yaw_deg, dtype=np.float64).ravel()]


def _plain_view(yaw: float, front_max_deg: float, side_min_deg: float) -> View:
    if not np.isfinite(yaw):
        return View.UNKNOWN
    return View.FRONT if yaw < front_max_deg else View.SIDE if yaw > side_min_deg else View.OBLIQUE


@dataclass(frozen=True, slots=True)
class ViewSummary:
    """A clip's view: the dominant `view`, the median yaw it comes from, the share of frames with a yaw
    (``coverage``) and the share of those frames in each view (``fractions``, plain thresholds)."""

    view: View
    median_yaw_deg: float
    coverage: float
    fractions: dict[View, float]

    def __post_init__(self) -> None:
        if not 0.0 <= self.coverage <= 1.0:
            raise ValueError(f"coverage must be in [0, 1], got {self.coverage}")


def summarize_views(
    yaw_deg: np.ndarray | Sequence[float],
    front_max_deg: float = FRONT_MAX_DEG,
    side_min_deg: float = SIDE_MIN_DEG,
) -> ViewSummary:
    """`ViewSummary` of a clip's per-frame yaw (N,); NaN frames count as frames without a pose."""
    yaw = np.asarray(yaw_deg, dtype=np.float64).ravel()
    good = yaw[np.isfinite(yaw)]
    coverage = len(good) / len(yaw) if len(yaw) else 0.0
    if not len(good):
        return ViewSummary(View.UNKNOWN, float("nan"), coverage, {})
    median = float(np.median(good))
    views = [_plain_view(y, front_max_deg, side_min_deg) for y in good]
    fractions = {v: views.count(v) / len(views) for v in (View.FRONT, View.OBLIQUE, View.SIDE)}
    return ViewSummary(_plain_view(median, front_max_deg, side_min_deg), median, coverage, fractions)


def clip_view(
    yaw_deg: np.ndarray | Sequence[float],
    front_max_deg: float = FRONT_MAX_DEG,
    side_min_deg: float = SIDE_MIN_DEG,
) -> View:
    """A clip's dominant view: the view of the median yaw over frames with a pose; UNKNOWN if none."""
    return summarize_views(yaw_deg, front_max_deg, side_min_deg).view
