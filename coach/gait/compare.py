"""Comparing time-normalised gait cycles: cosine similarity, per-phase z-scores, DTW distance.

Curves are angle series sampled at `CYCLE_SAMPLES` points from one initial contact (0 %) to the next
contact of the same foot (100 %). Pure functions; NaN in gives NaN out.
"""

from __future__ import annotations

import numpy as np

CYCLE_SAMPLES = 101


def resample_cycle(
    t: np.ndarray, values: np.ndarray, t0: float, t1: float, n: int = CYCLE_SAMPLES
) -> np.ndarray:
    """`values` at times `t` linearly interpolated onto `n` evenly spaced times from `t0` to `t1`.

    Non-finite samples are skipped; NaN everywhere when fewer than half the samples are finite (a cycle
    with most of its frames missing is not a cycle shape to compare).
    """
    t = np.asarray(t, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(t) & np.isfinite(v)
    if ok.sum() < max(3, len(v) // 2) or not t1 > t0:
        return np.full(n, np.nan)
    return np.interp(np.linspace(t0, t1, n), t[ok], v[ok])


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of the mean-centred curves (the shape agreement, i.e. Pearson's r).

    Centring matters: raw joint angles are mostly positive, so the cosine of raw curves is close to 1 for
    almost any two gaits and would hide real differences in shape. Offsets are reported by the z-scores.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return float("nan")
    a, b = a - a.mean(), b - b.mean()
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return float("nan")
    return float(a @ b / (na * nb))


def phase_z_scores(
    curve: np.ndarray, ref_mean: np.ndarray, ref_sd: np.ndarray, phases: dict[str, tuple[int, int]]
) -> dict[str, float]:
    """Mean of (curve - ref_mean) / ref_sd over each phase's samples [start, stop)."""
    z = (np.asarray(curve, dtype=np.float64) - ref_mean) / np.maximum(ref_sd, 1e-6)
    return {name: float(np.mean(z[a:b])) if b > a else float("nan") for name, (a, b) in phases.items()}


def dtw_distance(a: np.ndarray, b: np.ndarray, band: int | None = 10) -> float:
    """Dynamic time warping distance: mean absolute difference along the best warping path.

    `band` (samples) is a Sakoe-Chiba window: gait cycles are already time-normalised, so a warp of more
    than ~10 % of the cycle means a different movement, not a timing shift. Dividing by the path length
    keeps the result in the curves' unit (degrees).
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if not (np.isfinite(a).all() and np.isfinite(b).all()) or not len(a) or not len(b):
        return float("nan")
    n, m = len(a), len(b)
    w = max(band if band is not None else max(n, m), abs(n - m))
    cost = np.full((n + 1, m + 1), np.inf)
    steps = np.zeros((n + 1, m + 1))
    cost[0, 0] = 0.0
    for i in range(1, n + 1):
        lo, hi = max(1, i - w), min(m, i + w)
        for j in range(lo, hi + 1):
            d = abs(a[i - 1] - b[j - 1])
            choices = (cost[i - 1, j - 1], cost[i - 1, j], cost[i, j - 1])
            k = int(np.argmin(choices))
            prev = ((i - 1, j - 1), (i - 1, j), (i, j - 1))[k]
            cost[i, j] = d + choices[k]
            steps[i, j] = steps[prev] + 1
    return float(cost[n, m] / steps[n, m])


def phase_ranges(toe_off_pct: float, n: int = CYCLE_SAMPLES) -> dict[str, tuple[int, int]]:
    """Sample ranges of the four phases of a cycle whose toe off is at `toe_off_pct` % of the cycle.

    Initial contact = first third of stance (loading), mid stance = middle third, toe off = last third
    (propulsion), swing = toe off to the next contact.
    """
    to = int(round(toe_off_pct / 100.0 * (n - 1)))
    a, b = int(round(to / 3)), int(round(2 * to / 3))
    return {"initial_contact": (0, a), "mid_stance": (a, b), "toe_off": (b, to), "swing": (to, n)}
