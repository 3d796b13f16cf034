"""The one error type of `coach.export`."""

from __future__ import annotations

from coach.errors import CoachError

__all__ = ["ExportError"]


class ExportError(CoachError):
    """An export cannot be written (unwritable path, no MP4 encoder, ...); the message says what to do."""
