"""Overlay annotators (after supervision): each is configured in `__init__` and has one method
`annotate(image, data) -> image` that draws on the BGR uint8 `image` in place and returns it.

They draw whatever coordinates they are given, so they work unchanged on mirrored images: mirror the image
and the pose first (`coach.overlay.compose.mirror_pose`), then annotate, and text stays readable. Missing
landmarks (NaN) are skipped, never drawn at 0. Drawing runs per frame (live, on the render thread), so each
annotator makes a handful of OpenCV calls (one `polylines` for all bones, no per-pixel Python) and builds
their arguments with array operations, not Python loops over landmarks or trail points. Antialiasing stays
on everything drawn (LINE_8 was measured: it saves ~50 us a frame on bones and dots but their edges then
visibly stair-step on a 720p video).

Threads: annotators hold no locks; `BarPathAnnotator` keeps a trail, so each instance belongs to one
thread (live: the render thread).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Protocol

import cv2
import numpy as np

from coach.activities import GAIT_ACTIVITIES
from coach.kinematics.angles import JOINTS
from coach.overlay.exercise import TargetLine
from coach.pose.landmarks import CONNECTIONS, Landmark
from coach.pose.types import Pose

__all__ = [
    "BarPathAnnotator",
    "CueBannerAnnotator",
    "JointAngleAnnotator",
    "JointAnomalyAnnotator",
    "RepCounterAnnotator",
    "RepStatus",
    "SkeletonAnnotator",
    "TargetLineAnnotator",
    "anomaly_color",
    "landmark_for",
]

log = logging.getLogger(__name__)

Color = tuple[int, int, int]  # BGR
WHITE: Color = (255, 255, 255)
BLACK: Color = (0, 0, 0)
GREEN: Color = (80, 220, 80)
YELLOW: Color = (0, 220, 255)
CYAN: Color = (255, 220, 0)
ORANGE: Color = (0, 150, 255)

_FONT = cv2.FONT_HERSHEY_SIMPLEX
_BONES = np.array(CONNECTIONS, dtype=np.intp)  # (bones, 2)
# Dots only where bones meet: the face's ten extra points add calls, not information, at this size.
_JOINT_DOTS = np.unique(_BONES)


def _scale(image: np.ndarray) -> float:
    """Size factor for strokes and text: 1.0 for a 720-pixel-high image."""
    return max(0.4, min(image.shape[:2]) / 720.0)


def _pixels(pose: Pose) -> np.ndarray:
    return pose.pixels()  # (33, 2) float32, NaN where hidden


def _pt(p: np.ndarray) -> tuple[int, int]:
    return int(round(float(p[0]))), int(round(float(p[1])))


def landmark_for(name: str) -> Landmark | None:
    """The landmark a joint or landmark name refers to ("left_knee", "RIGHT_WRIST"), None if unknown."""
    if name in JOINTS:
        return JOINTS[name][1]
    return Landmark.__members__.get(name.upper())


def anomaly_color(score: float) -> Color:
    """Green (0) -> yellow (0.5) -> red (1); scores outside [0, 1] are clipped, NaN is grey."""
    if not math.isfinite(score):
        return (160, 160, 160)
    s = min(1.0, max(0.0, score))
    if s <= 0.5:
        return (0, 220, int(round(510 * s)))  # green -> yellow: red channel rises
    return (0, int(round(220 * (2.0 - 2.0 * s))), 255)  # yellow -> red: green channel falls


class SkeletonAnnotator:
    """Bones and joints of a `Pose` (data: `Pose | None`)."""

    def __init__(self, bone_color: Color = WHITE, joint_color: Color = CYAN, thickness: int = 3) -> None:
        self.bone_color, self.joint_color, self.thickness = bone_color, joint_color, thickness

    def annotate(self, image: np.ndarray, data: Pose | None) -> np.ndarray:
        if data is None:
            return image
        px = _pixels(data)
        s = _scale(image)
        seg = px[_BONES]  # (bones, 2, 2)
        ok = np.isfinite(seg).all(axis=(1, 2))
        if ok.any():
            lines = np.round(seg[ok]).astype(np.int32)  # (bones, 2, 2): one two-point polyline per bone
            width = max(1, round(self.thickness * s))
            cv2.polylines(image, lines, False, self.bone_color, width, cv2.LINE_AA)
        radius = max(2, round(4 * s))
        dots = px[_JOINT_DOTS]
        # Rounded like _pt (half to even) in one array call; the loop only makes the OpenCV calls.
        for x, y in np.round(dots[np.isfinite(dots).all(axis=1)]).astype(np.int32).tolist():
            cv2.circle(image, (x, y), radius, self.joint_color, -1, cv2.LINE_AA)
        return image


class JointAngleAnnotator:
    """An arc and the included angle in degrees at each named joint (data: `Pose | None`).

    `joints` are `coach.kinematics.angles.JOINTS` names; the value follows that module's convention
    (180 = straight), measured on the pixels drawn, which a mirror does not change.
    """

    def __init__(self, joints: Sequence[str], color: Color = YELLOW, radius: int = 28) -> None:
        unknown = [j for j in joints if j not in JOINTS]
        if unknown:
            raise ValueError(f"unknown joints {unknown}; known: {', '.join(JOINTS)}")
        self.joints = tuple(joints)
        self._idx = [tuple(int(i) for i in JOINTS[j]) for j in self.joints]
        self.color, self.radius = color, radius

    def annotate(self, image: np.ndarray, data: Pose | None) -> np.ndarray:
        if data is None:
            return image
        px = _pixels(data)
        s = _scale(image)
        r = max(8, round(self.radius * s))
        for a, b, c in self._idx:
            pa, pb, pc = px[a], px[b], px[c]
            if not (np.isfinite(pa).all() and np.isfinite(pb).all() and np.isfinite(pc).all()):
                continue
            ang_a = math.degrees(math.atan2(float(pa[1] - pb[1]), float(pa[0] - pb[0])))
            ang_c = math.degrees(math.atan2(float(pc[1] - pb[1]), float(pc[0] - pb[0])))
            sweep = (ang_c - ang_a + 180.0) % 360.0 - 180.0  # the shorter way round: the included angle
            if abs(sweep) < 1.0:
                continue
            centre = _pt(pb)
            cv2.ellipse(image, centre, (r, r), 0.0, ang_a, ang_a + sweep, self.color,
                        max(1, round(2 * s)), cv2.LINE_AA)
            # The label sits on the bisector, outside the arc, where it does not cover the limb.
            mid = math.radians(ang_a + sweep / 2.0)
            at = (int(centre[0] - math.cos(mid) * 1.6 * r) - round(14 * s),
                  int(centre[1] - math.sin(mid) * 1.6 * r) + round(6 * s))
            _text(image, f"{abs(sweep):.0f}", at, 0.6 * s, self.color)
        return image


class TargetLineAnnotator:
    """The exercise's target line (data: `Pose | None`): a horizontal line at knee height (squat depth:
    the hip crease should reach it; green once it does) or at shoulder height (lateral raise: hands stop
    there)."""

    def __init__(self, kind: TargetLine, color: Color = WHITE, reached_color: Color = GREEN) -> None:
        self.kind, self.color, self.reached_color = kind, color, reached_color
        if kind == "knee_height":
            self._line = (Landmark.LEFT_KNEE, Landmark.RIGHT_KNEE)
            self._mover = (Landmark.LEFT_HIP, Landmark.RIGHT_HIP)
        elif kind == "shoulder_height":
            self._line = (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER)
            self._mover = (Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST)
        else:
            raise ValueError(f"unknown target line {kind!r}")

    def annotate(self, image: np.ndarray, data: Pose | None) -> np.ndarray:
        if data is None:
            return image
        px = _pixels(data)
        line = px[list(self._line)]
        line = line[np.isfinite(line).all(axis=1)]
        if not len(line):
            return image
        y = float(line[:, 1].mean())
        body = px[np.isfinite(px).all(axis=1)]
        half = max(40.0, 0.6 * float(np.ptp(body[:, 0]))) if len(body) > 1 else 80.0
        cx = float(body[:, 0].mean()) if len(body) else float(line[:, 0].mean())
        mover = px[list(self._mover)]
        mover = mover[np.isfinite(mover).all(axis=1)]
        if self.kind == "knee_height":  # image y grows downwards: the hips reach the line from above
            reached = bool(len(mover)) and float(mover[:, 1].mean()) >= y
        else:  # the hands reach the shoulder line from below
            reached = bool(len(mover)) and float(mover[:, 1].min()) <= y
        color = self.reached_color if reached else self.color
        s = _scale(image)
        cv2.line(image, (int(cx - half), int(y)), (int(cx + half), int(y)), color, max(1, round(2 * s)),
                 cv2.LINE_AA)
        return image


class RepStatus(Protocol):
    """What the rep counter reads (a `LiveResult` or `OverlayData` has it)."""

    @property
    def activity(self) -> str | None: ...
    @property
    def reps(self) -> int: ...
    @property
    def partial_reps(self) -> int: ...
    @property
    def phase(self) -> str: ...
    @property
    def steps(self) -> int: ...


class RepCounterAnnotator:
    """A box in the top-left corner with the rep count, partial reps and the phase (data: `RepStatus`); for
    running and walking, the steps (each foot's landing) instead of the reps, which a run has none of."""

    def __init__(self, color: Color = WHITE, background: Color = BLACK, alpha: float = 0.6) -> None:
        self.color, self.background, self.alpha = color, background, alpha

    def annotate(self, image: np.ndarray, data: RepStatus) -> np.ndarray:
        s = _scale(image)
        w, h = round(230 * s), round(120 * s)
        _shade(image, (0, 0, w, h), self.background, self.alpha)
        gait = data.activity in GAIT_ACTIVITIES
        count = data.steps if gait else data.reps
        _text(image, f"{count}", (round(12 * s), round(70 * s)), 2.0 * s, self.color, 3)
        label = (data.activity or "reps").replace("_", " ") + (" steps" if gait else "")
        _text(image, label, (round(110 * s), round(34 * s)), 0.6 * s, self.color)
        if data.partial_reps:
            _text(image, f"+{data.partial_reps} partial", (round(110 * s), round(64 * s)), 0.55 * s, YELLOW)
        _text(image, data.phase, (round(12 * s), round(106 * s)), 0.65 * s, CYAN)
        return image


class CueBannerAnnotator:
    """The latest cue in a banner along the bottom edge (data: cue text, or None for no banner)."""

    def __init__(self, color: Color = WHITE, background: Color = (0, 90, 200), alpha: float = 0.75) -> None:
        self.color, self.background, self.alpha = color, background, alpha

    def annotate(self, image: np.ndarray, data: str | None) -> np.ndarray:
        if not data:
            return image
        s = _scale(image)
        ih, iw = image.shape[:2]
        bh = round(56 * s)
        _shade(image, (0, ih - bh, iw, ih), self.background, self.alpha)
        scale = 1.0 * s
        (tw, _), _ = cv2.getTextSize(data, _FONT, scale, 2)
        _text(image, data, (max(4, (iw - tw) // 2), ih - round(18 * s)), scale, self.color, 2)
        return image


class BarPathAnnotator:
    """The trail of the wrists' midpoint (bar or dumbbell path) over the last `max_points` frames
    (data: `Pose | None`). Stateful: call `reset()` when the image coordinates change (mirror toggled,
    new activity). A frame without wrists leaves a gap instead of joining across it."""

    def __init__(self, max_points: int = 90, color: Color = ORANGE) -> None:
        if max_points < 1:
            raise ValueError(f"max_points must be >= 1, got {max_points}")
        self.color = color
        # The last `max_points` points, oldest first, normalised (so a resize does not break the trail); a
        # NaN row is a frame without wrists. A fixed array shifted by one row per frame instead of a deque,
        # so the runs between gaps are found with array operations.
        self._trail = np.full((max_points, 2), np.nan)
        self._count = 0  # rows in use (the newest `_count` rows)

    def reset(self) -> None:
        self._trail.fill(np.nan)
        self._count = 0

    def annotate(self, image: np.ndarray, data: Pose | None) -> np.ndarray:
        trail = self._trail
        trail[:-1] = trail[1:]  # numpy buffers the overlapping copy
        trail[-1] = np.nan
        if data is not None:
            wrists = data.landmarks[[Landmark.LEFT_WRIST, Landmark.RIGHT_WRIST], :2]
            wrists = wrists[np.isfinite(wrists).all(axis=1)]
            if len(wrists):
                trail[-1] = wrists.mean(axis=0)
        self._count = min(self._count + 1, len(trail))
        points = trail[len(trail) - self._count:]
        good = np.flatnonzero(np.isfinite(points[:, 0]))
        if len(good) < 2:
            return image
        # Runs of consecutive frames with wrists; a run of one point is not a line.
        runs = [r for r in np.split(good, np.flatnonzero(np.diff(good) > 1) + 1) if len(r) > 1]
        if runs:
            ih, iw = image.shape[:2]
            px = (points * (iw, ih)).round()
            lines = [px[r].astype(np.int32).reshape(-1, 1, 2) for r in runs]
            cv2.polylines(image, lines, False, self.color, max(1, round(3 * _scale(image))), cv2.LINE_AA)
        return image


class JointAnomalyAnnotator:
    """Joints coloured by anomaly attribution (data: `Pose | None`, plus `scores`: joint or landmark name
    -> score in [0, 1]; 0 green, 0.5 yellow, 1 red). Unknown names are logged once and skipped."""

    def __init__(self, radius: int = 9) -> None:
        self.radius = radius
        self._warned: set[str] = set()

    def annotate(
        self, image: np.ndarray, data: Pose | None, scores: Mapping[str, float] | None = None
    ) -> np.ndarray:
        if data is None or not scores:
            return image
        px = _pixels(data)
        r = max(3, round(self.radius * _scale(image)))
        for name, score in scores.items():
            lm = landmark_for(name)
            if lm is None:
                if name not in self._warned:
                    self._warned.add(name)
                    log.warning("anomaly score for unknown joint %r ignored", name)
                continue
            p = px[lm]
            if np.isfinite(p).all():
                cv2.circle(image, _pt(p), r, anomaly_color(float(score)), -1, cv2.LINE_AA)
                cv2.circle(image, _pt(p), r, BLACK, 1, cv2.LINE_AA)
        return image


# ---------------------------------------------------------------------------------------------- helpers
def _text(image: np.ndarray, text: str, org: tuple[int, int], scale: float, color: Color,
          thickness: int = 1) -> None:
    # A dark outline keeps text readable on any background at the cost of a second call.
    t = max(1, round(thickness * max(1.0, scale)))
    cv2.putText(image, text, org, _FONT, scale, BLACK, t + 2, cv2.LINE_AA)
    cv2.putText(image, text, org, _FONT, scale, color, t, cv2.LINE_AA)


def _shade(image: np.ndarray, box: tuple[int, int, int, int], color: Color, alpha: float) -> None:
    """Blend `color` into the box (x0, y0, x1, y1) only: the rest of the frame is not touched.

    Two saturating uint8 passes (scale, then add a per-channel constant) instead of `cv2.addWeighted`
    against a filled array, which was measured 10x slower on a 1280 x 56 banner. The constant is added as a
    cached uint8 array rounded as OpenCV rounds a scalar (half to even): the same pixels, but `cv2.add`
    with a Scalar was measured 10x slower than with an array; a black shade skips the add.
    """
    ih, iw = image.shape[:2]
    x0, y0, x1, y1 = max(0, box[0]), max(0, box[1]), min(iw, box[2]), min(ih, box[3])
    if x1 <= x0 or y1 <= y0:
        return
    roi = image[y0:y1, x0:x1]
    cv2.convertScaleAbs(roi, dst=roi, alpha=1.0 - alpha)
    tint = _tint((y1 - y0, x1 - x0), color, alpha)
    if tint is not None:
        cv2.add(roi, tint, dst=roi)


_TINTS: dict[tuple[tuple[int, int], Color, float], np.ndarray | None] = {}
_NO_TINT = np.empty(0, dtype=np.uint8)  # sentinel: not cached yet


def _tint(shape: tuple[int, int], color: Color, alpha: float) -> np.ndarray | None:
    """A (h, w, 3) uint8 array of `color * alpha` (None when that is black), cached: boxes and banners keep
    their size from frame to frame. A handful of entries; cleared if image sizes keep changing."""
    key = (shape, color, alpha)
    tint = _TINTS.get(key, _NO_TINT)  # one lookup: another thread may clear the cache in between
    if tint is _NO_TINT:
        value = np.array([round(c * alpha) for c in color], dtype=np.float64)  # round(): half to even
        value = np.clip(value, 0, 255).astype(np.uint8)
        tint = None if not value.any() else np.broadcast_to(value, (*shape, 3)).copy()
        if len(_TINTS) > 32:
            _TINTS.clear()
        _TINTS[key] = tint
    return tint
