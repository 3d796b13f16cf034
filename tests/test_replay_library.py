"""A correction made in the replay reaches the session library (re-indexed at once), for an indexed session
only; a real recorded session and a real SQLite library in a temporary data directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from coach.library import Library
from coach.replay import ReplayModel

pytestmark = pytest.mark.video


def _copy(squat_session: Path, tmp_path: Path, name: str) -> Path:
    return Path(shutil.copytree(squat_session, tmp_path / name))


def test_deleting_a_rep_in_the_replay_updates_the_library(
    squat_session: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))  # the library the default hook opens
    session = _copy(squat_session, tmp_path, "indexed")
    with Library() as lib:
        summary = lib.add(session)
        before = len(lib.reps(summary.id, include_partial=False))
    assert before >= 3
    model = ReplayModel(session)
    try:
        model.delete_rep(model.reps[0])
    finally:
        model.close()
    with Library() as lib:
        assert len(lib.reps(summary.id, include_partial=False)) == before - 1
        (row,) = lib.list_sessions()
        assert row.reps == before - 1


def test_a_session_outside_the_library_stays_out(
    squat_session: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    session = _copy(squat_session, tmp_path, "loose")
    seen: list[Path] = []
    model = ReplayModel(session, on_corrected=seen.append)  # an injected hook replaces the default
    try:
        model.delete_rep(model.reps[0])
    finally:
        model.close()
    assert seen == [model.reader.path]
    model = ReplayModel(session)  # the default hook: nothing indexed, nothing added
    try:
        model.delete_rep(model.reps[0])
    finally:
        model.close()
    with Library() as lib:
        assert lib.list_sessions() == []
