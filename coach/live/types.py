"""Values the live pipeline hands to the GUI: worker state, statistics and one analysed frame.

All of them are immutable: the analysis thread builds them, the GUI thread reads them, nobody changes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from coach.pose.types import Pose

__all__ = ["ActivitySwitched", "LiveResult", "PipelineStats", "RepScored", "StrideScored", "WorkerState"]


class WorkerState(Enum):
    """Life cycle of the pipeline (after DeepLabCut-live-GUI's worker states).

    STOPPED -> STARTING (start()) -> RUNNING (source open and pose model loaded) -> STOPPING (stop()) ->
    STOPPED. A video that ends without looping goes RUNNING -> STOPPED by itself. A fault on any thread
    goes to FAULTED with `LivePipeline.error` set; start() may be called again from STOPPED or FAULTED.
    """

    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    FAULTED = "faulted"


@dataclass(frozen=True, slots=True)
class PipelineStats:
    """What the status bar shows. Rates and latencies are rolling; counters count since start()."""

    camera_fps: float  # frames grabbed per second (rolling 2 s)
    processing_fps: float  # frames analysed per second (rolling 2 s)
    dropped: int  # frames replaced in the one-slot inbox before analysis
    latency_ms_p50: float  # capture stamp -> overlay drawn (render thread), rolling window
    latency_ms_p95: float
    frames_captured: int
    frames_processed: int
    pose_ms: float  # mean pose inference time, rolling
    # Recording (`LivePipeline.start_recording`); defaults: not recording.
    recording: bool = False  # a recording is on and its writer accepts frames
    recorded_frames: int = 0  # frames written to the session so far
    record_dropped: int = 0  # frames the recorder's full queue refused (counted, never silent)
    record_error: str | None = None  # the writer's last error (disk full...): recording has stopped
    # Analysed frames the render slot replaced before they were drawn (their events and series were
    # delivered, and recorded; only their picture was never shown).
    render_skipped: int = 0


@dataclass(frozen=True, slots=True)
class LiveResult:
    """One analysed frame, produced on the analysis thread (see docs/live_contract.md).

    `frame_index` counts frames grabbed since start() (for a file read once from its start it equals the
    file's frame index; it keeps counting across a loop or a camera reconnection). `media_ts` is the
    pipeline's media time: the source's time, shifted after a loop or a reconnection so it never goes
    back. `pose` is in the coordinates of `image`: when mirroring is on, x is mirrored (x -> 1 - x) but the
    landmark rows keep their meaning, so `Landmark.LEFT_KNEE` is still the athlete's own left knee.
    """

    frame_index: int
    capture_ts: float  # time.monotonic() when grabbed
    media_ts: float
    image: np.ndarray  # BGR uint8 with the overlay drawn (already mirrored if mirroring is on)
    pose: Pose | None  # smoothed, in the coordinates of `image`
    activity: str | None
    activity_confidence: float | None
    reps: int
    partial_reps: int
    phase: str  # "idle", "settling", "top", "descent", "bottom", "ascent", "stance", "swing"
    primary_angle: float | None  # degrees; None when not measurable
    last_rep: dict | None  # coach.reps.analyze.rep_to_json of the last finished rep
    gait: dict | None  # rolling gait summary (see coach.live.activity.GAIT_SUMMARY_KEYS)
    cue: str | None  # latest cue text shown in the banner
    warnings: tuple[str, ...]
    last_stride: dict | None = None  # the last scored gait stride (see `StrideScored`); None for reps

    @property
    def steps(self) -> int:
        """Running/walking: the initial contacts counted so far (0 for reps); the overlay's counter."""
        value = (self.gait or {}).get("steps")
        return int(value) if isinstance(value, int) else 0


@dataclass(frozen=True, slots=True)
class ActivitySwitched:
    """Auto mode recognised another activity (`LivePipeline.drain_events`): the engine of `from_activity`
    was closed and one for `to_activity` started at media time `t` (analysed frame `frame`). `confidence`
    is the classifier's smoothed probability of `to_activity`. `kind` mirrors the engines' event kinds so a
    consumer can dispatch on `event.kind` alone."""

    t: float
    frame: int
    from_activity: str | None
    to_activity: str | None
    confidence: float
    kind: str = "exercise_switched"


@dataclass(frozen=True, slots=True)
class RepScored:
    """The anomaly model's verdict on rep `rep_index` (`LivePipeline.drain_events`), drained right after
    that rep's own event; `anomaly` is the same dict as `LiveResult.last_rep["anomaly"]` and as the rep
    events of `coach analyze --json`: score, threshold, top_joints, phase. `t`/`frame` are the rep's end."""

    t: float
    frame: int
    rep_index: int
    anomaly: dict
    kind: str = "rep_scored"


@dataclass(frozen=True, slots=True)
class StrideScored:
    """The anomaly model's verdict on one gait cycle of a running or walking athlete (one foot's contact to
    its next contact; `LivePipeline.drain_events`), drained on the frame the cycle is confirmed, after that
    frame's gait events. `index` counts scored strides from 1; `foot` is "L" or "R"; `start_s`/`end_s` are
    the contacts' media times; `anomaly` is the same dict as each stride of `coach analyze --json` (score,
    threshold, top_joints, phase). `t`/`frame` are the frame that confirmed it."""

    t: float
    frame: int
    index: int
    foot: str
    start_s: float
    end_s: float
    anomaly: dict
    kind: str = "stride_scored"
