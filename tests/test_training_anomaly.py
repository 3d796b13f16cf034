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
from coach.training.anomaly import (
    ANOMALY_EXERCISES,
    RepAutoencoder,
    fit_stats,
    normalised_score,
    rep_errors,
    synthetic_reps,
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
