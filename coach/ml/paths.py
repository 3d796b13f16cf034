"""Where shipped ONNX models are found: ``<repo>/models`` (source checkout, editable install), then
``<prefix>/share/coach/models`` (regular install, via pyproject's data-files), like `coach.assets`."""

from __future__ import annotations

import sys
from pathlib import Path

_CANDIDATES = (
    Path(__file__).resolve().parents[2] / "models",
    Path(sys.prefix) / "share" / "coach" / "models",
)


def model_path(name: str) -> Path:
    """Path of a shipped model file, e.g. ``model_path("exercise_classifier.onnx")`` (the first location
    that has it; the source-tree location when none does, so the caller's error names a sensible path)."""
    for root in _CANDIDATES:
        candidate = root / name
        if candidate.exists():
            return candidate
    return _CANDIDATES[0] / name
