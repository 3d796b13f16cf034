"""Gait detector robustness on synthetic gait: far-leg glitches, walking's long contacts, missed steps."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_gait_detector import _match  # (time error, foot agrees) per detected event

from coach.gait import EventKind, Foot, GaitEventDetector, analyze_gait, iter_samples
from coach.gait.engine import GaitEngine
from coach.gait.evaluate import alternates
from coach.gait.synthetic import synthetic_gait
from coach.pose.landmarks import Landmark as Lm

FAR_LEG = (Lm.LEFT_KNEE, Lm.LEFT_ANKLE, Lm.LEFT_HEEL, Lm.LEFT_FOOT_INDEX)  # the synthetic left leg is far


def _events(track, activity: str = "running"):
    det = GaitEventDetector(activity)
    return [e for s in iter_samples(track) for e in det.update(s)], det


def _teleport(track, frames: list[int], shift_legs: float, lift_legs: float = 0.0):
    """The far leg drawn `shift_legs` leg lengths ahead (image units) in `frames`: a pose-model glitch."""
    lm = track.landmarks.copy()
    w, h = track.image_size
    leg = 0.9 * 0.45 * h  # synthetic leg length in pixels (0.9 m at 0.45 h px per metre)
    facing = -1.0  # synthetic default runs towards image-left
    for i in frames:
        for j in FAR_LEG:
            lm[i, j, 0] += facing * shift_legs * leg / w
            lm[i, j, 1] -= lift_legs * leg / h
    return dataclasses.replace(track, landmarks=lm)


@pytest.mark.parametrize(
    "fps",
    [
        pytest.param(
            30,
            marks=pytest.mark.xfail(
                strict=True,
                reason="known defect: at 30 fps the jump allowance grows 0.4 leg lengths a frame, so the "
                "second frame of a two-frame glitch is accepted and can make a contact on the wrong foot",
            ),
        ),
        60,
        120,
    ],
)
def test_far_leg_teleports_do_not_add_contacts_or_break_alternation(fps: float) -> None:
    g = synthetic_gait(fps=fps, cadence_spm=170, contact_s=0.25, duration_s=10.0)
    rng = np.random.default_rng(1)
    # Twelve glitches of one or two frames, the far foot thrown about a leg length forward (and up).
    starts = rng.choice(np.arange(int(fps), len(g.track) - 3), size=12, replace=False)
    frames = sorted({int(s + k) for s in starts for k in range(1 + int(s) % 2)})
    glitched = _teleport(g.track, frames, shift_legs=1.0, lift_legs=0.5)
    found, det = _events(glitched)
    assert det.rejected_frames >= len(frames) // 2, "the jumps must be recognised as glitches"
    ics = [e for e in found if e.kind is EventKind.INITIAL_CONTACT]
    assert len(g.contacts) - 4 <= len(ics) <= len(g.contacts), "no double contacts from the glitches"
    # Every contact is on its true foot; so consecutive ones alternate unless a contact in between was lost.
    assert all(ok for _, ok in _match(found, g.contacts, EventKind.INITIAL_CONTACT))
    analysis = dataclasses.replace(analyze_gait(g.track, "running"), events=tuple(found))
    assert alternates(analysis)
    # Contacts away from the glitches keep their timing to the frame (a glitch on the landing frame itself
    # hides the touchdown).
    bad_t = np.array(frames) / fps
    clear = [e for e in ics if np.min(np.abs(bad_t - e.t)) > 3.5 / fps]
    assert len(clear) >= len(ics) - 6
    errors = [abs(err) for err, _ in _match(clear, g.contacts, EventKind.INITIAL_CONTACT)]
    assert max(errors) <= 1.0 / fps + 1e-9


def test_real_speed_foot_motion_is_never_rejected() -> None:
    """A fast runner (200 steps/min, long excursion) moves the feet fast but continuously: no frame of it may
    be taken for a glitch, at any frame rate."""
    for fps in (25, 30, 60, 120):
        g = synthetic_gait(fps=fps, cadence_spm=200, contact_s=0.18, excursion_m=0.45, duration_s=5.0)
        _, det = _events(g.track)
        assert det.rejected_frames == 0


def test_a_walker_has_walking_contacts_and_double_support() -> None:
    """A synthetic walker at 110 steps/min with a 60 % duty factor: contact, duty factor and double support
    come out as generated (toe off of one foot follows the other's contact, walking's double support)."""
    cadence = 110.0
    stride = 120.0 / cadence
    g = synthetic_gait(
        fps=30, cadence_spm=cadence, contact_s=0.6 * stride, duration_s=12.0, swing_lift_m=0.12
    )
    a = analyze_gait(g.track, "walking")
    assert a.cadence_spm == pytest.approx(cadence, abs=1.5)
    assert a.metrics["duty_factor"].median == pytest.approx(60, abs=4)
    assert a.metrics["ground_contact_time"].median == pytest.approx(600 * stride, abs=40)
    # Double support: 10 % of the stride at each end of a 60 % stance.
    assert a.metrics["double_support"].median == pytest.approx(10, abs=4)
    assert a.quality.confidence == "ok", a.quality.warnings


def test_a_dropout_of_about_two_steps_keeps_the_sides_right() -> None:
    """The pose is lost for ~1.7 steps. Whether one or two steps were missed the rhythm cannot say; the pose
    model's own labels (not swapped here) decide, so every contact keeps its true side."""
    stride = 120.0 / 170
    g = synthetic_gait(fps=30, cadence_spm=170, duration_s=8.0, dropout_spans_s=((4.0, 4.0 + 0.85 * stride),))
    found, _ = _events(g.track)
    ics = _match(found, g.contacts, EventKind.INITIAL_CONTACT)
    assert len(ics) >= len(g.contacts) - 4
    assert all(ok for _, ok in ics)


def test_step_metrics_start_with_the_first_steps() -> None:
    """Step times are reported from the second contact on, not only once eight steps are known."""
    g = synthetic_gait(fps=30, cadence_spm=170, duration_s=3.0)
    engine = GaitEngine("running")
    for s in iter_samples(g.track):
        engine.update(s)
    n_ics = sum(e.kind is EventKind.INITIAL_CONTACT for e in engine.events)
    assert n_ics >= 6
    assert len(engine.metric_series("step_time")) >= n_ics - 2


def test_a_turn_restarts_the_search_and_the_sides_still_alternate() -> None:
    """A walker turns round (runs image-left, then image-right): no contact is made up at the turn and the
    contacts after it alternate."""
    a = synthetic_gait(fps=30, cadence_spm=110, contact_s=0.65, duration_s=5.0, facing=-1)
    b = synthetic_gait(fps=30, cadence_spm=110, contact_s=0.65, duration_s=5.0, facing=1, start_phase=0.6)
    det = GaitEventDetector("walking")
    found = [e for s in iter_samples(a.track) for e in det.update(s)]
    offset = a.track.media_ts[-1] + 1.0
    for s in iter_samples(b.track):
        found += det.update(type(s)(t=s.t + offset, frame_index=s.frame_index + 10_000, pose=s.pose))
    late = [e for e in found if e.kind is EventKind.INITIAL_CONTACT and e.t > offset + 2.5]
    assert len(late) >= 4
    feet = [e.foot for e in late]
    assert all(x is not y for x, y in zip(feet, feet[1:], strict=False))
    assert set(feet) == {Foot.LEFT, Foot.RIGHT}
