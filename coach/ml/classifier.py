"""Exercise classifier at run time: windows of `coach.features` -> probabilities over the labels stored in
the ONNX file, plus the live wrapper that smooths them and switches exercise only with hysteresis.

Everything about the model's input (feature names, window length and rate, normalisation statistics,
labels) is read from the file's metadata; a file whose feature list differs from this version's
`coach.features.FEATURE_NAMES` is refused rather than fed the wrong columns.

Threads: `ExerciseClassifier` is stateless apart from its session (any thread). `LiveExerciseClassifier`
keeps a frame buffer and belongs to the one analysis thread that feeds it.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.analysis.track import PoseTrack
from coach.features import (
    FEATURE_NAMES,
    fill_missing,
    frame_features,
    mirror_windows,
    window_ends,
    window_features,
)
from coach.ml.onnx_model import ModelMetadataError, OnnxModel
from coach.ml.paths import model_path

__all__ = ["ClipClassification", "ExerciseClassifier", "LiveExerciseClassifier", "LiveState"]

DEFAULT_MODEL = "exercise_classifier.onnx"


@dataclass(frozen=True, slots=True)
class ClipClassification:
    """A whole clip: the label with the highest mean window probability, and the per-window detail."""

    label: str
    confidence: float
    mean_probabilities: dict[str, float]
    window_end_s: np.ndarray  # (M,)
    window_probabilities: np.ndarray  # (M, labels)


class ExerciseClassifier:
    """The ONNX exercise classifier and its window specification (from the file's metadata)."""

    def __init__(self, path: Path | None = None) -> None:
        self.model = OnnxModel.load(path or model_path(DEFAULT_MODEL))
        m = self.model
        if m.require("coach.model") != "exercise_classifier":
            raise ModelMetadataError(f"{m.path} is not an exercise classifier")
        if tuple(m.json("coach.features")) != FEATURE_NAMES:
            raise ModelMetadataError(f"{m.path} was trained on other features than this version computes")
        self.labels: tuple[str, ...] = tuple(m.json("coach.labels"))
        self.length = int(m.require("coach.window_length"))
        self.rate_hz = float(m.require("coach.window_rate_hz"))
        self.hop_s = float(m.require("coach.window_hop_s"))
        self.version = m.require("coach.version")
        self._mean = np.asarray(m.json("coach.feature_mean"), dtype=np.float32)
        self._std = np.asarray(m.json("coach.feature_std"), dtype=np.float32)
        # Files from before version 5 have no such key: their windows are used as they are.
        self.mirror_average = m.meta.get("coach.mirror_average", "0") == "1"

    @property
    def window_s(self) -> float:
        return (self.length - 1) / self.rate_hz

    def predict(self, windows: np.ndarray) -> np.ndarray:
        """(M, length, F) raw window features (NaN allowed) -> (M, labels) probabilities.

        When the file asks for it, each window's probabilities are averaged with those of its mirror image
        (left and right swapped): a left-facing athlete and a right-facing one then get the same answer,
        and on real clips the average was steadier than either side alone. Both go in one call."""
        raw = np.asarray(windows, dtype=np.float32)
        if self.mirror_average:
            raw = np.concatenate([raw, mirror_windows(raw).astype(np.float32)])
        p = self.model.run(fill_missing((raw - self._mean) / self._std))
        if self.mirror_average:
            half = len(p) // 2
            p = 0.5 * (p[:half] + p[half:])
        return p

    def window(self, frames: np.ndarray, ts: np.ndarray, t_end: float) -> np.ndarray:
        return window_features(frames, ts, t_end, self.rate_hz, self.length)

    def classify_track(self, track: PoseTrack, *, min_present: float = 0.5) -> ClipClassification | None:
        """Classify a SMOOTHED track (as `analyze_video` produces); None when no window has enough pose."""
        frames = frame_features(track.landmarks, track.world, track.image_size)
        ends = window_ends(track.media_ts, self.window_s, self.hop_s)
        if len(ends) == 0:
            return None
        x = np.stack([self.window(frames, track.media_ts, float(e)) for e in ends])
        keep = x[:, :, -1].mean(axis=1) >= min_present
        if not keep.any():
            return None
        probs = self.predict(x[keep])
        mean = probs.mean(axis=0)
        i = int(mean.argmax())
        return ClipClassification(
            self.labels[i],
            float(mean[i]),
            dict(zip(self.labels, map(float, mean), strict=True)),
            ends[keep],
            probs,
        )


@dataclass(frozen=True, slots=True)
class LiveState:
    """The live classifier's output after an inference."""

    t: float
    label: str | None  # the current (debounced) exercise; None until one is established
    confidence: float  # smoothed probability of `label`
    top: str  # the smoothed top label right now (may differ from `label` while switching)
    probabilities: dict[str, float]  # smoothed
    switched: bool  # `label` changed at this update


class LiveExerciseClassifier:
    """Streaming classifier: feed every smoothed pose with `update`; it runs the model every `hop_s` of
    media time on the last window, smooths the probabilities with an exponential moving average of time
    constant `tau_s`, and switches the current exercise only when another label has been the smoothed top
    with at least `enter` probability for `min_dwell_s`. Until then the current one stays, so a few
    ambiguous windows (standing between sets, a turn) do not flip it.
    """

    def __init__(
        self,
        classifier: ExerciseClassifier,
        *,
        hop_s: float = 0.25,
        tau_s: float = 1.0,
        enter: float = 0.6,
        min_dwell_s: float = 1.0,
    ) -> None:
        self.c = classifier
        self.hop_s, self.tau_s, self.enter, self.min_dwell_s = hop_s, tau_s, enter, min_dwell_s
        # Enough frames for a window at up to 120 fps plus slack.
        # Per frame: its features once computed (None until then) and the pose they come from. Features are
        # computed in one batch when the model runs (every `hop_s`), not frame by frame: `frame_features` is
        # vectorised over frames, so four frames cost about what one does, and the live analysis thread
        # keeps that time for pose. Rows do not depend on each other, so the result is the same.
        size = int(math.ceil(classifier.window_s * 120)) + 16
        self._frames: deque[np.ndarray | None] = deque(maxlen=size)
        self._poses: deque[tuple[np.ndarray, np.ndarray] | None] = deque(maxlen=size)
        self._ts: deque[float] = deque(maxlen=size)
        self._image_size: tuple[int, int] = (1, 1)
        self._smoothed: np.ndarray | None = None
        self._last_run: float | None = None
        self._label: str | None = None
        self._candidate: str | None = None
        self._candidate_since = 0.0

    def update(
        self, t: float, landmarks: np.ndarray | None, world: np.ndarray | None, image_size: tuple[int, int]
    ) -> LiveState | None:
        """Add one frame (landmarks (33, 5) / world (33, 3), or None without a pose) at media time `t`;
        returns a `LiveState` when the model ran, else None."""
        if landmarks is None or world is None:
            row = np.full(len(FEATURE_NAMES) + 2, np.nan)
            row[len(FEATURE_NAMES) - 1] = 0.0
            self._frames.append(row)
            self._poses.append(None)
        else:
            if image_size != self._image_size:
                self._compute_pending()  # pending rows belong to the old size
                self._image_size = image_size
            self._frames.append(None)
            self._poses.append((np.asarray(landmarks), np.asarray(world)))
        self._ts.append(t)
        if self._ts[-1] - self._ts[0] < 0.5 * self.c.window_s:
            return None
        if self._last_run is not None and t - self._last_run < self.hop_s:
            return None
        dt = t - self._last_run if self._last_run is not None else self.hop_s
        self._last_run = t
        self._compute_pending()
        x = self.c.window(np.asarray(self._frames), np.asarray(self._ts), t)
        if x[:, -1].mean() < 0.5:
            return None  # mostly nobody in view: keep the current state
        p = self.c.predict(x[None])[0]
        a = 1.0 - math.exp(-dt / self.tau_s)
        self._smoothed = p if self._smoothed is None else (1 - a) * self._smoothed + a * p
        s = self._smoothed
        top = self.c.labels[int(s.argmax())]
        switched = False
        if top != self._label and s.max() >= self.enter:
            if top != self._candidate:
                self._candidate, self._candidate_since = top, t
            if t - self._candidate_since >= self.min_dwell_s or self._label is None:
                self._label, switched = top, True
                self._candidate = None
        elif top == self._label:
            self._candidate = None
        conf = float(s[self.c.labels.index(self._label)]) if self._label else 0.0
        return LiveState(
            t, self._label, conf, top, dict(zip(self.c.labels, map(float, s), strict=True)), switched
        )

    def _compute_pending(self) -> None:
        """Features of the frames that have a pose but no row yet, in one vectorised call."""
        todo = [i for i, row in enumerate(self._frames) if row is None]
        if not todo:
            return
        poses = [self._poses[i] for i in todo]
        lm = np.stack([p[0] for p in poses if p is not None])
        world = np.stack([p[1] for p in poses if p is not None])
        rows = frame_features(lm, world, self._image_size)
        for i, row in zip(todo, rows, strict=True):
            self._frames[i] = row
