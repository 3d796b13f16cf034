"""`coach sessions list|add|trends|forget` through a parser built like the `coach sessions` one."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_library_fixtures import run_events, squat_events, write_session

from coach.cli.library_cmds import add_sessions_subcommands


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "data"
    monkeypatch.setenv("COACH_DATA_DIR", str(d))
    return d


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="coach")
    sub = parser.add_subparsers()
    sessions = sub.add_parser("sessions")
    add_sessions_subcommands(sessions.add_subparsers(dest="sessions_command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


def _library(tmp_path: Path) -> None:
    for month, depths in (("01", [80, 90]), ("02", [95, 100]), ("03", [105, 110])):
        write_session(tmp_path / f"sq{month}", squat_events(depths), created=f"2025-{month}-01T10:00:00Z")
    write_session(tmp_path / "bob", squat_events([60]), athlete="bob", created="2025-01-05T10:00:00Z")
    write_session(
        tmp_path / "run", run_events(0.36, 30, 0.22), exercise="running", created="2025-02-10T07:00:00Z"
    )


def test_add_then_list_json_with_filters(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    _library(tmp_path)
    assert run("sessions", "add", *(str(tmp_path / n) for n in ("sq01", "sq02", "sq03", "bob", "run"))) == 0
    assert capsys.readouterr().out.count("indexed ") == 5
    assert (data_dir / "library.sqlite3").is_file()

    assert run("sessions", "list", "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert [Path(s["path"]).name for s in doc["sessions"]] == ["sq01", "bob", "sq02", "run", "sq03"]

    assert run("sessions", "list", "--athlete", "ana", "--exercise", "squat", "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert [s["reps"] for s in doc["sessions"]] == [2, 2, 2]

    assert run("sessions", "list") == 0
    out = capsys.readouterr().out
    assert "running" in out and "bob" in out and "MISSING" not in out


def test_add_rejects_a_non_session(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "photos").mkdir()
    assert run("sessions", "add", str(tmp_path / "photos")) == 2
    assert "not a session directory" in capsys.readouterr().out


def test_trends_table_json_and_plot(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _library(tmp_path)
    run("sessions", "add", *(str(p) for p in sorted(tmp_path.glob("sq*"))), str(tmp_path / "bob"))
    capsys.readouterr()
    png = tmp_path / "depth.png"
    assert (
        run("sessions", "trends", "--metric", "depth", "--athlete", "ana", "--plot", str(png), "--json") == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert [p["mean"] for p in doc["points"]] == [85.0, 97.5, 107.5]
    img = cv2.imread(str(png))
    assert img is not None and img.shape == (540, 960, 3)
    # The median line is drawn in its colour (BGR 180, 110, 30): the plot is not just axes.
    assert np.count_nonzero(np.all(np.abs(img.astype(int) - (180, 110, 30)) < 30, axis=2)) > 200

    assert run("sessions", "trends", "--metric", "depth", "--athlete", "ana") == 0
    out = capsys.readouterr().out
    assert "97.500" in out and "2025-02-01" in out


def test_cadence_trend(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _library(tmp_path)
    run("sessions", "add", str(tmp_path / "run"))
    capsys.readouterr()
    assert run("sessions", "trends", "--metric", "cadence", "--json") == 0
    [point] = json.loads(capsys.readouterr().out)["points"]
    assert point["mean"] == pytest.approx(60 / 0.36)


def test_empty_trend_still_draws_a_plot(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    png = tmp_path / "empty.png"
    assert run("sessions", "trends", "--metric", "anomaly", "--plot", str(png)) == 0
    assert "no sessions" in capsys.readouterr().out
    assert cv2.imread(str(png)) is not None


def test_missing_then_forget_then_moved(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _library(tmp_path)
    run("sessions", "add", str(tmp_path / "sq01"), str(tmp_path / "sq02"))
    shutil.rmtree(tmp_path / "sq01")
    (tmp_path / "sq02").rename(tmp_path / "moved")
    capsys.readouterr()
    assert run("sessions", "list") == 0
    out = capsys.readouterr().out
    assert out.count("MISSING") == 2 and "2 session(s) missing" in out

    assert run("sessions", "forget", str(tmp_path / "sq01")) == 0
    assert run("sessions", "add", str(tmp_path / "moved")) == 0
    capsys.readouterr()
    assert run("sessions", "list", "--json") == 0
    [s] = json.loads(capsys.readouterr().out)["sessions"]
    assert Path(s["path"]).name == "moved" and not s["missing"]

    assert run("sessions", "forget", str(tmp_path / "sq01")) == 1
    assert "not in the library" in capsys.readouterr().out
