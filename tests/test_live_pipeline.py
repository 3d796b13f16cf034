"""LivePipeline on real clips through the real pose model: counting, drops, faults, stop, mirroring."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Self

import cv2
import numpy as np
import pytest

from coach.capture.camera import CameraSource
from coach.capture.frame import Frame
from coach.capture.video_file import VideoFileSource
from coach.cues import RecordingSpeaker
from coach.errors import SourceError
from coach.live import (
    CAMERA_LOST,
    DARK_WARNING,
    VIDEO_ENDED,
    LivePipeline,
    LiveResult,
    WorkerState,
)
from coach.live.types import ActivitySwitched, RepScored
from coach.pose.landmarks import Landmark
from coach.reps.engine import EventKind

pytestmark = pytest.mark.video

VIDEOS = Path(__file__).resolve().parents[1].parent / "shared" / "videos"
GOBLET = VIDEOS / "squat__front__nowva_goblet.mp4"


def _live_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("coach-live")]


def _wait(cond: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


def _run_to_end(pipeline: LivePipeline, timeout_s: float = 120.0) -> None:
    pipeline.start()
    assert _wait(lambda: pipeline.state not in (WorkerState.STARTING, WorkerState.RUNNING), timeout_s)
    pipeline.stop()


@pytest.fixture(autouse=True)
def _no_thread_left_behind() -> Iterator[None]:
    yield
    assert _wait(lambda: not _live_threads(), 3.0), f"threads left running: {_live_threads()}"


def test_counts_the_squats_of_a_video_standing_in_for_a_camera(full_model: Path, labels: dict) -> None:
    speaker = RecordingSpeaker()
    pipeline = LivePipeline(
        lambda: VideoFileSource(GOBLET), full_model, activity="squat", lossless=True, cue_sink=speaker.say
    )
    assert pipeline.cues_enabled
    _run_to_end(pipeline)
    assert pipeline.state is WorkerState.STOPPED and pipeline.error is None
    stats = pipeline.stats()
    assert stats.frames_processed == stats.frames_captured == labels[GOBLET.name]["frames"]
    assert stats.dropped == 0 and stats.pose_ms > 0
    result = pipeline.latest()
    assert result is not None
    assert result.reps == labels[GOBLET.name]["reps"]
    assert result.last_rep is not None and result.last_rep["index"] >= result.reps
    assert VIDEO_ENDED in result.warnings
    events = pipeline.drain_events()
    assert sum(e.kind is EventKind.REP_COMPLETED for e in events) == result.reps
    assert pipeline.drain_events() == []  # drained
    ts, angle = pipeline.drain_series()
    assert len(ts) == stats.frames_processed and np.all(np.diff(ts) > 0)
    # The knee angle swings through every squat: straight (> 160) at the top, well bent at the bottom.
    assert np.nanmax(angle) > 160 and np.nanmin(angle) < 120
    assert result.image.shape == (720, 1280, 3) and result.image.dtype == np.uint8
    # The cue policy heard the engine: the count was spoken after every rep, and the set's end.
    counts = [c.text for c in speaker.spoken if c.kind == "count"]
    assert len(counts) == result.reps
    assert any(c.kind == "info" for c in speaker.spoken)
    # The form model scored every rep, right after its own event, with the fields of `coach analyze`.
    ends = [e for e in events if e.kind in (EventKind.REP_COMPLETED, EventKind.PARTIAL_REP)]
    scored = [e for e in events if isinstance(e, RepScored)]
    assert [e.rep_index for e in scored] == [e.rep.index for e in ends]
    for e in scored:
        before = events[events.index(e) - 1]
        assert before.rep is not None and before.rep.index == e.rep_index
        assert {"score", "threshold", "top_joints", "phase"} <= e.anomaly.keys()
        assert e.anomaly["threshold"] > 0 and 0 <= e.anomaly["score"] < 1e6
    assert result.last_rep["anomaly"] == scored[-1].anomaly
    # An explicit choice is never overridden, but the classifier still says how sure it is of it.
    assert not any(isinstance(e, ActivitySwitched) for e in events)
    assert result.activity == "squat" and result.activity_confidence is not None
    assert 0.0 <= result.activity_confidence <= 1.0


def test_auto_mode_recognises_the_squat_then_counts(full_model: Path, labels: dict) -> None:
    pipeline = LivePipeline(lambda: VideoFileSource(GOBLET), full_model, activity=None, lossless=True)
    _run_to_end(pipeline)
    assert pipeline.state is WorkerState.STOPPED and pipeline.error is None
    result = pipeline.latest()
    assert result is not None
    events = pipeline.drain_events()
    switches = [e for e in events if isinstance(e, ActivitySwitched)]
    # Recognised once (the hysteresis keeps it through the pauses between reps), from "unknown".
    assert [(s.from_activity, s.to_activity) for s in switches] == [(None, "squat")]
    switch = switches[0]
    assert switch.confidence >= 0.6 and switch.t < 3.0  # within the classifier's window and dwell
    # The first rep may pass before the window fills; every rep after recognition is counted.
    assert result.activity == "squat"
    assert labels[GOBLET.name]["reps"] - 1 <= result.reps <= labels[GOBLET.name]["reps"]
    reps = [e for e in events if e.kind is EventKind.REP_COMPLETED]
    assert len(reps) == result.reps and all(e.t > switch.t for e in reps)
    assert events.index(switch) < events.index(reps[0])
    assert result.activity_confidence is not None and result.activity_confidence >= 0.6
    assert result.last_rep is not None and "anomaly" in result.last_rep


def test_realtime_capture_drops_only_frames_analysis_could_not_take(full_model: Path) -> None:
    pipeline = LivePipeline(
        lambda: VideoFileSource(GOBLET, end_frame=45, realtime=True), full_model, activity="squat"
    )
    _run_to_end(pipeline, 30.0)
    s = pipeline.stats()
    assert s.frames_captured == 45
    # Every frame grabbed was either analysed or replaced by a newer one in the inbox: none vanish.
    assert s.frames_processed + s.dropped == s.frames_captured
    assert s.frames_processed > 10
    assert 0 < s.latency_ms_p50 <= s.latency_ms_p95 < 2000


def test_stop_mid_run_leaves_no_thread_alive(full_model: Path) -> None:
    pipeline = LivePipeline(lambda: VideoFileSource(GOBLET, realtime=True, loop=True), full_model)
    pipeline.start()
    assert _wait(lambda: (pipeline.latest() is not None), 30.0)
    assert pipeline.state is WorkerState.RUNNING
    names = {"coach-live-capture", "coach-live-analysis", "coach-live-render"}
    assert {t.name for t in _live_threads()} == names
    t0 = time.monotonic()
    pipeline.stop()
    assert time.monotonic() - t0 < 1.5
    assert pipeline.state is WorkerState.STOPPED
    assert _live_threads() == []
    pipeline.stop()  # idempotent


class FlakyCamera:
    """A real clip behind the `FrameSource` protocol that dies after `fail_after` frames, as an unplugged
    camera does (`read()` raises `SourceError`)."""

    def __init__(self, fail_after: int | None) -> None:
        self._source = VideoFileSource(GOBLET, end_frame=90)
        self._fail_after = fail_after
        self._n = 0

    fps = property(lambda self: self._source.fps)
    size = property(lambda self: self._source.size)
    frame_count = property(lambda self: None)

    def read(self) -> Frame | None:
        if self._fail_after is not None and self._n >= self._fail_after:
            raise SourceError("Camera 0 stopped delivering frames: it was unplugged.")
        self._n += 1
        return self._source.read()

    def close(self) -> None:
        self._source.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[Frame]:
        while (f := self.read()) is not None:
            yield f


def test_camera_lost_mid_set_retries_and_keeps_the_data(full_model: Path) -> None:
    calls = 0

    def factory() -> FlakyCamera:
        nonlocal calls
        calls += 1
        if calls == 1:
            return FlakyCamera(fail_after=30)
        if calls in (2, 3):
            raise SourceError("Camera 0 is not available: no camera answered at this number.")
        return FlakyCamera(fail_after=None)

    pipeline = LivePipeline(factory, full_model, activity="squat", lossless=True, retry_interval_s=0.2)
    seen: list[LiveResult] = []
    lost_seen = threading.Event()

    def watch() -> None:
        while pipeline.state in (WorkerState.STARTING, WorkerState.RUNNING):
            r = pipeline.latest()
            if r is not None and CAMERA_LOST in r.warnings:
                lost_seen.set()
                assert pipeline.error is not None and "Camera 0" in pipeline.error
            if r is not None and (not seen or seen[-1].frame_index != r.frame_index):
                seen.append(r)
            time.sleep(0.005)

    pipeline.start()
    watcher = threading.Thread(target=watch)
    watcher.start()
    assert _wait(lambda: pipeline.state is WorkerState.STOPPED, 60.0)
    watcher.join(2.0)
    pipeline.stop()
    assert lost_seen.is_set()  # the GUI saw "Camera lost - retrying"
    assert calls == 4  # two failed reopenings, then it came back
    stats = pipeline.stats()
    assert stats.frames_captured == 30 + 90  # nothing was reset: counting went on across the loss
    result = pipeline.latest()
    assert result is not None and result.frame_index == 119
    assert CAMERA_LOST not in result.warnings and pipeline.error is None
    ts, _ = pipeline.drain_series()
    assert len(ts) == 120 and np.all(np.diff(ts) > 0)  # media time kept moving forward
    assert ts[30] - ts[29] >= 0.3  # the outage shows as a gap, not as time folding back


def test_absent_camera_faults_with_a_clear_message(full_model: Path) -> None:
    pipeline = LivePipeline(lambda: CameraSource(9), full_model)
    pipeline.start()
    assert _wait(lambda: pipeline.state is WorkerState.FAULTED, 30.0)
    assert pipeline.error is not None and "Camera 9 is not available" in pipeline.error
    pipeline.stop()
    assert pipeline.state is WorkerState.FAULTED  # the fault and its message stay visible


def test_very_dark_frames_raise_a_warning(full_model: Path, tmp_path: Path) -> None:
    dark = tmp_path / "dark.mp4"
    src = cv2.VideoCapture(str(GOBLET))
    writer = cv2.VideoWriter(str(dark), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (640, 360))
    for _ in range(15):
        ok, image = src.read()
        assert ok
        writer.write((cv2.resize(image, (640, 360)) * 0.08).astype(np.uint8))  # a room with the light off
    writer.release()
    src.release()
    pipeline = LivePipeline(lambda: VideoFileSource(dark), full_model, lossless=True)
    _run_to_end(pipeline, 30.0)
    result = pipeline.latest()
    assert result is not None and DARK_WARNING in result.warnings

    bright = LivePipeline(lambda: VideoFileSource(GOBLET, end_frame=5), full_model, lossless=True)
    _run_to_end(bright, 30.0)
    result = bright.latest()
    assert result is not None and DARK_WARNING not in result.warnings


def test_mirroring_mirrors_the_drawing_not_the_athletes_sides(full_model: Path) -> None:
    def last(mirror: bool) -> LiveResult:
        p = LivePipeline(
            lambda: VideoFileSource(GOBLET, end_frame=8), full_model, mirror=mirror, lossless=True
        )
        _run_to_end(p, 30.0)
        r = p.latest()
        assert r is not None and r.pose is not None
        return r

    plain, mirrored = last(False), last(True)
    assert plain.frame_index == mirrored.frame_index
    # Pose ran on the same unmirrored frames, so only x is mirrored.
    np.testing.assert_allclose(mirrored.pose.landmarks[:, 0], 1.0 - plain.pose.landmarks[:, 0], atol=1e-4)
    np.testing.assert_allclose(mirrored.pose.landmarks[:, 1], plain.pose.landmarks[:, 1], atol=1e-4)
    # A frontal athlete: in the camera image their left shoulder is on the image's right; in the mirror it
    # is on the left, and it is still the athlete's left shoulder.
    left, right = Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER
    assert plain.pose.landmarks[left, 0] > plain.pose.landmarks[right, 0]
    assert mirrored.pose.landmarks[left, 0] < mirrored.pose.landmarks[right, 0]


def test_unknown_activity_is_refused_at_once(full_model: Path) -> None:
    with pytest.raises(ValueError, match="unknown activity"):
        LivePipeline(lambda: VideoFileSource(GOBLET), full_model, activity="underwater_basket")
    pipeline = LivePipeline(lambda: VideoFileSource(GOBLET), full_model, activity="auto")
    with pytest.raises(ValueError, match="unknown activity"):
        pipeline.set_activity("yoga_flow")
    pipeline.set_activity("curl")  # an alias of bicep_curl is fine


class KeepingSource(VideoFileSource):
    """A clip that keeps every image it hands out, as a source with a frame cache (or a recorder) would."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kept: list[tuple[np.ndarray, np.ndarray]] = []

    def read(self) -> Frame | None:
        frame = super().read()
        if frame is not None:
            self.kept.append((frame.image, frame.image.copy()))
        return frame


def test_buffers_are_recycled_only_when_nobody_else_holds_them(full_model: Path) -> None:
    # Mirrored, the analysis thread recycles each raw frame as the next frame's mirror buffer. A result the
    # GUI holds, or a raw frame its source still holds, must never be drawn over by a later frame.
    sources: list[KeepingSource] = []

    def factory() -> KeepingSource:
        sources.append(KeepingSource(GOBLET, end_frame=40))
        return sources[-1]

    p = LivePipeline(factory, full_model, activity="squat", lossless=True)
    held: list[tuple[LiveResult, np.ndarray]] = []
    p.start()
    while p.state in (WorkerState.STARTING, WorkerState.RUNNING):
        r = p.latest()
        if r is not None and (not held or held[-1][0].frame_index != r.frame_index):
            held.append((r, r.image.copy()))
        time.sleep(0.002)
    p.stop()
    assert len(held) >= 5
    for r, picture in held:
        assert np.array_equal(r.image, picture), f"frame {r.frame_index}'s image changed after publication"
    for i, (image, original) in enumerate(sources[0].kept):
        assert np.array_equal(image, original), f"raw frame {i} the source still holds was overwritten"
    steps = p.step_ms()
    assert list(steps) == ["convert", "pose", "smooth", "view", "models", "engine", "publish", "other"]
    assert steps["pose"][0] > steps["publish"][0] > 0 and all(w >= 0 and c >= 0 for w, c in steps.values())
    # The capture thread converted every frame for MediaPipe and the render thread drew every one
    # (lossless): neither is work of the analysis thread any more.
    assert steps["convert"][0] < 0.05 and p.convert_ms()[0] > 0 and p.render_ms()[0] > 0
    assert p.stats().render_skipped == 0


def test_recording_a_run_gives_a_session_with_the_live_reps(full_model: Path, tmp_path: Path) -> None:
    from coach.session import CameraInfo, SessionReader, verify

    speaker = RecordingSpeaker()
    pipeline = LivePipeline(
        lambda: VideoFileSource(GOBLET), full_model, activity="squat", lossless=True, cue_sink=speaker.say
    )
    assert not pipeline.recording and pipeline.stop_recording() is None
    with pytest.raises(RuntimeError, match="not open yet"):
        pipeline.start_recording(tmp_path / "too_early")
    with VideoFileSource(GOBLET) as probe:
        camera = CameraInfo(source=GOBLET.name, width=probe.size[0], height=probe.size[1], fps=probe.fps)
    directory = pipeline.start_recording(tmp_path / "session", athlete="Ada", camera=camera)
    assert pipeline.recording and pipeline.stats().recording
    with pytest.raises(RuntimeError, match="already recording"):
        pipeline.start_recording(tmp_path / "second", camera=camera)
    _run_to_end(pipeline)
    assert pipeline.state is WorkerState.STOPPED and pipeline.error is None
    stats = pipeline.stats()
    assert not stats.recording and stats.record_error is None
    rec = pipeline.stop_recording()
    assert rec is not None and pipeline.stop_recording() is None
    # Every analysed frame was either written or counted as dropped by the recorder's queue: none vanish.
    assert rec.frames_written > 0
    assert rec.frames_written + rec.frames_dropped == stats.frames_processed
    assert stats.recorded_frames == rec.frames_written and stats.record_dropped == rec.frames_dropped

    session = SessionReader(directory)
    assert session.frame_count == rec.frames_written
    assert session.manifest["closed"] and session.manifest["stop_reason"] == "end_of_video"
    assert session.manifest["athlete"] == "Ada" and session.manifest["exercise"] == "squat"
    assert session.manifest["recorder"]["dropped_frames"] == rec.frames_dropped
    assert verify(directory).ok
    result = pipeline.latest()
    assert result is not None and result.reps > 0
    kinds = [e["type"] for e in session.events]
    assert kinds.count("rep_completed") == result.reps
    assert kinds.count("anomaly") == result.reps + result.partial_reps  # every rep's RepScored
    assert kinds.count("cue") == len(speaker.spoken)  # the cues spoken, as they were issued
    assert "set_ended" in kinds  # the engine's end-of-stream events were recorded before closing
    # The recorded pose is the unmirrored one the engines saw (the drawing is mirrored by default).
    assert session.landmarks.shape == (session.frame_count, 33, 5)
    image = session.image(0)
    assert image.shape == (camera.height, camera.width, 3)


def test_frames_skipped_before_analysis_are_noted_in_the_recording(full_model: Path, tmp_path: Path) -> None:
    from coach.session import SessionReader

    pipeline = LivePipeline(
        lambda: VideoFileSource(GOBLET, end_frame=60, realtime=True), full_model, activity="squat",
        mirror=False,
    )
    pipeline.start()
    assert _wait(lambda: pipeline.latest() is not None, 30.0)
    directory = pipeline.start_recording(tmp_path / "live", source="clip")
    assert _wait(lambda: pipeline.state is WorkerState.STOPPED, 30.0)
    pipeline.stop()
    rec = pipeline.stop_recording()
    assert rec is not None and rec.frames_written > 0
    session = SessionReader(directory)
    assert session.manifest["camera"]["source"] == "clip" and session.manifest["camera"]["width"] == 1280
    skipped = sum(e.get("skipped_frames", 0) for e in session.events if e["type"] == "note")
    frames = session.frame_index
    # Gaps in the recorded frame indices are exactly the frames noted as skipped (or dropped by the queue).
    gaps = int(frames[-1] - frames[0] + 1 - len(frames))
    assert gaps <= skipped + rec.frames_dropped
    # Unmirrored, the overlay went on a copy: the recorded image is the raw frame, not the drawing.
    cap = cv2.VideoCapture(str(GOBLET))
    cap.set(cv2.CAP_PROP_POS_FRAMES, int(frames[0]))
    ok, raw = cap.read()
    cap.release()
    assert ok
    assert float(np.abs(session.image(0).astype(np.int16) - raw.astype(np.int16)).mean()) < 4.0
