"""The exercise classifier (torch): a small temporal CNN over feature windows, its training loop and the
leave-one-source-out evaluation. Training/export only; the runtime runs the exported ONNX file.

Threads: call from one thread; torch is limited to the threads set by `set_threads`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from coach.features import FEATURE_NAMES, fill_missing, frame_features, mirror_windows
from coach.pose.landmarks import NUM_LANDMARKS
from coach.pose.landmarks import Landmark as L
from coach.training.data import CLASSIFIER_LABELS, ClipWindows, WindowSpec

log = logging.getLogger(__name__)

MODEL_VERSION = "1"


def set_threads(n: int = 1) -> None:
    """Keep torch off the cores MediaPipe and other users need (the machine has two)."""
    torch.set_num_threads(n)


class TemporalCNN(nn.Module):
    """(B, T, F) standardised features -> (B, classes) logits: three 1D convolutions over time with max
    pooling between them, then mean and max pooling over time (so the rep's position in the window does
    not matter). Plain (undilated) convolutions: on this CPU torch's dilated path was ~8x slower."""

    def __init__(self, n_features: int, n_classes: int, width: int = 48, dropout: float = 0.2) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(n_features, width, 5, padding=2),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.MaxPool1d(2),
            nn.Conv1d(width, width, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Conv1d(width, width, 3, padding=1),
            nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * width, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.net(x.transpose(1, 2))
        return self.head(torch.cat([h.mean(dim=2), h.amax(dim=2)], dim=1))


class Ensemble(nn.Module):
    """Members trained from different seeds, averaged: the classifier's accuracy on real clips moved by
    up to 0.05 between seeds of the same recipe (the clips a synthetic-trained model finds ambiguous flip
    either way), and the mean of a few members is steadier than any one of them.

    Returns the log of the members' mean probability, so a softmax of the output is that mean and the
    ensemble has a single member's interface (logits)."""

    def __init__(self, members: list[nn.Module]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = torch.stack([torch.softmax(m(x), dim=1) for m in self.members]).mean(dim=0)
        return torch.log(p.clamp_min(1e-12))


def ensemble_from_states(states: list[dict[str, torch.Tensor]], n_features: int, width: int) -> Ensemble:
    """An evaluation-mode ensemble of `TemporalCNN` members from their state dicts."""
    members = []
    for state in states:
        m = TemporalCNN(n_features, len(CLASSIFIER_LABELS), width)
        m.load_state_dict(state)
        members.append(m.eval())
    return Ensemble(members).eval()


class WithSoftmax(nn.Module):
    """What is exported: probabilities, so the runtime needs no softmax of its own."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.model(x), dim=1)


@dataclass(frozen=True, slots=True)
class Standardiser:
    mean: np.ndarray  # (F,)
    std: np.ndarray  # (F,)

    @staticmethod
    def fit(x: np.ndarray) -> Standardiser:
        flat = x.reshape(-1, x.shape[-1])
        mean = np.nanmean(flat, axis=0)
        std = np.nanstd(flat, axis=0)
        mean = np.nan_to_num(mean)
        # A floor keeps near-constant features (pose_present in clean data) from exploding.
        std = np.maximum(np.nan_to_num(std, nan=1.0), 1e-2)
        return Standardiser(mean.astype(np.float32), std.astype(np.float32))

    def apply(self, x: np.ndarray) -> np.ndarray:
        return fill_missing((x - self.mean) / self.std)


@dataclass(slots=True)
class TrainConfig:
    epochs: int = 25
    batch: int = 256
    lr: float = 3e-3
    weight_decay: float = 1e-3
    label_smoothing: float = 0.05
    noise: float = 0.05  # Gaussian noise on standardised inputs
    feature_dropout: float = 0.05  # share of (sample, feature) entries blanked to the mean
    real_weight: float = 4.0  # each real window counts this many times
    # Share of training windows in which one body part (see `part_masks`) is blanked for the whole window,
    # as when the pose model loses it (far side of a side view, legs out of a close-up, hidden hands).
    part_dropout: float = 0.3
    # Share of training windows that start without a pose for up to half the window, as the first windows
    # of a live session or of a clip shorter than the window do (nothing is known before the first frame).
    late_start: float = 0.1
    class_balance: bool = True  # see `stack_training`
    width: int = 48
    seed: int = 0
    extra: dict[str, float] = field(default_factory=dict)


def _limb(side: str, *parts: str) -> tuple[int, ...]:
    return tuple(int(L[f"{side}_{p}"]) for p in parts)


_ARM = ("ELBOW", "WRIST", "PINKY", "INDEX", "THUMB")
_HAND = ("WRIST", "PINKY", "INDEX", "THUMB")
_LOWER_LEG = ("KNEE", "ANKLE", "HEEL", "FOOT_INDEX")
_FOOT = ("ANKLE", "HEEL", "FOOT_INDEX")
# Body parts that real MediaPipe tracks lose together (after the smoother's visibility gate): the far
# side's limbs in a side view (its shoulder and hip stay), one arm, the hands (a bar, a cable handle), the
# legs below the hips (a close-up) or the feet (a bench, a crop). Hips and shoulders are never dropped:
# everything is centred and scaled on them, and real tracks without them have no pose at all.
PART_GROUPS: dict[str, tuple[int, ...]] = {
    "far_left": _limb("LEFT", *_ARM, *_LOWER_LEG),
    "far_right": _limb("RIGHT", *_ARM, *_LOWER_LEG),
    "left_arm": _limb("LEFT", *_ARM),
    "right_arm": _limb("RIGHT", *_ARM),
    "hands": _limb("LEFT", *_HAND) + _limb("RIGHT", *_HAND),
    "legs": _limb("LEFT", *_LOWER_LEG) + _limb("RIGHT", *_LOWER_LEG),
    "feet": _limb("LEFT", *_FOOT) + _limb("RIGHT", *_FOOT),
}


def part_masks() -> np.ndarray:
    """(groups, F) bool: the feature columns that become missing when the landmarks of each of
    `PART_GROUPS` are missing, found by running the feature code itself on a pose with and without them
    (so the masks follow any change of the feature list)."""
    rng = np.random.default_rng(0)
    lm = np.concatenate([rng.uniform(0.3, 0.7, (1, NUM_LANDMARKS, 2)), np.ones((1, NUM_LANDMARKS, 3))], -1)
    wd = rng.uniform(-0.5, 0.5, (1, NUM_LANDMARKS, 3))
    base = np.isfinite(frame_features(lm, wd, (720, 1280))[0, : len(FEATURE_NAMES)])
    masks = []
    for idx in PART_GROUPS.values():
        lm2, wd2 = lm.copy(), wd.copy()
        lm2[:, list(idx), :2] = np.nan
        wd2[:, list(idx)] = np.nan
        gone = ~np.isfinite(frame_features(lm2, wd2, (720, 1280))[0, : len(FEATURE_NAMES)])
        masks.append(base & gone)
    return np.stack(masks)


def train_classifier(
    x: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray,
    std: Standardiser,
    cfg: TrainConfig,
    *,
    init: dict[str, torch.Tensor] | None = None,
) -> TemporalCNN:
    """Train (or fine-tune from `init`) on windows `x` (M, T, F) raw features, labels `y`, sample weights."""
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    model = TemporalCNN(x.shape[-1], len(CLASSIFIER_LABELS), cfg.width)
    if init is not None:
        model.load_state_dict(init)
    xs = torch.from_numpy(std.apply(x))
    ys = torch.from_numpy(y.astype(np.int64))
    p = weights / weights.sum()
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = max(1, len(x) // cfg.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, cfg.lr, total_steps=cfg.epochs * steps_per_epoch)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
    keep_parts = torch.from_numpy(~part_masks()).float()  # (groups, F): 0 where a part's features live
    # A sample without a pose, standardised: every feature missing (0 = the mean), pose_present = 0.
    no_pose = torch.zeros(x.shape[-1])
    no_pose[-1] = float(-std.mean[-1] / std.std[-1])
    steps = torch.arange(x.shape[1])
    t0 = time.perf_counter()
    for epoch in range(cfg.epochs):
        model.train()
        total = 0.0
        for _ in range(steps_per_epoch):
            idx = torch.from_numpy(rng.choice(len(x), cfg.batch, p=p))
            xb = xs[idx]
            xb = xb + cfg.noise * torch.randn_like(xb)
            if cfg.feature_dropout:
                keep = torch.rand(xb.shape[0], 1, xb.shape[2]) >= cfg.feature_dropout
                xb = xb * keep
            if cfg.part_dropout:
                hit = torch.rand(xb.shape[0]) < cfg.part_dropout
                group = torch.randint(len(keep_parts), (xb.shape[0],))
                mask = torch.where(hit[:, None], keep_parts[group], torch.ones(1, xb.shape[2]))
                xb = xb * mask[:, None, :]
            if cfg.late_start:
                hit = torch.rand(xb.shape[0]) < cfg.late_start
                first = torch.randint(1, x.shape[1] // 2 + 1, (xb.shape[0],))
                empty = (hit[:, None] & (steps[None, :] < first[:, None]))[:, :, None]
                xb = torch.where(empty, no_pose, xb)
            loss = loss_fn(model(xb), ys[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach())
        log.info(
            "epoch %d/%d loss %.4f (%.0f s)",
            epoch + 1,
            cfg.epochs,
            total / steps_per_epoch,
            time.perf_counter() - t0,
        )
    model.eval()
    return model


def predict(
    model: nn.Module, x: np.ndarray, std: Standardiser, *, mirror: bool = False, batch: int = 1024
) -> np.ndarray:
    """Probabilities (M, classes) for raw windows; with `mirror`, averaged with those of the mirrored
    windows (as the runtime does when the model's metadata asks for it)."""
    if mirror:
        flipped = predict(model, mirror_windows(x), std, batch=batch)
        return 0.5 * (predict(model, x, std, batch=batch) + flipped)
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            out.append(torch.softmax(model(torch.from_numpy(std.apply(x[i : i + batch]))), dim=1).numpy())
    return np.concatenate(out) if out else np.empty((0, len(CLASSIFIER_LABELS)))


@dataclass(frozen=True, slots=True)
class ClipResult:
    name: str
    source: str
    label: str
    predicted: str
    confidence: float
    window_correct: int
    windows: int
    window_predictions: tuple[str, ...]


def clip_results(
    model: nn.Module, clips: list[ClipWindows], std: Standardiser, *, mirror: bool = False
) -> list[ClipResult]:
    """Window predictions and the clip's label (argmax of the mean window probability)."""
    res = []
    for c in clips:
        if len(c.x) == 0:
            continue
        probs = predict(model, c.x, std, mirror=mirror)
        win = probs.argmax(axis=1)
        mean = probs.mean(axis=0)
        label_i = CLASSIFIER_LABELS.index(c.label)
        res.append(
            ClipResult(
                c.name,
                c.source,
                c.label,
                CLASSIFIER_LABELS[int(mean.argmax())],
                float(mean.max()),
                int((win == label_i).sum()),
                len(win),
                tuple(CLASSIFIER_LABELS[int(i)] for i in win),
            )
        )
    return res


def stack_training(
    synth: tuple[np.ndarray, np.ndarray],
    clips: list[ClipWindows],
    real_weight: float,
    class_balance: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Synthetic windows (weight 1) and real windows (`real_weight` each) with their mirror images;
    `class_balance` then gives every label the same total weight."""
    xs, ys = [synth[0]], [synth[1]]
    ws = [np.ones(len(synth[1]))]
    for c in clips:
        # Real clips are few and most face one way: add their mirror images (half weight each).
        xs.extend([c.x, mirror_windows(c.x)])
        ys.extend([np.full(len(c.x), CLASSIFIER_LABELS.index(c.label))] * 2)
        ws.extend([np.full(len(c.x), real_weight / 2)] * 2)
    x, y, w = np.concatenate(xs), np.concatenate(ys), np.concatenate(ws)
    if class_balance:
        # Real clips exist for some labels only (and in a leave-one-source-out fold maybe none for the
        # held-out label): without this, adding them raises those labels' share of the training data, and
        # the model learns "real-looking -> a label that has real clips". Each label's total weight is made
        # equal; the real/synthetic ratio within a label is kept.
        totals = np.bincount(y, weights=w, minlength=len(CLASSIFIER_LABELS))
        target = totals[totals > 0].mean()
        w = w * (target / np.maximum(totals, 1e-9))[y]
    return x, y, w


def metadata(
    std: Standardiser, spec: WindowSpec, extra: dict[str, str] | None = None, *, mirror_average: bool = False
) -> dict[str, str]:
    """What the runtime needs, as ONNX metadata_props (strings; arrays as JSON)."""
    import json

    meta = {
        "coach.model": "exercise_classifier",
        "coach.version": MODEL_VERSION,
        "coach.labels": json.dumps(list(CLASSIFIER_LABELS)),
        "coach.features": json.dumps(list(FEATURE_NAMES)),
        "coach.window_length": str(spec.length),
        "coach.window_rate_hz": str(spec.rate_hz),
        "coach.window_hop_s": str(spec.hop_s),
        "coach.feature_mean": json.dumps([float(v) for v in std.mean]),
        "coach.feature_std": json.dumps([float(v) for v in std.std]),
        # The runtime averages each window's probabilities with its mirror image's (left/right swapped).
        "coach.mirror_average": "1" if mirror_average else "0",
    }
    meta.update(extra or {})
    return meta
