"""Lag, jitter and per-frame cost of the default landmark smoother (`coach.pose.smoothing`).

Run: ``/work/venv/bin/python benchmarks/bench_smoothing.py``. Prints, at 30 and 60 fps:
- step response: time to 50 % and to stay within 1 % of the step, overshoot;
- lag on a ramp and on sines at realistic speeds (squat hip 0.5 Hz, sprint wrist 3 Hz): the time shift that
  best aligns the output with the input (least squares over the steady state);
- jitter: output std / input std on a still landmark with Gaussian noise;
- the cost of one `PoseSmoother.update` on a (33, 5) + (33, 3) frame;
- with ``--cache DIR`` (a folder of cached MediaPipe tracks, ``*.npz`` with ``landmarks``, ``world`` and
  ``media_ts``): the jitter left in real tracks before and after smoothing, per clip.

Movements are given in metres and converted to normalised image units for an athlete 1.75 m tall filling
80 % of the height of a 16:9 landscape frame (vertical movements), which gives the body scale the
`PoseSmoother` would measure for that athlete.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.pose.smoothing import (
    LANDMARK_FILTER,
    WORLD_FILTER,
    OneEuroFilter,
    OneEuroParams,
    PoseSmoother,
    body_scale,
    smooth_track,
)

ATHLETE_HEIGHT_M = 1.75
FRAME_FILL = 0.8
NORM_PER_M = FRAME_FILL / ATHLETE_HEIGHT_M  # normalised y units per metre
# Bounding box of a standing athlete, arms down: ~0.45 m wide, in a 16:9 frame x units are 16/9 longer.
BODY_SCALE = 0.5 * (FRAME_FILL + 0.45 * NORM_PER_M * 9 / 16)
LANDMARK_NOISE = 0.003  # normalised units: ~2 px at 720p
WORLD_NOISE = 0.01  # metres


@dataclass(frozen=True, slots=True)
class Signal:
    name: str
    f: Callable[[np.ndarray], np.ndarray]  # metres as a function of seconds
    duration_s: float


def run(params: OneEuroParams, scale: float, fps: float, x: np.ndarray) -> np.ndarray:
    filt = OneEuroFilter.from_params(params)
    t = np.arange(len(x)) / fps
    return np.array([filt(ti, np.array([xi]), scale)[0] for ti, xi in zip(t, x, strict=True)])


def best_lag_ms(
    params: OneEuroParams, scale: float, fps: float, sig: Signal, unit: float, settle_s: float = 2.0
) -> float:
    t = np.arange(int(sig.duration_s * fps)) / fps
    out = run(params, scale, fps, unit * sig.f(t))
    keep = t >= settle_s
    lags = np.arange(-0.02, 0.3, 0.00025)
    err = [np.mean((out[keep] - unit * sig.f(t[keep] - lag)) ** 2) for lag in lags]
    return 1000.0 * float(lags[int(np.argmin(err))])


def step_figures(
    params: OneEuroParams, scale: float, fps: float, height: float
) -> tuple[float, float, float]:
    """(fraction of the step covered by the first frame that sees it, ms from that frame until the output
    stays within 1 % of the step, overshoot relative to the step)."""
    n0 = int(0.5 * fps)
    x = np.r_[np.zeros(n0), np.full(int(2 * fps), height)]
    out = run(params, scale, fps, x)[n0:]
    outside = np.nonzero(np.abs(out - height) > 0.01 * height)[0]
    settle = (outside[-1] + 1) / fps if len(outside) else 0.0
    overshoot = max(0.0, float(out.max() - height)) / height
    return float(out[0] / height), 1000 * settle, overshoot


def jitter_ratio(params: OneEuroParams, scale: float, fps: float, sigma: float, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    x = 0.5 + sigma * rng.standard_normal(int(20 * fps))
    out = run(params, scale, fps, x)[int(fps) :]
    return float(out.std() / x[int(fps) :].std())


def update_cost_us(n: int = 3000) -> float:
    rng = np.random.default_rng(1)
    lm = rng.random((n, 33, 5)).astype(np.float32)
    lm[:, :, 3:] = 0.9
    lm[:, 5:9, 3] = 0.2  # a few gated landmarks, as in real frames
    world = rng.random((n, 33, 3)).astype(np.float32)
    smoother = PoseSmoother()
    start = time.perf_counter()
    for i in range(n):
        smoother.update(i / 30, lm[i], world[i])
    return 1e6 * (time.perf_counter() - start) / n


def frame_jitter(track: np.ndarray, good: np.ndarray) -> float:
    """Robust per-frame jitter: the MAD-based sd of second differences over well-visible landmarks (a
    smooth movement's second difference is far below MediaPipe's jitter at video frame rates)."""
    d2 = track[2:] - 2 * track[1:-1] + track[:-2]
    v = d2[good[1:-1] & good[2:] & good[:-2]]
    v = v[np.isfinite(v).all(axis=-1)].ravel()
    return float(1.4826 * np.median(np.abs(v - np.median(v))) / np.sqrt(6)) if len(v) else float("nan")


def real_tracks(cache: Path) -> None:
    print(f"\nreal tracks in {cache}: jitter (sd of 2nd differences, robust) before -> after smoothing")
    print(f"  {'clip':52s} {'fps':>5s} {'image (body scales)':>22s} {'world (mm)':>16s} {'us/frame':>9s}")
    ratios_lm, ratios_w = [], []
    for path in sorted(cache.glob("*.npz")):
        if path.name.endswith(".partial.npz"):
            continue
        data = np.load(path)
        lm, world, t = data["landmarks"], data["world"], data["media_ts"]
        scale = np.nanmedian([body_scale(f) for f in lm])
        start = time.perf_counter()
        s_lm, s_w = smooth_track(t, lm, world)
        cost = 1e6 * (time.perf_counter() - start) / len(t)
        good = lm[:, :, 3] > 0.8
        before_lm, after_lm = (frame_jitter(a[:, :, :2] / scale, good) for a in (lm, s_lm))
        before_w, after_w = (1000 * frame_jitter(a, good) for a in (world, s_w))
        ratios_lm.append(after_lm / before_lm)
        ratios_w.append(after_w / before_w)
        cells = f"{before_lm:.4f} -> {after_lm:.4f}", f"{before_w:.1f} -> {after_w:.1f}"
        print(f"  {path.stem[:52]:52s} {float(data['fps']):5.1f} {cells[0]:>22s} {cells[1]:>16s} {cost:9.0f}")
    if ratios_lm:
        print(
            f"  median after/before: image {np.nanmedian(ratios_lm):.2f}, world {np.nanmedian(ratios_w):.2f}"
            f" over {len(ratios_lm)} clips"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--min-cutoff", type=float, default=None, help="override both min_cutoffs (Hz)")
    parser.add_argument("--beta-lm", type=float, default=None)
    parser.add_argument("--beta-world", type=float, default=None)
    parser.add_argument("--cache", type=Path, default=None, help="folder of cached MediaPipe tracks (*.npz)")
    args = parser.parse_args()
    lm_p, w_p = LANDMARK_FILTER, WORLD_FILTER
    if args.min_cutoff is not None:
        lm_p = OneEuroParams(args.min_cutoff, lm_p.beta, lm_p.d_cutoff)
        w_p = OneEuroParams(args.min_cutoff, w_p.beta, w_p.d_cutoff)
    if args.beta_lm is not None:
        lm_p = OneEuroParams(lm_p.min_cutoff, args.beta_lm, lm_p.d_cutoff)
    if args.beta_world is not None:
        w_p = OneEuroParams(w_p.min_cutoff, args.beta_world, w_p.d_cutoff)

    signals = [
        Signal("ramp 0.5 m/s", lambda t: 0.5 * t, 4.0),
        Signal("squat hip 0.5 Hz +-0.2 m", lambda t: 0.2 * np.sin(2 * np.pi * 0.5 * t), 10.0),
        Signal("jog wrist 1.5 Hz +-0.15 m", lambda t: 0.15 * np.sin(2 * np.pi * 1.5 * t), 6.0),
        Signal("sprint wrist 3 Hz +-0.3 m", lambda t: 0.3 * np.sin(2 * np.pi * 3.0 * t), 5.0),
    ]
    arrays = [
        ("landmarks", lm_p, BODY_SCALE, NORM_PER_M, LANDMARK_NOISE),
        ("world", w_p, 1.0, 1.0, WORLD_NOISE),
    ]
    print(f"body scale {BODY_SCALE:.3f} normalised units; 1 m = {NORM_PER_M:.3f} normalised y units")
    for name, p, scale, unit, noise in arrays:
        print(f"\n{name}: min_cutoff={p.min_cutoff} Hz beta={p.beta} d_cutoff={p.d_cutoff} Hz")
        print(f"  {'figure':44s} {'30 fps':>10s} {'60 fps':>10s}")
        cells = [step_figures(p, scale, fps, 0.3 * unit) for fps in (30, 60)]
        row = [f"{100 * h:.0f}% / {s:.0f}" for h, s, _ in cells]
        print(f"  {'step 0.3 m: 1st frame / ms to within 1 %':44s} {row[0]:>10s} {row[1]:>10s}")
        print(f"  {'step 0.3 m: overshoot (relative)':44s} {cells[0][2]:>10.1e} {cells[1][2]:>10.1e}")
        for sig in signals:
            lags = [best_lag_ms(p, scale, fps, sig, unit) for fps in (30, 60)]
            print(f"  {sig.name + ': lag ms':44s} {lags[0]:>10.1f} {lags[1]:>10.1f}")
        ratios = [jitter_ratio(p, scale, fps, noise) for fps in (30, 60)]
        label = f"still, noise sd {noise}: out sd / in sd"
        print(f"  {label:44s} {ratios[0]:>10.2f} {ratios[1]:>10.2f}")
    print(f"\nPoseSmoother.update: {update_cost_us():.0f} us per frame")
    if args.cache is not None:
        real_tracks(args.cache)


if __name__ == "__main__":
    main()
