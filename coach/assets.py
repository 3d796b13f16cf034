"""Where the shipped data files under the repository's `assets/` are found at run time.

A source checkout or editable install reads them from `<repo>/assets`; a regular `pip install` copies them
to `<prefix>/share/coach/assets` (pyproject's data-files), which is searched next.
"""

from __future__ import annotations

import sys
from pathlib import Path

_CANDIDATES = (
    Path(__file__).resolve().parents[1] / "assets",
    Path(sys.prefix) / "share" / "coach" / "assets",
)


def asset_path(*parts: str) -> Path:
    """Path of a shipped asset, e.g. `asset_path("gait", "running_reference.json")` (first location found;
    the source-tree location when none exists, so the caller's error names a sensible path)."""
    for root in _CANDIDATES:
        candidate = root.joinpath(*parts)
        if candidate.exists():
            return candidate
    return _CANDIDATES[0].joinpath(*parts)
