"""Errors a user can act on.

Every error the product raises on purpose derives from `CoachError`; its message is written for the user
(what went wrong and what to do). The CLI prints it without a traceback and exits with status 2.
"""

from __future__ import annotations


class CoachError(Exception):
    """Base class for errors whose message is meant for the user."""


class SourceError(CoachError):
    """A frame source (camera, video file, image folder) cannot be opened or read."""


class ModelError(CoachError):
    """A model file cannot be found, downloaded or verified."""
