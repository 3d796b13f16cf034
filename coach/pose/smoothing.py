"""Causal landmark smoothing: a vectorised One Euro filter and a per-athlete `PoseSmoother`.

The One Euro filter (Casiez, Roussel & Vogel, CHI 2012) is a first-order low-pass whose cutoff rises with
the signal's speed::

    cutoff = min_cutoff + beta * |filtered speed| / scale        (Hz)

- ``min_cutoff`` (Hz) sets the smoothing of a still landmark: lower removes more jitter but lags more once
  the landmark starts to move.
- ``beta`` (1 / (units of scale)) sets how fast the cutoff opens with speed: higher cuts the lag of fast
  movements but lets more jitter through while moving.
- ``d_cutoff`` (Hz) smooths the speed estimate that drives the cutoff: lower makes the cutoff steadier but
  slower to react at the start of a movement.
- ``scale`` divides the speed so one ``beta`` fits data whose units differ (see `PoseSmoother`).

Discretisation. The paper steps the low-pass with ``a = 1 / (1 + 1 / (2 pi cutoff dt))``, a first-order
approximation whose error grows with ``cutoff * dt``. Here the position is stepped with the exact response of
the continuous low-pass to the input interpolated linearly between the previous sample and the new one (the
cutoff held over the interval), which is second-order accurate. The output is then a weighted mean of its last
value, the previous sample and the new sample with non-negative weights, so it never overshoots, and its
steady-state lag on a ramp is exactly ``1 / (2 pi cutoff)``. The same movement filtered at 30 and 60 fps
gives positions within 0.1 % (squat, 0.5 Hz) to about 1 % (jogging arm, 1.5 Hz) of the movement's amplitude
of each other at shared times (0.5 % and 3 % with the paper's step). Speeds are differenced from the
previous raw sample, as in the authors' reference implementation, and smoothed with the paper's factor at
``d_cutoff``.

Missing values. A non-finite element (NaN) does not touch the filter's state: the last output is held for
up to ``hold_s`` seconds after the last finite sample, then the element becomes NaN (never 0). A finite sample
arriving more than ``hold_s`` after the previous finite one restarts that element at the new value, so a
landmark that reappears elsewhere jumps there instead of swooping across the image.

Defaults (`LANDMARK_FILTER`, `WORLD_FILTER`: min_cutoff 1 Hz, beta 10, d_cutoff 1 Hz) and what they cost,
measured by ``benchmarks/bench_smoothing.py``. Movements are in metres for an athlete 1.75 m tall filling 80 %
of a 16:9 frame's height (body scale 0.46); lag = the time shift that best aligns output with input over the
steady state. Landmarks and world rows coincide by construction (see `WORLD_FILTER`) except for jitter.

    ===============================================  ==========  ==========
    figure                                           30 fps      60 fps
    ===============================================  ==========  ==========
    step 0.3 m: share covered by the first frame      72 %        55 %
    step 0.3 m: until within 1 % of the step          67 ms       50 ms
    step: overshoot                                   0           0
    ramp 0.5 m/s: lag (= 1 / (2 pi 6 Hz))             26.5 ms     26.5 ms
    squat hip, 0.5 Hz +-0.2 m: lag                    33 ms       33 ms
    jogging wrist, 1.5 Hz +-0.15 m: lag               31 ms       31 ms
    sprinting wrist, 3 Hz +-0.3 m: lag                17 ms       18 ms
    still + white noise (0.003 norm. / 10 mm): sd     x0.35/0.37  x0.27/0.30
    ===============================================  ==========  ==========

A tiny step barely raises the cutoff, so it settles at the still cutoff's pace: within 1 % after ~0.75 s.
On 38 real MediaPipe (video mode) tracks the frame-to-frame jitter left (robust sd of second differences)
drops to a median of 0.28x in the image and 0.23x in world metres; on fast movements (jumping jacks, sprints)
real acceleration dominates that measure and it drops less. ``PoseSmoother.update`` costs 30-50 us per frame
on an idle laptop core (up to ~100 us on a loaded one).

Threads: plain objects without threads or clocks. A `PoseSmoother` belongs to the one thread that feeds it
one athlete's stream (the pose/analysis worker); the functions are pure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from coach.pose.landmarks import NUM_LANDMARKS
from coach.pose.types import VISIBILITY

__all__ = [
    "LANDMARK_FILTER",
    "WORLD_FILTER",
    "OneEuroFilter",
    "OneEuroParams",
    "PoseSmoother",
    "body_scale",
    "smooth_track",
]

_TWO_PI = 2.0 * math.pi


@dataclass(frozen=True, slots=True)
class OneEuroParams:
    """One Euro filter parameters; see the module docstring for what each one trades."""

    min_cutoff: float = 1.0  # Hz
    beta: float = 0.0  # 1 / (units of scale)
    d_cutoff: float = 1.0  # Hz

    def __post_init__(self) -> None:
        if not self.min_cutoff > 0:
            raise ValueError(f"min_cutoff must be > 0 Hz, got {self.min_cutoff}")
        if not self.beta >= 0:
            raise ValueError(f"beta must be >= 0, got {self.beta}")
        if not self.d_cutoff > 0:
            raise ValueError(f"d_cutoff must be > 0 Hz, got {self.d_cutoff}")


# Both defaults: a still landmark gets a 1 Hz cutoff (steady overlay, smooth angles), and speed opens it
# quickly (a squatting hip ~3-5 Hz, a sprinting wrist ~10-15 Hz), so the added lag stays near one 30 fps
# frame for real movements. MediaPipe's video mode already smooths its output, so little white jitter is
# left to remove; lag, not noise, decides beta.
# Normalised image landmarks: speeds in body scales per second (see `body_scale`).
LANDMARK_FILTER = OneEuroParams(min_cutoff=1.0, beta=10.0, d_cutoff=1.0)
# World landmarks: speeds in metres per second. For a standing adult one body scale is about 1 m of vertical
# image movement, so the same beta makes both arrays lag alike for the same movement.
WORLD_FILTER = OneEuroParams(min_cutoff=1.0, beta=10.0, d_cutoff=1.0)


class OneEuroFilter:
    """Causal One Euro filter over an array of any fixed shape, one independent filter per element.

    Driven by explicit timestamps in seconds (no clock of its own); frame intervals may vary. Parameters
    are floats or arrays broadcastable to the data's shape (e.g. a different ``beta`` per stacked array).
    Non-finite inputs hold and expire as described in the module docstring; ``hold_s`` must be longer than
    the frame interval, because it is also the longest gap over which an element continues instead of
    restarting.

    Not thread-safe: one filter belongs to one stream and the thread feeding it.
    """

    __slots__ = ("_dx", "_hold_s", "_raw", "_t", "_t_good", "_w_beta", "_w_d", "_w_min", "_x")

    def __init__(
        self,
        min_cutoff: float | np.ndarray = 1.0,
        beta: float | np.ndarray = 0.0,
        d_cutoff: float | np.ndarray = 1.0,
        hold_s: float = 0.25,
    ) -> None:
        min_cutoff, beta, d_cutoff = (np.asarray(v, dtype=np.float64) for v in (min_cutoff, beta, d_cutoff))
        if not (np.all(min_cutoff > 0) and np.all(d_cutoff > 0) and np.all(beta >= 0)):
            raise ValueError("min_cutoff and d_cutoff must be > 0 Hz and beta >= 0")
        if not hold_s > 0:
            raise ValueError(f"hold_s must be > 0 s, got {hold_s}")
        # Angular frequencies, precomputed: __call__ runs per frame and every numpy call costs ~1 us.
        self._w_min, self._w_beta, self._w_d = _TWO_PI * min_cutoff, _TWO_PI * beta, _TWO_PI * d_cutoff
        self._hold_s = float(hold_s)
        self._t: float | None = None
        self._x: np.ndarray | None = None  # last output per element, NaN where the element has no state
        self._dx: np.ndarray | None = None  # filtered speed per element (units / s)
        self._raw: np.ndarray | None = None  # last finite sample per element
        self._t_good: np.ndarray | None = None  # time of each element's last finite sample, -inf if none

    @classmethod
    def from_params(cls, params: OneEuroParams, hold_s: float = 0.25) -> OneEuroFilter:
        return cls(params.min_cutoff, params.beta, params.d_cutoff, hold_s)

    @property
    def hold_s(self) -> float:
        return self._hold_s

    def reset(self) -> None:
        """Forget all state; the next sample starts the filter afresh."""
        self._t = None
        self._x = self._dx = self._raw = self._t_good = None

    def __call__(self, t: float, x: np.ndarray, scale: float | np.ndarray = 1.0) -> np.ndarray:
        """Filter the sample ``x`` taken at time ``t`` (seconds, strictly increasing); returns a new
        float64 array of ``x``'s shape. ``scale`` (> 0, broadcastable) divides the speed before ``beta``."""
        return self._step(t, np.array(x, dtype=np.float64), scale).copy()

    def _step(self, t: float, x: np.ndarray, scale: float | np.ndarray) -> np.ndarray:
        """`__call__` without the defensive copies: takes ownership of ``x`` and returns the filter's own
        state array, which the caller must not modify."""
        if self._x is None or self._dx is None or self._raw is None or self._t_good is None:
            self._x = np.full(x.shape, np.nan)
            self._dx = np.zeros(x.shape)
            self._raw = np.full(x.shape, np.nan)
            self._t_good = np.full(x.shape, -np.inf)
        elif x.shape != self._x.shape:
            raise ValueError(f"sample shape {x.shape} differs from the filter's {self._x.shape}")
        t = float(t)
        if self._t is not None and not t > self._t:
            raise ValueError(f"timestamps must increase: {t} after {self._t}")
        self._t = t

        finite = np.isfinite(x)
        age = t - self._t_good  # per element: an element held through a gap continues across all of it
        fresh = age <= self._hold_s
        cont = finite & fresh
        every = bool(cont.all())
        # Elements that do not continue get a harmless dt so nothing divides by zero; their results are
        # discarded below.
        dt = age if every else np.where(cont, age, 1.0)
        # Speed from the previous raw sample, as in Casiez's reference implementation: differencing the
        # previous *output* instead (a common port) adds lag/dt to the speed, which makes the lag depend on
        # the frame rate.
        dx = (x - self._raw) / dt
        # The speed uses the paper's smoothing factor r / (1 + r): its exact exponential form was measured to
        # make the lag slightly more frame-rate dependent, not less.
        r = self._w_d * dt
        dx_hat = self._dx + r / (1.0 + r) * (dx - self._dx)
        # Exact low-pass response to the input interpolated linearly from the previous sample (see the
        # module docstring), written as increments so a constant input stays bit-for-bit constant. Both
        # weights are >= 0 and sum to at most 1: the output cannot leave the range of its inputs.
        z = (self._w_min + self._w_beta * np.abs(dx_hat) / scale) * dt
        e = np.exp(-z)
        c = -np.expm1(-z) / z  # (1 - e) / z without cancellation at small z
        x_hat = self._x + (1.0 - c) * (x - self._x) + (c - e) * (self._raw - self._x)

        if every:  # the usual frame: nothing missing, nothing restarting
            self._x, self._dx, self._raw = x_hat, dx_hat, x
            self._t_good.fill(t)
            return x_hat
        # finite & stale -> restart at the sample; missing & fresh -> hold; missing & stale -> NaN.
        self._x = np.where(cont, x_hat, np.where(finite, x, np.where(fresh, self._x, np.nan)))
        self._dx = np.where(cont, dx_hat, np.where(finite, 0.0, self._dx))
        self._raw = np.where(finite, x, self._raw)
        self._t_good = np.where(finite, t, self._t_good)
        return self._x


def body_scale(landmarks: np.ndarray, min_visibility: float = 0.5) -> float:
    """Body size in normalised image units: the mean of the width and height of the bounding box of the
    landmarks whose visibility is at least ``min_visibility``; NaN with fewer than 4 such landmarks (or a
    NaN coordinate among them).

    Image speeds and MediaPipe's jitter both grow with the athlete's size in the frame (MediaPipe works on
    a crop around the body), so dividing speeds by this makes one ``beta`` fit near and far athletes
    (MediaPipe's own landmark smoother does the same). It mixes x and y units, which differ by the
    aspect ratio; that only shifts the effective ``beta`` by a constant for a given camera.
    """
    keep = landmarks[:, VISIBILITY] >= min_visibility  # NaN visibility compares False: dropped
    xy = landmarks[keep, :2]
    if len(xy) < 4:
        return math.nan
    # A NaN coordinate under a valid visibility makes this NaN, and the caller keeps its last scale.
    extent = np.ptp(xy, axis=0)
    return float(0.5 * (extent[0] + extent[1]))


class PoseSmoother:
    """Streaming smoother for one athlete's `Pose` arrays, with visibility gating.

    ``update`` takes the (33, 5) normalised landmarks and the (33, 3) world landmarks of one frame (either
    None when there is no pose) and returns smoothed copies of the same shapes and dtypes (float32 for
    `Pose` arrays). A landmark whose visibility is below ``min_visibility`` (or NaN) is not fed to the
    filter: its last smoothed position is held for ``hold_s`` seconds, then it becomes NaN; when it is
    visible again after that, its filter restarts at the new position. Visibility and presence are passed
    through unsmoothed. World landmarks are gated by the same visibility.

    Image speeds are measured in body scales (`body_scale`, the last valid one when a frame has too few
    visible landmarks) and world speeds in metres, hence the two parameter sets.

    Not thread-safe: one smoother per athlete stream, owned by the thread that runs pose estimation.
    """

    __slots__ = ("_filter", "_min_visibility", "_scale", "_scales")

    # Before any frame has shown enough of the body, assume an athlete filling about half the frame.
    _DEFAULT_SCALE = 0.5
    # A scale from a few clustered points (e.g. only the head visible) would inflate speeds without bound.
    _MIN_SCALE = 0.05

    def __init__(
        self,
        min_visibility: float = 0.5,
        hold_s: float = 0.25,
        landmark_params: OneEuroParams = LANDMARK_FILTER,
        world_params: OneEuroParams = WORLD_FILTER,
    ) -> None:
        self._min_visibility = float(min_visibility)

        # Both arrays run through one filter over a stacked (2, 33, 3) array: half the numpy calls per frame.
        def stacked(a: float, b: float) -> np.ndarray:
            return np.array([a, b], dtype=np.float64).reshape(2, 1, 1)

        self._filter = OneEuroFilter(
            min_cutoff=stacked(landmark_params.min_cutoff, world_params.min_cutoff),
            beta=stacked(landmark_params.beta, world_params.beta),
            d_cutoff=stacked(landmark_params.d_cutoff, world_params.d_cutoff),
            hold_s=hold_s,
        )
        self._scale = self._DEFAULT_SCALE
        self._scales = np.array([self._DEFAULT_SCALE, 1.0]).reshape(2, 1, 1)

    @property
    def min_visibility(self) -> float:
        return self._min_visibility

    @property
    def hold_s(self) -> float:
        return self._filter.hold_s

    def reset(self) -> None:
        """Forget the stream (e.g. a new athlete or a new clip)."""
        self._filter.reset()
        self._scale = self._DEFAULT_SCALE

    def update(
        self, t: float, landmarks: np.ndarray | None, world: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Smooth one frame taken at capture time ``t`` (seconds, strictly increasing)."""
        if landmarks is None:
            landmarks = np.full((NUM_LANDMARKS, 5), np.nan, dtype=np.float32)
        if world is None:
            world = np.full((NUM_LANDMARKS, 3), np.nan, dtype=np.float32)
        if landmarks.shape != (NUM_LANDMARKS, 5) or world.shape != (NUM_LANDMARKS, 3):
            raise ValueError(f"expected (33, 5) and (33, 3) arrays, got {landmarks.shape} and {world.shape}")

        visible = landmarks[:, VISIBILITY] >= self._min_visibility  # NaN -> False
        stacked = np.empty((2, NUM_LANDMARKS, 3))
        stacked[0] = landmarks[:, :3]
        stacked[1] = world
        if not visible.all():
            stacked[:, ~visible] = np.nan

        scale = body_scale(landmarks, self._min_visibility)
        if scale == scale:  # not NaN
            self._scale = max(scale, self._MIN_SCALE)
        self._scales[0] = self._scale

        smoothed = self._filter._step(t, stacked, self._scales)  # stacked is ours to give away
        out_landmarks = landmarks.copy()
        out_landmarks[:, :3] = smoothed[0]
        return out_landmarks, smoothed[1].astype(world.dtype)


def smooth_track(
    t: np.ndarray,
    landmarks: np.ndarray,
    world: np.ndarray,
    *,
    min_visibility: float = 0.5,
    hold_s: float = 0.25,
    landmark_params: OneEuroParams = LANDMARK_FILTER,
    world_params: OneEuroParams = WORLD_FILTER,
) -> tuple[np.ndarray, np.ndarray]:
    """Run a fresh `PoseSmoother` over a whole track: ``t`` (N,) seconds, ``landmarks`` (N, 33, 5),
    ``world`` (N, 33, 3), frames without a pose all NaN. Returns smoothed copies; frame for frame the
    same as feeding the smoother live (a no-pose frame equals ``None``). Pure; any thread."""
    t = np.asarray(t, dtype=np.float64)
    n = len(t)
    if landmarks.shape != (n, NUM_LANDMARKS, 5) or world.shape != (n, NUM_LANDMARKS, 3):
        raise ValueError(f"expected ({n}, 33, 5) and ({n}, 33, 3), got {landmarks.shape} and {world.shape}")
    smoother = PoseSmoother(min_visibility, hold_s, landmark_params, world_params)
    out_landmarks = np.empty_like(landmarks)
    out_world = np.empty_like(world)
    for i in range(n):
        out_landmarks[i], out_world[i] = smoother.update(float(t[i]), landmarks[i], world[i])
    return out_landmarks, out_world
