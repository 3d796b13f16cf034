"""Rep engine: streaming rep counting, per-rep metrics and view-aware form faults for the rep exercises.

`catalogue` declares each exercise as data, `signals` turns a pose into features, `engine.RepEngine` is the
per-athlete state machine, `analyze.analyze_reps` runs a whole smoothed track, `evaluate` compares counts
with a labels file, `synthetic` makes test athletes.
"""

from coach.reps.analyze import RepAnalysis, analyze_reps
from coach.reps.catalogue import CATALOGUE, ExerciseSpec, spec_for
from coach.reps.engine import Event, EventKind, Fault, Rep, RepEngine, RepState

__all__ = [
    "CATALOGUE",
    "Event",
    "EventKind",
    "ExerciseSpec",
    "Fault",
    "Rep",
    "RepAnalysis",
    "RepEngine",
    "RepState",
    "analyze_reps",
    "spec_for",
]
