"""SessionWriter / SessionReader / verify on synthetic frames: round trip, queue policy, disk full, torn
tails, corrections, periodic sync, and that the writer thread always stops."""

from __future__ import annotations

import errno
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from coach.capture.frame import Frame
from coach.cues.policy import Cue
from coach.gait.types import EventKind as GaitKind
from coach.gait.types import Foot, GaitEvent
from coach.pose.types import Pose
from coach.reps.engine import Event, EventKind, Rep
from coach.session import CameraInfo, RecorderState, SessionError, SessionReader, SessionWriter, verify
from coach.session.format import EVENTS_FILE, FRAMES_FILE, MANIFEST_FILE, RECORD_SIZE, VIDEO_FILE

W, H, FPS = 320, 240, 30.0
CAMERA = CameraInfo(source="synthetic", width=W, height=H, fps=FPS)


def _writer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "coach-session-writer"]


@pytest.fixture(autouse=True)
def _no_writer_left_behind() -> Iterator[None]:
    yield
    deadline = time.monotonic() + 3.0
    while _writer_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not _writer_threads(), "a session writer thread is still running"


def _image(i: int) -> np.ndarray:
    """A smooth image that changes with i (JPEG keeps it close), so a frame mix-up is visible."""
    y, x = np.mgrid[0:H, 0:W]
    img = np.empty((H, W, 3), np.uint8)
    img[..., 0] = (x + 7 * i) % 256
    img[..., 1] = (y + 3 * i) % 256
    img[..., 2] = (i * 20) % 256
    return img


def _pose(i: int) -> Pose | None:
    if i % 5 == 4:
        return None  # nobody in view every fifth frame
    rng = np.random.default_rng(i)
    return Pose(rng.random((33, 5), dtype=np.float32), rng.random((33, 3), dtype=np.float32), (W, H))


def _frame(i: int) -> Frame:
    return Frame(index=i, capture_ts=100.0 + i / FPS, media_ts=i / FPS, image=_image(i))


def _rep(index: int, end_frame: int) -> Rep:
    return Rep(index=index, partial=False, start_t=(end_frame - 20) / FPS, bottom_t=(end_frame - 10) / FPS,
               end_t=end_frame / FPS, start_frame=end_frame - 20, bottom_frame=end_frame - 10,
               end_frame=end_frame, metrics={"depth": 0.2, "velocity_loss_pct": float("nan")}, faults=())


def _record(writer: SessionWriter, n: int) -> list[bool]:
    accepted = []
    for i in range(n):
        accepted.append(writer.record_frame(_frame(i), _pose(i)))
    return accepted


def test_round_trip_frames_poses_events_and_manifest(tmp_path: Path) -> None:
    d = tmp_path / "s"
    with SessionWriter(d, camera=CAMERA, athlete="Ann", exercise="squat", lossless=True) as w:
        assert all(_record(w, 40))
        w.record_events([Event(EventKind.REP_COMPLETED, 30 / FPS, 30, rep=_rep(1, 30), set_index=1)],
                        t=30 / FPS, frame=30)
        w.record_events([GaitEvent(GaitKind.INITIAL_CONTACT, Foot.LEFT, 0.5, 0.6, 15)], t=0.6, frame=18)
        w.record_events([Cue("Sit deeper", 30, "corrective", 1.0)], t=1.1, frame=33)
        w.note("warm-up set", t=1.2, frame=36)
        w.record_events([Event(EventKind.SET_ENDED, 1.3, -1, set_index=1)], t=1.3, frame=39)
    assert w.state is RecorderState.STOPPED

    manifest = json.loads((d / MANIFEST_FILE).read_text())
    assert manifest["closed"] is True and manifest["stop_reason"] == "stopped"
    assert manifest["athlete"] == "Ann" and manifest["camera"]["width"] == W and manifest["schema"] == 1
    with SessionReader(d) as r:
        assert r.frame_count == 40 and r.problems == [] and r.notes == []
        assert np.array_equal(r.frame_index, np.arange(40))
        assert np.allclose(r.media_ts, np.arange(40) / FPS)
        for i in (0, 17, 38):
            assert np.abs(r.image(i).astype(int) - _image(i).astype(int)).mean() < 4.0
            pose = _pose(i)
            assert pose is not None and np.array_equal(r.pose(i).landmarks, pose.landmarks)  # type: ignore[union-attr]
        assert r.pose(4) is None and np.isnan(r.landmarks[4]).all()
        assert r.has_pose.sum() == 32
        types = [e["type"] for e in r.events]
        assert types == ["rep_completed", "gait_event", "cue", "note", "set_ended"]
        rep = r.events[0]["rep"]
        assert rep["metrics"]["depth"] == 0.2 and rep["metrics"]["velocity_loss_pct"] is None
        assert r.events[1]["foot"] == "L" and r.events[1]["frame"] == 15
        assert r.events[4]["frame"] == 39  # the engine's frame -1 becomes the frame it arrived at
        assert abs(r.duration_s - 40 / FPS) < 1e-9
        assert len(r.track()) == 40
    report = verify(d)
    assert report.ok and report.frames == 40 and report.reps == 1 and report.closed


def test_live_writer_drops_and_counts_when_the_disk_is_slow(tmp_path: Path) -> None:
    gate = threading.Event()

    def slow_opener(path: Path, mode: str):  # noqa: ANN202 - a SessionFile
        fh = open(path, mode, buffering=0)  # noqa: SIM115
        if path.name != VIDEO_FILE:
            return fh

        class Slow:
            def write(self, data: bytes) -> int:
                gate.wait(10.0)
                return fh.write(data)

            def fileno(self) -> int:
                return fh.fileno()

            def close(self) -> None:
                fh.close()

        return Slow()

    w = SessionWriter(tmp_path / "s", camera=CAMERA, max_queued_frames=4, opener=slow_opener)
    accepted = _record(w, 20)
    stats = w.stats()
    assert stats.frames_dropped > 0 and stats.frames_dropped == accepted.count(False)
    gate.set()
    final = w.close()
    assert final.frames_written == accepted.count(True) == 20 - final.frames_dropped
    report = verify(tmp_path / "s")
    assert report.ok and report.dropped_frames == final.frames_dropped
    assert report.frames == final.frames_written


def test_lossless_writer_blocks_instead_of_dropping(tmp_path: Path) -> None:
    w = SessionWriter(tmp_path / "s", camera=CAMERA, max_queued_frames=2, lossless=True)
    t0 = time.perf_counter()
    assert all(_record(w, 60))
    stats = w.close()
    assert stats.frames_written == 60 and stats.frames_dropped == 0
    assert verify(tmp_path / "s").frames == 60
    assert time.perf_counter() - t0 < 30


class _Disk:
    """Injected opener of a disk with `free` bytes left: writes fill it, then fail with ENOSPC (a write
    that does not fit is partial, as on a real file system)."""

    def __init__(self, free: int) -> None:
        self.free = free

    def __call__(self, path: Path, mode: str) -> _DiskFile:
        return _DiskFile(self, open(path, mode, buffering=0))  # noqa: SIM115


class _DiskFile:
    def __init__(self, disk: _Disk, fh) -> None:  # noqa: ANN001 - a raw file
        self.disk, self.fh = disk, fh

    def write(self, data: bytes) -> int:
        if self.disk.free <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        n = self.fh.write(bytes(data[: self.disk.free]))
        self.disk.free -= n
        return n

    def fileno(self) -> int:
        return self.fh.fileno()

    def close(self) -> None:
        self.fh.close()


def test_disk_full_stops_recording_with_a_message_and_keeps_a_valid_session(tmp_path: Path) -> None:
    messages: list[str] = []
    d = tmp_path / "s"
    w = SessionWriter(d, camera=CAMERA, lossless=True, max_queued_frames=2, opener=_Disk(250_000),
                      on_error=messages.append, sync_interval_s=0.05)
    accepted = []
    for i in range(400):
        accepted.append(w.record_frame(_frame(i), _pose(i)))
        w.record_events([{"type": "note", "text": f"n{i}"}], t=i / FPS, frame=i)
        if not accepted[-1]:
            break
    assert accepted[-1] is False, "recording should have stopped when the disk filled up"
    stats = w.close()
    assert stats.state is RecorderState.FAILED
    assert stats.last_error is not None and "Disk full" in stats.last_error and str(d) in stats.last_error
    assert messages == [stats.last_error] and w.stop_reason == "disk_full"
    assert not list(d.glob(".*.tmp")), "a half-written temp manifest was left behind"
    assert 0 < stats.frames_written < len(accepted)

    report = verify(d, decode_all=True)
    assert report.ok, report.problems
    assert report.frames == stats.frames_written
    with SessionReader(d) as r:
        for i in range(r.frame_count):
            assert r.image(i).shape == (H, W, 3)
        assert all(e["type"] == "note" for e in r.events)


def test_torn_tails_are_ignored_and_damage_in_the_middle_is_reported(tmp_path: Path) -> None:
    d = tmp_path / "s"
    with SessionWriter(d, camera=CAMERA, lossless=True) as w:
        _record(w, 10)
        w.note("hello", t=0.1, frame=3)
    # What a kill -9 in the middle of a write leaves: half a JPEG, half a record, half a line.
    with open(d / VIDEO_FILE, "ab") as f:
        f.write(b"\xff\xd8" + b"\0" * 500)
    with open(d / FRAMES_FILE, "ab") as f:
        f.write(b"\1" * (RECORD_SIZE // 2))
    with open(d / EVENTS_FILE, "ab") as f:
        f.write(b'{"t": 1.0, "frame": 9, "ty')
    report = verify(d)
    assert report.ok and report.frames == 10 and report.events == 1
    assert len(report.notes) == 3

    # A record pointing outside the stream in the middle is not a crash tail: reported, prefix kept.
    data = bytearray((d / FRAMES_FILE).read_bytes())
    off = 4 * RECORD_SIZE + 24  # record 4's jpeg_offset
    data[off:off + 8] = (10**12).to_bytes(8, "little")
    (d / FRAMES_FILE).write_bytes(bytes(data))
    report = verify(d)
    assert not report.ok and report.frames == 4


def test_corrections_are_applied_on_read(tmp_path: Path) -> None:
    d = tmp_path / "s"
    with SessionWriter(d, camera=CAMERA, lossless=True) as w:
        _record(w, 60)
        for idx, end in ((1, 20), (2, 40)):
            w.record_events([Event(EventKind.REP_COMPLETED, end / FPS, end, rep=_rep(idx, end))],
                            t=end / FPS, frame=end)
        w.record_events([GaitEvent(GaitKind.TOE_OFF, Foot.RIGHT, 1.0, 1.1, 30)], t=1.1, frame=33)
    assert verify(d).reps == 2
    lines = [
        {"op": "delete_rep", "frame": 20},
        {"op": "add_rep", "start_frame": 42, "bottom_frame": 48, "end_frame": 55, "start_s": 1.4,
         "bottom_s": 1.6, "end_s": 1.83, "partial": False},
        {"op": "move_gait_event", "frame": 30, "kind": "toe_off", "foot": "R", "to_frame": 31, "to_t": 1.03},
        {"op": "rename_athlete"},
    ]
    (d / "corrections.jsonl").write_text("".join(json.dumps(c) + "\n" for c in lines))
    with SessionReader(d) as r:
        reps = [e for e in r.events if e["type"] == "rep_completed"]
        assert [e["frame"] for e in reps] == [40, 55] and reps[1]["rep"]["added"] is True
        gait = next(e for e in r.events if e["type"] == "gait_event")
        assert gait["frame"] == 31 and gait["moved_from"] == 30
        assert len(r.raw_events) == 3  # the originals are untouched
        assert any("rename_athlete" in n for n in r.notes)
    assert verify(d).reps == 2 and verify(d).ok


def test_frames_reach_the_disk_within_a_second_while_recording(tmp_path: Path) -> None:
    d = tmp_path / "s"
    w = SessionWriter(d, camera=CAMERA, lossless=True)
    try:
        _record(w, 30)
        w.note("x", t=0.5, frame=15)
        time.sleep(1.2)
        # A second reader, as after a crash: the manifest is still the opening one.
        with SessionReader(d) as r:
            assert r.frame_count == 30 and len(r.events) == 1
            assert any("not closed" in n for n in r.notes)
        assert verify(d).ok
    finally:
        w.close()


def test_refuses_a_non_empty_directory_and_stops_idempotently(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "x").write_text("x")
    with pytest.raises(SessionError, match="not empty"):
        SessionWriter(tmp_path / "old", camera=CAMERA)
    w = SessionWriter(tmp_path / "new", camera=CAMERA)
    w.close("first")
    w.close("second")
    assert w.join(0.0)
    assert not w.record_frame(_frame(0), None)
    assert json.loads((tmp_path / "new" / MANIFEST_FILE).read_text())["stop_reason"] == "first"
    assert verify(tmp_path / "new").ok


def test_verify_reports_a_directory_that_is_no_session(tmp_path: Path) -> None:
    report = verify(tmp_path)
    assert not report.ok and "manifest" in report.problems[0]
