"""Shared fixtures: where the real material in ../shared lives, and the pose model tests use."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests (and the coach subprocesses they start) never touch the user's own library, settings or cache.
for _var in ("COACH_DATA_DIR", "COACH_CONFIG_DIR", "COACH_CACHE_DIR"):
    os.environ.setdefault(_var, tempfile.mkdtemp(prefix=f"{_var.lower()}-"))

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
VIDEOS = SHARED / "videos"
SHARED_MODELS = SHARED / "models"


@pytest.fixture(scope="session")
def videos_dir() -> Path:
    assert VIDEOS.is_dir(), f"real test videos expected at {VIDEOS} (../shared beside the repository)"
    return VIDEOS


@pytest.fixture(scope="session")
def labels() -> dict[str, dict]:
    """labels.json entries keyed by file name."""
    data = json.loads((VIDEOS / "labels.json").read_text())
    return {v["file"]: v for v in data["videos"]}


@pytest.fixture(scope="session")
def full_model() -> Path:
    """The full pose bundle: $COACH_POSE_MODEL (file or directory) or the copy in ../shared/models."""
    env = os.environ.get("COACH_POSE_MODEL")
    if env:
        p = Path(env)
        p = p / "pose_landmarker_full.task" if p.is_dir() else p
    else:
        p = SHARED_MODELS / "pose_landmarker_full.task"
    assert p.is_file(), f"pose model expected at {p}"
    return p
