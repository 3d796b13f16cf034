"""The live coaching core (no Qt): `LivePipeline` runs capture and analysis threads; the GUI pulls
`LiveResult`s from it. See docs/live_contract.md and the `pipeline` module for threads and ownership."""

from coach.live.activity import ActivityTracker
from coach.live.inbox import LatestSlot
from coach.live.pipeline import CAMERA_LOST, DARK_WARNING, NO_PERSON, VIDEO_ENDED, LivePipeline
from coach.live.recording import LiveRecorder
from coach.live.step import AnalysisStep, StepOutput
from coach.live.types import ActivitySwitched, LiveResult, PipelineStats, RepScored, StrideScored, WorkerState

__all__ = [
    "CAMERA_LOST",
    "DARK_WARNING",
    "NO_PERSON",
    "VIDEO_ENDED",
    "ActivitySwitched",
    "ActivityTracker",
    "AnalysisStep",
    "LatestSlot",
    "LiveResult",
    "LivePipeline",
    "LiveRecorder",
    "PipelineStats",
    "RepScored",
    "StrideScored",
    "StepOutput",
    "WorkerState",
]
