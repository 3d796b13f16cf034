"""Export: torch and onnxruntime agree, and the file carries everything the runtime reads.

Needs the ``train`` extra (CI installs ``.[dev,train]``)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import torch

from coach.features import FEATURE_NAMES
from coach.ml import ExerciseClassifier
from coach.ml.onnx_model import OnnxModel
from coach.synth import generate
from coach.training.classifier import Ensemble, Standardiser, TemporalCNN, WithSoftmax, predict, set_threads
from coach.training.data import CLASSIFIER_LABELS, WindowSpec, track_windows

REPO = Path(__file__).resolve().parents[1]


def _export_module():
    spec = importlib.util.spec_from_file_location("export_onnx", REPO / "scripts" / "export_onnx.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _checkpoint(tmp_path: Path, x: np.ndarray) -> tuple[Path, Ensemble, Standardiser]:
    torch.manual_seed(0)
    members = [TemporalCNN(len(FEATURE_NAMES), len(CLASSIFIER_LABELS), 32).eval() for _ in range(2)]
    std = Standardiser.fit(x)
    spec = WindowSpec()
    path = tmp_path / "exercise_classifier.pt"
    torch.save(
        {
            "state_dicts": [m.state_dict() for m in members],
            "mirror_average": True,
            "mean": std.mean,
            "std": std.std,
            "spec": {"rate_hz": spec.rate_hz, "length": spec.length, "hop_s": spec.hop_s},
            "labels": list(CLASSIFIER_LABELS),
            "width": 32,
            "n_features": len(FEATURE_NAMES),
            "seed": 0,
        },
        path,
    )
    return path, Ensemble(members).eval(), std


def _windows() -> np.ndarray:
    xs = []
    for activity in ("squat", "running", "other"):
        clip = generate(activity, seed=5)
        x, _ = track_windows(clip.landmarks, clip.world, clip.media_ts, clip.camera.image_size, WindowSpec())
        xs.append(x)
    return np.concatenate(xs)


def test_onnx_matches_torch_and_carries_the_runtime_metadata(tmp_path: Path) -> None:
    set_threads(1)
    x = _windows()
    ckpt, model, std = _checkpoint(tmp_path, x)
    out = _export_module().export_classifier(ckpt, tmp_path / "exercise_classifier.onnx")

    with torch.no_grad():
        expected = WithSoftmax(model)(torch.from_numpy(std.apply(x))).numpy()
    onnx_model = OnnxModel.load(out)
    got = onnx_model.run(std.apply(x))
    assert np.max(np.abs(got - expected)) <= 1e-4

    meta = onnx_model.meta
    assert json.loads(meta["coach.labels"]) == list(CLASSIFIER_LABELS)
    assert json.loads(meta["coach.features"]) == list(FEATURE_NAMES)
    np.testing.assert_allclose(json.loads(meta["coach.feature_mean"]), std.mean, rtol=1e-6)
    assert int(meta["coach.window_length"]) == 30 and float(meta["coach.window_rate_hz"]) == 15.0

    assert meta["coach.members"] == "2" and meta["coach.mirror_average"] == "1"

    # The runtime wrapper standardises with the file's statistics, averages each window with its mirror
    # image, and gives what training measured with.
    runtime = ExerciseClassifier(out)
    np.testing.assert_allclose(runtime.predict(x), predict(model, x, std, mirror=True), atol=1e-4)
    opts = onnx_model.session.get_session_options()
    assert opts.intra_op_num_threads == 1 and opts.inter_op_num_threads == 1
