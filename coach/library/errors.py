"""The library's user-facing error."""

from __future__ import annotations

from coach.errors import CoachError

__all__ = ["LibraryError"]


class LibraryError(CoachError):
    """A session directory cannot be indexed, or the library cannot do what was asked."""
