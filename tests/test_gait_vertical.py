"""Gait events from a front view (`coach.gait.vertical`), proved on synthetic runners filmed by a pinhole
camera in front of the treadmill (known contacts and toe offs, 25-120 fps, dropouts, slow motion)."""

from __future__ import annotations

import numpy as np
import pytest

from coach.gait import analyze_gait
from coach.gait.analyze import iter_samples
from coach.gait.engine import GaitEngine
from coach.gait.synthetic import SyntheticGait, synthetic_gait
from coach.gait.types import EventKind, Foot, GaitEvent
from coach.gait.vertical import VerticalEventDetector, VerticalParams, supports_front_view
from coach.kinematics.view import View


def _run(gait: SyntheticGait, time_scale: float = 1.0) -> list[GaitEvent]:
    det = VerticalEventDetector("running", time_scale=time_scale)
    events: list[GaitEvent] = []
    for sample in iter_samples(gait.track):
        events += det.update(sample)
    return events


def _errors(events: list[GaitEvent], kind: EventKind, truth: tuple[tuple[Foot, float], ...]) -> np.ndarray:
    """Signed error (s) of each detected event against the nearest true event of the same foot."""
    return np.array([
        min((e.t - t for f, t in truth if f is e.foot), key=abs) for e in events if e.kind is kind
    ])


@pytest.mark.parametrize("fps", [25.0, 30.0, 60.0, 120.0])
def test_front_view_contacts_within_a_frame_at_any_frame_rate(fps: float) -> None:
    gait = synthetic_gait(cadence_spm=170, contact_s=0.25, fps=fps, duration_s=10.0, view="front")
    events = _run(gait)
    frame = 1.0 / fps
    ic = _errors(events, EventKind.INITIAL_CONTACT, gait.contacts)
    to = _errors(events, EventKind.TOE_OFF, gait.toe_offs)
    # Each foot's first landing counts only after it was seen lifting: at most the very first is missed.
    assert len(gait.contacts) - 1 <= len(ic) <= len(gait.contacts)
    assert np.abs(ic).max() <= max(frame, 0.02) + 1e-6
    # Lift-off is read from a rise that starts slowly: within about a frame, never off by a whole phase.
    assert len(to) >= len(gait.toe_offs) - 2  # each foot's first lift only tells its phase
    assert abs(np.median(to)) <= frame + 1e-6
    assert np.abs(to).max() <= max(2 * frame, 0.04) + 1e-6
    ics = [e for e in events if e.kind is EventKind.INITIAL_CONTACT]
    assert all(a.foot is not b.foot for a, b in zip(ics, ics[1:], strict=False))
    assert all(0 <= e.confirmed_at - e.t <= 0.15 + 1e-9 for e in events)
    assert len({e.foot for e in ics}) == 2


def test_the_same_run_gives_the_same_result_at_every_frame_rate_and_in_slow_motion() -> None:
    results = []
    for fps, scale in ((25.0, 1.0), (30.0, 1.0), (60.0, 1.0), (120.0, 4.0)):
        gait = synthetic_gait(cadence_spm=176, contact_s=0.22, fps=fps, duration_s=12.0, view="front",
                              time_scale=scale)
        engine = GaitEngine("running", time_scale=scale, front_view=True)
        for sample in iter_samples(gait.track):
            engine.update(sample)
        steps = engine.metric_series("step_time")
        contact = engine.metric_series("ground_contact_time")
        results.append((60000.0 / steps.mean(), float(np.median(contact))))
    cadences = [c for c, _ in results]
    assert max(abs(c - 176.0) for c in cadences) < 1.0
    contacts = [c for _, c in results]
    assert max(contacts) - min(contacts) <= 40.0  # ms: a frame at 25 fps
    assert all(abs(c - 220.0) <= 40.0 for c in contacts)


def test_a_dropout_restarts_cleanly_without_phantom_events() -> None:
    gait = synthetic_gait(cadence_spm=170, contact_s=0.25, fps=30.0, duration_s=10.0, view="front",
                          dropout_spans_s=((3.0, 3.6),))
    events = _run(gait)
    assert not [e for e in events if 3.0 <= e.t < 3.6]
    after = [e for e in events if e.kind is EventKind.INITIAL_CONTACT and e.t > 3.6]
    assert len(after) >= len([t for _, t in gait.contacts if t > 4.0])
    ic = _errors(events, EventKind.INITIAL_CONTACT, gait.contacts)
    assert np.abs(ic).max() <= 1 / 30 + 1e-6


def test_analyze_gait_measures_a_front_view_runner_and_states_what_it_cannot() -> None:
    gait = synthetic_gait(cadence_spm=170, contact_s=0.25, fps=30.0, duration_s=12.0, view="front",
                          noise_px=1.0, seed=3)
    doc = analyze_gait(gait.track, "running", view=View.FRONT).to_json()
    assert abs(doc["cadence_spm"] - 170.0) < 1.0
    assert abs(doc["metrics"]["ground_contact_time"]["median"] - 250.0) <= 34.0
    assert doc["metrics"]["vertical_oscillation"]["median"] > 0
    for sagittal in ("overstride", "knee_flexion_at_contact", "foot_strike_angle", "trunk_lean"):
        assert doc["metrics"][sagittal]["median"] is None
        assert doc["metrics"][sagittal]["view_requirement"] == "side view"
    assert doc["phase_deviations"] == []


def test_walking_from_the_front_is_refused_with_a_reason() -> None:
    assert supports_front_view("running") and not supports_front_view("walking")
    with pytest.raises(ValueError):
        VerticalParams.for_activity("walking")
    gait = synthetic_gait(cadence_spm=110, contact_s=0.65, fps=30.0, duration_s=6.0, view="front",
                          swing_lift_m=0.1)
    doc = analyze_gait(gait.track, "walking", view=View.FRONT).to_json()
    assert doc["cadence_spm"] is None and doc["events"] == []
    assert any("side or oblique view" in w for w in doc["warnings"])


def test_the_live_tracker_switches_to_feet_heights_when_the_view_is_front() -> None:
    from coach.live.activity import ActivityTracker

    gait = synthetic_gait(cadence_spm=170, contact_s=0.25, fps=30.0, duration_s=6.0, view="front")
    tracker = ActivityTracker("running")
    events = []
    for sample in iter_samples(gait.track):
        events += tracker.update(sample, "front")
    contacts = [e for e in events if e.kind is EventKind.INITIAL_CONTACT]
    assert len(contacts) >= len(gait.contacts) - 1
    # The same frames labelled as a side view go to the side detector, which finds no forward motion.
    side = ActivityTracker("running")
    assert not [e for s in iter_samples(gait.track) for e in side.update(s, "side")]
