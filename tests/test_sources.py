"""Frame sources: exact ranges and timestamps on real clips, pacing, looping, image folders, cameras, errors.

References are decoded with plain OpenCV (sequential `read()`), independently of the code under test.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
import time
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest

from coach.capture.camera import CameraSource
from coach.capture.sources import (
    FrameSource,
    ImageFolderSource,
    VideoFileSource,
    VideoInfo,
    open_source,
    probe_video,
)
from coach.capture.video_file import frame_time
from coach.errors import SourceError

VIDEOS = Path(__file__).resolve().parents[1].parent / "shared" / "videos"

# Constant frame rate, H.264 with B-frames.
NICO = "deadlift__side__posereader_nico_clear.mp4"  # 600x600, 30 fps, 109 frames
CURL = "bicep_curl__side__posetrainer_sample.mp4"  # 30 fps, 67 frames
RUN_SHORT = "running__outdoor_side__sports2d_demo3_short.mp4"  # 29.97 fps, 47 frames
JJ = "jumping_jack__front__jjpi_1_gt11.mp4"  # 23.976 fps
BAD_FORM = "deadlift__side__posereader_bad_form.mp4"  # 30 fps, 29 frames
HFR = "deadlift__front__powerlifting03y_deadlift_fail_120fps.mp4"  # 120 fps, 1440x1920
VP9 = "mixed_walk_jumpingjacks__sports2d_demo.mp4"  # VP9, keyframes every 60 frames
# Variable frame rate phone footage: OpenCV's own frame seek lands one frame late on many frames here.
VFR_PUSHUP = "pushup__side__tayyab_pushup2_outdoor.mp4"
VFR_RUN = "running__outdoor_side__betterforerunner_run.mp4"  # timestamps with gaps (dropped frames)
# The container announces more frames than can be decoded.
OVERCOUNT = "running__treadmill_oblique__movup_run.mp4"


def clip(name: str) -> Path:
    path = VIDEOS / name
    assert path.is_file(), f"real test video expected at {path} (../shared beside the repository)"
    return path


def digest(image: np.ndarray) -> str:
    return hashlib.sha1(np.ascontiguousarray(image).tobytes()).hexdigest()


@dataclasses.dataclass(frozen=True, slots=True)
class Reference:
    """A clip decoded sequentially with plain OpenCV: every frame's POS_MSEC, and a digest of the pixels
    of the frames in `first_digest`..`first_digest + len(digests)`."""

    times_ms: tuple[float, ...]
    digests: tuple[str, ...]
    first_digest: int = 0

    def digest_of(self, index: int) -> str:
        return self.digests[index - self.first_digest]


@functools.cache
def reference(name: str, digest_range: tuple[int, int] | None = None) -> Reference:
    """`digest_range`: (start, stop) of the frames to digest (default: all). Other frames are only
    grabbed, not converted to BGR, which is most of the cost on large clips."""
    start, stop = digest_range if digest_range is not None else (0, None)
    cap = cv2.VideoCapture(str(clip(name)), cv2.CAP_FFMPEG)
    times: list[float] = []
    digests: list[str] = []
    while (stop is None or len(times) < stop) and cap.grab():
        times.append(cap.get(cv2.CAP_PROP_POS_MSEC))
        if len(times) > start:
            ok, image = cap.retrieve()
            assert ok
            digests.append(digest(image))
    cap.release()
    return Reference(tuple(times), tuple(digests), start)


@functools.cache
def reference_times(name: str) -> tuple[float, ...]:
    """POS_MSEC of every frame of a sequential read with plain OpenCV (grab only: no pixels)."""
    cap = cv2.VideoCapture(str(clip(name)), cv2.CAP_FFMPEG)
    times: list[float] = []
    while cap.grab():
        times.append(cap.get(cv2.CAP_PROP_POS_MSEC))
    cap.release()
    return tuple(times)


def read_all(source: FrameSource) -> list:
    return list(source)


class FakeClock:
    """Injected clock and sleep: time only moves when the source sleeps or the test says so."""

    def __init__(self, start: float = 100.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def write_video(
    path: Path, fourcc: str, frames: int, *, size: tuple[int, int] = (64, 48), fps: float = 10.0
) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    assert writer.isOpened(), f"cannot write {fourcc} to {path}"
    w, h = size
    for i in range(frames):
        image = np.zeros((h, w, 3), np.uint8)
        image[:, : (i * 7) % w + 1] = (40 + 15 * i) % 256
        writer.write(image)
    writer.release()
    return path


def zero_avi_payloads(src: Path, dst: Path) -> int:
    """Copy an AVI, replacing every video chunk's payload with zeros (headers and index kept intact)."""
    data = bytearray(src.read_bytes())
    pos = data.index(b"movi") + 4
    end = data.index(b"idx1")
    zeroed = 0
    while pos + 8 <= end:
        chunk_id = bytes(data[pos : pos + 4])
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        if chunk_id == b"00dc" and size:
            data[pos + 8 : pos + 8 + size] = bytes(size)
            zeroed += 1
        pos += 8 + size + (size & 1)
    dst.write_bytes(bytes(data))
    return zeroed


# --- video files: sequential reading and timestamps ------------------------------------------------------


@pytest.mark.parametrize("name", [NICO, CURL, RUN_SHORT, VFR_RUN])
def test_sequential_read_delivers_every_decodable_frame_pixel_identical(name: str) -> None:
    ref = reference(name)
    with VideoFileSource(clip(name)) as source:
        frames = [(f.index, digest(f.image)) for f in source]
    assert [i for i, _ in frames] == list(range(len(ref.digests)))
    assert [d for _, d in frames] == list(ref.digests)


def test_frame_count_is_the_containers_estimate_and_reading_stops_at_the_real_end() -> None:
    n = len(reference_times(OVERCOUNT))
    container = int(cv2.VideoCapture(str(clip(OVERCOUNT)), cv2.CAP_FFMPEG).get(cv2.CAP_PROP_FRAME_COUNT))
    with VideoFileSource(clip(OVERCOUNT)) as source:
        assert source.frame_count == container
        assert sum(1 for _ in source) == n


@pytest.mark.parametrize("name", [NICO, CURL, RUN_SHORT, JJ])
def test_media_ts_of_constant_rate_clips_is_index_over_fps(name: str) -> None:
    with VideoFileSource(clip(name)) as source:
        fps = source.fps
        frames = read_all(source)
    ts = np.array([f.media_ts for f in frames])
    index = np.array([f.index for f in frames])
    assert np.all(np.diff(ts) > 0)
    assert ts[0] == 0.0
    np.testing.assert_allclose(ts, index / fps, atol=1e-3)


@pytest.mark.parametrize("name", [VFR_PUSHUP, VFR_RUN])
def test_media_ts_follows_the_containers_timestamps_on_variable_rate_clips(name: str) -> None:
    times_ms = reference_times(name)
    with VideoFileSource(clip(name)) as source:
        fps = source.fps
        frames = read_all(source)
    ts = np.array([f.media_ts for f in frames])
    assert np.all(np.diff(ts) > 0)
    np.testing.assert_allclose(ts, np.array(times_ms) / 1000.0, atol=1e-9)
    # Not just index / fps: on these clips the real times drift from it by more than half a frame.
    assert np.max(np.abs(ts - np.arange(len(ts)) / fps)) > 0.5 / fps


def test_frame_time_uses_the_container_only_when_sensible() -> None:
    fps = 25.0
    assert frame_time(40.0, None, 1, fps) == (0.04, True)
    assert frame_time(80.0, 0.04, 2, fps) == (0.08, True)
    # Repeated, backwards, negative or missing timestamps: one nominal frame after the previous one.
    assert frame_time(40.0, 0.04, 2, fps) == pytest.approx((0.08, False))
    assert frame_time(0.0, 0.5, 13, fps) == pytest.approx((0.54, False))
    assert frame_time(math.nan, 0.5, 13, fps) == pytest.approx((0.54, False))
    # First frame of a pass with a nonsense time: index / fps.
    assert frame_time(-33.0, None, 10, fps) == pytest.approx((0.4, False))


def test_synthetic_video_reads_every_frame_with_its_timestamp(tmp_path: Path) -> None:
    path = write_video(tmp_path / "twelve.avi", "MJPG", 12, fps=10.0)
    with VideoFileSource(path) as source:
        assert source.size == (64, 48)
        assert source.codec == "MJPG"
        frames = read_all(source)
    assert [f.index for f in frames] == list(range(12))
    np.testing.assert_allclose([f.media_ts for f in frames], np.arange(12) / 10.0, atol=1e-9)


# --- video files: exact ranges ---------------------------------------------------------------------------

SEEK_CASES = [
    (NICO, [1, 2, 15, 54, 107, 108]),
    (RUN_SHORT, [1, 23, 46]),
    (JJ, [1, 100, 157, 250, 315]),
    (VP9, [59, 60, 61, 229]),  # around a keyframe, and the last frame
    (VFR_PUSHUP, list(range(1, 472, 9))),
    (VFR_RUN, list(range(1, 271, 6))),
]


@pytest.mark.parametrize(("name", "starts"), SEEK_CASES, ids=[c[0].split("__")[-1] for c in SEEK_CASES])
def test_a_range_starts_exactly_on_its_first_frame(name: str, starts: Sequence[int]) -> None:
    ref = reference(name)
    for k in starts:
        with VideoFileSource(clip(name), start_frame=k, end_frame=k + 2) as source:
            frames = read_all(source)
        expected = ref.digests[k : k + 2]
        assert [f.index for f in frames] == list(range(k, k + len(expected))), f"start {k}"
        assert [digest(f.image) for f in frames] == list(expected), f"start {k}: wrong frame"
        assert [f.media_ts for f in frames] == pytest.approx(
            [t / 1000.0 for t in ref.times_ms[k : k + 2]], abs=1e-9
        ), f"start {k}"


def test_a_range_in_a_large_120fps_clip_starts_exactly() -> None:
    k = 250
    ref = reference(HFR, (k, k + 3))
    with VideoFileSource(clip(HFR), start_frame=k, end_frame=k + 3) as source:
        assert source.fps == pytest.approx(120.0)
        frames = read_all(source)
    assert [f.index for f in frames] == [k, k + 1, k + 2]
    assert [digest(f.image) for f in frames] == [ref.digest_of(i) for i in range(k, k + 3)]
    assert [f.media_ts for f in frames] == pytest.approx([(k + i) / 120.0 for i in range(3)], abs=1e-6)


@pytest.mark.parametrize("name", [VFR_RUN, NICO])
def test_ranges_split_across_lanes_join_into_the_sequential_read(name: str) -> None:
    ref = reference(name)
    n = len(ref.digests)
    cuts = [0, n // 3, 2 * n // 3, None]
    joined: list[tuple[int, str, float]] = []
    for start, end in zip(cuts[:-1], cuts[1:], strict=True):
        with VideoFileSource(clip(name), start_frame=start, end_frame=end) as source:
            joined += [(f.index, digest(f.image), f.media_ts) for f in source]
    assert [j[0] for j in joined] == list(range(n))
    assert [j[1] for j in joined] == list(ref.digests)
    assert [j[2] for j in joined] == pytest.approx([t / 1000.0 for t in ref.times_ms], abs=1e-9)


def test_a_range_past_the_end_is_empty_and_an_open_end_stops_at_the_last_frame() -> None:
    n = len(reference_times(BAD_FORM))
    with VideoFileSource(clip(BAD_FORM), start_frame=n + 5) as source:
        assert source.read() is None
        assert source.frame_count == 0
    with VideoFileSource(clip(BAD_FORM), start_frame=n - 3, end_frame=n + 100) as source:
        assert [f.index for f in source] == [n - 3, n - 2, n - 1]
    with VideoFileSource(clip(BAD_FORM), start_frame=4, end_frame=4) as source:
        assert source.read() is None


def test_invalid_ranges_are_rejected() -> None:
    with pytest.raises(ValueError, match="start_frame"):
        VideoFileSource(clip(BAD_FORM), start_frame=-1)
    with pytest.raises(ValueError, match="end_frame"):
        VideoFileSource(clip(BAD_FORM), start_frame=5, end_frame=4)


# --- video files: real-time pacing and looping -----------------------------------------------------------


def test_realtime_paces_frames_one_interval_apart_on_the_injected_clock() -> None:
    clock = FakeClock()
    with VideoFileSource(clip(NICO), realtime=True, clock=clock, sleep=clock.sleep) as source:
        frames = [source.read() for _ in range(10)]
    assert clock.sleeps == pytest.approx([1 / 30] * 9, abs=1e-9)
    assert [f.capture_ts for f in frames] == pytest.approx([100.0 + k / 30 for k in range(10)], abs=1e-9)


def test_realtime_pacing_follows_variable_frame_timestamps() -> None:
    clock = FakeClock()
    with VideoFileSource(clip(VFR_PUSHUP), realtime=True, clock=clock, sleep=clock.sleep) as source:
        frames = [source.read() for _ in range(40)]
    intervals = np.diff([f.media_ts for f in frames])
    assert np.ptp(intervals) > 0.005  # the clip really is variable-rate here
    assert clock.sleeps == pytest.approx(list(intervals), abs=1e-9)


def test_realtime_does_not_drop_or_wait_for_frames_a_slow_consumer_is_late_for() -> None:
    clock = FakeClock()
    with VideoFileSource(clip(NICO), realtime=True, clock=clock, sleep=clock.sleep) as source:
        first = source.read()
        clock.now += 1.0  # the consumer stalls for a second
        late = [source.read() for _ in range(30)]  # frames 1..30 were due by now
        assert clock.sleeps == []
        on_time = source.read()
    assert [f.index for f in [first, *late, on_time]] == list(range(32))
    assert clock.sleeps == pytest.approx([101.0 + 1 / 30 - 101.0], abs=1e-9)


def test_offline_reading_never_sleeps() -> None:
    clock = FakeClock()
    with VideoFileSource(clip(RUN_SHORT), clock=clock, sleep=clock.sleep) as source:
        assert len(read_all(source)) == len(reference_times(RUN_SHORT))
    assert clock.sleeps == []


def test_loop_keeps_index_and_media_ts_increasing_and_repeats_the_pictures() -> None:
    ref = reference(BAD_FORM)
    n = len(ref.digests)
    with VideoFileSource(clip(BAD_FORM), loop=True) as source:
        frames = [source.read() for _ in range(2 * n + 5)]
    assert [f.index for f in frames] == list(range(2 * n + 5))
    ts = np.array([f.media_ts for f in frames])
    assert np.all(np.diff(ts) > 0)
    assert ts[n] - ts[n - 1] == pytest.approx(1 / 30, abs=1e-9)  # the next pass follows one frame later
    assert [digest(f.image) for f in frames] == list(ref.digests) * 2 + list(ref.digests[:5])


def test_loop_over_a_range_repeats_that_range() -> None:
    ref = reference(BAD_FORM)
    with VideoFileSource(clip(BAD_FORM), start_frame=20, end_frame=25, loop=True) as source:
        frames = [source.read() for _ in range(12)]
    assert [f.index for f in frames] == list(range(20, 32))
    assert [digest(f.image) for f in frames] == [ref.digests[20 + k % 5] for k in range(12)]
    assert np.diff([f.media_ts for f in frames]) == pytest.approx([1 / 30] * 11, abs=1e-9)


def test_loop_over_an_empty_range_ends_instead_of_spinning() -> None:
    with VideoFileSource(clip(BAD_FORM), start_frame=10_000, loop=True) as source:
        assert source.read() is None


# --- video files: errors a user can cause ----------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.mp4"
    with pytest.raises(SourceError, match="not found") as err:
        VideoFileSource(path)
    assert str(path) in str(err.value)


def test_zero_length_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    path.touch()
    with pytest.raises(SourceError, match=r"empty \(0 bytes\)"):
        VideoFileSource(path)


@pytest.mark.parametrize(
    "content",
    [b"these are my training notes\n" * 20, np.random.default_rng(7).bytes(20_000)],
    ids=["text", "random"],
)
def test_a_file_that_is_not_a_video(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(content)
    with pytest.raises(SourceError, match="not a video file") as err:
        VideoFileSource(path)
    assert str(path) in str(err.value)


def test_a_folder_is_not_a_video_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="is a folder"):
        VideoFileSource(tmp_path)


def test_a_video_with_no_frames(tmp_path: Path) -> None:
    path = write_video(tmp_path / "none.avi", "MJPG", 0)
    assert cv2.VideoCapture(str(path), cv2.CAP_FFMPEG).isOpened()  # the container itself is valid
    with pytest.raises(SourceError, match="contains no video frames"):
        VideoFileSource(path)
    with pytest.raises(SourceError, match="contains no video frames"):
        probe_video(path)


def test_a_video_whose_frames_cannot_be_decoded(tmp_path: Path) -> None:
    good = write_video(tmp_path / "good.avi", "MJPG", 5)
    bad = tmp_path / "bad.avi"
    assert zero_avi_payloads(good, bad) == 5
    cap = cv2.VideoCapture(str(bad), cv2.CAP_FFMPEG)
    assert cap.isOpened() and not cap.read()[0]  # OpenCV opens it but cannot decode a frame
    with pytest.raises(SourceError, match=r"Cannot decode the video .*codec 'MJPG'.*Re-encode"):
        VideoFileSource(bad)
    with pytest.raises(SourceError, match="Cannot decode"):
        VideoFileSource(bad, start_frame=2)


# --- probe_video -----------------------------------------------------------------------------------------


def test_probe_video_describes_the_clip_without_reading_it_all() -> None:
    info = probe_video(clip(NICO))
    assert info == VideoInfo(
        path=clip(NICO),
        fps=30.0,
        frame_count=len(reference_times(NICO)),
        width=600,
        height=600,
        duration_s=pytest.approx(len(reference_times(NICO)) / 30.0),
        codec="h264",
    )
    assert probe_video(str(clip(VP9))).codec == "VP90"
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.fps = 25.0  # type: ignore[misc]
    assert not hasattr(info, "__dict__")


def test_probe_video_reports_the_same_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not found"):
        probe_video(tmp_path / "missing.mp4")
    (tmp_path / "notes.mp4").write_text("not a video")
    with pytest.raises(SourceError, match="not a video file"):
        probe_video(tmp_path / "notes.mp4")


# --- image folders ---------------------------------------------------------------------------------------


def write_image(path: Path, value: int, size: tuple[int, int] = (32, 24)) -> None:
    w, h = size
    assert cv2.imwrite(str(path), np.full((h, w, 3), value, np.uint8))


def test_image_folder_in_natural_order_timed_by_fps(tmp_path: Path) -> None:
    for number in (10, 2, 1, 20, 3):
        write_image(tmp_path / f"img{number}.png", value=number * 10)
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / ".hidden.png").write_bytes(b"junk")
    with ImageFolderSource(tmp_path, fps=12.5) as source:
        assert source.frame_count == 5
        assert source.size == (32, 24)
        assert source.fps == 12.5
        frames = read_all(source)
    assert [int(f.image[0, 0, 0]) for f in frames] == [10, 20, 30, 100, 200]
    assert [f.index for f in frames] == [0, 1, 2, 3, 4]
    assert [f.media_ts for f in frames] == pytest.approx([k / 12.5 for k in range(5)])


def test_image_folder_takes_common_extensions_in_any_case(tmp_path: Path) -> None:
    write_image(tmp_path / "a1.JPG", 50)
    write_image(tmp_path / "a2.jpeg", 50)
    write_image(tmp_path / "a3.bmp", 50)
    with ImageFolderSource(tmp_path) as source:
        assert [p.name for p in source.files] == ["a1.JPG", "a2.jpeg", "a3.bmp"]
        assert len(read_all(source)) == 3


def test_an_unreadable_image_is_an_error_naming_it(tmp_path: Path) -> None:
    write_image(tmp_path / "f1.png", 1)
    (tmp_path / "f2.png").write_bytes(b"\x89PNG but truncated")
    write_image(tmp_path / "f3.png", 3)
    with ImageFolderSource(tmp_path) as source:
        assert source.read() is not None
        with pytest.raises(SourceError, match="f2.png"):
            source.read()


def test_an_image_of_another_size_is_an_error_naming_it(tmp_path: Path) -> None:
    write_image(tmp_path / "f1.png", 1)
    write_image(tmp_path / "f2.png", 2, size=(16, 16))
    with ImageFolderSource(tmp_path) as source:
        source.read()
        with pytest.raises(SourceError, match=r"f2.png is 16x16"):
            source.read()


def test_an_empty_image_folder(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="No images found"):
        ImageFolderSource(tmp_path)
    (tmp_path / "readme.txt").write_text("no pictures here")
    with pytest.raises(SourceError, match="No images found"):
        open_source(tmp_path)


# --- cameras ---------------------------------------------------------------------------------------------

ABSENT_CAMERA = 97  # no machine has 98 cameras: the test holds on a laptop with a webcam too


def test_an_absent_camera_fails_fast_with_what_to_do() -> None:
    started = time.monotonic()
    with pytest.raises(SourceError, match=rf"^Camera {ABSENT_CAMERA} is not available: .*connected"):
        CameraSource(ABSENT_CAMERA)
    assert time.monotonic() - started < 2.0


class ScriptedCapture:
    """Stands in for cv2.VideoCapture: delivers `frames` pictures of `size`, then fails like an unplugged
    camera."""

    def __init__(self, frames: int, size: tuple[int, int] = (640, 480), *, opened: bool = True) -> None:
        self.remaining = frames
        self.size = size
        self.opened = opened
        self.requested: dict[int, float] = {}
        self.released = False

    def isOpened(self) -> bool:  # OpenCV's name
        return self.opened

    def set(self, prop: int, value: float) -> bool:
        self.requested[prop] = value
        return True

    def get(self, prop: int) -> float:
        return 30.0 if prop == cv2.CAP_PROP_FPS else 0.0

    def grab(self) -> bool:
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        return True

    def retrieve(self) -> tuple[bool, np.ndarray | None]:
        w, h = self.size
        return True, np.full((h, w, 3), self.remaining, np.uint8)

    def release(self) -> None:
        self.released = True


def test_camera_reports_what_it_delivers_and_times_frames_from_the_first() -> None:
    capture = ScriptedCapture(frames=4, size=(640, 480))
    clock = FakeClock(start=50.0)
    source = CameraSource._from_capture(capture, 0, width=1280, height=720, fps=60, clock=clock)
    assert capture.requested == {
        cv2.CAP_PROP_FRAME_WIDTH: 1280,
        cv2.CAP_PROP_FRAME_HEIGHT: 720,
        cv2.CAP_PROP_FPS: 60,
    }
    assert source.size == (640, 480)  # not the 1280x720 asked for
    assert source.fps == 30.0
    assert source.frame_count is None
    assert isinstance(source, FrameSource)
    frames = []
    for _ in range(4):
        frames.append(source.read())
        clock.now += 0.04
    assert [f.index for f in frames] == [0, 1, 2, 3]
    assert [f.capture_ts for f in frames] == pytest.approx([50.0, 50.04, 50.08, 50.12])
    assert [f.media_ts for f in frames] == pytest.approx([0.0, 0.04, 0.08, 0.12])


def test_a_camera_unplugged_mid_stream_raises_on_read_until_reopened() -> None:
    capture = ScriptedCapture(frames=2)
    with CameraSource._from_capture(capture, 3) as source:
        source.read()
        source.read()
        with pytest.raises(SourceError, match="^Camera 3 stopped delivering frames"):
            source.read()
        with pytest.raises(SourceError, match="^Camera 3 stopped delivering frames"):
            source.read()
    assert capture.released


def test_a_camera_that_opens_but_never_delivers() -> None:
    capture = ScriptedCapture(frames=0)
    with pytest.raises(SourceError, match="^Camera 1 is not available: it opened but delivered no picture"):
        CameraSource._from_capture(capture, 1)
    assert capture.released
    with pytest.raises(SourceError, match="^Camera 2 is not available"):
        CameraSource._from_capture(ScriptedCapture(frames=5, opened=False), 2)


# --- open_source and the protocol ------------------------------------------------------------------------


def test_open_source_dispatch(tmp_path: Path) -> None:
    for spec in (ABSENT_CAMERA, str(ABSENT_CAMERA)):
        with pytest.raises(SourceError, match=f"^Camera {ABSENT_CAMERA} is not available"):
            open_source(spec)
    write_image(tmp_path / "1.png", 7)
    with open_source(tmp_path, fps=5.0) as folder:
        assert isinstance(folder, ImageFolderSource)
        assert folder.fps == 5.0
    for spec in (clip(RUN_SHORT), str(clip(RUN_SHORT))):
        with open_source(spec, start_frame=3) as video:
            assert isinstance(video, VideoFileSource)
            assert video.read().index == 3
    with pytest.raises(SourceError, match="not found"):
        open_source(tmp_path / "missing.mov")
    with pytest.raises(TypeError):
        open_source(True)  # type: ignore[arg-type]


def test_context_manager_closes_and_close_is_idempotent(tmp_path: Path) -> None:
    write_image(tmp_path / "1.png", 7)
    for source in (VideoFileSource(clip(RUN_SHORT)), ImageFolderSource(tmp_path)):
        assert isinstance(source, FrameSource)
        with source as s:
            assert s is source
            assert s.read() is not None
        with pytest.raises(ValueError, match="closed"):
            source.read()
        source.close()
