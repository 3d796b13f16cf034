"""The replay screen (Qt): `ReplayWindow` assembled from panels over a `coach.replay.ReplayModel`, the
side-by-side `CompareDialog`, the `VideoImporter` that turns a plain video into a session, and
`run_replay`, the `coach replay DIR|VIDEO` entry point. The model holds all logic; these widgets display
it."""

from coach.ui.replay.compare_view import CompareDialog
from coach.ui.replay.controller import ReplayController
from coach.ui.replay.importer import VideoImporter
from coach.ui.replay.window import KEYMAP, MENUS, ReplayWindow, run_replay

__all__ = [
    "KEYMAP", "MENUS", "CompareDialog", "ReplayController", "ReplayWindow", "VideoImporter", "run_replay",
]
