"""The ONNX models in the live pipeline: which activity the athlete is doing, and how each rep compares
with good reps (issue 5 at run time; `coach.analysis.model_scores` is the offline counterpart).

* `LiveModels.observe` keeps a ring buffer of the smoothed poses (`PoseRing`) and feeds the streaming
  exercise classifier (`coach.ml.LiveExerciseClassifier`, which smooths the probabilities and switches
  only with hysteresis) at the classifier's own sampling rate, not every frame: its per-frame feature
  extraction is the expensive part (~0.25 ms), and the model only ever reads the window resampled at that
  rate, so frames in between would be computed and then interpolated away.
* `LiveModels.score_rep` scores a finished rep with the rep autoencoder over the rows of the ring buffer
  that span it, exactly as offline scores the rows of the track (`RepAnomalyScorer.score_rep`).
* `LiveModels.score_stride` scores a gait cycle (one foot's contact to its next contact) the same way, over
  the buffered rows whose media time lies in the cycle, as `coach.analysis.model_scores.stride_anomalies`
  selects rows of the track.
* `joint_scores` turns the per-channel attribution into per-joint colours for
  `coach.overlay.JointAnomalyAnnotator`.

Threads: the model sessions are loaded once per process (`load_models`, read-only afterwards, safe from any
thread); a `LiveModels` and its `PoseRing` belong to the analysis thread that feeds them.
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

import numpy as np

from coach.activities import GAIT_ACTIVITIES
from coach.errors import CoachError
from coach.gait.engine import Cycle
from coach.ml.anomaly import DEFAULT_MODEL as ANOMALY_MODEL
from coach.ml.anomaly import AnomalyResult, RepAnomalyScorer, personal_threshold
from coach.ml.classifier import DEFAULT_MODEL as CLASSIFIER_MODEL
from coach.ml.classifier import ExerciseClassifier, LiveExerciseClassifier, LiveState
from coach.ml.paths import model_path
from coach.reps.catalogue import CATALOGUE
from coach.reps.engine import Rep

__all__ = [
    "LiveModels",
    "PoseRing",
    "activity_of_label",
    "athlete_thresholds",
    "joint_scores",
    "load_live_models",
    "load_models",
]

log = logging.getLogger(__name__)

M = TypeVar("M", ExerciseClassifier, RepAnomalyScorer)

# The ring buffer covers the longest rep any exercise allows plus this margin (the rest before it where
# its movement may begin, up to 2 s, see `Rep.motion_span`; and a rep is scored on the frame its end is
# confirmed, up to a second after its last frame), at up to this camera rate.
RING_MARGIN_S = 4.0
RING_MAX_FPS = 120.0
# A rep spanning fewer rows cannot be time-normalised meaningfully (as offline).
MIN_REP_ROWS = 4
# Joint colour from a channel's error ratio (error / the channel's good-rep error): 1x -> 0 (green),
# 2x -> 0.5 (yellow; the ratio above which `RepAnomalyScorer` names a body part), 4x or more -> 1 (red).
_RATIO_AT_RED = 4.0


@functools.cache
def load_models() -> tuple[ExerciseClassifier | None, RepAnomalyScorer | None]:
    """The shipped classifier and rep autoencoder, each None (logged once) when its file is missing or
    does not match this version: the live app then runs without that model rather than not at all."""
    return _load(ExerciseClassifier, CLASSIFIER_MODEL), _load(RepAnomalyScorer, ANOMALY_MODEL)


def _load(cls: Callable[[Path], M], name: str) -> M | None:
    path = model_path(name)
    if not path.is_file():  # checked first: onnxruntime's own error for a missing file is not specific
        log.warning("%s not found: live %s is off", path, _name(cls))
        return None
    try:
        return cls(path)
    except CoachError as exc:  # ModelMetadataError: a model of another version
        log.warning("live %s is off: %s", _name(cls), exc)
        return None


def _name(cls: object) -> str:
    return getattr(cls, "__name__", repr(cls))


def activity_of_label(label: str | None) -> str | None:
    """The pipeline activity a classifier label stands for: a catalogue exercise or a gait activity;
    None for "idle", "other" and anything the engines cannot track."""
    if label is not None and (label in CATALOGUE or label in GAIT_ACTIVITIES):
        return label
    return None


def joint_scores(channel_ratios: Mapping[str, float]) -> dict[str, float]:
    """Per-joint scores in [0, 1] for `JointAnomalyAnnotator` from `AnomalyResult.channel_ratios`.

    World and image channels of the same joint are combined by their maximum (either view of the joint
    being off is worth showing); the trunk is shown on the shoulders, knee caving on both knees, heel lift
    on both heels. A ratio of 0 means the channel was not measured in this rep and colours nothing.
    """
    out: dict[str, float] = {}
    for channel, ratio in channel_ratios.items():
        if not (math.isfinite(ratio) and ratio > 0.0):
            continue
        score = min(1.0, max(0.0, math.log2(ratio) / math.log2(_RATIO_AT_RED)))
        for joint in _CHANNEL_JOINTS.get(channel.removeprefix("world_").removeprefix("img_"), ()):
            out[joint] = max(out.get(joint, 0.0), score)
    return out


_CHANNEL_JOINTS: dict[str, tuple[str, ...]] = {
    **{f"{side}_{j}": (f"{side}_{j}",) for side in ("left", "right")
       for j in ("knee", "hip", "elbow", "shoulder", "ankle")},
    "trunk_lean": ("left_shoulder", "right_shoulder"),
    "knee_width_ratio": ("left_knee", "right_knee"),
    "heel_lift": ("left_heel", "right_heel"),
}  # fmt: skip


class PoseRing:
    """The last `capacity` smoothed poses with their frame indices and media times, preallocated (no
    per-frame allocation: one row copy per frame). Rows hold NaN for frames without a pose, as the offline
    track does."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._lm: np.ndarray | None = None  # allocated on the first frame, in the smoother's dtype
        self._world: np.ndarray | None = None
        self._frame = np.full(capacity, -1, dtype=np.int64)
        self._t = np.full(capacity, np.nan)
        self._n = 0  # rows ever written

    def __len__(self) -> int:
        return min(self._n, self.capacity)

    def append(self, frame: int, landmarks: np.ndarray, world: np.ndarray, t: float = math.nan) -> None:
        """Add frame `frame` (media time `t`, needed only by `span_time`), overwriting the oldest."""
        if self._lm is None or self._world is None:
            self._lm = np.full((self.capacity, *landmarks.shape), np.nan, dtype=landmarks.dtype)
            self._world = np.full((self.capacity, *world.shape), np.nan, dtype=world.dtype)
        i = self._n % self.capacity
        self._lm[i] = landmarks
        self._world[i] = world
        self._frame[i] = frame
        self._t[i] = t
        self._n += 1

    def span(self, first_frame: int, last_frame: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Copies of the (landmarks, world) rows of frames `first_frame`..`last_frame`, oldest first; None
        when the buffer no longer holds `first_frame` (or holds nothing of the span)."""
        n = len(self)
        if n == 0 or self._lm is None or self._world is None:
            return None
        order = (self._n - n + np.arange(n)) % self.capacity
        frames = self._frame[order]
        if frames[0] > first_frame:
            return None
        return self._rows(order[(frames >= first_frame) & (frames <= last_frame)])

    def span_time(self, t0: float, t1: float) -> tuple[np.ndarray, np.ndarray] | None:
        """Copies of the rows with media time in [`t0`, `t1`), oldest first (the rows offline takes for a
        gait cycle); None when the buffer no longer reaches back to `t0` (or holds nothing in the span)."""
        n = len(self)
        if n == 0:
            return None
        order = (self._n - n + np.arange(n)) % self.capacity
        ts = self._t[order]
        if not ts[0] <= t0:  # also False for NaN: rows appended without a time
            return None
        return self._rows(order[(ts >= t0) & (ts < t1)])

    def _rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        if len(rows) == 0 or self._lm is None or self._world is None:
            return None
        return self._lm[rows], self._world[rows]


class LiveModels:
    """Exercise recognition and per-rep anomaly for one live run (analysis thread; see module docstring).

    Either model may be None (not installed): `observe` then only fills the ring buffer and `score_rep`
    returns None.
    """

    def __init__(
        self,
        classifier: ExerciseClassifier | None,
        scorer: RepAnomalyScorer | None,
        thresholds: Mapping[str, float] | None = None,
    ) -> None:
        """`thresholds`: the athlete's personal anomaly threshold per exercise (`athlete_thresholds`); an
        exercise not in it is judged by the population threshold."""
        self.recognizer = LiveExerciseClassifier(classifier) if classifier is not None else None
        self.scorer = scorer
        self.thresholds: Mapping[str, float] = dict(thresholds or {})
        longest = max(spec.max_rep_s for spec in CATALOGUE.values())
        self.ring = PoseRing(int(math.ceil((longest + RING_MARGIN_S) * RING_MAX_FPS)))
        self.state: LiveState | None = None  # the classifier's latest output
        self._period = 1.0 / classifier.rate_hz if classifier is not None else math.inf
        self._due = -math.inf  # media time of the next frame due for the classifier

    def observe(
        self,
        t: float,
        frame: int,
        landmarks: np.ndarray,
        world: np.ndarray,
        image_size: tuple[int, int],
        has_pose: bool,
    ) -> LiveState | None:
        """Record one smoothed frame; returns the classifier's new state when it ran its model."""
        self.ring.append(frame, landmarks, world, t)
        # On a schedule at the window rate rather than "a period since the last feed", so a 25 fps camera
        # still averages the window rate instead of falling to every other frame (12.5 Hz). A tenth of a
        # period of slack keeps float jitter in media times from skipping a due frame; after a gap the
        # schedule restarts from the current frame instead of catching up.
        if self.recognizer is None or t < self._due - 0.1 * self._period:
            return None
        late = t - self._due > self._period
        self._due = t + self._period if late else self._due + self._period
        state = self.recognizer.update(
            t, landmarks if has_pose else None, world if has_pose else None, image_size
        )
        if state is not None:
            self.state = state
        return state

    def confidence(self, activity: str | None) -> float | None:
        """The smoothed probability of `activity` (None before the classifier's first output, or when it
        has no such label)."""
        if self.state is None or activity is None:
            return None
        return self.state.probabilities.get(activity)

    def score_rep(self, exercise: str, rep: Rep, image_size: tuple[int, int]) -> AnomalyResult | None:
        """The anomaly verdict on a finished rep from the buffered poses; None when there is no model for
        `exercise`, the rep is too short, or it started before the oldest buffered frame."""
        if self.scorer is None or not self.scorer.supports(exercise):
            return None
        span = self.ring.span(*rep.motion_span)  # the whole movement, as offline
        if span is None or len(span[0]) < MIN_REP_ROWS:
            log.debug("rep %d not scored: %s", rep.index, "too short" if span else "not buffered")
            return None
        return self._score(exercise, span, image_size)

    def score_stride(self, activity: str, cycle: Cycle, image_size: tuple[int, int]) -> AnomalyResult | None:
        """The anomaly verdict on a gait cycle from the buffered poses (the rows with media time in
        [t0, t1), as offline); None when there is no model for `activity`, the cycle spans too few rows, or
        it started before the oldest buffered frame."""
        if self.scorer is None or not self.scorer.supports(activity):
            return None
        span = self.ring.span_time(cycle.t0, cycle.t1)
        if span is None or len(span[0]) < MIN_REP_ROWS:
            log.debug("%s stride at %.2f s not scored: %s", cycle.foot.value, cycle.t0,
                      "too short" if span else "not buffered")
            return None
        return self._score(activity, span, image_size)

    def _score(
        self, activity: str, span: tuple[np.ndarray, np.ndarray], image_size: tuple[int, int]
    ) -> AnomalyResult | None:
        assert self.scorer is not None
        landmarks, world = span
        result = self.scorer.score_rep(activity, landmarks, world, image_size, 0, len(landmarks) - 1,
                                       threshold=self.thresholds.get(activity))
        return result if math.isfinite(result.score) else None


def athlete_thresholds(athlete: str, scorer: RepAnomalyScorer) -> dict[str, float]:
    """`LiveModels.thresholds` for `athlete`: per exercise with reps of theirs marked good form in the
    session library, the personal threshold (`coach.ml.anomaly.personal_threshold`). Read once, before a
    run, so the analysis thread never waits for the library."""
    from coach.library import athlete_good_form_scores  # sqlite3: only for a named athlete

    out: dict[str, float] = {}
    for exercise in scorer.exercises:
        scores = athlete_good_form_scores(athlete, exercise)
        if scores:
            out[exercise] = personal_threshold(scores, default=scorer.default_threshold(exercise))
            log.info("%s: personal %s threshold %.2f (%d good-form reps)", athlete, exercise,
                     out[exercise], len(scores))
    return out


def load_live_models(athlete: str = "") -> LiveModels:
    """`LiveModels` over the process's model sessions (`load_models`), with `athlete`'s personal
    thresholds when one is named (what the live app and headless recording both run)."""
    classifier, scorer = load_models()
    thresholds = athlete_thresholds(athlete, scorer) if athlete and scorer is not None else None
    return LiveModels(classifier, scorer, thresholds)
