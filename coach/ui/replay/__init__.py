"""The replay screen (Qt): `ReplayWindow` assembled from panels over a `coach.replay.ReplayModel`, and
`run_replay`, the `coach replay DIR` entry point. The model holds all logic; these widgets display it."""

from coach.ui.replay.controller import ReplayController
from coach.ui.replay.window import KEYMAP, ReplayWindow, run_replay

__all__ = ["KEYMAP", "ReplayController", "ReplayWindow", "run_replay"]
