"""The whole live overlay in one call, and the mirroring helpers.

Mirroring (selfie view). Pose estimation always runs on the unmirrored camera frame, so the model's
"left" is the athlete's own left and every measurement (angles, view, engines) is the same as offline.
Only the drawing is mirrored: the image is flipped horizontally and the pose's x coordinates are mirrored
(x -> 1 - x, world x -> -x) *without* swapping the left/right landmark rows, so `Landmark.LEFT_KNEE` is still
the athlete's left knee, now drawn where a mirror would show it. (Flipping the image before pose estimation
would make the model call the athlete's left knee "right".)

Threads: an `Overlay` holds annotator state (the bar-path trail) and belongs to one thread (live: the
render thread).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from coach.overlay.annotators import (
    BarPathAnnotator,
    CueBannerAnnotator,
    JointAngleAnnotator,
    JointAnomalyAnnotator,
    RepCounterAnnotator,
    SkeletonAnnotator,
    TargetLineAnnotator,
)
from coach.overlay.exercise import BAR_PATH_ACTIVITIES, MAIN_JOINTS, TARGET_LINES
from coach.pose.types import Pose

__all__ = ["Overlay", "OverlayData", "OverlayInput", "mirror_image", "mirror_pose"]


class OverlayInput(Protocol):
    """What `Overlay.draw` reads; a `coach.live.LiveResult` has all of it."""

    @property
    def pose(self) -> Pose | None: ...
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
    @property
    def cue(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class OverlayData:
    """A minimal `OverlayInput` (the live pipeline draws before its `LiveResult` exists)."""

    pose: Pose | None
    activity: str | None = None
    reps: int = 0
    partial_reps: int = 0
    phase: str = "idle"
    cue: str | None = None
    steps: int = 0  # running/walking: initial contacts so far (what the counter shows for a run)


def mirror_pose(pose: Pose) -> Pose:
    """The pose as seen in a horizontally mirrored image: x -> 1 - x (world x -> -x), rows unchanged."""
    lm = pose.landmarks.copy()
    lm[:, 0] = 1.0 - lm[:, 0]
    world = pose.world.copy()
    world[:, 0] = -world[:, 0]
    return Pose(landmarks=lm, world=world, image_size=pose.image_size)


def mirror_image(image: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """`image` flipped horizontally: a new array, or written into `out` (same shape; may be `image` itself,
    to mirror in place without allocating a frame) and returned."""
    if out is None:
        return cv2.flip(image, 1)
    return cv2.flip(image, 1, dst=out)


class Overlay:
    """Draws skeleton, angle arcs, target line, bar path, anomaly colours, rep box and cue banner for the
    current activity. `draw` works in place on `image` (already mirrored if mirroring is on, with the pose
    in the same coordinates) and returns it."""

    def __init__(self, activity: str | None = None) -> None:
        self.skeleton = SkeletonAnnotator()
        self.counter = RepCounterAnnotator()
        self.banner = CueBannerAnnotator()
        self.anomaly = JointAnomalyAnnotator()
        self.bar_path = BarPathAnnotator()
        self.set_activity(activity)

    def set_activity(self, activity: str | None) -> None:
        """Reconfigure for another activity (None: skeleton, counter and banner only)."""
        self.activity = activity
        key = activity or ""
        self.angles = JointAngleAnnotator(MAIN_JOINTS[key]) if key in MAIN_JOINTS else None
        self.target = TargetLineAnnotator(TARGET_LINES[key]) if key in TARGET_LINES else None
        self.show_bar_path = key in BAR_PATH_ACTIVITIES
        self.bar_path.reset()

    def reset_trails(self) -> None:
        """Forget stateful drawings (call when the image coordinates change, e.g. mirror toggled)."""
        self.bar_path.reset()

    def draw(
        self, image: np.ndarray, data: OverlayInput, anomaly: Mapping[str, float] | None = None
    ) -> np.ndarray:
        pose = data.pose
        if self.target is not None:
            self.target.annotate(image, pose)
        if self.show_bar_path:
            self.bar_path.annotate(image, pose)
        self.skeleton.annotate(image, pose)
        if self.angles is not None:
            self.angles.annotate(image, pose)
        self.anomaly.annotate(image, pose, anomaly)
        self.counter.annotate(image, data)
        self.banner.annotate(image, data.cue)
        return image
