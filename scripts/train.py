"""Train every shipped model from a seed: ``python scripts/train.py [--seed 0] [--loso]``.

Exercise classifier: an ensemble of ``--members`` models (seeds), each pretrained on synthetic windows
(`coach.synth`), then fine-tuned on synthetic + real labelled clips; windows are scored with their mirror
images too. With ``--loso`` it also measures leave-one-source-out accuracy on the real clips (each fold
fine-tunes the synthetic-only members without the held-out source; each member alone is reported too)
and the synthetic-only ensemble's accuracy on every real clip. Writes a checkpoint
(``build/checkpoints/exercise_classifier.pt``) that ``scripts/export_onnx.py`` turns into
``models/exercise_classifier.onnx``, and the measured figures as JSON next to it (quoted in
``models/exercise_classifier.md``).

Rep autoencoder: good synthetic and real reps, the synthesizer's faulty reps as outliers
(`coach.training.anomaly`); its report includes the synthetic AUROC with each fault kind left out, the
attribution fit and the leave-one-source-out real-clip check (about 6.5 minutes on one thread). Writes
``rep_autoencoder.pt`` and its report. Needs the ``train`` extra.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections import Counter
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import torch

from coach.training.classifier import (
    Ensemble,
    Standardiser,
    TemporalCNN,
    TrainConfig,
    clip_results,
    ensemble_from_states,
    predict,
    set_threads,
    stack_training,
    train_classifier,
)
from coach.training.data import CLASSIFIER_LABELS, WindowSpec, real_clip_windows, synthetic_windows

log = logging.getLogger("train")
REPO = Path(__file__).resolve().parents[1]


def _summary(results: list) -> dict:
    wins = sum(r.windows for r in results)
    correct = sum(r.window_correct for r in results)
    clip_ok = sum(r.predicted == r.label for r in results)
    confusion = Counter((r.label, p) for r in results for p in r.window_predictions)
    clip_conf = Counter((r.label, r.predicted) for r in results)
    return {
        "window_accuracy": correct / max(1, wins),
        "windows": wins,
        "clip_accuracy": clip_ok / max(1, len(results)),
        "clips": len(results),
        "window_confusion": {f"{a}->{b}": n for (a, b), n in sorted(confusion.items())},
        "clip_confusion": {f"{a}->{b}": n for (a, b), n in sorted(clip_conf.items())},
        "per_clip": [
            {
                "clip": r.name,
                "source": r.source,
                "label": r.label,
                "predicted": r.predicted,
                "confidence": round(r.confidence, 3),
                "window_accuracy": round(r.window_correct / r.windows, 3),
                "window_predictions": list(r.window_predictions),
            }
            for r in results
        ],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-class", type=int, default=80, help="synthetic training clips per label")
    ap.add_argument("--videos", type=Path, default=REPO.parent / "shared" / "videos")
    ap.add_argument(
        "--pose-model", type=Path, default=REPO.parent / "shared" / "models" / "pose_landmarker_full.task"
    )
    ap.add_argument("--pose-cache", type=Path, default=Path("/work/cache/coachposes"))
    ap.add_argument("--out", type=Path, default=REPO / "build" / "checkpoints")
    ap.add_argument("--loso", action="store_true", help="also run leave-one-source-out evaluation")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--members", type=int, default=3, help="classifier ensemble size (seeds)")
    ap.add_argument("--models", default="classifier,autoencoder", help="comma-separated subset to train")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    set_threads(args.threads)
    wanted = set(args.models.split(","))
    args.out.mkdir(parents=True, exist_ok=True)
    if "autoencoder" in wanted:
        train_autoencoder_model(args)
    if "classifier" in wanted:
        train_classifier_model(args)


def train_autoencoder_model(args: argparse.Namespace) -> None:
    from coach.training.anomaly import ANOMALY_EXERCISES, build_and_train, real_clip_reps

    t0 = time.perf_counter()
    reps = real_clip_reps(args.videos, args.pose_model, args.pose_cache) if args.videos.is_dir() else None
    model, stats, report = build_and_train(args.seed, clips_per_exercise=96, real=reps)
    report["seed"] = args.seed
    report["train_seconds"] = time.perf_counter() - t0
    log.info("autoencoder: synthetic AUROC %.3f (%.0f s)", report["auroc_all"], report["train_seconds"])
    torch.save(
        {
            "state_dict": model.state_dict(),
            "mean": stats.mean,
            "std": stats.std,
            "exercises": list(ANOMALY_EXERCISES),
            "report": report,
            "seed": args.seed,
        },
        args.out / "rep_autoencoder.pt",
    )
    (args.out / "rep_autoencoder_report.json").write_text(
        json.dumps({k: v for k, v in report.items() if k != "channel_reference"}, indent=1)
    )


def train_classifier_model(args: argparse.Namespace) -> None:
    t_start = time.perf_counter()
    spec = WindowSpec()
    cfg = TrainConfig(seed=args.seed)

    log.info("synthesising %d clips per label", args.per_class)
    synth = synthetic_windows(args.per_class, args.seed, spec)
    synth_test = synthetic_windows(max(4, args.per_class // 6), args.seed + 7919, spec)
    log.info(
        "synthetic windows: train %d, held-out %d (%.0f s)",
        len(synth[1]),
        len(synth_test[1]),
        time.perf_counter() - t_start,
    )
    real = (
        real_clip_windows(args.videos, args.pose_model, args.pose_cache, spec) if args.videos.is_dir() else []
    )
    log.info("real clips: %d, windows %d", len(real), sum(len(c.x) for c in real))
    std = Standardiser.fit(synth[0])  # synthetic only: no real (held-out) clip leaks into the statistics

    # An ensemble of `--members` models: member k is trained with seed `seed * 1000 + k` on the same data.
    cfgs = [replace(cfg, seed=args.seed * 1000 + k) for k in range(args.members)]
    pre_states = []
    for c in cfgs:
        pre = train_classifier(synth[0], synth[1], np.ones(len(synth[1])), std, c)
        pre_states.append({k: v.clone() for k, v in pre.state_dict().items()})
    pre = ensemble_from_states(pre_states, synth[0].shape[-1], cfg.width)
    synth_acc = float((predict(pre, synth_test[0], std, mirror=True).argmax(1) == synth_test[1]).mean())
    report: dict = {
        "seed": args.seed,
        "members": args.members,
        "mirror_average": True,
        "synthetic_windows": int(len(synth[1])),
        "real_clips": len(real),
        "real_windows": int(sum(len(c.x) for c in real)),
        "synthetic_heldout_accuracy": synth_acc,
        "config": asdict(cfg),
        "window": asdict(spec),
    }
    log.info("synthetic-only model: held-out synthetic window accuracy %.3f", synth_acc)
    report["synthetic_only_on_real"] = _summary(clip_results(pre, real, std, mirror=True))
    log.info(
        "synthetic-only on real: window %.3f clip %.3f",
        report["synthetic_only_on_real"]["window_accuracy"],
        report["synthetic_only_on_real"]["clip_accuracy"],
    )

    fines = [replace(c, epochs=8, lr=1e-3) for c in cfgs]

    def fine_tune(clips: list) -> list[TemporalCNN]:
        x, y, w = stack_training(synth, clips, cfg.real_weight, cfg.class_balance)
        return [train_classifier(x, y, w, std, f, init=s) for f, s in zip(fines, pre_states, strict=True)]

    if args.loso and real:
        results, member_results = [], [[] for _ in cfgs]
        for group in sorted({c.source for c in real}):
            held = [c for c in real if c.source == group]
            members = fine_tune([c for c in real if c.source != group])
            fold = clip_results(Ensemble(members), held, std, mirror=True)
            results.extend(fold)
            for k, m in enumerate(members):  # each member alone, no mirror: the spread the ensemble removes
                member_results[k].extend(clip_results(m, held, std))
            log.info(
                "fold %s: %s",
                group,
                [(r.name, r.predicted, round(r.window_correct / r.windows, 2)) for r in fold],
            )
        report["loso"] = _summary(results)
        report["loso_members"] = [
            {k: v for k, v in _summary(r).items() if k in ("window_accuracy", "clip_accuracy")}
            for r in member_results
        ]
        log.info(
            "LOSO: window %.3f clip %.3f (members alone: %s)",
            report["loso"]["window_accuracy"],
            report["loso"]["clip_accuracy"],
            [round(m["window_accuracy"], 3) for m in report["loso_members"]],
        )

    final = fine_tune(real)
    report["train_seconds"] = time.perf_counter() - t_start
    torch.save(
        {
            "state_dicts": [m.state_dict() for m in final],
            "mean": std.mean,
            "std": std.std,
            "spec": asdict(spec),
            "labels": list(CLASSIFIER_LABELS),
            "width": cfg.width,
            "n_features": int(synth[0].shape[-1]),
            "mirror_average": True,
            "seed": args.seed,
        },
        args.out / "exercise_classifier.pt",
    )
    (args.out / "exercise_classifier_report.json").write_text(json.dumps(report, indent=1))
    log.info("done in %.0f s -> %s", report["train_seconds"], args.out)


if __name__ == "__main__":
    main()
