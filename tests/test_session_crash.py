"""Kill a headless `coach record` with SIGKILL at random moments and check what survives: the session opens,
at most about the last second is lost, every frame decodes, the events parse and verify says ok. Also: a
SIGTERM stops it cleanly."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from coach.session import SessionReader, verify
from coach.session.format import FRAMES_FILE, MANIFEST_FILE, RECORD_SIZE

pytestmark = pytest.mark.video

REPO = Path(__file__).resolve().parents[1]
VIDEOS = REPO.parent / "shared" / "videos"
GOBLET = VIDEOS / "squat__front__nowva_goblet.mp4"  # 12 s at 30 fps, 720p


def _start(out: Path, model: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "coach.cli.record_cmd", "--source", str(GOBLET), "--exercise", "squat",
           "--out", str(out), "--realtime", "--no-progress", "--pose-model", str(model)]
    return subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_for(path: Path, min_size: int, proc: subprocess.Popen[bytes], timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size >= min_size:
            return
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise AssertionError(f"recorder exited early: {err}")
        time.sleep(0.02)
    proc.kill()
    raise AssertionError(f"{path} did not appear within {timeout_s} s")


def _verify_cli(out: Path) -> dict:
    done = subprocess.run([sys.executable, "-m", "coach.cli.sessions_cmd", "verify", str(out), "--json"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1, done.stdout + done.stderr
    doc = json.loads(lines[0])
    assert done.returncode == (0 if doc["ok"] else 1)
    return doc


@pytest.fixture(scope="module")
def lite_model(full_model: Path) -> Path:
    # The lite model keeps the recorder comfortably real-time on two cores while pytest runs beside it.
    path = full_model.parent / "pose_landmarker_lite.task"
    return path if path.is_file() else full_model


def test_sigkill_at_random_moments_loses_at_most_about_the_last_second(
    tmp_path: Path, lite_model: Path
) -> None:
    rng = random.Random(20240607)
    for run in range(3):
        out = tmp_path / f"kill{run}"
        proc = _start(out, lite_model)
        _wait_for(out / FRAMES_FILE, RECORD_SIZE, proc)  # recording has begun: the first sync happened
        time.sleep(rng.uniform(0.5, 7.0))
        killed_at = time.monotonic()  # CLOCK_MONOTONIC is system-wide: comparable with capture_ts
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        assert proc.returncode == -signal.SIGKILL, "the recorder ended before the kill: clip too short?"

        with SessionReader(out) as r:
            assert r.problems == [], r.problems
            assert not r.manifest["closed"]
            n = r.frame_count
            elapsed = killed_at - float(r.capture_ts[0])
            lag = killed_at - float(r.capture_ts[-1])
            gaps = np.diff(r.capture_ts)
            print(f"run {run}: {n} frames, {elapsed:.2f} s since the first, last {lag:.2f} s before the kill,"
                  f" largest gap {gaps.max() if len(gaps) else 0:.3f} s")
            # At most the last second (plus a little analysis lag) is lost: the newest frame on disk was
            # captured just before the kill, and nothing is missing before it. A camera-like source drops
            # frames analysis cannot keep up with (counted, newest wins), so on a loaded machine recorded
            # frames are a few camera frames apart, never a hole of lost recording.
            assert lag < 1.5
            assert n >= 2 and gaps.max() < 0.5
            for i in range(n):
                assert r.image(i).shape == (720, 1280, 3)
            assert all(isinstance(e["type"], str) for e in r.events)
        doc = _verify_cli(out)
        assert doc["ok"] is True and doc["frames"] == n
        assert {"ok", "frames", "duration_s", "reps"} <= doc.keys()


def test_sigkill_before_the_first_frame_leaves_an_empty_valid_session(
    tmp_path: Path, lite_model: Path
) -> None:
    out = tmp_path / "early"
    proc = _start(out, lite_model)
    _wait_for(out / MANIFEST_FILE, 10, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    report = verify(out)
    assert report.ok, report.problems
    assert report.frames <= 30  # killed while loading the model: at most a few frames got through


def test_sigterm_stops_cleanly_and_closes_the_manifest(tmp_path: Path, lite_model: Path) -> None:
    out = tmp_path / "term"
    proc = _start(out, lite_model)
    _wait_for(out / FRAMES_FILE, 20 * RECORD_SIZE, proc)  # about a second of the 30 fps clip recorded
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    manifest = json.loads((out / MANIFEST_FILE).read_text())
    assert manifest["closed"] is True and manifest["stop_reason"] == "interrupted"
    assert manifest["recorder"]["dropped_frames"] == 0
    doc = _verify_cli(out)
    assert doc["ok"] and doc["frames"] >= 20  # everything recorded before the signal is kept


def test_environment_has_the_clip() -> None:
    assert GOBLET.is_file(), f"real clip expected at {GOBLET}"
    assert os.access(GOBLET, os.R_OK)
