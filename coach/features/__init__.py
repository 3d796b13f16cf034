"""Feature code shared by training and the runtime: per-frame and per-window model inputs (no torch)."""

from coach.features.window import (
    FEATURE_NAMES,
    FRAME_WIDTH,
    POINTS,
    fill_missing,
    frame_features,
    mirror_windows,
    window_ends,
    window_features,
)

__all__ = [
    "FEATURE_NAMES",
    "FRAME_WIDTH",
    "POINTS",
    "fill_missing",
    "frame_features",
    "mirror_windows",
    "window_ends",
    "window_features",
]
