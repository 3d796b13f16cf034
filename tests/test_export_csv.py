"""`coach export --format csv` on a real session: one row per frame and per rep, corrections applied."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from coach.cli import export_cmd
from coach.session import SessionReader, verify

pytestmark = pytest.mark.video



@pytest.fixture(scope="module")
def session(squat_session: Path) -> Path:
    return squat_session


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_csv_has_one_row_per_frame_and_per_rep(session: Path, tmp_path: Path) -> None:
    assert export_cmd.main([str(session), "--format", "csv", "--out", str(tmp_path)]) == 0
    report = verify(session)
    frames, reps = _rows(tmp_path / "frames.csv"), _rows(tmp_path / "reps.csv")
    assert len(frames) == report.frames
    assert len(reps) == report.reps + report.partial_reps >= 1
    assert sum(int(r["has_pose"]) for r in frames) == report.frames_with_pose
    times = [float(r["time_s"]) for r in frames]
    assert all(b > a for a, b in zip(times, times[1:], strict=False))
    # Angles are recomputed from the landmarks: a squat's knee goes from straight to well bent.
    knees = [float(r["angle_left_knee"]) for r in frames if r["angle_left_knee"]]
    assert max(knees) > 160 and min(knees) < 100
    assert "wangle_left_knee" in frames[0]
    # Every rep's frames carry its number; frames between reps are blank, not 0.
    assert {r["rep"] for r in frames} == {"", *(r["rep"] for r in reps)}
    assert all(r["depth"] and r["duration_s"] for r in reps)


def test_a_deleted_rep_is_not_exported(session: Path, tmp_path: Path) -> None:
    corrected = tmp_path / "corrected"
    shutil.copytree(session, corrected, ignore=shutil.ignore_patterns("exports"))
    with SessionReader(corrected) as r:
        second = next(e for e in r.events if e["type"] == "rep_completed" and e["rep"]["index"] == 2)
        n_before = sum(1 for e in r.events if e["type"] in ("rep_completed", "partial_rep"))
    with (corrected / "corrections.jsonl").open("a") as fh:
        fh.write(json.dumps({"op": "delete_rep", "frame": second["rep"]["end_frame"]}) + "\n")

    assert export_cmd.main([str(corrected), "--format", "csv"]) == 0  # default: DIR/exports/
    reps = _rows(corrected / "exports" / "reps.csv")
    assert len(reps) == n_before - 1
    assert "2" not in [r["engine_index"] for r in reps]
    assert [r["rep"] for r in reps] == [str(i) for i in range(1, n_before)]
    frames = _rows(corrected / "exports" / "frames.csv")
    start, end = second["rep"]["start_frame"], second["rep"]["end_frame"]
    assert all(r["rep"] == "" for r in frames if start <= int(r["frame"]) <= end)


def test_export_of_a_directory_that_is_no_session_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert export_cmd.main([str(tmp_path), "--format", "csv"]) == 2
    assert "not a recorded session" in capsys.readouterr().err
