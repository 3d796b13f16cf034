"""Rep / stride anomaly scores at run time from the ONNX autoencoder and its metadata.

``score`` = reconstruction error of the rep's trajectory (`coach.features.reps`), standardised with the
exercise's mean rep and spread, as a z-score against the exercise's good reps in log space, kept
positive. The error is the mean squared error over valid samples, or (files with ``coach.score_mode`` =
``channel_ratio_mean``) the mean over measured channels of each channel's error divided by its own
good-rep level, so a channel that is noisy in good reps cannot drown the one a fault moves. Score:
``exp(log(err / median good err) / sd(log good err))`` (1.0 = a typical good rep, each factor e above =
one spread worse). Files without ``coach.log_error_sd`` (version 1) use the plain ratio
``err / median good err``. ``threshold`` = the 95th percentile of good reps' scores, from the file, unless the
athlete set a personal baseline (`AthleteBaseline`: a few reps marked good, no training). Attribution:
the channels whose error is furthest above their own good-rep level ("left knee", "trunk") and, for the
worst one, the phase of the rep where it deviates most ("at the turn").

Threads: `RepAnomalyScorer` is stateless apart from its session (any thread); an `AthleteBaseline` belongs
to the thread that owns the session's athlete.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from coach.features.reps import CHANNEL_LABELS, CHANNELS, PHASES, REP_SAMPLES, rep_trajectory
from coach.ml.onnx_model import ModelMetadataError, OnnxModel
from coach.ml.paths import model_path

__all__ = ["AnomalyResult", "AthleteBaseline", "RepAnomalyScorer", "personal_threshold"]

DEFAULT_MODEL = "rep_autoencoder.onnx"


@dataclass(frozen=True, slots=True)
class AnomalyResult:
    """One rep's verdict. `top_joints` are body parts (see `CHANNEL_LABELS`), worst first."""

    score: float
    threshold: float
    top_joints: tuple[str, ...]
    phase: str  # where the worst channel deviates most
    channel_ratios: dict[str, float] = field(default_factory=dict)  # error / good-rep error per channel
    # The model's own threshold when `threshold` is a personal one (None: `threshold` is the model's). Kept
    # in the verdict so a later personal threshold is rescaled from the population one, not compounded.
    population_threshold: float | None = None

    @property
    def anomalous(self) -> bool:
        return self.score > self.threshold

    def to_json(self) -> dict:
        """The ``"anomaly"`` entry of a rep event in ``coach analyze --json`` (and of recorded sessions,
        with ``population_threshold`` when `threshold` is the athlete's own)."""
        out = {
            "score": round(self.score, 3),
            "threshold": round(self.threshold, 3),
            "top_joints": list(self.top_joints),
            "phase": self.phase,
        }
        if self.population_threshold is not None:
            out["population_threshold"] = round(self.population_threshold, 3)
        return out


class RepAnomalyScorer:
    """The ONNX rep autoencoder plus the per-exercise statistics stored in its metadata."""

    def __init__(self, path: Path | None = None) -> None:
        self.model = OnnxModel.load(path or model_path(DEFAULT_MODEL))
        m = self.model
        if m.require("coach.model") != "rep_autoencoder":
            raise ModelMetadataError(f"{m.path} is not a rep autoencoder")
        channels = tuple(m.json("coach.channels"))
        if not set(channels) <= set(CHANNELS) or int(m.require("coach.rep_samples")) != REP_SAMPLES:
            raise ModelMetadataError(f"{m.path} was trained on other rep channels than this version computes")
        # The file names its channels; this version computes a superset and picks them by name.
        self.channels: tuple[str, ...] = channels
        self._cols = np.array([CHANNELS.index(c) for c in channels])
        self.exercises: tuple[str, ...] = tuple(m.json("coach.exercises"))
        n_e = len(self.exercises)
        self._mean = np.asarray(m.json("coach.rep_mean"), dtype=np.float32).reshape(n_e, REP_SAMPLES, -1)
        self._std = np.asarray(m.json("coach.rep_std"), dtype=np.float32).reshape(n_e, -1)
        self._ref = np.asarray(m.json("coach.reference_error"), dtype=np.float64)
        self._thr = np.asarray(m.json("coach.threshold"), dtype=np.float64)
        self._log_sd = (
            np.asarray(m.json("coach.log_error_sd"), dtype=np.float64)
            if "coach.log_error_sd" in m.meta
            else None
        )
        self._chan_ref = np.asarray(m.json("coach.channel_reference"), dtype=np.float64).reshape(n_e, -1)
        # Version 3: each channel's error over its good-rep level, averaged (see the module docstring).
        self._score_mode = m.meta.get("coach.score_mode", "mse")
        self.version = m.require("coach.version")
        self._names = [i.name for i in m.session.get_inputs()]

    def supports(self, exercise: str) -> bool:
        return exercise in self.exercises

    def default_threshold(self, exercise: str) -> float:
        return float(self._thr[self.exercises.index(exercise)])

    def score_trajectory(
        self, exercise: str, trajectory: np.ndarray, *, threshold: float | None = None
    ) -> AnomalyResult:
        """Score one rep given as a (REP_SAMPLES, C) trajectory (NaN allowed)."""
        e = self.exercises.index(exercise)
        if trajectory.shape[1] == len(CHANNELS):
            trajectory = trajectory[:, self._cols]
        z = (trajectory - self._mean[e]) / self._std[e]
        valid = np.isfinite(z)
        z = np.where(valid, z, 0.0).astype(np.float32)
        onehot = np.zeros((1, len(self.exercises)), dtype=np.float32)
        onehot[0, e] = 1.0
        rec = self.model.session.run(None, {self._names[0]: z[None], self._names[1]: onehot})[0][0]
        se = (rec - z) ** 2 * valid
        per_chan = se.sum(axis=0) / np.maximum(valid.sum(axis=0), 1)
        ratio = per_chan / self._chan_ref[e]
        if self._score_mode == "channel_ratio_mean":
            measured = valid.any(axis=0)
            err = float(ratio[measured].mean()) if measured.any() else 0.0
        else:
            err = float(se.sum() / max(int(valid.sum()), 1))
        ratio_err = err / self._ref[e]
        if self._log_sd is None:
            score = ratio_err
        else:
            score = float(np.exp(np.log(max(ratio_err, 1e-12)) / float(self._log_sd[e])))
        order = [int(i) for i in np.argsort(-ratio) if valid[:, i].any()]
        top: list[str] = []
        for i in order:
            label = CHANNEL_LABELS[self.channels[i]]
            if label not in top and ratio[i] > 2.0:
                top.append(label)
            if len(top) == 3:
                break
        phase = ""
        if order:
            worst = se[:, order[0]]
            pos = np.linspace(0.0, 1.0, REP_SAMPLES)
            best = max(PHASES, key=lambda p: worst[(pos >= p[1]) & (pos < p[2])].mean())
            phase = best[0]
        population = self.default_threshold(exercise)
        ratios = {c: float(ratio[i]) for i, c in enumerate(self.channels)}
        if threshold is None:
            return AnomalyResult(score, population, tuple(top), phase, ratios)
        return AnomalyResult(score, threshold, tuple(top), phase, ratios, population_threshold=population)

    def score_rep(
        self,
        exercise: str,
        landmarks: np.ndarray,
        world: np.ndarray,
        image_size: tuple[int, int],
        first: int,
        last: int,
        *,
        threshold: float | None = None,
    ) -> AnomalyResult:
        """Score the rep spanning rows `first`..`last` of SMOOTHED landmark/world arrays."""
        traj = rep_trajectory(landmarks, world, image_size, first, last)
        return self.score_trajectory(exercise, traj, threshold=threshold)


def personal_threshold(
    good_scores: Iterable[float], default: float, margin: float = 1.25, floor: float = 1.0
) -> float:
    """The threshold set by reps marked good; `default` (the population threshold) when none has a score.

    Scores are normalised so that a typical good rep of the training population scores 1.0: the athlete's
    typical good rep (the median of the marked ones) rescales the population threshold to them, looser for
    an athlete whose normal form the model finds unusual (a camera angle, a build), tighter for a
    consistent one. It never flags a marked rep itself (`margin` x the worst of them) and never drops below
    `floor`. Synthetic check (two good reps marked, the same body and camera's other reps): 0.03 of good
    reps flagged and 0.88 of faulty ones, against 0.07 and 0.90 with the population threshold, and 0.21
    and 0.97 when only `margin` x the worst marked rep was used (too tight: one rep cannot show the
    athlete's spread)."""
    scores = [float(s) for s in good_scores if math.isfinite(s)]
    if not scores:
        return default
    terms = [floor, margin * max(scores)]
    if math.isfinite(default):
        terms.append(default * float(np.median(scores)))
    return max(terms)


class AthleteBaseline:
    """A personal threshold from reps the athlete marks as good: no training at run time, just their own
    scores (`personal_threshold`: the population threshold rescaled to the athlete's typical good rep,
    never below `margin` x the worst marked rep nor `floor`)."""

    def __init__(
        self, scorer: RepAnomalyScorer, exercise: str, margin: float = 1.25, floor: float = 1.0
    ) -> None:
        self.scorer, self.exercise, self.margin, self.floor = scorer, exercise, margin, floor
        self._good: list[float] = []

    def add_good(self, trajectory: np.ndarray) -> None:
        self._good.append(self.scorer.score_trajectory(self.exercise, trajectory).score)

    @property
    def threshold(self) -> float:
        default = self.scorer.default_threshold(self.exercise)
        return personal_threshold(self._good, default, self.margin, self.floor)

    def score(self, trajectory: np.ndarray) -> AnomalyResult:
        return self.scorer.score_trajectory(self.exercise, trajectory, threshold=self.threshold)
