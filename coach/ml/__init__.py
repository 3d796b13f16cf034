"""Runtime model wrappers over onnxruntime (no torch): the exercise classifier with its live smoothing, and
the rep/stride anomaly scorer. Model files are found with `model_path` (see `coach.ml.paths`)."""

from coach.ml.anomaly import AnomalyResult, AthleteBaseline, RepAnomalyScorer
from coach.ml.classifier import ClipClassification, ExerciseClassifier, LiveExerciseClassifier, LiveState
from coach.ml.paths import model_path

__all__ = [
    "AnomalyResult",
    "AthleteBaseline",
    "ClipClassification",
    "ExerciseClassifier",
    "LiveExerciseClassifier",
    "LiveState",
    "RepAnomalyScorer",
    "model_path",
]
