"""Replay of recorded sessions, without Qt: transport state (`Playback`), the rep list (`RepList`), the
coach's corrections (`Corrections`), DTW alignment of reps (`align_reps`), frame rendering with the live
overlays (`FrameRenderer`) and `ReplayModel`, which ties them to one session. `coach.ui.replay` shows it."""

from coach.replay.align import RepAlignment, align_reps, dtw_path
from coach.replay.corrections import Corrections
from coach.replay.model import ReplayModel
from coach.replay.playback import MAX_SPEED, MIN_SPEED, Playback
from coach.replay.render import FrameRenderer, ghost_pose
from coach.replay.reps import GaitMark, RepItem, RepList, gait_marks
from coach.replay.series import primary_angle_name, primary_angle_series

__all__ = [
    "MAX_SPEED",
    "MIN_SPEED",
    "Corrections",
    "FrameRenderer",
    "GaitMark",
    "Playback",
    "RepAlignment",
    "RepItem",
    "RepList",
    "ReplayModel",
    "align_reps",
    "dtw_path",
    "gait_marks",
    "ghost_pose",
    "primary_angle_name",
    "primary_angle_series",
]
