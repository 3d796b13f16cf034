"""Where the session library lives on disk.

`library.sqlite3` in `platformdirs.user_data_dir("coach")`, or in `$COACH_DATA_DIR` when that is set (tests
point it at a temporary directory, and a coach can keep a library on a shared drive).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

__all__ = ["DATA_DIR_ENV", "LIBRARY_FILE", "data_dir", "library_path"]

DATA_DIR_ENV = "COACH_DATA_DIR"
LIBRARY_FILE = "library.sqlite3"


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """`$COACH_DATA_DIR` if set, else the platform's user data directory for coach."""
    env = os.environ if env is None else env
    override = env.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir("coach", appauthor=False))


def library_path(env: Mapping[str, str] | None = None) -> Path:
    """The library database file (its directory may not exist yet)."""
    return data_dir(env) / LIBRARY_FILE
