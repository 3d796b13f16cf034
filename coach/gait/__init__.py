"""Gait engine for running and walking: streaming events, metrics, cycles and reference comparison.

Public entry points: `GaitEventDetector` (events only), `GaitEngine` (events + metrics + cycles, live),
`analyze_gait` (a whole `PoseTrack` offline, `to_json()` = the `gait` object of `coach analyze --json`),
`ReferenceProfile` (shipped or user references) and `coach.gait.evaluate` (labelled-clip evaluation).
"""

from coach.gait.analyze import GaitAnalysis, analyze_gait, iter_samples
from coach.gait.detector import DetectorParams, GaitEventDetector
from coach.gait.engine import GaitEngine
from coach.gait.reference import ReferenceProfile, default_reference
from coach.gait.types import EventKind, Foot, GaitEvent

__all__ = [
    "DetectorParams",
    "EventKind",
    "Foot",
    "GaitAnalysis",
    "GaitEngine",
    "GaitEvent",
    "GaitEventDetector",
    "ReferenceProfile",
    "analyze_gait",
    "default_reference",
    "iter_samples",
]
