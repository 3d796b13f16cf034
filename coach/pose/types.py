"""The project's own pose containers. Only `coach.pose.mediapipe_landmarker` knows MediaPipe's types.

Layout of `Pose.landmarks` (shape (33, 5), float32), one row per `Landmark`:
    x, y        normalised image coordinates in [0, 1] (may fall slightly outside), origin top-left, y down;
    z           MediaPipe's relative depth (same scale as x, smaller = closer to the camera);
    visibility  probability in [0, 1] that the landmark is visible (not occluded);
    presence    probability in [0, 1] that the landmark is inside the image.
Layout of `Pose.world` (shape (33, 3), float32): metres, origin between the hips, x to the image's right,
y down, z away from the camera (MediaPipe's world landmarks).
A missing value is NaN, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coach.pose.landmarks import NUM_LANDMARKS

X, Y, Z, VISIBILITY, PRESENCE = range(5)


@dataclass(frozen=True, slots=True)
class Pose:
    """One person's pose in one frame."""

    landmarks: np.ndarray  # (33, 5) float32, see module docstring
    world: np.ndarray  # (33, 3) float32 metres
    image_size: tuple[int, int]  # (width, height) in pixels

    def __post_init__(self) -> None:
        if self.landmarks.shape != (NUM_LANDMARKS, 5):
            raise ValueError(f"landmarks must have shape (33, 5), got {self.landmarks.shape}")
        if self.world.shape != (NUM_LANDMARKS, 3):
            raise ValueError(f"world must have shape (33, 3), got {self.world.shape}")
        w, h = self.image_size
        if w <= 0 or h <= 0:
            raise ValueError(f"image_size must be positive, got {self.image_size}")

    @property
    def visibility(self) -> np.ndarray:
        return self.landmarks[:, VISIBILITY]

    def pixels(self) -> np.ndarray:
        """(33, 2) landmark positions in pixels (aspect ratio preserved, so angles are true angles)."""
        w, h = self.image_size
        return self.landmarks[:, :2] * np.array([w, h], dtype=np.float32)

    @staticmethod
    def empty_arrays() -> tuple[np.ndarray, np.ndarray]:
        """NaN-filled (landmarks, world) arrays standing for 'no pose in this frame'."""
        return (
            np.full((NUM_LANDMARKS, 5), np.nan, dtype=np.float32),
            np.full((NUM_LANDMARKS, 3), np.nan, dtype=np.float32),
        )


@dataclass(frozen=True, slots=True)
class PoseSample:
    """One element of the stream the rep and gait engines consume, identical live and offline.

    `pose` is the smoothed pose (visibility-gated landmarks are NaN) or None when nobody is in view; `t` is
    the frame's media timestamp in seconds (never a wall clock), so replaying a recording gives the same
    events as the live run.
    """

    t: float
    frame_index: int
    pose: Pose | None
