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
relative to the rep's own excursion) for rep exercises, contact to contact for strides. Version 3 trained on
the synthesizer's exact rest-to-rest spans and the runtime fed it the engine's counting span (which cuts
off the slow start and finish): every real rep looked odd. The pooled AUROC on the exact spans is still
reported (`auroc_all_truth_cuts`).

Training data: good synthetic reps plus, when given, the real reps of clips without a form label (weighted
up), which narrows the synthetic-to-real gap; the real-clip check retrains without the held-out
clip's source (leave-one-source-out), so a clip is never scored by a model that saw its source.

Threads: call from one thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from coach.activities import REP_EXERCISES
from coach.features.reps import CHANNELS, REP_SAMPLES, rep_trajectory
from coach.pose.smoothing import smooth_track
from coach.synth import FAULTS, generate
from coach.training.rep_spans import FULL_BODY, engine_spans

log = logging.getLogger(__name__)

ANOMALY_EXERCISES: tuple[str, ...] = (*REP_EXERCISES, "running", "walking")
AE_VERSION = "4"
# How a rep's per-channel errors become one error (read by the runtime from the file's metadata).
SCORE_MODE = "channel_ratio_mean"
REAL_REPEAT = 3  # each real good rep counts this many times (they are few next to the synthetic ones)


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


def train_autoencoder(
    x: np.ndarray, e: np.ndarray, stats: RepStats, *, epochs: int = 60, seed: int = 0
) -> RepAutoencoder:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = RepAutoencoder(len(ANOMALY_EXERCISES))
    z, valid = stats.apply(x, e)
    zt, vt, et = torch.from_numpy(z), torch.from_numpy(valid.astype(np.float32)), torch.from_numpy(_onehot(e))
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


def _fit(
    train: dict[str, np.ndarray], stats: RepStats, real: list[RealReps] | None, exclude: str | None, seed: int
) -> RepAutoencoder:
    x = np.concatenate([train[ex] for ex in ANOMALY_EXERCISES])
    e = np.concatenate([np.full(len(train[ex]), i) for i, ex in enumerate(ANOMALY_EXERCISES)])
    rx, re_ = _real_good(real, exclude)
    if len(rx):
        x, e = np.concatenate([x, rx]), np.concatenate([e, re_])
    return train_autoencoder(x, e, stats, seed=seed)


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


def build_and_train(
    seed: int, clips_per_exercise: int = 24, real: list[RealReps] | None = None
) -> tuple[RepAutoencoder, RepStats, dict]:
    """Train on good synthetic (and real, when given) reps; calibrate on held-out good synthetic reps;
    measure AUROC on faulty synthetic reps; with `real`, the leave-one-source-out real-clip check."""
    base = seed * 1_000_003
    train = {ex: synthetic_reps(ex, range(base, base + clips_per_exercise)) for ex in ANOMALY_EXERCISES}
    stats = fit_stats(train)  # synthetic only: no real clip's statistics leak into any fold
    log.info("autoencoder: %d good synthetic reps/strides", sum(len(v) for v in train.values()))
    model = _fit(train, stats, real, None, seed)
    # 32 clips: with 16 a single odd good rep moved an exercise's 95th percentile by a factor of ten.
    calib_seeds = range(base + 500_000, base + 500_000 + 32)
    # 16 clips per exercise and fault: with 8, the per-exercise AUROC moved by +-0.05 between seeds.
    test_seeds = range(base + 700_000, base + 700_000 + 16)
    calib = {ex: synthetic_reps(ex, calib_seeds) for ex in ANOMALY_EXERCISES}
    chan_ref = channel_reference(model, stats, calib)
    score_ref = _score_ref(chan_ref)
    ref, sd = _calibrate(model, stats, calib, score_ref)
    thr = []
    report: dict = {
        "per_exercise": {},
        "real_good_reps": int(len(_real_good(real, None)[0]) // REAL_REPEAT),
        "score_mode": SCORE_MODE,
    }
    all_neg, all_pos = [], []
    for i, ex in enumerate(ANOMALY_EXERCISES):
        good = calib[ex]
        ei = np.full(len(good), i)
        thr.append(
            float(
                np.percentile(
                    normalised_score(rep_errors(model, good, ei, stats, score_ref), ref[i], sd[i]), 95
                )
            )
        )
        tg = synthetic_reps(ex, test_seeds)
        neg = normalised_score(rep_errors(model, tg, np.full(len(tg), i), stats, score_ref), ref[i], sd[i])
        entry = {"good_reps": len(tg), "threshold": thr[-1], "faults": {}}
        for fault in FAULTS[ex]:
            fr = synthetic_reps(ex, test_seeds, fault=fault)
            pos = normalised_score(
                rep_errors(model, fr, np.full(len(fr), i), stats, score_ref), ref[i], sd[i]
            )
            entry["faults"][fault] = {
                "reps": len(fr),
                "auroc": auroc(neg, pos),
                "flagged": float((pos > thr[-1]).mean()) if len(pos) else float("nan"),
            }
            all_pos.append(pos)
        entry["good_flagged"] = float((neg > thr[-1]).mean())
        all_neg.append(neg)
        report["per_exercise"][ex] = entry
    report["auroc_all"] = auroc(np.concatenate(all_neg), np.concatenate(all_pos))
    report["auroc_all_truth_cuts"] = _auroc_truth_cuts(model, stats, score_ref, ref, sd, test_seeds)
    report["reference_error"] = ref
    report["log_error_sd"] = sd
    report["threshold"] = thr
    report["channel_reference"] = chan_ref.tolist()
    if real:
        report["real_clips"] = real_clip_check_loso(train, stats, calib, real, seed)
    return model, stats, report


def _auroc_truth_cuts(model, stats, score_ref, ref, sd, seeds: range) -> float:
    """The pooled AUROC with the reps cut at the synthesizer's exact rest-to-rest spans instead of where
    the product cuts them: how much the engine's segmentation costs or adds."""
    neg, pos = [], []
    for i, ex in enumerate(ANOMALY_EXERCISES):
        for fault in (None, *FAULTS[ex]):
            x = synthetic_reps(ex, seeds, fault=fault, cut="truth")
            sc = normalised_score(rep_errors(model, x, np.full(len(x), i), stats, score_ref), ref[i], sd[i])
            (neg if fault is None else pos).append(sc)
    return auroc(np.concatenate(neg), np.concatenate(pos))


@dataclass(frozen=True, slots=True)
class RealReps:
    clip: str
    source: str  # repository ("owner/repo"), the leave-one-source-out unit
    exercise: str
    form: str | None
    trajectories: np.ndarray  # (M, REP_SAMPLES, C)


def real_clip_reps(videos_dir, pose_model, cache_dir) -> list[RealReps]:
    """Rep trajectories of the labelled real clips, segmented by the product's own rep engine."""
    import json

    from coach.analysis.offline import analyze_video
    from coach.training.data import LABEL_MAP, source_group

    labels = json.loads((videos_dir / "labels.json").read_text())
    out = []
    for item in labels["videos"]:
        ex = LABEL_MAP.get(item["movement"], item["movement"])
        if ex not in REP_EXERCISES:
            continue
        clip = analyze_video(videos_dir / item["file"], pose_model, exercise=ex, pose_cache_dir=cache_dir)
        s = clip.smoothed
        trajs = []
        for rep in clip.reps.rep_records if clip.reps else ():
            first, last = (int(np.searchsorted(s.frame_index, f)) for f in rep.motion_span)
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
) -> list[dict]:
    """Per real clip: its reps' scores from a model trained WITHOUT the clip's source (and calibrated on
    synthetic good reps only), and for clips labelled with a form problem whether their median score is
    above every good clip of the same exercise (other clips, no form label)."""
    scores = {}
    for source in sorted({r.source for r in reps}):
        model = _fit(train, stats, reps, source, seed)
        score_ref = _score_ref(channel_reference(model, stats, calib))
        ref, sd = _calibrate(model, stats, calib, score_ref)
        for r in reps:
            if r.source == source:
                i = ANOMALY_EXERCISES.index(r.exercise)
                err = rep_errors(model, r.trajectories, np.full(len(r.trajectories), i), stats, score_ref)
                scores[r.clip] = normalised_score(err, ref[i], sd[i])
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
