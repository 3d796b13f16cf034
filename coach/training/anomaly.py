"""The per-rep / per-stride anomaly autoencoder (torch): data from the synthesizer's good reps, a small
exercise-conditioned MLP autoencoder, its training loop and the synthetic faulty-vs-good AUROC.

Scoring (mirrored by `coach.ml.anomaly` at run time, from the ONNX metadata): standardise the rep
trajectory with the exercise's mean rep and per-channel spread (synthetic good reps only), reconstruct it,
take each channel's mean squared error over its valid samples divided by that channel's error on good reps
(`SCORE_MODE`; version 2 took the plain mean squared error), average over the measured channels, and
express it as a z-score against the exercise's good
reps in log space, kept positive: ``score = exp(z)``, ``z = log(err / median good err) / sd(log good err)``
(1.0 = a typical good rep, each factor e = one spread worse). The threshold is the 95th percentile of
good held-out reps' scores.

Synthetic and real reps alike are cut where the product cuts them: the rep engine's whole-movement span
(`coach.reps.engine.Rep.motion_span`, from where the primary signal leaves rest to where it regains it,
relative to the rep's own excursion) for rep exercises, the gait engine's cycles (each foot's contact to its
next contact) for strides (version 6; before, the synthesizer's one-foot spans). Version 3 trained on
the synthesizer's exact rest-to-rest spans and the runtime fed it the engine's counting span (which cuts
off the slow start and finish): every real rep looked odd. The pooled AUROC on the exact spans is still
reported (`auroc_all_truth_cuts`).

Training data: good synthetic reps plus, when given, the real reps and strides of clips without a form label
(weighted up), which narrows the synthetic-to-real gap; the real-clip check retrains without the held-out
clip's source (leave-one-source-out), so a clip is never scored by a model that saw its source.

Outlier exposure (version 5): the model learns to reconstruct good reps, and faulty synthetic reps (the
synthesizer's labelled faults, seeds apart from the test seeds) are shown to it as reps it must NOT
reconstruct where the fault is: a hinge loss pushes their error on the fault's own channels
(`FAULT_CHANNELS`) above `OUTLIER_MARGIN`, while their other channels are still reconstructed, so the
attribution names the body part the fault is in. Without it the autoencoder generalised to faults as well as
to good reps (a valgus squat is a squat). Because the test faults are of the kinds it was shown, the report
also measures each fault kind left out of the negatives (`auroc_unseen_fault`): the figure for a fault the
synthesizer does not model; and how often a flagged faulty rep's worst channel is one of its fault's
(`attribution_fit`).

Threads: call from one thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from coach.activities import GAIT_ACTIVITIES, REP_EXERCISES
from coach.features.reps import CHANNELS, REP_SAMPLES, rep_trajectory
from coach.pose.smoothing import smooth_track
from coach.synth import FAULTS, generate
from coach.training.rep_spans import FULL_BODY, engine_spans

log = logging.getLogger(__name__)

ANOMALY_EXERCISES: tuple[str, ...] = (*REP_EXERCISES, "running", "walking")
AE_VERSION = "6"
# How a rep's per-channel errors become one error (read by the runtime from the file's metadata).
SCORE_MODE = "channel_ratio_mean"
REAL_REPEAT = 3  # each real good rep counts this many times (they are few next to the synthetic ones)
# A faulty rep's mean squared error over its fault's channels (standardised units) is pushed above this.
# Good reps' error is 0.3-0.7 at the median (95th percentile 0.9-1.9). Development harness, pooled synthetic
# AUROC / share of flagged faulty reps whose worst channel is the fault's: no outliers 0.873 / 0.83;
# margin 4: 0.935-0.948 / 0.96 (three seeds), 6: 0.948-0.950 / 0.96-0.98, 8: 0.955-0.957 / 0.97, 12 and
# 16: 0.957-0.958 (the plateau). The hinge on ALL channels gave 0.958 but 0.61: the model learned to err
# anywhere on a faulty rep, and the coach would name the wrong joint.
OUTLIER_MARGIN = 8.0
OUTLIER_WEIGHT = 1.0  # 2 gave the same as 1
# Synthetic clips per exercise and fault. Shipped recipe, three training seeds: 32 gave a pooled AUROC of
# 0.941-0.943, 64 gave 0.949-0.950.
OUTLIER_CLIPS = 64
OUTLIER_SEED_OFFSET = 200_000  # apart from training (0..), calibration (500 000..) and test (700 000..) seeds


def _channels_with(*parts: str) -> frozenset[str]:
    return frozenset(c for c in CHANNELS if any(p in c for p in parts))


# Where each synthetic fault shows: the rep channels (`coach.features.reps.CHANNELS`) it moves. Outlier
# exposure raises the error there, and `attribution_fit` checks the rep's worst channel against it.
FAULT_CHANNELS: dict[str, frozenset[str]] = {
    "knee_valgus": _channels_with("knee"),  # knee angles and the knee-gap ratios
    "shallow_depth": _channels_with("knee", "hip", "elbow", "shoulder"),
    "forward_lean": _channels_with("trunk_lean", "hip"),
    "heel_lift": _channels_with("heel", "ankle"),
    "hips_rising_first": _channels_with("trunk", "hip", "knee"),
    "rounded_back": _channels_with("torso_length", "trunk_lean"),
    "hip_sag": _channels_with("hip", "trunk_lean"),
    "elbow_drift": _channels_with("elbow", "arm_out", "shoulder"),
    "excessive_trunk_lean": _channels_with("trunk", "hip"),
    "overstride": _channels_with("ankle", "knee", "hip"),
}


def fault_channel_mask(fault: str) -> np.ndarray:
    """(C,) 1.0 on the channels `fault` moves (`FAULT_CHANNELS`), 0.0 elsewhere."""
    return np.array([c in FAULT_CHANNELS[fault] for c in CHANNELS], dtype=np.float32)


@dataclass(frozen=True, slots=True)
class Negatives:
    """Faulty reps for outlier exposure: (M, S, C) reps, (M,) exercise indices, (M, C) fault-channel masks."""

    x: np.ndarray
    e: np.ndarray
    channels: np.ndarray


def synthetic_reps(
    exercise: str, seeds: range, fault: str | None = None, max_per_clip: int = 6, *, cut: str = "engine"
) -> np.ndarray:
    """(M, REP_SAMPLES, C) trajectories of the reps/strides of synthetic clips, smoothed as live, cut where
    the product cuts them (``cut="engine"``, `engine_spans`: what the model is trained and measured on) or
    at the synthesizer's exact rest-to-rest spans (``cut="truth"``, reported for comparison)."""
    out = []
    for s in seeds:
        clip = generate(exercise, seed=s, fault=fault, options=FULL_BODY)
        lm, wd = smooth_track(clip.media_ts, clip.landmarks, clip.world)
        spans = engine_spans(exercise, clip, lm, wd) if cut == "engine" else list(clip.spans)
        for first, last in spans[:max_per_clip]:
            if last - first >= 4:
                out.append(rep_trajectory(lm, wd, clip.camera.image_size, first, last))
    return np.stack(out) if out else np.empty((0, REP_SAMPLES, len(CHANNELS)))


class RepAutoencoder(nn.Module):
    """(B, S, C) standardised trajectory + (B, E) exercise one-hot -> (B, S, C) reconstruction."""

    # A narrow code (4): wider ones (12-32) also learned to reproduce faulty reps (synthetic pooled AUROC
    # 0.78-0.83 against 0.85-0.86 at 4, over three training seeds).
    def __init__(self, n_exercises: int, hidden: int = 256, code: int = 4) -> None:
        super().__init__()
        d = REP_SAMPLES * len(CHANNELS)
        self.encoder = nn.Sequential(nn.Linear(d + n_exercises, hidden), nn.ReLU(), nn.Linear(hidden, code))
        self.decoder = nn.Sequential(nn.Linear(code + n_exercises, hidden), nn.ReLU(), nn.Linear(hidden, d))

    def forward(self, x: torch.Tensor, exercise: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(x.shape[0], -1)
        z = self.encoder(torch.cat([flat, exercise], dim=1))
        return self.decoder(torch.cat([z, exercise], dim=1)).reshape(x.shape)


@dataclass(frozen=True, slots=True)
class RepStats:
    """Per exercise: mean rep (E, S, C), per-channel spread (E, C)."""

    mean: np.ndarray
    std: np.ndarray

    def apply(self, x: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(standardised with NaN -> 0, valid mask)."""
        z = (x - self.mean[e]) / self.std[e][:, None, :]
        valid = np.isfinite(z)
        return np.where(valid, z, 0.0).astype(np.float32), valid


def fit_stats(reps: dict[str, np.ndarray]) -> RepStats:
    mean = np.zeros((len(ANOMALY_EXERCISES), REP_SAMPLES, len(CHANNELS)), dtype=np.float32)
    std = np.ones((len(ANOMALY_EXERCISES), len(CHANNELS)), dtype=np.float32)
    for i, ex in enumerate(ANOMALY_EXERCISES):
        x = reps[ex]
        mean[i] = np.nan_to_num(np.nanmean(x, axis=0))
        # Floor: a channel that barely moves in an exercise (elbows in a squat) must not amplify noise.
        std[i] = np.maximum(np.nan_to_num(np.nanstd(x - mean[i], axis=(0, 1)), nan=1.0), 0.02)
    return RepStats(mean, std)


def _onehot(e: np.ndarray) -> np.ndarray:
    return np.eye(len(ANOMALY_EXERCISES), dtype=np.float32)[e]


def normalised_score(err: np.ndarray, ref: float, log_sd: float) -> np.ndarray:
    """Reconstruction errors -> scores (1 = a typical good rep; see the module docstring)."""
    return np.exp(np.log(np.maximum(err, 1e-12) / ref) / log_sd)


def _tensors(x: np.ndarray, e: np.ndarray, stats: RepStats) -> tuple[torch.Tensor, ...]:
    z, valid = stats.apply(x, e)
    return torch.from_numpy(z), torch.from_numpy(valid.astype(np.float32)), torch.from_numpy(_onehot(e))


def train_autoencoder(
    x: np.ndarray,
    e: np.ndarray,
    stats: RepStats,
    *,
    negatives: Negatives | None = None,
    epochs: int = 60,
    seed: int = 0,
) -> RepAutoencoder:
    """Denoising reconstruction of the good reps `x` (exercise indices `e`); with `negatives`, outlier
    exposure: each faulty rep's error on its fault's channels is pushed above `OUTLIER_MARGIN` while its
    other channels are reconstructed like a good rep's."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = RepAutoencoder(len(ANOMALY_EXERCISES))
    zt, vt, et = _tensors(x, e, stats)
    neg = None
    if negatives is not None and len(negatives.x):
        neg = (*_tensors(negatives.x, negatives.e, stats), torch.from_numpy(negatives.channels)[:, None, :])
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    batch = 128
    steps = max(1, len(x) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 2e-3, total_steps=epochs * steps)
    for epoch in range(epochs):
        total = 0.0
        for _ in range(steps):
            idx = torch.from_numpy(rng.integers(0, len(x), batch))
            xb = zt[idx]
            # Denoising: the model learns to return to good movement from a slightly perturbed input.
            rec = model(xb + 0.1 * torch.randn_like(xb), et[idx])
            loss = (((rec - xb) ** 2) * vt[idx]).sum() / vt[idx].sum().clamp(min=1)
            if neg is not None:
                j = torch.from_numpy(rng.integers(0, len(neg[0]), batch))
                nb, nv, fault = neg[0][j], neg[1][j], neg[3][j]
                sq = ((model(nb, neg[2][j]) - nb) ** 2) * nv
                err = (sq * fault).sum(dim=(1, 2)) / (nv * fault).sum(dim=(1, 2)).clamp(min=1)
                rest = (sq * (1 - fault)).sum() / (nv * (1 - fault)).sum().clamp(min=1)
                loss = loss + OUTLIER_WEIGHT * torch.relu(OUTLIER_MARGIN - err).mean() + rest
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach())
        if (epoch + 1) % 20 == 0:
            log.info("autoencoder epoch %d/%d loss %.4f", epoch + 1, epochs, total / steps)
    model.eval()
    return model


def rep_channel_errors(
    model: RepAutoencoder, x: np.ndarray, e: np.ndarray, stats: RepStats
) -> tuple[np.ndarray, np.ndarray]:
    """(M, C) mean squared reconstruction error per channel over its valid samples (standardised units),
    and (M, C) whether the channel was measured at all in the rep."""
    z, valid = stats.apply(x, e)
    with torch.no_grad():
        rec = model(torch.from_numpy(z), torch.from_numpy(_onehot(e))).numpy()
    se = (rec - z) ** 2 * valid
    n = valid.sum(axis=1)
    return se.sum(axis=1) / np.maximum(n, 1), n > 0


def rep_errors(
    model: RepAutoencoder, x: np.ndarray, e: np.ndarray, stats: RepStats, chan_ref: np.ndarray | None = None
) -> np.ndarray:
    """(M,) rep error. Without `chan_ref`: mean squared error over valid samples (version 2). With
    `chan_ref` (E, C), each channel's error is first divided by its good-rep level, so a channel that is
    noisy in good reps (a far-side joint, depth) no longer drowns the one the fault moves; the rep error
    is the mean of these ratios over the measured channels (`channel_ratio_error`)."""
    if chan_ref is None:
        z, valid = stats.apply(x, e)
        with torch.no_grad():
            rec = model(torch.from_numpy(z), torch.from_numpy(_onehot(e))).numpy()
        se = (rec - z) ** 2 * valid
        return se.sum(axis=(1, 2)) / np.maximum(valid.sum(axis=(1, 2)), 1)
    err, measured = rep_channel_errors(model, x, e, stats)
    return channel_ratio_error(err, measured, chan_ref[e])


def channel_ratio_error(err: np.ndarray, measured: np.ndarray, chan_ref: np.ndarray) -> np.ndarray:
    """(M,) mean over measured channels of error / good-rep error, from (M, C) arrays."""
    ratio = np.where(measured, err / chan_ref, 0.0)
    return ratio.sum(axis=1) / np.maximum(measured.sum(axis=1), 1)


def auroc(neg: np.ndarray, pos: np.ndarray) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    if len(neg) == 0 or len(pos) == 0:
        return float("nan")
    diff = pos[:, None] - neg[None, :]
    return float(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size)


def _real_good(real: list[RealReps] | None, exclude_source: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Real reps of clips without a form label (optionally leaving one source out), repeated."""
    xs, es = [], []
    for r in real or ():
        if r.form is None and r.source != exclude_source:
            xs.append(np.repeat(r.trajectories, REAL_REPEAT, axis=0))
            es.append(np.full(len(xs[-1]), ANOMALY_EXERCISES.index(r.exercise)))
    if not xs:
        return np.empty((0, REP_SAMPLES, len(CHANNELS))), np.empty(0, dtype=int)
    return np.concatenate(xs), np.concatenate(es)


Faulty = dict[tuple[str, str], np.ndarray]  # (exercise, fault) -> faulty synthetic reps


def faulty_reps(seeds: range) -> Faulty:
    """Every exercise's labelled synthetic faults, cut where the product cuts them."""
    return {(ex, f): synthetic_reps(ex, seeds, fault=f) for ex in ANOMALY_EXERCISES for f in FAULTS[ex]}


def _negatives(faulty: Faulty | None, leave_out: str | None) -> Negatives | None:
    """The outlier-exposure reps, without fault kind `leave_out`."""
    keys = [k for k, v in (faulty or {}).items() if k[1] != leave_out and len(v)]
    if not keys:
        return None
    assert faulty is not None
    x = np.concatenate([faulty[k] for k in keys])
    e = np.concatenate([np.full(len(faulty[k]), ANOMALY_EXERCISES.index(k[0])) for k in keys])
    masks = np.concatenate(
        [np.repeat(fault_channel_mask(f)[None], len(faulty[(ex, f)]), 0) for ex, f in keys]
    )
    return Negatives(x, e, masks)


def _fit(
    train: dict[str, np.ndarray],
    stats: RepStats,
    real: list[RealReps] | None,
    exclude: str | None,
    seed: int,
    faulty: Faulty | None = None,
    leave_out: str | None = None,
) -> RepAutoencoder:
    """Train on good synthetic reps, the real good reps not from source `exclude`, and (outlier exposure)
    the faulty reps of every kind but `leave_out`."""
    x = np.concatenate([train[ex] for ex in ANOMALY_EXERCISES])
    e = np.concatenate([np.full(len(train[ex]), i) for i, ex in enumerate(ANOMALY_EXERCISES)])
    rx, re_ = _real_good(real, exclude)
    if len(rx):
        x, e = np.concatenate([x, rx]), np.concatenate([e, re_])
    return train_autoencoder(x, e, stats, negatives=_negatives(faulty, leave_out), seed=seed)


def channel_reference(model: RepAutoencoder, stats: RepStats, good: dict[str, np.ndarray]) -> np.ndarray:
    """(E, C) each channel's mean error over good reps of each exercise (floored): the level a channel's
    error is divided by, in the score and in the attribution."""
    out = np.ones((len(ANOMALY_EXERCISES), len(CHANNELS)))
    for i, ex in enumerate(ANOMALY_EXERCISES):
        z, valid = stats.apply(good[ex], np.full(len(good[ex]), i))
        with torch.no_grad():
            rec = model(torch.from_numpy(z), torch.from_numpy(_onehot(np.full(len(z), i)))).numpy()
        per_chan = ((rec - z) ** 2 * valid).sum(axis=(0, 1)) / np.maximum(valid.sum(axis=(0, 1)), 1)
        out[i] = np.maximum(per_chan, 1e-4)
    return out


def _score_ref(chan_ref: np.ndarray) -> np.ndarray | None:
    return chan_ref if SCORE_MODE == "channel_ratio_mean" else None


def _calibrate(
    model: RepAutoencoder, stats: RepStats, good: dict[str, np.ndarray], chan_ref: np.ndarray | None
) -> tuple[list[float], list[float]]:
    """Per exercise: median good error and the spread of log good errors (robust: IQR / 1.349)."""
    ref, sd = [], []
    for i, ex in enumerate(ANOMALY_EXERCISES):
        err = rep_errors(model, good[ex], np.full(len(good[ex]), i), stats, chan_ref)
        q1, q3 = np.percentile(np.log(np.maximum(err, 1e-12)), [25, 75])
        ref.append(float(np.median(err)))
        sd.append(float(max((q3 - q1) / 1.349, 0.05)))
    return ref, sd


@dataclass(frozen=True, slots=True)
class _Calibrated:
    """A trained model with the good-rep levels that turn its errors into scores."""

    model: RepAutoencoder
    stats: RepStats
    chan_ref: np.ndarray
    ref: list[float]
    sd: list[float]

    def scores(self, x: np.ndarray, i: int) -> np.ndarray:
        err = rep_errors(self.model, x, np.full(len(x), i), self.stats, _score_ref(self.chan_ref))
        return normalised_score(err, self.ref[i], self.sd[i])

    def worst_channels(self, x: np.ndarray, i: int) -> np.ndarray:
        """(M,) each rep's channel furthest above its good-rep error level: what the attribution names
        first (`coach.ml.anomaly`)."""
        err, measured = rep_channel_errors(self.model, x, np.full(len(x), i), self.stats)
        return np.where(measured, err / self.chan_ref[i], -np.inf).argmax(axis=1)

    def attribution_hits(self, x: np.ndarray, i: int, fault: str, threshold: float) -> np.ndarray:
        """For the reps of `fault` scored above `threshold`: whether the worst channel is one it moves."""
        flagged = x[self.scores(x, i) > threshold]
        if not len(flagged):
            return np.zeros(0, dtype=bool)
        return np.array([CHANNELS[c] in FAULT_CHANNELS[fault] for c in self.worst_channels(flagged, i)])

    def attribution_fit(self, test: Test, thr: list[float]) -> float:
        """Share of flagged faulty test reps whose worst channel is one their fault moves."""
        hits = [
            self.attribution_hits(x, ANOMALY_EXERCISES.index(ex), f, thr[ANOMALY_EXERCISES.index(ex)])
            for (ex, f), x in test.items()
            if f is not None
        ]
        return float(np.concatenate(hits).mean())

    def thresholds(self, calib: dict[str, np.ndarray]) -> list[float]:
        """Per exercise: the 95th percentile of good held-out reps' scores."""
        return [float(np.percentile(self.scores(calib[ex], i), 95)) for i, ex in enumerate(ANOMALY_EXERCISES)]


def _calibrated(model: RepAutoencoder, stats: RepStats, calib: dict[str, np.ndarray]) -> _Calibrated:
    chan_ref = channel_reference(model, stats, calib)
    ref, sd = _calibrate(model, stats, calib, _score_ref(chan_ref))
    return _Calibrated(model, stats, chan_ref, ref, sd)


Test = dict[tuple[str, str | None], np.ndarray]  # (exercise, fault or None for good) -> held-out reps


def _fault_scores(cal: _Calibrated, test: Test, fault: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(scores of every good test rep, scores of the faulty ones: all kinds, or only `fault`)."""
    neg, pos = [], []
    for (ex, f), x in test.items():
        if f is None:
            neg.append(cal.scores(x, ANOMALY_EXERCISES.index(ex)))
        elif fault is None or f == fault:
            pos.append(cal.scores(x, ANOMALY_EXERCISES.index(ex)))
    return np.concatenate(neg), np.concatenate(pos)


def build_and_train(
    seed: int, clips_per_exercise: int = 24, real: list[RealReps] | None = None
) -> tuple[RepAutoencoder, RepStats, dict]:
    """Train on good synthetic (and real, when given) reps with the synthetic faults as outliers; calibrate
    on held-out good synthetic reps; measure AUROC on held-out faulty synthetic reps, for every fault kind
    also with that kind left out of training; with `real`, the leave-one-source-out real-clip check."""
    base = seed * 1_000_003
    train = {ex: synthetic_reps(ex, range(base, base + clips_per_exercise)) for ex in ANOMALY_EXERCISES}
    stats = fit_stats(train)  # synthetic only: no real clip's statistics leak into any fold
    outlier_base = base + OUTLIER_SEED_OFFSET
    faulty = faulty_reps(range(outlier_base, outlier_base + OUTLIER_CLIPS))
    log.info(
        "autoencoder: %d good and %d faulty synthetic reps/strides",
        sum(len(v) for v in train.values()),
        sum(len(v) for v in faulty.values()),
    )
    model = _fit(train, stats, real, None, seed, faulty)
    # 32 clips: with 16 a single odd good rep moved an exercise's 95th percentile by a factor of ten.
    calib_seeds = range(base + 500_000, base + 500_000 + 32)
    # 16 clips per exercise and fault: with 8, the per-exercise AUROC moved by +-0.05 between seeds.
    test_seeds = range(base + 700_000, base + 700_000 + 16)
    calib = {ex: synthetic_reps(ex, calib_seeds) for ex in ANOMALY_EXERCISES}
    test: Test = {
        (ex, f): synthetic_reps(ex, test_seeds, fault=f)
        for ex in ANOMALY_EXERCISES
        for f in (None, *FAULTS[ex])
    }
    cal = _calibrated(model, stats, calib)
    thr = cal.thresholds(calib)
    report: dict = {
        "per_exercise": {},
        "real_good_reps": int(len(_real_good(real, None)[0]) // REAL_REPEAT),
        "score_mode": SCORE_MODE,
        "faulty_training_reps": sum(len(v) for v in faulty.values()),
        "outlier_margin": OUTLIER_MARGIN,
    }
    for i, ex in enumerate(ANOMALY_EXERCISES):
        neg = cal.scores(test[(ex, None)], i)
        entry = {"good_reps": len(neg), "threshold": thr[i], "faults": {}}
        for fault in FAULTS[ex]:
            pos = cal.scores(test[(ex, fault)], i)
            hits = cal.attribution_hits(test[(ex, fault)], i, fault, thr[i])
            entry["faults"][fault] = {
                "reps": len(pos),
                "auroc": auroc(neg, pos),
                "flagged": float((pos > thr[i]).mean()) if len(pos) else float("nan"),
                "attribution_fit": float(hits.mean()) if len(hits) else float("nan"),
            }
        entry["good_flagged"] = float((neg > thr[i]).mean())
        report["per_exercise"][ex] = entry
    report["auroc_all"] = auroc(*_fault_scores(cal, test))
    kinds = sorted({f for _, f in faulty})
    report["auroc_by_fault"] = {f: auroc(*_fault_scores(cal, test, f)) for f in kinds}
    report["auroc_all_truth_cuts"] = _auroc_truth_cuts(cal, test_seeds)
    # What outlier exposure adds: the same recipe without faulty reps.
    plain = _calibrated(_fit(train, stats, real, None, seed), stats, calib)
    report["auroc_all_without_outliers"] = auroc(*_fault_scores(plain, test))
    report["attribution_fit"] = cal.attribution_fit(test, thr)
    report["attribution_fit_without_outliers"] = plain.attribution_fit(test, plain.thresholds(calib))
    report["auroc_by_fault_without_outliers"] = {f: auroc(*_fault_scores(plain, test, f)) for f in kinds}
    report["auroc_unseen_fault"], report["auroc_unseen_fault_pooled"] = _unseen_fault_auroc(
        train, stats, real, seed, faulty, calib, test
    )
    report["reference_error"] = cal.ref
    report["log_error_sd"] = cal.sd
    report["threshold"] = thr
    report["channel_reference"] = cal.chan_ref.tolist()
    if real:
        report["real_clips"] = real_clip_check_loso(train, stats, calib, real, seed, faulty)
        for key, gait in (("real_good_flagged", False), ("real_good_strides_flagged", True)):
            good = [c for c in report["real_clips"]
                    if c["form"] is None and (c["exercise"] in GAIT_ACTIVITIES) == gait]
            n_good = sum(c["reps"] for c in good)
            if n_good:
                report[key] = sum(c["flagged"] * c["reps"] for c in good) / n_good
    return model, stats, report


def _unseen_fault_auroc(
    train: dict[str, np.ndarray],
    stats: RepStats,
    real: list[RealReps] | None,
    seed: int,
    faulty: Faulty,
    calib: dict[str, np.ndarray],
    test: Test,
) -> tuple[dict[str, float], float]:
    """Per fault kind, the AUROC of its held-out reps against all good ones from a model trained with every
    OTHER kind as outliers; and all of these pooled (each faulty rep scored by the model that never saw its
    kind, the good reps by every model)."""
    per, neg, pos = {}, [], []
    for kind in sorted({f for _, f in faulty}):
        cal = _calibrated(_fit(train, stats, real, None, seed, faulty, leave_out=kind), stats, calib)
        g, b = _fault_scores(cal, test, kind)
        per[kind] = auroc(g, b)
        neg.append(g)
        pos.append(b)
        log.info("autoencoder: %s left out of the outliers: AUROC %.3f", kind, per[kind])
    return per, auroc(np.concatenate(neg), np.concatenate(pos))


def _auroc_truth_cuts(cal: _Calibrated, seeds: range) -> float:
    """The pooled AUROC with the reps cut at the synthesizer's exact rest-to-rest spans instead of where
    the product cuts them: how much the engine's segmentation costs or adds."""
    test: Test = {
        (ex, f): synthetic_reps(ex, seeds, fault=f, cut="truth")
        for ex in ANOMALY_EXERCISES
        for f in (None, *FAULTS[ex])
    }
    return auroc(*_fault_scores(cal, test))


@dataclass(frozen=True, slots=True)
class RealReps:
    clip: str
    source: str  # repository ("owner/repo"), the leave-one-source-out unit
    exercise: str
    form: str | None
    trajectories: np.ndarray  # (M, REP_SAMPLES, C)


def real_clip_reps(videos_dir, pose_model, cache_dir) -> list[RealReps]:
    """Rep and stride trajectories of the labelled real clips, segmented by the product's own rep and gait
    engines (strides at real time: a slow-motion clip's cycles are slow too, and time-normalised alike)."""
    import json

    from coach.analysis.model_scores import cycle_rows
    from coach.analysis.offline import analyze_video
    from coach.training.data import LABEL_MAP, source_group

    labels = json.loads((videos_dir / "labels.json").read_text())
    out = []
    for item in labels["videos"]:
        ex = LABEL_MAP.get(item["movement"], item["movement"])
        if ex not in ANOMALY_EXERCISES:
            continue
        clip = analyze_video(videos_dir / item["file"], pose_model, exercise=ex, pose_cache_dir=cache_dir)
        s = clip.smoothed
        spans = [
            tuple(int(np.searchsorted(s.frame_index, f)) for f in rep.motion_span)
            for rep in (clip.reps.rep_records if clip.reps else ())
        ] + [cycle_rows(s.media_ts, c) for c in (clip.gait.cycles if clip.gait else ())]
        trajs = []
        for first, last in spans:
            if last - first >= 4:
                trajs.append(rep_trajectory(s.landmarks, s.world, s.image_size, first, last))
        if trajs:
            out.append(
                RealReps(item["file"], source_group(item["source"]), ex, item.get("form"), np.stack(trajs))
            )
    return out


def real_clip_check_loso(
    train: dict[str, np.ndarray],
    stats: RepStats,
    calib: dict[str, np.ndarray],
    reps: list[RealReps],
    seed: int,
    faulty: Faulty | None = None,
) -> list[dict]:
    """Per real clip: its reps' scores from a model trained WITHOUT the clip's source (and calibrated on
    synthetic good reps only), the share of them above that model's threshold, and for clips labelled with
    a form problem whether their median score is above every good clip of the same exercise (other clips,
    no form label)."""
    scores, flagged = {}, {}
    for source in sorted({r.source for r in reps}):
        cal = _calibrated(_fit(train, stats, reps, source, seed, faulty), stats, calib)
        thr = cal.thresholds(calib)
        for r in reps:
            if r.source == source:
                i = ANOMALY_EXERCISES.index(r.exercise)
                scores[r.clip] = cal.scores(r.trajectories, i)
                flagged[r.clip] = float((scores[r.clip] > thr[i]).mean())
        log.info("autoencoder real-clip fold %s done", source)
    out = []
    for r in reps:
        good = [
            float(np.median(scores[o.clip]))
            for o in reps
            if o.exercise == r.exercise and o.form is None and o.clip != r.clip
        ]
        med = float(np.median(scores[r.clip]))
        good_reps = [
            scores[o.clip] for o in reps if o.exercise == r.exercise and o.form is None and o.clip != r.clip
        ]
        out.append(
            {
                "clip": r.clip,
                "exercise": r.exercise,
                "form": r.form,
                "reps": len(r.trajectories),
                "median_score": round(med, 3),
                "flagged": round(flagged[r.clip], 3),  # share of its reps above the population threshold
                "above_all_good_clips": (med > max(good)) if (r.form and good) else None,
                "good_clip_medians": [round(g, 3) for g in sorted(good)] if r.form else None,
                # Graded: how often one of this clip's reps scores above a good rep of another clip.
                "auroc_vs_good_reps": (
                    round(auroc(np.concatenate(good_reps), scores[r.clip]), 3)
                    if (r.form and good_reps)
                    else None
                ),
            }
        )
    return out
