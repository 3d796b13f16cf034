"""Frames from a video file, decoded with OpenCV's FFmpeg backend.

What OpenCV 5's FFmpeg backend does (checked on the clips in ../shared/videos, H.264 with B-frames, VP9,
constant and variable frame rate), and what this module does about it:

* After `grab()`, `CAP_PROP_POS_MSEC` is the presentation time of the frame just grabbed, relative to the
  stream's start (0.0 for the first frame). Before the first grab, after a failed grab at the end of the
  file and right after a seek it is meaningless (0, or the value passed to `set`), so it is read only
  right after a successful `grab()`.
* `set(CAP_PROP_POS_FRAMES, k)` converts `k` to a time with the nominal fps, seeks to a keyframe before
  it and decodes forward until it *believes* it is at `k`, judging by `round(pts * fps)`. That is exact
  for constant-frame-rate files and off by one or more frames on variable-frame-rate phone clips.
  `CAP_PROP_POS_FRAMES` then reports `k` whatever frame was really reached, so it cannot be used to check.
* With `CAP_PROP_FORMAT = -1` ("raw" mode) `grab()` only demuxes (no decoding, 10-100x faster) and
  `CAP_PROP_POS_MSEC` is the packet's presentation time. Sorted, those times are exactly the times of the
  decoded frames, in order, so they map a frame index to its timestamp.

So a source that starts at `start_frame > 0` scans the packet times once, lets OpenCV seek, then checks the
landed frame's timestamp against the map and walks forward (or seeks further back and walks forward) until
it holds exactly frame `start_frame`. If the map is unusable or never matches, it decodes forward from the
first frame, counting, which is what a sequential read does by definition.
"""

from __future__ import annotations

import bisect
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np

from coach.capture.frame import Frame
from coach.capture.lifecycle import SourceLifecycle
from coach.errors import SourceError

logger = logging.getLogger(__name__)

# Used only when a container reports no frame rate at all; it is the most common camera rate.
FALLBACK_FPS = 30.0

# Packet and frame times come from the same integer pts through the same formula, so they agree to
# floating-point rounding; this tolerance is far below the spacing of frames at any real frame rate.
_TS_MATCH_TOLERANCE_MS = 0.01

# How far before the target the first corrective seek goes; it doubles on every further miss. 16 frames
# is also what OpenCV's own seek starts with.
_FIRST_SEEK_BACKOFF = 16


class _QuietLog:
    """Reference-counted silencing of OpenCV's own logger (process-global, hence the lock and count).

    Sources are opened from several threads at once (one per offline lane), so a plain save/restore could
    restore a level another thread had just silenced and leave OpenCV mute for good.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._saved_level = 0

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                self._saved_level = cv2.utils.logging.getLogLevel()
                cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
            self._depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._depth -= 1
                if self._depth == 0:
                    cv2.utils.logging.setLogLevel(self._saved_level)


quiet_opencv_log = _QuietLog()
"""Context manager: OpenCV's logger is silent inside it. Our SourceErrors say what went wrong instead of
OpenCV's backend-by-backend warnings. (FFmpeg's own messages, e.g. "moov atom not found", go to stderr
through FFmpeg's logger, which can only be configured process-wide before OpenCV loads FFmpeg.)"""


def fourcc_to_str(code: float) -> str:
    """OpenCV's `CAP_PROP_FOURCC` value as text ('h264', 'MJPG', ...); '' if unknown."""
    raw = int(code) & 0xFFFFFFFF
    chars = raw.to_bytes(4, "little").decode("latin-1")
    return "".join(c for c in chars if c.isprintable()).strip()


def open_video_capture(path: Path) -> cv2.VideoCapture:
    """An opened FFmpeg `VideoCapture` on `path`, or a `SourceError` saying what is wrong with the file.

    The FFmpeg backend is named explicitly: with CAP_ANY, OpenCV also tries its other backends on a file it
    cannot open (each logging a warning), including the image-sequence one, which reads '%' in a file name
    as a frame-number pattern.
    """
    if not path.exists():
        raise SourceError(f"Video file not found: {path}. Check the path and the file name.")
    if path.is_dir():
        raise SourceError(
            f"{path} is a folder, not a video file. Choose a video file, or open the folder as an "
            "image folder."
        )
    try:
        with path.open("rb") as fh:
            first_byte = fh.read(1)
    except OSError as exc:
        raise SourceError(f"Cannot read {path}: {exc.strerror}. Check the file's permissions.") from exc
    if not first_byte:
        raise SourceError(
            f"Video file {path} is empty (0 bytes). The recording or copy did not finish; "
            "record or copy it again."
        )
    with quiet_opencv_log():
        cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if not cap.isOpened():
        cap.release()
        raise SourceError(
            f"Cannot open {path} as a video: it is not a video file, or it is damaged or truncated. "
            "Choose another file, or convert it to MP4 (H.264), e.g. with ffmpeg."
        )
    return cap


def scan_packet_times_ms(path: Path) -> list[float]:
    """Presentation times (ms) of every video packet in `path`, sorted, by demuxing without decoding.

    Empty if the file has no video packets. The times are only trustworthy as a frame index if they are
    unique: `_PacketIndex` checks that.
    """
    with quiet_opencv_log():
        cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        if not cap.isOpened() or not cap.set(cv2.CAP_PROP_FORMAT, -1):
            return []
        times: list[float] = []
        while cap.grab():
            times.append(cap.get(cv2.CAP_PROP_POS_MSEC))
    finally:
        cap.release()
    times.sort()
    return times


def no_decodable_frame_error(path: Path, codec: str) -> SourceError:
    """The error for a file that opens but yields no frame: empty of video, or not decodable."""
    if not scan_packet_times_ms(path):
        return SourceError(
            f"{path} contains no video frames. The recording is probably incomplete; record it again "
            "or choose another file."
        )
    codec_text = f" (codec '{codec}')" if codec else ""
    return SourceError(
        f"Cannot decode the video in {path}{codec_text}: the file is damaged or uses a codec this "
        "OpenCV build cannot decode. Re-encode it to H.264 MP4, e.g. "
        "`ffmpeg -i INPUT -c:v libx264 -pix_fmt yuv420p OUTPUT.mp4`, or choose another file."
    )


def frame_time(raw_ms: float, previous_s: float | None, index: int, fps: float) -> tuple[float, bool]:
    """A frame's time in seconds from the container's `raw_ms`, and whether the container's value was used.

    The container's value is used when it is sensible: finite, not negative and later than the previous
    frame's (`previous_s`; None for the first frame of a pass). Otherwise the frame is put one nominal
    frame interval after the previous one, or at index / fps if it is the first: a file without any
    timestamps gets exactly index / fps.
    """
    t = raw_ms / 1000.0
    if math.isfinite(t) and t >= 0.0 and (previous_s is None or t > previous_s):
        return t, True
    if previous_s is None:
        return index / fps, False
    return previous_s + 1.0 / fps, False


class _PacketIndex:
    """Frame index <-> presentation time (ms), from the sorted packet times of the file."""

    def __init__(self, times_ms: list[float]) -> None:
        self.times_ms = times_ms

    @classmethod
    def scan(cls, path: Path) -> _PacketIndex | None:
        times = scan_packet_times_ms(path)
        gaps = np.diff(np.asarray(times, dtype=np.float64))
        if not times or np.any(gaps <= _TS_MATCH_TOLERANCE_MS):
            # Repeated or missing times (raw mode reports 0 on some builds): cannot tell frames apart.
            logger.debug("No usable packet times in %s; seeking by decoding from the start", path)
            return None
        return cls(times)

    def __len__(self) -> int:
        return len(self.times_ms)

    def index_of(self, t_ms: float) -> int | None:
        """Index of the frame presented at `t_ms`, or None if no packet has that time."""
        i = bisect.bisect_left(self.times_ms, t_ms - _TS_MATCH_TOLERANCE_MS)
        if i < len(self.times_ms) and abs(self.times_ms[i] - t_ms) <= _TS_MATCH_TOLERANCE_MS:
            return i
        return None


class VideoFileSource(SourceLifecycle):
    """Frames of a video file, in order, never dropping one.

    Thread ownership: not thread-safe; one thread (the offline decoder, or the capture worker when the file
    stands in for a camera) creates, reads and closes it.

    * `start_frame` / `end_frame` select the half-open range [start_frame, end_frame) of decodable frames
      (end None: to the end of the file). The first frame delivered is exactly frame `start_frame` of a
      sequential read (see the module docstring for how that is ensured). A range that starts past the end
      of the file delivers nothing.
    * `Frame.index` is the frame's 0-based position in the file; `Frame.media_ts` its presentation time in
      seconds from the file's first frame (the container's timestamp; where that is missing or not
      increasing, one nominal frame interval after the previous frame), strictly increasing. A range
      therefore gets the same indices and times as a sequential read of the whole file.
    * `Frame.capture_ts` is `clock()` right after the frame was grabbed. The first frame is decoded when
      the source opens (to check that the file decodes and learn the real frame size), so its stamp is taken
      when `read()` hands it out.
    * `realtime=True` paces delivery to the media timestamps against `clock`, calling `sleep` until each
      frame is due, so a file can stand in for a camera. The schedule starts when the first frame is read.
      A consumer slower than real time gets late frames back to back (nothing is dropped here: dropping
      is the consumer's job). `capture_ts` is stamped after the wait, when the frame becomes available.
    * `loop=True` starts again at `start_frame` after the last frame of the range. `index` keeps counting
      (start_frame + frames delivered so far, so it no longer equals the file position) and each pass's
      times are shifted so that its first frame comes one nominal frame interval (1 / fps) after the last
      frame of the previous pass, as if the copies were played back to back.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        start_frame: int = 0,
        end_frame: int | None = None,
        realtime: bool = False,
        loop: bool = False,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if start_frame < 0:
            raise ValueError(f"start_frame must be >= 0, got {start_frame}")
        if end_frame is not None and end_frame < start_frame:
            raise ValueError(f"end_frame ({end_frame}) must be >= start_frame ({start_frame})")
        self._path = Path(path)
        self._start = start_frame
        self._end = end_frame
        self._realtime = realtime
        self._loop = loop
        self._clock = clock
        self._sleep = sleep

        self._cap: cv2.VideoCapture | None = open_video_capture(self._path)
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        if not math.isfinite(fps) or fps <= 0:
            logger.warning("%s reports no frame rate; assuming %.0f fps", self._path, FALLBACK_FPS)
            fps = FALLBACK_FPS
        self._fps = float(fps)
        self._codec = fourcc_to_str(self._cap.get(cv2.CAP_PROP_FOURCC))
        meta_count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))
        # Raw streams (.mjpeg, .h263) report a huge negative count: treat anything <= 0 as unknown.
        self._meta_count = meta_count if meta_count > 0 else None

        self._packets: _PacketIndex | None = None
        self._packets_scanned = False
        self._warned_ts = False

        # The frame the capture holds: grabbed, not yet delivered (`_holding`), or the last one delivered.
        self._holding = False
        self._file_index = -1  # its position in the file
        self._local_ts: float | None = None  # its time in the file, seconds
        self._pending_image: np.ndarray | None = None
        self._size = (0, 0)

        self._exhausted = False
        self._delivered = 0
        self._delivered_this_pass = 0
        self._pass_first_ts = 0.0  # file time of the first frame of the range
        self._ts_offset = 0.0  # added to file times; grows by one pass per loop
        self._last_media_ts = 0.0
        self._anchor: tuple[float, float] | None = None  # (clock, media_ts) of the first delivered frame

        try:
            self._open_range()
        except BaseException:
            self.close()
            raise

    # --- public API -------------------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        return self._path

    @property
    def fps(self) -> float:
        """The container's nominal frame rate."""
        return self._fps

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the delivered frames (after any rotation OpenCV applies)."""
        return self._size

    @property
    def frame_count(self) -> int | None:
        """Frames one pass delivers, estimated from the container's frame count (it can be a few frames
        off: a read ends at the last decodable frame); None if the container does not say."""
        if self._meta_count is None:
            return None
        end = self._meta_count if self._end is None else min(self._end, self._meta_count)
        return max(0, end - self._start)

    @property
    def codec(self) -> str:
        """The stream's codec as a fourcc-like string ('h264', 'VP90', 'MJPG', ...)."""
        return self._codec

    def read(self) -> Frame | None:
        """The next frame, or None after the last one (with `loop=True`, None only if the range is empty).

        Blocks until the frame is due when `realtime=True`.
        """
        if self._cap is None:
            raise ValueError(f"read from a closed source ({self._path})")
        if self._exhausted:
            return None
        if not self._holding and not self._grab_next():
            if self._loop and self._delivered_this_pass > 0:
                self._start_next_pass()
            if not self._holding:
                self._exhausted = True
                return None
        assert self._local_ts is not None  # set by every successful grab
        media_ts = self._local_ts + self._ts_offset
        if self._realtime:
            self._wait_until_due(media_ts)
        capture_ts = self._clock()
        frame = Frame(
            index=self._start + self._delivered,
            capture_ts=capture_ts,
            media_ts=media_ts,
            image=self._take_image(),
        )
        self._holding = False
        self._delivered += 1
        self._delivered_this_pass += 1
        self._last_media_ts = media_ts
        return frame

    def close(self) -> None:
        """Release the decoder. Idempotent."""
        self._pending_image = None
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def __repr__(self) -> str:
        return (
            f"VideoFileSource({str(self._path)!r}, start_frame={self._start}, end_frame={self._end}, "
            f"realtime={self._realtime}, loop={self._loop})"
        )

    # --- opening and positioning ------------------------------------------------------------------------

    def _open_range(self) -> None:
        """Decode frame 0 (proves the file decodes, gives the real size), then go to `start_frame`."""
        assert self._cap is not None
        if not self._cap.grab():
            raise no_decodable_frame_error(self._path, self._codec)
        self._file_index = 0
        self._local_ts = self._frame_time(self._cap.get(cv2.CAP_PROP_POS_MSEC), 0)
        self._holding = True
        first_image = self._retrieve()
        height, width = first_image.shape[:2]
        self._size = (width, height)
        if self._end is not None and self._end <= self._start:
            self._exhausted = True
        elif self._start == 0:
            self._pending_image = first_image
        elif self._position(self._start):
            self._pending_image = self._retrieve()
        else:
            logger.info("%s ends before frame %d: nothing to read", self._path, self._start)
            self._exhausted = True
        self._holding = not self._exhausted
        if self._local_ts is not None:
            self._pass_first_ts = self._local_ts

    def _position(self, target: int) -> bool:
        """Leave the capture holding frame `target` (grabbed, not retrieved). False if the file ends first."""
        self._holding = False
        if target > 0:
            packets = self._packet_index()
            if packets is not None:
                if target >= len(packets):
                    return False
                if self._seek_verified(target, packets):
                    return True
                logger.info(
                    "Seeking %s to frame %d could not be verified; decoding from the start instead",
                    self._path,
                    target,
                )
        return self._decode_from_start(target)

    def _packet_index(self) -> _PacketIndex | None:
        if not self._packets_scanned:
            self._packets = _PacketIndex.scan(self._path)
            self._packets_scanned = True
        return self._packets

    def _seek_verified(self, target: int, packets: _PacketIndex) -> bool:
        """Seek near `target` with OpenCV, find where it really landed from the frame's timestamp and walk
        forward; if it landed past `target` (or on a time the index does not know), seek further back and
        try again. False when only decoding from the start is left (the caller does that)."""
        assert self._cap is not None
        backoff = 0
        while (seek_to := target - backoff) > 0:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, seek_to)
            self._local_ts = None  # the frame before the landing point is unknown
            landed = self._grab_and_locate(packets)
            while landed is not None and landed < target:
                landed = self._grab_and_locate(packets)
            if landed == target:
                return True
            logger.debug("Seek of %s to frame %d landed on %s", self._path, seek_to, landed)
            backoff = max(2 * backoff, _FIRST_SEEK_BACKOFF)
        return False

    def _grab_and_locate(self, packets: _PacketIndex) -> int | None:
        """Grab the next frame and return its index according to its timestamp (None: not found)."""
        assert self._cap is not None
        if not self._cap.grab():
            return None
        raw_ms = self._cap.get(cv2.CAP_PROP_POS_MSEC)
        index = packets.index_of(raw_ms)
        if index is not None:
            self._holding = True
            self._file_index = index
            self._local_ts = self._frame_time(raw_ms, index)
        return index

    def _decode_from_start(self, target: int) -> bool:
        """Reopen the file and grab frames 0..target, counting: the index is right by construction."""
        assert self._cap is not None
        self._cap.release()
        self._cap = None
        self._cap = open_video_capture(self._path)
        self._file_index = -1
        self._local_ts = None
        self._holding = False
        while self._file_index < target:
            if not self._cap.grab():
                return False
            self._file_index += 1
            self._local_ts = self._frame_time(self._cap.get(cv2.CAP_PROP_POS_MSEC), self._file_index)
        self._holding = True
        return True

    # --- reading ----------------------------------------------------------------------------------------

    def _grab_next(self) -> bool:
        """Grab the frame after the last one. False at the end of the range or of the file."""
        assert self._cap is not None
        next_index = self._file_index + 1
        if self._end is not None and next_index >= self._end:
            return False
        if not self._cap.grab():
            # OpenCV cannot tell the end of the file from a decoding failure; both end the read here.
            if self._meta_count is not None and next_index < self._meta_count:
                logger.debug(
                    "%s ended after %d frames; the container announced %d",
                    self._path,
                    next_index,
                    self._meta_count,
                )
            return False
        self._file_index = next_index
        self._local_ts = self._frame_time(self._cap.get(cv2.CAP_PROP_POS_MSEC), next_index)
        self._holding = True
        return True

    def _start_next_pass(self) -> None:
        self._ts_offset = self._last_media_ts + 1.0 / self._fps - self._pass_first_ts
        self._delivered_this_pass = 0
        if not self._position(self._start):
            logger.warning("%s: cannot go back to frame %d to loop; stopping", self._path, self._start)

    def _frame_time(self, raw_ms: float, index: int) -> float:
        """File time (s) of the frame just grabbed, after the previous one's; warns once on fallback."""
        t, from_container = frame_time(raw_ms, self._local_ts, index, self._fps)
        if not from_container and not self._warned_ts:
            logger.warning(
                "%s: frame %d has no usable timestamp (%.3f ms); timing frames by the nominal %.3f fps "
                "where that happens",
                self._path,
                index,
                raw_ms,
                self._fps,
            )
            self._warned_ts = True
        return t

    def _retrieve(self) -> np.ndarray:
        assert self._cap is not None
        ok, image = self._cap.retrieve()
        if not ok or image is None:
            raise SourceError(
                f"Cannot decode frame {self._file_index} of {self._path}: the file is damaged. "
                "Re-encode it or choose another file."
            )
        return image

    def _take_image(self) -> np.ndarray:
        if self._pending_image is not None:
            image, self._pending_image = self._pending_image, None
            return image
        return self._retrieve()

    def _wait_until_due(self, media_ts: float) -> None:
        if self._anchor is None:
            self._anchor = (self._clock(), media_ts)
            return
        wall0, media0 = self._anchor
        delay = wall0 + (media_ts - media0) - self._clock()
        if delay > 0:
            self._sleep(delay)
