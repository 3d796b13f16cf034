"""Replay of recorded sessions, without Qt: transport state (`Playback`), the rep list (`RepList`), the
coach's corrections (`Corrections`), DTW alignment of reps (`align_reps`), side-by-side rep comparison
(`ComparePlayer`, `RepComparison`), frame rendering with the live overlays (`FrameRenderer`) and
`ReplayModel`, which ties them to one session. `coach.ui.replay` shows it."""

from coach.replay.align import RepAlignment, align_reps, dtw_path
from coach.replay.compare import ComparePlayer, RepComparison, metric_rows, pick_pair, rep_figures
from coach.replay.corrections import Corrections
from coach.replay.model import ReplayModel
from coach.replay.playback import MAX_SPEED, MIN_SPEED, Playback
from coach.replay.render import FrameRenderer, ghost_pose
from coach.replay.reps import GaitMark, RepItem, RepList, StrideItem, gait_marks, stride_items
from coach.replay.series import extreme_row, primary_angle_name, primary_angle_series

__all__ = [
    "MAX_SPEED",
    "MIN_SPEED",
    "ComparePlayer",
    "Corrections",
    "FrameRenderer",
    "GaitMark",
    "Playback",
    "RepAlignment",
    "RepComparison",
    "RepItem",
    "RepList",
    "ReplayModel",
    "StrideItem",
    "align_reps",
    "dtw_path",
    "extreme_row",
    "gait_marks",
    "ghost_pose",
    "metric_rows",
    "pick_pair",
    "primary_angle_name",
    "primary_angle_series",
    "rep_figures",
    "stride_items",
]
