"""A real screenshot of the running live window under Xvfb (xcb platform, not offscreen).

The app runs in a subprocess through `coach live` (the real CLI path, real pipeline, real speaker, a real
squat clip standing in for the camera); it grabs its own window from the X screen with `QScreen.grabWindow`
after a few seconds and quits. The PNG must show a real picture (pixel variance, many colours), and a copy
goes to docs/screenshot.png for the README when COACH_UPDATE_SCREENSHOT=1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

REPO = Path(__file__).resolve().parents[1]
CLIP = REPO.parent / "shared" / "videos" / "squat__front__nowva_goblet.mp4"
DOCS_SHOT = REPO / "docs" / "screenshot.png"

pytestmark = [pytest.mark.video, pytest.mark.usefixtures("no_thread_left_behind")]

_RUN_LIVE = (
    "import argparse, sys\n"
    "from coach.cli import live_cmd\n"
    "p = argparse.ArgumentParser(prog='coach')\n"
    "live_cmd.add_parser(p.add_subparsers())\n"
    "a = p.parse_args(sys.argv[1:])\n"
    "sys.exit(a.func(a))\n"
)




@pytest.fixture
def xvfb_display() -> Iterator[str]:
    """A private Xvfb server on a free display number (Xvfb picks it and reports it with -displayfd)."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.fail("Xvfb is not installed (apt-get install -y xvfb xauth; scripts/setup_env.sh does it)")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [xvfb, "-displayfd", str(write_fd), "-screen", "0", "1440x900x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as f:
            number = f.readline().strip()
        assert number.isdigit(), "Xvfb did not report a display"
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_screenshot_of_running_window_is_a_real_picture(xvfb_display: str, tmp_path: Path,
                                                        full_model: Path) -> None:
    shot = tmp_path / "live.png"
    env = {
        **os.environ,
        "DISPLAY": xvfb_display,
        "QT_QPA_PLATFORM": "xcb",
        "COACH_CONFIG_DIR": str(tmp_path / "config"),
        "COACH_POSE_MODEL": str(full_model),
    }
    proc = subprocess.run(
        [sys.executable, "-c", _RUN_LIVE, "live", "--source", str(CLIP), "--exercise", "squat", "--start",
         "--screenshot", str(shot), "--quit-after", "7"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    image = QImage(str(shot))
    assert not image.isNull() and image.width() >= 800 and image.height() >= 500

    small = image.convertToFormat(QImage.Format.Format_RGB888).scaled(160, 100)
    pixels = [small.pixelColor(x, y) for y in range(small.height()) for x in range(small.width())]
    greys = [0.299 * c.red() + 0.587 * c.green() + 0.114 * c.blue() for c in pixels]
    mean = sum(greys) / len(greys)
    variance = sum((g - mean) ** 2 for g in greys) / len(greys)
    colours = {(c.red() // 16, c.green() // 16, c.blue() // 16) for c in pixels}
    assert variance > 200.0, f"screenshot looks blank (grey variance {variance:.1f})"
    assert len(colours) > 100, f"screenshot has only {len(colours)} colours: no video in it?"

    # The video area (left 3/4, middle band) must hold the picture, not the idle hint on dark grey.
    video = image.copy(0, image.height() // 8, image.width() * 3 // 4, image.height() // 2).scaled(80, 40)
    video_colours = {
        (c.red() // 16, c.green() // 16, c.blue() // 16)
        for c in (video.pixelColor(x, y) for y in range(video.height()) for x in range(video.width()))
    }
    assert len(video_colours) > 40, "the video area shows no frame"
    # Refresh the README's screenshot only when asked: a test run must not dirty the work tree.
    if os.environ.get("COACH_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, DOCS_SHOT)
