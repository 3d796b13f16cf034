"""Aligning two reps in time by dynamic time warping on the primary joint angle (no Qt).

Two reps of the same exercise differ in tempo (a slower descent, a pause at the bottom), so frame k of one
is not the same moment of the movement as frame k of the other. DTW pairs up the samples whose angles
match; the ghost skeleton and the side-by-side view show the paired frame of the reference rep. The
distance is `coach.gait.compare.dtw_distance` (the same measure the gait comparison uses); this module adds
the warping path, which that function does not return. Pure functions; any thread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from coach.gait.compare import dtw_distance

__all__ = ["RepAlignment", "align_reps", "dtw_path", "fill_gaps"]


@dataclass(frozen=True, slots=True)
class RepAlignment:
    """`b_index[i]`: the sample of rep b that matches sample i of rep a; `distance` in degrees (NaN when a
    rep has no measurable angle, and then `b_index` is a plain linear time stretch)."""

    b_index: np.ndarray  # (len(a),) int
    path: np.ndarray  # (steps, 2) int pairs (i, j), from (0, 0) to (len(a)-1, len(b)-1)
    distance: float

    def map(self, i: int) -> int:
        """The sample of rep b paired with sample `i` of rep a (clamped to rep a)."""
        return int(self.b_index[min(max(int(i), 0), len(self.b_index) - 1)])


def fill_gaps(values: np.ndarray) -> np.ndarray | None:
    """`values` with NaN samples linearly interpolated from their finite neighbours (held at the ends);
    None when fewer than two samples are finite. A frame or two without a knee should not break the
    alignment of a whole rep."""
    v = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(v)
    if ok.sum() < 2:
        return None
    if ok.all():
        return v
    idx = np.arange(len(v))
    return np.interp(idx, idx[ok], v[ok])


def dtw_path(a: np.ndarray, b: np.ndarray, band: int | None = None) -> np.ndarray:
    """The optimal DTW warping path between finite curves `a` and `b` (absolute difference cost), as an
    (steps, 2) array of index pairs. `band`: Sakoe-Chiba half-width in samples (None: unconstrained, which
    reps need: unlike gait cycles they are not time-normalised)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    n, m = len(a), len(b)
    if not n or not m:
        raise ValueError("cannot align an empty curve")
    w = max(band if band is not None else max(n, m), abs(n - m))
    cost = np.full((n + 1, m + 1), np.inf)
    cost[0, 0] = 0.0
    d = np.abs(a[:, None] - b[None, :])
    for i in range(1, n + 1):
        lo, hi = max(1, i - w), min(m, i + w)
        # The diagonal and vertical moves depend only on the previous row: vectorised; the horizontal move
        # depends on this row's previous cell, so that part stays a short loop.
        prev = np.minimum(cost[i - 1, lo - 1:hi], cost[i - 1, lo:hi + 1])
        row = cost[i]
        for j in range(lo, hi + 1):
            row[j] = d[i - 1, j - 1] + min(prev[j - lo], row[j - 1])
    # Walk back from the end along the cheapest predecessor (diagonal first on ties: the straight match).
    i, j = n, m
    path = [(n - 1, m - 1)]
    while (i, j) != (1, 1):
        options = ((cost[i - 1, j - 1], i - 1, j - 1), (cost[i - 1, j], i - 1, j), (cost[i, j - 1], i, j - 1))
        _, i, j = min(options, key=lambda o: o[0])
        path.append((i - 1, j - 1))
    return np.array(path[::-1], dtype=np.intp)


def align_reps(rep_a: np.ndarray, rep_b: np.ndarray, band: int | None = None) -> RepAlignment:
    """Align rep a's primary-angle curve to rep b's (one value per frame, NaN where unmeasured)."""
    a, b = fill_gaps(rep_a), fill_gaps(rep_b)
    n, m = len(rep_a), len(rep_b)
    if not n or not m:
        raise ValueError("cannot align an empty rep")
    if a is None or b is None:
        # Nothing to match on: stretch b over a linearly, which is still better than no ghost at all.
        b_index = np.round(np.linspace(0, m - 1, n)).astype(np.intp)
        return RepAlignment(b_index, np.stack([np.arange(n), b_index], axis=1), float("nan"))
    path = dtw_path(a, b, band)
    # Several b samples may pair with one a sample (b lingers there): show the middle one.
    b_index = np.zeros(n, dtype=np.intp)
    for i in range(n):
        js = path[path[:, 0] == i, 1]
        b_index[i] = int(js[len(js) // 2])
    return RepAlignment(b_index, path, dtw_distance(a, b, band=band))
