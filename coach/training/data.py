"""Training data for the exercise classifier: synthetic clips and real labelled clips turned into feature
windows with exactly the runtime's smoothing and feature code.

Real clips come from a folder in the format of ``../shared/videos/labels.json``; their poses go through
`coach.analysis.offline.analyze_video` (with a pose cache, so MediaPipe runs once per clip). Label mapping:
``deadlift_romanian -> deadlift``, ``lunge_lateral -> lunge``, ``tricep_pushdown -> other`` (a real
non-catalogue exercise is exactly what "other" must catch); movements containing several activities
(``mixed_*``) have no per-frame labels and are left out.

Threads: plain functions; callers run them on one thread.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.activities import REP_EXERCISES
from coach.features import frame_features, window_ends, window_features
from coach.pose.smoothing import smooth_track
from coach.synth import generate

log = logging.getLogger(__name__)

CLASSIFIER_LABELS: tuple[str, ...] = (*REP_EXERCISES, "running", "walking", "idle", "other")
LABEL_MAP = {"deadlift_romanian": "deadlift", "lunge_lateral": "lunge", "tricep_pushdown": "other"}


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """The classifier's input window: `length` samples at `rate_hz`, a new window every `hop_s`."""

    rate_hz: float = 15.0
    length: int = 30
    hop_s: float = 0.5

    @property
    def seconds(self) -> float:
        return (self.length - 1) / self.rate_hz


@dataclass(frozen=True, slots=True)
class ClipWindows:
    """Feature windows of one clip: X (M, length, F) with NaN, window end times, label, source."""

    name: str
    source: str
    label: str
    x: np.ndarray
    t_end: np.ndarray


def track_windows(
    landmarks: np.ndarray,
    world: np.ndarray,
    ts: np.ndarray,
    image_size: tuple[int, int],
    spec: WindowSpec,
    *,
    min_present: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """Windows (M, length, F) and their end times over a SMOOTHED track; windows where fewer than
    `min_present` of the samples have a pose are dropped (nothing to classify there)."""
    frames = frame_features(landmarks, world, image_size)
    ends = window_ends(ts, spec.seconds, spec.hop_s)
    xs = [window_features(frames, ts, float(e), spec.rate_hz, spec.length) for e in ends]
    if not xs:
        return np.empty((0, spec.length, frames.shape[1] - 2)), np.empty(0)
    x = np.stack(xs)
    keep = x[:, :, -1].mean(axis=1) >= min_present
    return x[keep], ends[keep]


def synthetic_windows(
    per_class: int, seed: int, spec: WindowSpec, *, fault_share: float = 0.3
) -> tuple[np.ndarray, np.ndarray]:
    """(X (M, length, F), y (M,) label indices) from `per_class` synthetic clips of every label, a share of
    them with a random applicable form fault (a faulty squat is still a squat)."""
    from coach.synth import FAULTS

    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for label_i, label in enumerate(CLASSIFIER_LABELS):
        for k in range(per_class):
            faults = FAULTS[label]
            fault = faults[int(rng.integers(len(faults)))] if faults and rng.random() < fault_share else None
            clip = generate(label, seed=seed * 100_003 + k, fault=fault)
            lm, wd = smooth_track(clip.media_ts, clip.landmarks, clip.world)
            x, _ = track_windows(lm, wd, clip.media_ts, clip.camera.image_size, spec)
            xs.append(x)
            ys.append(np.full(len(x), label_i))
    return np.concatenate(xs), np.concatenate(ys)


def source_group(source: str) -> str:
    """The repository a clip comes from ("owner/repo@commit:path" -> "owner/repo")."""
    return source.split("@", 1)[0]


def real_clip_windows(
    videos_dir: Path, pose_model: Path, cache_dir: Path, spec: WindowSpec
) -> list[ClipWindows]:
    """Windows of every usable labelled clip in `videos_dir` (labels.json), poses from the cache."""
    from coach.analysis.offline import analyze_video

    labels = json.loads((videos_dir / "labels.json").read_text())
    out = []
    for item in labels["videos"]:
        movement = LABEL_MAP.get(item["movement"], item["movement"])
        if movement not in CLASSIFIER_LABELS:
            log.info("skipping %s (%s: no single label)", item["file"], item["movement"])
            continue
        # The label is given, so the shipped classifier is not consulted (training must not depend on the
        # model it replaces, whose feature list may differ); only the smoothed poses are used.
        clip = analyze_video(
            videos_dir / item["file"], pose_model, exercise=movement, pose_cache_dir=cache_dir
        )
        s = clip.smoothed
        x, ends = track_windows(s.landmarks, s.world, s.media_ts, s.image_size, spec)
        out.append(ClipWindows(item["file"], source_group(item["source"]), movement, x, ends))
    return out
