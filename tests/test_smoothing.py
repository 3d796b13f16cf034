"""Behaviour of the One Euro filter and the per-athlete pose smoother (`coach.pose.smoothing`)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coach.pose.smoothing import (
    LANDMARK_FILTER,
    WORLD_FILTER,
    OneEuroFilter,
    OneEuroParams,
    PoseSmoother,
    body_scale,
    smooth_track,
)

SCALE = 0.46  # body scale of an athlete filling 80 % of a landscape frame's height


def run_1d(params: OneEuroParams, t: np.ndarray, x: np.ndarray, scale: float = SCALE) -> np.ndarray:
    filt = OneEuroFilter.from_params(params)
    return np.array([filt(ti, np.array([xi]), scale)[0] for ti, xi in zip(t, x, strict=True)])


def still_skeleton(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A fixed (33, 5) landmark frame spread over a standing athlete's box, all visible, and its world."""
    rng = np.random.default_rng(seed)
    lm = np.empty((33, 5), dtype=np.float32)
    lm[:, 0] = rng.uniform(0.42, 0.58, 33)
    lm[:, 1] = rng.uniform(0.1, 0.9, 33)
    lm[:, 2] = rng.uniform(-0.1, 0.1, 33)
    lm[:, 3] = 0.95
    lm[:, 4] = 0.99
    world = rng.uniform(-0.8, 0.8, (33, 3)).astype(np.float32)
    return lm, world


# --- OneEuroFilter ---------------------------------------------------------------------------------------


def test_constant_input_stays_exactly_constant() -> None:
    x = np.random.default_rng(3).random((33, 3))
    filt = OneEuroFilter.from_params(LANDMARK_FILTER)
    for i in range(90):
        out = filt(i / 30, x, SCALE)
    np.testing.assert_array_equal(out, x)


@pytest.mark.parametrize("fps", [30, 60])
@pytest.mark.parametrize(
    ("height", "settle_s"),
    [
        # A large jump opens the cutoff: settled within 150 ms.
        (0.1, 0.15),
        # A tiny one barely moves the cutoff off min_cutoff (1 Hz): ln(100) time constants, under 0.85 s.
        (1e-4, 0.85),
    ],
)
def test_step_settles_without_overshoot(fps: int, height: float, settle_s: float) -> None:
    t = np.arange(3 * fps) / fps
    x = np.where(t >= 1.0, height, 0.0)
    out = run_1d(LANDMARK_FILTER, t, x)
    after = t >= 1.0
    assert np.all(out[~after] == 0.0)
    # Within 1 % of the step from settle_s after it on, and never beyond it.
    assert np.all(np.abs(out[t >= 1.0 + settle_s] - height) <= 0.01 * height)
    assert out.max() <= height * (1 + 1e-6)
    assert np.all(np.diff(out) >= 0), "a step response must rise monotonically"
    # ...and it does take time: a filter that passed the step through unchanged would also pass the above.
    assert out[after][0] < 0.9 * height


@pytest.mark.parametrize("fps", [30, 60])
@pytest.mark.parametrize("speed", [0.1, 0.5, 2.0])  # body scales per second
def test_ramp_lag_matches_the_speed_adapted_cutoff(fps: int, speed: float) -> None:
    # Steady-state lag on a ramp is the time constant of the speed-adapted cutoff, whatever the frame rate:
    # 1 / (2 pi (min_cutoff + beta * speed)); at 0.5 body/s (a brisk squat) that is 26.5 ms.
    p = LANDMARK_FILTER
    t = np.arange(4 * fps) / fps
    out = run_1d(p, t, speed * SCALE * t)
    lag_s = (speed * SCALE * t[-1] - out[-1]) / (speed * SCALE)
    expected = 1 / (2 * math.pi * (p.min_cutoff + p.beta * speed))
    assert lag_s == pytest.approx(expected, rel=0.01)
    assert lag_s <= 0.160  # never worse than the still cutoff: 1 / (2 pi * 1 Hz)
    if speed >= 0.5:
        assert lag_s <= 0.030


@pytest.mark.parametrize(("fps", "max_ratio"), [(30, 0.45), (60, 0.35)])
def test_jitter_on_a_still_pose_drops(fps: int, max_ratio: float) -> None:
    # Noise of 0.003 normalised units (~2 px at 720p) on a still athlete: output sd at most 0.45x the input
    # sd at 30 fps and 0.35x at 60 fps (measured 0.37 and 0.29).
    lm, world = still_skeleton()
    rng = np.random.default_rng(7)
    n = 20 * fps
    noisy = np.repeat(lm[None], n, axis=0)
    noisy[:, :, :2] += rng.normal(0, 0.003, (n, 33, 2)).astype(np.float32)
    noisy_world = np.repeat(world[None], n, axis=0) + rng.normal(0, 0.01, (n, 33, 3)).astype(np.float32)
    out, out_world = smooth_track(np.arange(n) / fps, noisy, noisy_world)
    keep = slice(fps, None)  # after the first second
    ratio = out[keep, :, :2].std(axis=0) / noisy[keep, :, :2].std(axis=0)
    ratio_world = out_world[keep].std(axis=0) / noisy_world[keep].std(axis=0)
    assert np.median(ratio) <= max_ratio
    assert np.median(ratio_world) <= max_ratio
    assert ratio.max() < 1.0 and ratio_world.max() < 1.0


@pytest.mark.parametrize(("freq", "amp"), [(0.5, 0.1), (1.5, 0.07)])  # squat hip, jogging wrist
def test_frame_rate_independence(freq: float, amp: float) -> None:
    # The same movement seen at 30 and 60 fps gives the same smoothed positions at shared times (within 2 %
    # of the amplitude; measured 0.1 % and 1.1 %), and 30 fps with frame intervals jittered by +-30 % stays
    # within 4 % (measured 0.5 % and 3 %).
    def signal(t: np.ndarray) -> np.ndarray:
        return 0.5 + amp * np.sin(2 * np.pi * freq * t)

    t30 = np.arange(180) / 30
    t60 = np.arange(360) / 60
    out30 = run_1d(LANDMARK_FILTER, t30, signal(t30))
    out60 = run_1d(LANDMARK_FILTER, t60, signal(t60))
    late = t30 >= 0.5
    assert np.abs(out30 - out60[::2])[late].max() <= 0.02 * amp

    rng = np.random.default_rng(5)
    t_irr = t30 + np.r_[0.0, rng.uniform(-0.3, 0.3, len(t30) - 1) / 30]
    out_irr = run_1d(LANDMARK_FILTER, t_irr, signal(t_irr))
    assert np.abs(out_irr - np.interp(t_irr, t60, out60))[late].max() <= 0.04 * amp


def test_nan_element_does_not_poison_the_others_and_holds() -> None:
    rng = np.random.default_rng(11)
    xs = rng.random((30, 4))
    gapped = xs.copy()
    gapped[10:13, 2] = np.nan
    clean_f, gap_f = OneEuroFilter(1.0, 10.0, hold_s=0.25), OneEuroFilter(1.0, 10.0, hold_s=0.25)
    clean = np.array([clean_f(i / 30, x) for i, x in enumerate(xs)])
    gap = np.array([gap_f(i / 30, x) for i, x in enumerate(gapped)])
    others = [0, 1, 3]
    np.testing.assert_array_equal(gap[:, others], clean[:, others])
    assert np.all(gap[10:13, 2] == gap[9, 2]), "a missing element holds its last output"
    assert np.all(np.isfinite(gap[:, 2]))


def test_timestamps_must_increase() -> None:
    filt = OneEuroFilter()
    filt(1.0, np.zeros(3))
    with pytest.raises(ValueError, match="increase"):
        filt(1.0, np.zeros(3))


def test_shape_change_is_an_error_and_reset_starts_afresh() -> None:
    filt = OneEuroFilter()
    filt(0.0, np.zeros(3))
    with pytest.raises(ValueError, match="shape"):
        filt(0.1, np.zeros(4))
    filt.reset()
    np.testing.assert_array_equal(filt(0.0, np.ones(4)), np.ones(4))


def test_invalid_parameters_are_rejected() -> None:
    with pytest.raises(ValueError):
        OneEuroParams(min_cutoff=0.0)
    with pytest.raises(ValueError):
        OneEuroFilter(beta=-1.0)
    with pytest.raises(ValueError):
        OneEuroFilter(hold_s=0.0)


def test_default_parameter_sets_share_units_by_design() -> None:
    # Documented choice: one body scale ~ 1 m, so both arrays get the same cutoff for the same movement.
    assert LANDMARK_FILTER == WORLD_FILTER


# --- PoseSmoother ----------------------------------------------------------------------------------------


def test_smoother_preserves_shapes_dtypes_and_passes_visibility_through() -> None:
    lm, world = still_skeleton()
    smoother = PoseSmoother()
    for i in range(5):
        frame = lm.copy()
        frame[:, 3] = 0.6 + 0.05 * i
        out, out_world = smoother.update(i / 30, frame, world)
    assert out.shape == (33, 5) and out.dtype == np.float32
    assert out_world.shape == (33, 3) and out_world.dtype == np.float32
    np.testing.assert_array_equal(out[:, 3:], frame[:, 3:])
    assert out is not frame and out_world is not world


def test_low_visibility_landmark_is_held_then_nan_then_restarts_without_swoop() -> None:
    fps, hold_s, k = 30, 0.25, 25  # left knee
    lm, world = still_skeleton()
    smoother = PoseSmoother(min_visibility=0.5, hold_s=hold_s)
    outs, worlds, times = [], [], []
    for i in range(60):
        t = i / fps
        frame, w = lm.copy(), world.copy()
        if 20 <= i < 40:  # occluded: MediaPipe still guesses a position, far away and low-visibility
            frame[k, :2] += 0.3
            frame[k, 3] = 0.2
            w[k] += 0.5
        elif i >= 40:  # back, somewhere else
            frame[k, :2] += 0.1
            w[k] += 0.2
        out, out_w = smoother.update(t, frame, w)
        outs.append(out)
        worlds.append(out_w)
        times.append(t)
    outs, worlds, times = np.array(outs), np.array(worlds), np.array(times)
    last_good = times[19]
    held = (times >= times[20]) & (times - last_good <= hold_s) & (times < times[40])
    gone = (times - last_good > hold_s) & (times < times[40])
    assert held.sum() >= 6 and gone.sum() >= 10
    np.testing.assert_array_equal(outs[held, k, :3], np.repeat(outs[19:20, k, :3], held.sum(), axis=0))
    np.testing.assert_array_equal(worlds[held, k], np.repeat(worlds[19:20, k], held.sum(), axis=0))
    assert np.isnan(outs[gone, k, :3]).all() and np.isnan(worlds[gone, k]).all()
    # Reappearing after the NaN gap: straight at the new position, not a swoop from the old one.
    np.testing.assert_allclose(outs[40, k, :2], lm[k, :2] + 0.1, rtol=1e-6)
    np.testing.assert_allclose(worlds[40, k], world[k] + 0.2, rtol=1e-6)
    # Nothing else was disturbed.
    others = np.arange(33) != k
    np.testing.assert_allclose(outs[:, others, :3], np.repeat(lm[None, others, :3], 60, axis=0), rtol=1e-6)


def test_short_dropout_continues_smoothly_instead_of_restarting() -> None:
    lm, world = still_skeleton()
    smoother = PoseSmoother(hold_s=0.25)
    k = 15
    for i in range(12):
        smoother.update(i / 30, lm, world)
    dropped = lm.copy()
    dropped[k, 3] = 0.1
    for i in range(12, 15):  # 100 ms, shorter than hold_s
        smoother.update(i / 30, dropped, world)
    moved = lm.copy()
    moved[k, 1] += 0.05
    out, _ = smoother.update(15 / 30, moved, world)
    assert lm[k, 1] < out[k, 1] < moved[k, 1], "continues from the held value towards the new one"


def test_no_pose_frames_hold_then_go_nan_never_zero() -> None:
    lm, world = still_skeleton()
    smoother = PoseSmoother(hold_s=0.25)
    for i in range(10):
        smoother.update(i / 30, lm, world)
    out, out_w = smoother.update(10 / 30, None, None)
    np.testing.assert_allclose(out[:, :3], lm[:, :3], rtol=1e-6)
    assert np.isnan(out[:, 3:]).all(), "no pose: visibility passes through as NaN"
    for i in range(11, 30):
        out, out_w = smoother.update(i / 30, None, None)
    assert np.isnan(out).all() and np.isnan(out_w).all()


def test_reset_forgets_the_stream() -> None:
    lm, world = still_skeleton()
    smoother = PoseSmoother()
    smoother.update(0.0, lm, world)
    smoother.reset()
    shifted = lm.copy()
    shifted[:, :2] += 0.2
    out, _ = smoother.update(0.0, shifted, world)  # time may start over after a reset
    np.testing.assert_array_equal(out, shifted)


def test_body_scale() -> None:
    lm, _ = still_skeleton()
    lm[:, 0] = np.linspace(0.4, 0.6, 33)
    lm[:, 1] = np.linspace(0.1, 0.9, 33)
    assert body_scale(lm) == pytest.approx(0.5 * (0.2 + 0.8))
    lm[4:, 3] = 0.1
    assert body_scale(lm) == pytest.approx(0.5 * 3 / 32 * (0.2 + 0.8))  # landmarks 0..3 only
    lm[3, 3] = 0.1
    assert math.isnan(body_scale(lm)), "fewer than 4 visible landmarks"


def test_batch_equals_streaming_exactly() -> None:
    rng = np.random.default_rng(21)
    n = 200
    base, world0 = still_skeleton()
    drift = np.cumsum(rng.normal(0, 0.004, (n, 33, 3)), axis=0).astype(np.float32)
    lm = np.repeat(base[None], n, axis=0)
    lm[:, :, :3] += drift
    lm[:, :, 3] = rng.uniform(0.2, 1.0, (n, 33))  # plenty of gating
    world = np.repeat(world0[None], n, axis=0) + drift
    no_pose = rng.random(n) < 0.1
    no_pose[50:62] = True  # a gap longer than hold_s
    lm[no_pose] = np.nan
    world[no_pose] = np.nan
    t = np.cumsum(rng.uniform(1 / 40, 1 / 25, n))  # irregular frame times

    batch_lm, batch_w = smooth_track(t, lm, world)

    smoother = PoseSmoother()
    for i in range(n):
        pose = (None, None) if no_pose[i] else (lm[i], world[i])
        live_lm, live_w = smoother.update(float(t[i]), *pose)
        assert np.array_equal(live_lm, batch_lm[i], equal_nan=True)
        assert np.array_equal(live_w, batch_w[i], equal_nan=True)
    assert np.isnan(batch_lm[61, :, :3]).all(), "the long gap expired"
    assert np.isfinite(batch_lm[~no_pose][:, :, :3]).any()
