"""`PoseTrack`: per-frame pose data of one clip as arrays (shared by offline analysis, export and replay)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coach.pose.landmarks import NUM_LANDMARKS
from coach.pose.types import Pose


@dataclass(frozen=True, slots=True)
class PoseTrack:
    """Poses of every frame of a clip, in frame order.

    Frames without a pose hold NaN rows (see `coach.pose.types` for the column layout). `media_ts` is in
    seconds from the first frame and strictly increasing.
    """

    frame_index: np.ndarray  # (N,) int64
    media_ts: np.ndarray  # (N,) float64 seconds
    landmarks: np.ndarray  # (N, 33, 5) float32
    world: np.ndarray  # (N, 33, 3) float32
    image_size: tuple[int, int]  # (width, height)

    def __post_init__(self) -> None:
        n = len(self.frame_index)
        if self.media_ts.shape != (n,):
            raise ValueError("media_ts must have one entry per frame")
        if self.landmarks.shape != (n, NUM_LANDMARKS, 5) or self.world.shape != (n, NUM_LANDMARKS, 3):
            raise ValueError("landmarks/world arrays do not match the number of frames")
        if n > 1 and not np.all(np.diff(self.media_ts) > 0):
            raise ValueError("media_ts must be strictly increasing")

    def __len__(self) -> int:
        return len(self.frame_index)

    @property
    def has_pose(self) -> np.ndarray:
        """(N,) bool: a pose was found in the frame."""
        return np.isfinite(self.landmarks[:, :, 0]).any(axis=1)

    def pose_at(self, i: int) -> Pose | None:
        """The `Pose` of frame row `i`, or None where no pose was found."""
        if not self.has_pose[i]:
            return None
        return Pose(landmarks=self.landmarks[i], world=self.world[i], image_size=self.image_size)

    @staticmethod
    def allocate(frame_index: np.ndarray, media_ts: np.ndarray, image_size: tuple[int, int]) -> PoseTrack:
        """A track for the given frames with every pose missing (filled in by the pose workers)."""
        n = len(frame_index)
        return PoseTrack(
            frame_index=np.asarray(frame_index, dtype=np.int64),
            media_ts=np.asarray(media_ts, dtype=np.float64),
            landmarks=np.full((n, NUM_LANDMARKS, 5), np.nan, dtype=np.float32),
            world=np.full((n, NUM_LANDMARKS, 3), np.nan, dtype=np.float32),
            image_size=image_size,
        )
