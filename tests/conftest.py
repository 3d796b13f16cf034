"""Shared fixtures: where the real material in ../shared lives, and the pose model tests use."""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
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


# The athlete name of `squat_session`: markup characters, so exports are checked for escaping.
SQUAT_SESSION_ATHLETE = "Test <Athlete> & Co"


@pytest.fixture(scope="session")
def squat_session(tmp_path_factory: pytest.TempPathFactory, full_model: Path) -> Path:
    """A real session recorded once per test run (headless `coach record`, the goblet squat clip, not
    indexed). Read-only: a test that corrects or damages it works on a `shutil.copytree` copy."""
    from coach.cli import record_cmd

    out = tmp_path_factory.mktemp("squat-session") / "goblet"
    code = record_cmd.main(["--source", str(VIDEOS / "squat__front__nowva_goblet.mp4"), "--exercise", "squat",
                            "--out", str(out), "--athlete", SQUAT_SESSION_ATHLETE, "--no-progress",
                            "--no-index", "--pose-model", str(full_model)])
    assert code == 0
    return out


@pytest.fixture
def no_thread_left_behind() -> Iterator[None]:
    """Fail a test that leaves a Python thread or a Qt pool thread running (after a 2 s grace). Modules
    use it with `pytest.mark.usefixtures("no_thread_left_behind")`."""
    from PySide6.QtCore import QThreadPool

    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 2.0
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = [t for t in left if t.is_alive()]
    assert not left, f"threads left running: {[t.name for t in left]}"
    assert QThreadPool.globalInstance().activeThreadCount() == 0, "a QThreadPool worker is still running"


@pytest.fixture
def make_live_window(qtbot, tmp_path: Path, full_model: Path):
    """Build shown, active live windows (a real pipeline factory, the given speaker, settings and window
    geometry in `tmp_path`); every window made is shut down after the test."""
    from PySide6.QtCore import QSettings

    from coach.settings import AppSettings
    from coach.ui.pipeline_factory import DefaultPipelineFactory
    from coach.ui.window import LiveWindow

    windows: list[LiveWindow] = []

    def make(speaker, source: str = str(VIDEOS / "squat__front__nowva_goblet.mp4"),
             exercise: str = "squat") -> LiveWindow:
        window = LiveWindow(
            DefaultPipelineFactory(full_model),
            speaker,
            AppSettings(source=source, exercise=exercise),
            settings_path=tmp_path / "settings.toml",
            geometry_store=QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat),
        )
        qtbot.addWidget(window)
        with qtbot.waitExposed(window):
            window.show()
        with qtbot.waitActive(window):  # keyboard shortcuts belong to the active window
            window.activateWindow()
        windows.append(window)
        return window

    yield make
    for w in windows:
        w.shutdown()


def show_replay_window(qtbot, model):  # -> coach.ui.replay.window.ReplayWindow
    """A replay window on `model`, shown and active (its keyboard shortcuts belong to the active window);
    the caller closes it."""
    from coach.ui.replay.window import ReplayWindow

    w = ReplayWindow(model)
    qtbot.addWidget(w)
    with qtbot.waitExposed(w):
        w.show()
    with qtbot.waitActive(w):
        w.activateWindow()
    return w
