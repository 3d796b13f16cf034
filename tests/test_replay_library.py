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


def test_a_session_recorded_under_auto_replays_and_indexes_as_the_recognised_exercise(
    tmp_path: Path, full_model: Path, monkeypatch: pytest.MonkeyPatch, videos_dir: Path
) -> None:
    from coach.cli import record_cmd

    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "auto"
    clip = videos_dir / "squat__front__nowva_goblet.mp4"
    assert record_cmd.main(["--source", str(clip), "--exercise", "auto", "--out", str(out), "--duration", "5",
                            "--no-progress", "--pose-model", str(full_model)]) == 0
    model = ReplayModel(out)
    try:
        assert model.reader.manifest.get("exercise") in (None, "auto")
        assert model.activity == "squat"  # from the classifier's switch, not the manifest
        assert model.angle_name == "knee"
    finally:
        model.close()
    with Library() as lib:
        (row,) = lib.list_sessions(exercise="squat")
        assert row.path == out.resolve()


def test_session_exercise_is_the_one_recognised_longest() -> None:
    from coach.session.events import session_exercise

    switches = [
        {"t": 1.0, "type": "exercise_switched", "exercise": "squat"},
        {"t": 3.0, "type": "exercise_switched", "exercise": "lunge"},
        {"t": 4.0, "type": "exercise_switched", "exercise": "squat"},
        {"t": 9.0, "type": "rep_completed"},
    ]
    assert session_exercise(None, switches) == "squat"  # 2 s + 5 s against 1 s
    assert session_exercise(None, switches[:2], end_t=10.0) == "lunge"  # 2 s against 7 s
    assert session_exercise("deadlift", switches) == "deadlift"  # a named exercise is kept
    assert session_exercise(None, [{"t": 2.0, "type": "rep_completed"}]) is None
