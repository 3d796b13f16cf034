"""CuePolicy: what the athlete hears for the events the engines emit - priorities, cooldowns, one correction
per rep, stale cues dropped, rep counts - on hand-made events and on the real engines fed synthetic
athletes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from coach.cues import PRIORITY_COUNT, PRIORITY_SAFETY, Cue, CuePolicy, RecordingSpeaker
from coach.gait.analyze import iter_samples
from coach.gait.engine import GaitEngine, MetricValue
from coach.gait.synthetic import synthetic_gait
from coach.gait.types import EventKind as GaitKind
from coach.gait.types import Foot, GaitEvent
from coach.reps.catalogue import spec_for
from coach.reps.engine import Event, EventKind, Fault, Rep, RepEngine
from coach.reps.synthetic import Camera, inject_fault, rep_profile, skeleton_track

# ------------------------------------------------------------------ hand-made engine events


def _fault(rule: str, cue: str, t: float) -> Fault:
    return Fault(rule, cue, 0, 1, t - 0.5, t - 0.2, 1.0)


def _rep_events(index: int, t: float, faults: tuple[Fault, ...] = (), partial: bool = False) -> list[Event]:
    """What RepEngine emits when a rep ends: one form_fault per fault, then rep_completed/partial_rep."""
    rep = Rep(index, partial, t - 2.0, t - 1.0, t, 0, 30, 60, {}, faults)
    kind = EventKind.PARTIAL_REP if partial else EventKind.REP_COMPLETED
    return [Event(EventKind.FORM_FAULT, f.end_t, 1, rep=rep, fault=f, set_index=1) for f in faults] + [
        Event(kind, t, 60, rep=rep, set_index=1)
    ]


def _set_started(t: float) -> Event:
    return Event(EventKind.SET_STARTED, t, 0, set_index=1)


def _texts(cues: list[Cue]) -> list[str]:
    return [c.text for c in cues]


def test_rep_count_is_spoken_per_set_and_restarts_with_a_new_set():
    p = CuePolicy()
    heard = [_texts(p.on_events([_set_started(0.0)], 0.0))]
    for i in range(1, 4):
        heard.append(_texts(p.on_events(_rep_events(i, 2.0 * i), 2.0 * i)))
    heard.append(_texts(p.on_events([Event(EventKind.SET_ENDED, 20.0, 600, set_index=1)], 20.0)))
    heard.append(_texts(p.on_events([_set_started(30.0)] + _rep_events(4, 32.0), 32.0)))
    assert heard == [[], ["1"], ["2"], ["3"], ["Set done, 3 reps"], ["1"]]


def test_count_can_be_switched_off_and_partial_reps_are_not_counted():
    quiet = CuePolicy(speak_count=False)
    assert quiet.on_events([_set_started(0.0)] + _rep_events(1, 2.0), 2.0) == []
    p = CuePolicy(partial_cue=None)
    p.on_events([_set_started(0.0)], 0.0)
    assert p.on_events(_rep_events(1, 2.0, partial=True), 2.0) == []
    assert _texts(p.on_events(_rep_events(2, 4.0), 4.0)) == ["1"]
    assert p.set_reps == 1


def test_counting_aloud_toggled_mid_set_silences_only_the_counts_and_resumes_at_the_true_number():
    # The app's "Count reps aloud" option is a setting of the policy, changed while a set is running.
    p = CuePolicy()
    p.on_events([_set_started(0.0)], 0.0)
    heard = [_texts(p.on_events(_rep_events(1, 2.0), 2.0))]
    p.set_speak_count(False)
    assert not p.speak_count
    heard.append(_texts(p.on_events(_rep_events(2, 4.0), 4.0)))
    # A correction is still said while counting is off: only the count goes.
    heard.append(_texts(p.on_events(_rep_events(3, 6.0, (_fault("depth", "Sit deeper", 6.0),)), 6.0)))
    p.set_speak_count(True)
    heard.append(_texts(p.on_events(_rep_events(4, 8.0), 8.0)))
    heard.append(_texts(p.on_events([Event(EventKind.SET_ENDED, 20.0, 600, set_index=1)], 20.0)))
    assert heard == [["1"], [], ["Sit deeper"], ["4"], ["Set done, 4 reps"]]


def test_one_corrective_per_rep_safety_first_and_before_the_count():
    p = CuePolicy()
    faults = (_fault("squat_depth", "Sit deeper", 2.0), _fault("knee_valgus", "Knees out", 2.0))
    cues = p.on_events([_set_started(0.0)] + _rep_events(1, 2.0, faults), 2.0)
    # Knees caving in loads the joint: it outranks depth even though depth comes first in the catalogue.
    assert _texts(cues) == ["Knees out", "1"]
    assert cues[0].kind == "corrective" and cues[0].priority == PRIORITY_SAFETY and cues[0].rep_index == 1
    assert cues[1].kind == "count" and cues[1].priority == PRIORITY_COUNT
    # The rep_completed event carries the same faults again: still one correction for the rep.
    assert [c.kind for c in cues].count("corrective") == 1


def test_a_fault_in_cooldown_gives_way_to_the_next_fault_of_the_rep():
    p = CuePolicy(cooldown_s=8.0, speak_count=False)
    depth = _fault("squat_depth", "Sit deeper", 0.0)
    lean = _fault("forward_lean", "Chest up", 0.0)
    assert _texts(p.on_events(_rep_events(1, 2.0, (depth,)), 2.0)) == ["Sit deeper"]
    # 2 s later the same fault plus another: the other is said, "Sit deeper" is cooling down.
    assert _texts(p.on_events(_rep_events(2, 4.0, (depth, lean)), 4.0)) == ["Chest up"]
    # Both cooling down: nothing.
    assert p.on_events(_rep_events(3, 6.0, (depth, lean)), 6.0) == []
    # After the cooldown "Sit deeper" is due again.
    assert _texts(p.on_events(_rep_events(4, 10.5, (depth, lean)), 10.5)) == ["Sit deeper"]


def test_events_arriving_late_are_dropped_as_stale():
    p = CuePolicy(stale_after_s=2.5)
    late = [_set_started(0.0)] + _rep_events(1, 2.0, (_fault("forward_lean", "Chest up", 2.0),))
    # The batch is drained 3 s after the rep ended (a stalled analysis thread): nothing is said about it,
    # and the dropped correction does not start a cooldown.
    assert p.on_events(late, 5.0) == []
    assert _texts(p.on_events(_rep_events(2, 6.0, (_fault("forward_lean", "Chest up", 6.0),)), 6.0)) == [
        "Chest up",
        "2",
    ]
    assert p.is_stale(Cue("x", 1, "info", 0.0), 2.6) and not p.is_stale(Cue("x", 1, "info", 0.0), 2.4)


def test_partial_rep_gets_a_range_cue():
    p = CuePolicy()
    cues = p.on_events([_set_started(0.0)] + _rep_events(1, 2.0, partial=True), 2.0)
    assert _texts(cues) == ["Full range"]
    assert cues[0].kind == "corrective"


def test_replay_gives_the_same_cues_and_a_restarted_clock_resets_cooldowns():
    def session(p: CuePolicy) -> list[str]:
        out: list[str] = []
        f = (_fault("forward_lean", "Chest up", 0.0),)
        for i in range(1, 6):
            out += _texts(p.on_events(_rep_events(i, 2.0 * i, f), 2.0 * i))
        return out

    p = CuePolicy()
    first = session(p)
    assert first.count("Chest up") == 2  # at 2 s and again once the 8 s cooldown has passed (10 s)
    # A looped video starts again at t=0: the policy must not stay silent for the old cooldowns.
    assert session(p) == first
    assert session(CuePolicy()) == first


def test_cue_is_validated():
    with pytest.raises(ValueError):
        Cue("", 1, "info", 0.0)
    with pytest.raises(ValueError):
        Cue("Hi", 1, "shout", 0.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Cue("Hi", 1, "info", math.nan)


def test_gait_alerts_from_contacts_and_overstride_only_when_running():
    def contacts(step_s: float, n: int, t0: float = 0.0) -> list[GaitEvent]:
        feet = [Foot.LEFT, Foot.RIGHT]
        return [
            GaitEvent(GaitKind.INITIAL_CONTACT, feet[i % 2], t0 + i * step_s, t0 + i * step_s + 0.1, i)
            for i in range(n)
        ]

    walking = CuePolicy(activity="walking")
    assert walking.on_events(contacts(0.5, 10), 5.0) == []  # 120 spm is a normal walk
    p = CuePolicy(activity="running", min_cadence_spm=155.0)
    slow = contacts(60.0 / 140.0, 10)  # 140 spm
    assert _texts(p.on_events(slow[:3], 1.0)) == []  # too few steps to judge
    assert _texts(p.on_events(slow[3:], 4.5)) == ["Quicker, shorter steps"]
    assert p.cadence_spm() == pytest.approx(140.0)
    assert p.on_events(contacts(60.0 / 140.0, 4, 5.0), 6.5) == []  # cooling down (gait_cooldown_s)
    fast = CuePolicy(activity="running")
    assert fast.on_events(contacts(60.0 / 175.0, 12), 4.0) == []
    over = [MetricValue("overstride", 0.1 * i, 0.45, Foot.LEFT) for i in range(5)]
    cues = fast.on_events(over, 5.0)
    assert _texts(cues) == ["Land under your hips"] and cues[0].kind == "corrective"


# ------------------------------------------------------------------ the real engines


def _feed_reps(engine: RepEngine, track, policy: CuePolicy, speaker: RecordingSpeaker) -> int:
    """The live loop's shape: engine events -> policy at the sample's media time -> speaker."""
    reps = 0
    for sample in iter_samples(track):
        events = engine.update(sample)
        reps += sum(e.kind is EventKind.REP_COMPLETED for e in events)
        for cue in policy.on_events(events, sample.t):
            speaker.say(cue)
    for cue in policy.on_events(engine.finish(), float(track.media_ts[-1])):
        speaker.say(cue)
    return reps


def test_squat_faults_take_turns_through_the_cooldown():
    segs = [("hold", 2.0, 0.0)] + [("rep", 2.5, 1.0)] * 3 + [("hold", 2.0, 0.0)]
    depth = rep_profile(segs)
    track = inject_fault(skeleton_track(depth, camera=Camera(shank_px=80.0)), "heel_lift", 0.5 * depth)
    speaker = RecordingSpeaker()
    reps = _feed_reps(RepEngine(spec_for("squat"), "side"), track, CuePolicy(cooldown_s=8.0), speaker)
    assert reps == 3
    # The synthetic athlete stops just above parallel AND lifts the heels on every rep. Rep 1: the first
    # fault in the catalogue; rep 2: depth is cooling down, so the heels; rep 3: both cooling down.
    # finish() closes the set.
    assert speaker.texts() == ["Sit deeper", "1", "Keep your heels down", "2", "3", "Set done, 3 reps"]


def test_a_fault_on_every_rep_is_said_once_per_cooldown_and_the_set_is_closed():
    segs = [("hold", 2.0, 0.0)] + [("rep", 2.5, 1.0)] * 3 + [("hold", 12.0, 0.0)]
    track = skeleton_track(rep_profile(segs))
    speaker = RecordingSpeaker()
    _feed_reps(RepEngine(spec_for("squat"), "side"), track, CuePolicy(cooldown_s=8.0), speaker)
    assert speaker.texts() == ["Sit deeper", "1", "2", "3", "Set done, 3 reps"]
    speaker = RecordingSpeaker()
    _feed_reps(RepEngine(spec_for("squat"), "side"), track, CuePolicy(cooldown_s=2.0), speaker)
    assert speaker.texts() == ["Sit deeper", "1", "Sit deeper", "2", "Sit deeper", "3", "Set done, 3 reps"]


def test_synthetic_runners_hear_cadence_and_overstride_cues_only_when_due():
    def heard(cadence: float, excursion_m: float = 0.30) -> list[str]:
        g = synthetic_gait(cadence_spm=cadence, contact_s=0.3, duration_s=8.0, excursion_m=excursion_m)
        engine, policy, speaker = GaitEngine("running"), CuePolicy(activity="running"), RecordingSpeaker()
        seen = 0
        for sample in iter_samples(g.track):
            events: list[object] = list(engine.update(sample))
            events += engine.values[seen:]  # the engine's new metric values ride along with its events
            seen = len(engine.values)
            for cue in policy.on_events(events, sample.t):
                speaker.say(cue)
        assert np.isfinite(policy.cadence_spm())
        return speaker.texts()

    assert heard(140.0) == ["Quicker, shorter steps"]
    assert heard(175.0) == []
    # Feet reaching 0.45 m ahead of the hips (legs 0.9 m): half a leg length.
    assert heard(175.0, excursion_m=0.45) == ["Land under your hips"]
