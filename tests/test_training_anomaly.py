"""Rep autoencoder export: torch and onnxruntime agree, and the runtime reads its statistics from the file.

Needs the ``train`` extra (CI installs ``.[dev,train]``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np
import torch

from coach.features.reps import CHANNELS, REP_SAMPLES
from coach.ml.anomaly import RepAnomalyScorer
from coach.ml.onnx_model import OnnxModel
from coach.synth import FAULTS
from coach.training.anomaly import (
    ANOMALY_EXERCISES,
    FAULT_CHANNELS,
    Negatives,
    RepAutoencoder,
    fault_channel_mask,
    fit_stats,
    normalised_score,
    rep_channel_errors,
    rep_errors,
    synthetic_reps,
    train_autoencoder,
)

REPO = Path(__file__).resolve().parents[1]


def _export_module():
    spec = importlib.util.spec_from_file_location("export_onnx", REPO / "scripts" / "export_onnx.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _untrained_squat_model(seed: int) -> tuple[Any, RepAutoencoder, int, np.ndarray]:
    """Normalisation stats from a few synthetic reps of every exercise, an untrained (seeded) autoencoder,
    the squat's exercise index and its reps: enough to compare torch, ONNX and the runtime scorer."""
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    reps = {ex: synthetic_reps(ex, range(2), max_per_clip=2) for ex in ANOMALY_EXERCISES}
    stats = fit_stats(reps)
    model = RepAutoencoder(len(ANOMALY_EXERCISES)).eval()
    e = ANOMALY_EXERCISES.index("squat")
    x = reps["squat"]
    return stats, model, e, x


def _save_checkpoint(path: Path, model: RepAutoencoder, stats, report: dict) -> None:
    """A checkpoint as `scripts/train.py` writes it, for `export_autoencoder`."""
    torch.save(
        {"state_dict": model.state_dict(), "mean": stats.mean, "std": stats.std,
         "exercises": list(ANOMALY_EXERCISES), "report": report, "seed": 0},
        path,
    )  # fmt: skip


def test_autoencoder_onnx_matches_torch_and_runtime_scores_match(tmp_path: Path) -> None:
    stats, model, e, x = _untrained_squat_model(seed=0)
    ref = [1.0] * len(ANOMALY_EXERCISES)
    ckpt = tmp_path / "rep_autoencoder.pt"
    report = {
        "reference_error": ref,
        "threshold": [2.0] * len(ANOMALY_EXERCISES),
        "channel_reference": np.ones((len(ANOMALY_EXERCISES), len(CHANNELS))).tolist(),
    }
    _save_checkpoint(ckpt, model, stats, report)
    out = _export_module().export_autoencoder(ckpt, tmp_path / "rep_autoencoder.onnx")

    z, _ = stats.apply(x, np.full(len(x), e))
    onehot = np.zeros((len(x), len(ANOMALY_EXERCISES)), np.float32)
    onehot[:, e] = 1
    with torch.no_grad():
        expected = model(torch.from_numpy(z), torch.from_numpy(onehot)).numpy()
    sess = OnnxModel.load(out).session
    got = sess.run(None, {"trajectory": z, "exercise": onehot})[0]
    assert got.shape == (len(x), REP_SAMPLES, len(CHANNELS))
    assert np.max(np.abs(got - expected)) <= 1e-4

    scorer = RepAnomalyScorer(out)
    torch_scores = rep_errors(model, x, np.full(len(x), e), stats)
    runtime_scores = [scorer.score_trajectory("squat", t).score for t in x]
    np.testing.assert_allclose(runtime_scores, torch_scores, rtol=1e-3)
    assert scorer.default_threshold("squat") == 2.0


def test_channel_ratio_scores_match_between_training_and_runtime(tmp_path: Path) -> None:
    """Version 3 files: each channel's error over its good-rep level, then the log z-score."""
    stats, model, e, x = _untrained_squat_model(seed=1)
    rng = np.random.default_rng(0)
    chan_ref = rng.uniform(0.5, 2.0, (len(ANOMALY_EXERCISES), len(CHANNELS)))
    ref = rng.uniform(0.5, 2.0, len(ANOMALY_EXERCISES))
    sd = rng.uniform(0.3, 1.0, len(ANOMALY_EXERCISES))
    report = {
        "reference_error": ref.tolist(),
        "log_error_sd": sd.tolist(),
        "threshold": [2.0] * len(ANOMALY_EXERCISES),
        "channel_reference": chan_ref.tolist(),
        "score_mode": "channel_ratio_mean",
    }
    ckpt = tmp_path / "rep_autoencoder.pt"
    _save_checkpoint(ckpt, model, stats, report)
    scorer = RepAnomalyScorer(_export_module().export_autoencoder(ckpt, tmp_path / "rep_autoencoder.onnx"))
    expected = normalised_score(rep_errors(model, x, np.full(len(x), e), stats, chan_ref), ref[e], sd[e])
    got = [scorer.score_trajectory("squat", t).score for t in x]
    np.testing.assert_allclose(got, expected, rtol=1e-3)
    # The channel levels are used: a channel whose good reps barely err makes the same error count more.
    report["channel_reference"] = (chan_ref * np.where(np.arange(len(CHANNELS)) == 0, 0.01, 1.0)).tolist()
    _save_checkpoint(ckpt, model, stats, report)
    strict = RepAnomalyScorer(_export_module().export_autoencoder(ckpt, tmp_path / "strict.onnx"))
    assert all(strict.score_trajectory("squat", t).score > g for t, g in zip(x, got, strict=True))


def test_every_synthetic_fault_names_the_channels_it_moves() -> None:
    kinds = {f for faults in FAULTS.values() for f in faults}
    assert kinds <= set(FAULT_CHANNELS)
    for kind in kinds:
        mask = fault_channel_mask(kind)
        assert 0 < mask.sum() < len(CHANNELS)
        assert {c for c, m in zip(CHANNELS, mask, strict=True) if m} == FAULT_CHANNELS[kind]


def test_outlier_exposure_raises_the_error_where_the_fault_is() -> None:
    """Faulty reps given as negatives teach the model to err on the fault's own channels: held-out reps of
    the same fault (other seeds: other bodies and cameras) score further above good reps than without
    them, and their worst channel is more often one the fault moves (what the attribution names)."""
    torch.set_num_threads(1)
    good = {
        ex: synthetic_reps(ex, range(16 if ex == "squat" else 2), max_per_clip=4) for ex in ANOMALY_EXERCISES
    }
    stats = fit_stats(good)
    x = np.concatenate([good[ex] for ex in ANOMALY_EXERCISES])
    e = np.concatenate([np.full(len(good[ex]), i) for i, ex in enumerate(ANOMALY_EXERCISES)])
    sq = ANOMALY_EXERCISES.index("squat")
    shown = synthetic_reps("squat", range(100, 108), fault="forward_lean")
    held_good = synthetic_reps("squat", range(200, 206))
    held_bad = synthetic_reps("squat", range(300, 306), fault="forward_lean")
    mask = fault_channel_mask("forward_lean")
    negatives = Negatives(shown, np.full(len(shown), sq), np.repeat(mask[None], len(shown), 0))

    def median_error(model: RepAutoencoder, reps: np.ndarray) -> float:
        return float(np.median(rep_errors(model, reps, np.full(len(reps), sq), stats)))

    def worst_in_fault(model: RepAutoencoder) -> float:
        err, measured = rep_channel_errors(model, held_bad, np.full(len(held_bad), sq), stats)
        good_level = rep_channel_errors(model, held_good, np.full(len(held_good), sq), stats)[0].mean(axis=0)
        worst = np.where(measured, err / good_level, -np.inf).argmax(axis=1)
        return float(mask[worst].mean())

    plain = train_autoencoder(x, e, stats, epochs=100, seed=0)
    exposed = train_autoencoder(x, e, stats, negatives=negatives, epochs=100, seed=0)
    ratio_plain = median_error(plain, held_bad) / median_error(plain, held_good)
    ratio_exposed = median_error(exposed, held_bad) / median_error(exposed, held_good)
    assert ratio_exposed > 1.3 * ratio_plain
    assert worst_in_fault(exposed) > worst_in_fault(plain)
