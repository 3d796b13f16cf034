"""`coach export --format mp4` on a real recorded session: a playable MP4 with every frame, overlays drawn."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from coach.cli import export_cmd
from coach.export import load_session, overlay_timeline
from coach.export.overlay_timeline import CUE_SHOWN_S
from coach.pose.landmarks import Landmark
from coach.session import SessionReader, verify

pytestmark = pytest.mark.video



@pytest.fixture(scope="module")
def session(squat_session: Path) -> Path:
    return squat_session


@pytest.fixture(scope="module")
def mp4(session: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("mp4") / "goblet.mp4"
    err = io.StringIO()  # the progress bar goes to stderr; kept to check it
    with contextlib.redirect_stderr(err):
        assert export_cmd.main([str(session), "--format", "mp4", "--out", str(out)]) == 0
    return out, err.getvalue()


def _frames(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened()
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(frame)
    cap.release()
    return frames


def test_mp4_opens_with_every_recorded_frame(session: Path, mp4: tuple[Path, str]) -> None:
    path, stderr = mp4
    report = verify(session)
    cap = cv2.VideoCapture(str(path))
    assert cap.isOpened()
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == report.frames
    assert cap.get(cv2.CAP_PROP_FPS) == pytest.approx(report.fps)
    cap.release()
    frames = _frames(path)
    assert len(frames) == report.frames
    with SessionReader(session) as r:
        assert frames[0].shape[1::-1] == r.image_size
    assert "export mp4" in stderr and f"/{report.frames} [" in stderr  # a progress bar over every frame
    assert not list(path.parent.glob(".*part*"))  # no temporary file left behind


def test_overlays_are_burned_in(session: Path, mp4: tuple[Path, str]) -> None:
    frames = _frames(mp4[0])
    with SessionReader(session) as r:
        rows = [i for i in range(0, r.frame_count, 40) if r.has_pose[i]]
        assert rows
        for i in rows:
            shown, raw = frames[i].astype(int), r.image(i).astype(int)
            diff = np.abs(shown - raw).sum(axis=2)
            # The same video (compression noise only, away from the drawings) ...
            assert np.median(diff) < 30
            # ... with the rep counter box in the top-left corner ...
            assert diff[:100, :200].mean() > 150
            # ... and the skeleton's joint dot on the knee.
            x, y = np.round(r.pose(i).pixels()[Landmark.LEFT_KNEE]).astype(int)
            assert diff[y - 2:y + 3, x - 2:x + 3].mean() > 150


def test_the_counter_follows_the_corrected_reps(session: Path, tmp_path: Path) -> None:
    corrected = tmp_path / "corrected"
    shutil.copytree(session, corrected)
    report = verify(session)
    with load_session(corrected) as data:
        assert overlay_timeline(data)[-1].reps == report.reps
        first = data.reps[0]
    with (corrected / "corrections.jsonl").open("a") as fh:
        fh.write(json.dumps({"op": "delete_rep", "frame": first.end_frame}) + "\n")
    with load_session(corrected) as data:
        timeline = overlay_timeline(data)
        assert timeline[-1].reps == report.reps - 1
        row = int(np.searchsorted(data.frame_index, first.end_frame))
        assert timeline[row].reps == 0  # the deleted rep no longer counts where it ended
        assert {t.phase for t in timeline} >= {"descent", "ascent", "top"}
        assert any(t.cue for t in timeline)


def test_cue_display_time_is_the_live_one() -> None:
    from coach.live.pipeline import CUE_DISPLAY_S
    from coach.replay.render import CUE_SHOWN_S as REPLAY_CUE_SHOWN_S

    assert CUE_SHOWN_S == CUE_DISPLAY_S == REPLAY_CUE_SHOWN_S
