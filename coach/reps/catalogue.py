"""The exercise catalogue: how each rep exercise is counted, measured and judged, declared as data.

A rep is one excursion of the primary signal away from its rest end and back. Each `ExerciseSpec` says
which per-frame feature (`coach.reps.signals`) is the primary signal, which way the working excursion goes,
the thresholds (as an excursion from the athlete's own rest value, with hysteresis), the views where
counting is reliable, and the form rules with their cue text. The engine (`coach.reps.engine`) has no
exercise-specific code: adding an exercise means adding one entry here (and its tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

__all__ = [
    "ALIASES",
    "CATALOGUE",
    "Direction",
    "ExerciseSpec",
    "FormRule",
    "Phase",
    "SignalSpec",
    "Test",
    "spec_for",
]


class Direction(Enum):
    """Which way the primary signal moves during the first half of a rep (away from rest)."""

    INCREASING = 1
    DECREASING = -1


class Phase(Enum):
    """The part of a rep a form rule looks at."""

    REP = "rep"  # every frame of the rep
    OUT = "out"  # rest -> turn (eccentric for a squat, concentric for a curl)
    BACK = "back"  # turn -> rest
    TURN = "turn"  # the single frame of the rep's extreme
    BOTTOM = "bottom"  # frames within the last fifth of the rep's excursion (the bottom of a squat)
    FINISH = "finish"  # the frame nearest rest once the athlete has arrived at the top (deadlift lockout)


class Test(Enum):
    ABOVE = "above"
    BELOW = "below"


@dataclass(frozen=True, slots=True)
class SignalSpec:
    """The primary signal and its thresholds, in the feature's units (degrees or body lengths).

    Thresholds are excursions from the athlete's rest value (learned while at rest, clamped to
    `rest_nominal +- rest_band`): a rep starts beyond `start`, reaches its turn beyond `turn` and is over when
    back within `start - hysteresis`. After a few full reps the engine replaces `turn` with a fraction of
    the athlete's own range of motion.
    """

    feature: str
    direction: Direction
    rest_nominal: float
    rest_band: float
    start: float
    turn: float
    hysteresis: float
    units: str

    def __post_init__(self) -> None:
        if not 0 < self.hysteresis < self.start < self.turn:
            raise ValueError(f"{self.feature}: need 0 < hysteresis < start < turn")


@dataclass(frozen=True, slots=True)
class FormRule:
    """A fault is raised when `feature` is beyond `threshold` in `phase` for at least `min_frames` frames.

    With `relative`, the feature is measured against the athlete's own value at the top of the rep (the rep's
    start or finish, whichever is nearer rest: a deadlift starts on the floor and is judged against its
    lockout), or at the turn for `Phase.BACK`. `views` lists where the rule is valid; in other views it is
    skipped and reported as skipped. A `Phase.FINISH` rule is not judged on a rep whose top was not seen
    (the stream ended or the pose dropped out on the way up). With `per_side`, the rule is judged on
    `feature + "_left"` and `feature + "_right"` separately, each against its own reference (one knee caving
    in is a fault even when the other pushes out), and the worse side is reported."""

    name: str
    cue: str
    feature: str
    test: Test
    threshold: float
    views: frozenset[str]
    phase: Phase = Phase.REP
    relative: bool = False
    min_frames: int = 2
    per_side: bool = False


@dataclass(frozen=True, slots=True)
class ExerciseSpec:
    """One catalogue entry. `out_phase` names the first half of the rep ("eccentric" or "concentric")."""

    name: str
    signal: SignalSpec
    views: frozenset[str]
    out_phase: str
    depth_feature: str | None = None
    lean_feature: str = "trunk_lean"
    asymmetry_feature: str | None = None
    rules: tuple[FormRule, ...] = field(default_factory=tuple)
    min_rep_s: float = 0.5
    max_rep_s: float = 10.0
    # The first rep may begin at the turn (a deadlift starts with the bar on the floor): a stream that
    # first settles beyond the turn threshold is taken as a rep in progress at its turn.
    may_start_at_turn: bool = False


_ALL = frozenset({"front", "side", "oblique"})
_FRONT = frozenset({"front", "oblique"})
_SIDE = frozenset({"side", "oblique"})

CATALOGUE: dict[str, ExerciseSpec] = {
    spec.name: spec
    for spec in (
        ExerciseSpec(
            name="squat",
            # Hip height above the ground in shank lengths: about 2 standing, about 1 at parallel.
            signal=SignalSpec("hip_height", Direction.DECREASING, rest_nominal=2.0, rest_band=0.5,
                              start=0.25, turn=0.5, hysteresis=0.1, units="shank"),
            views=_ALL,
            out_phase="eccentric",
            depth_feature="hip_below_knee",
            asymmetry_feature="lr_knee",
            rules=(
                FormRule("squat_depth", "Sit deeper", "hip_below_knee", Test.BELOW, -0.15, _SIDE,
                         phase=Phase.TURN, min_frames=1),
                # Each shank's tilt out of its foot's vertical plane, from world landmarks (view-robust), per
                # leg against the athlete's own standing value: 10 degrees medial is about 7 cm of knee
                # travel inward over a 40 cm shin. Needs both knees, so not from a true side, where the far
                # knee is hidden behind the near leg and its world position is a guess.
                FormRule("knee_valgus", "Knees out", "knee_over_foot", Test.BELOW, -10.0, _FRONT,
                         phase=Phase.BOTTOM, relative=True, min_frames=3, per_side=True),
                FormRule("forward_lean", "Chest up", "trunk_lean", Test.ABOVE, 50.0, _SIDE),
                FormRule("heel_lift", "Keep your heels down", "heel_lift", Test.ABOVE, 0.25, _SIDE,
                         relative=True, min_frames=3),
            ),
        ),
        ExerciseSpec(
            name="deadlift",
            # Shoulder height in shank lengths: about 3.3 standing, 2 or less at the floor (both views).
            signal=SignalSpec("shoulder_height", Direction.DECREASING, rest_nominal=3.3, rest_band=0.7,
                              start=0.3, turn=0.7, hysteresis=0.12, units="shank"),
            views=_ALL,
            out_phase="eccentric",
            asymmetry_feature="lr_hip",
            may_start_at_turn=True,
            rules=(
                FormRule("hips_rise_first", "Chest up: hips and shoulders rise together",
                         "hip_minus_shoulder_height", Test.ABOVE, 0.25, _SIDE, phase=Phase.BACK,
                         relative=True, min_frames=3),
                # Hips still bent by more than this when the knees are already straight at the top.
                FormRule("incomplete_lockout", "Stand tall at the top", "hip_extension_lag", Test.ABOVE,
                         20.0, _SIDE, phase=Phase.FINISH, min_frames=1),
                # Ear a fifth of a torso length below the trunk chord while hinged. True side view only:
                # in an oblique view the chord's normal is foreshortened and the head turns with the camera.
                FormRule("rounded_back", "Keep your back flat", "head_below_trunk", Test.ABOVE, 0.2,
                         frozenset({"side"}), min_frames=3),
                FormRule("heel_lift", "Keep your heels down", "heel_lift", Test.ABOVE, 0.25, _SIDE,
                         relative=True, min_frames=3),
            ),
        ),
        ExerciseSpec(
            name="pushup",
            signal=SignalSpec("elbow", Direction.DECREASING, rest_nominal=165.0, rest_band=20.0,
                              start=25.0, turn=50.0, hysteresis=10.0, units="deg"),
            views=_SIDE,
            out_phase="eccentric",
            depth_feature="elbow",
            asymmetry_feature="lr_elbow",
            rules=(
                FormRule("hip_sag", "Squeeze your glutes, hips up", "hip_sag", Test.ABOVE, 0.25, _SIDE,
                         min_frames=3),
                FormRule("hip_pike", "Hips down, body in one line", "hip_sag", Test.BELOW, -0.35, _SIDE,
                         min_frames=3),
                FormRule("partial_range", "Chest lower", "elbow", Test.ABOVE, 110.0, _SIDE,
                         phase=Phase.TURN, min_frames=1),
            ),
        ),
        ExerciseSpec(
            name="lunge",
            signal=SignalSpec("hip_height", Direction.DECREASING, rest_nominal=2.0, rest_band=0.5,
                              start=0.2, turn=0.45, hysteresis=0.08, units="shank"),
            views=_ALL,
            out_phase="eccentric",
            depth_feature="knee_min",
            rules=(
                FormRule("knee_travel", "Keep the front knee over the ankle", "knee_past_toe", Test.ABOVE,
                         0.35, _SIDE, min_frames=3),
                FormRule("trunk_lean", "Stay upright", "trunk_lean", Test.ABOVE, 30.0, _SIDE, min_frames=3),
            ),
            max_rep_s=8.0,
        ),
        ExerciseSpec(
            name="jumping_jack",
            signal=SignalSpec("shoulder", Direction.INCREASING, rest_nominal=20.0, rest_band=25.0,
                              start=40.0, turn=90.0, hysteresis=15.0, units="deg"),
            views=_FRONT,
            out_phase="concentric",
            asymmetry_feature="lr_shoulder",
            min_rep_s=0.3,
            max_rep_s=4.0,
        ),
        ExerciseSpec(
            name="bicep_curl",
            # The more-bent elbow, so alternating curls count each arm's rep.
            signal=SignalSpec("elbow_min", Direction.DECREASING, rest_nominal=165.0, rest_band=25.0,
                              start=30.0, turn=70.0, hysteresis=12.0, units="deg"),
            views=_ALL,
            out_phase="concentric",
            asymmetry_feature="lr_elbow",
            rules=(
                FormRule("elbow_drift", "Pin your elbows to your sides", "elbow_drift", Test.ABOVE, 0.35,
                         _SIDE, relative=True, min_frames=3),
                FormRule("torso_swing", "Don't swing your body", "trunk_lean", Test.ABOVE, 12.0, _SIDE,
                         relative=True, min_frames=3),
            ),
        ),
        ExerciseSpec(
            name="lateral_raise",
            signal=SignalSpec("shoulder_max", Direction.INCREASING, rest_nominal=15.0, rest_band=20.0,
                              start=25.0, turn=55.0, hysteresis=10.0, units="deg"),
            views=_FRONT,
            out_phase="concentric",
            asymmetry_feature="lr_shoulder",
            rules=(
                FormRule("arms_too_high", "Stop at shoulder height", "shoulder_max", Test.ABOVE, 105.0,
                         _FRONT,
                         min_frames=3),
                FormRule("shrug", "Shoulders down, away from your ears", "ear_shoulder_gap", Test.BELOW,
                         -0.12, _FRONT, relative=True, min_frames=3),
            ),
        ),
        ExerciseSpec(
            name="shoulder_press",
            # Rest is the rack position (arms at about 90 degrees), not arms down.
            signal=SignalSpec("shoulder", Direction.INCREASING, rest_nominal=85.0, rest_band=30.0,
                              start=25.0, turn=55.0, hysteresis=10.0, units="deg"),
            views=_ALL,
            out_phase="concentric",
            asymmetry_feature="lr_elbow",
            rules=(
                FormRule("incomplete_lockout", "Lock out overhead", "elbow", Test.BELOW, 155.0, _ALL,
                         phase=Phase.TURN, min_frames=1),
                FormRule("lean_back", "Ribs down, don't lean back", "trunk_lean", Test.ABOVE, 12.0, _SIDE,
                         relative=True, min_frames=3),
            ),
        ),
    )
}

# Label / variant names that map onto a catalogue entry.
ALIASES: dict[str, str] = {
    "deadlift_romanian": "deadlift",
    "deadlift_conventional": "deadlift",
    "romanian_deadlift": "deadlift",
    "lunge_forward": "lunge",
    "lunge_reverse": "lunge",
    "lunge_lateral": "lunge",
    "push_up": "pushup",
    "curl": "bicep_curl",
}


def spec_for(movement: str) -> ExerciseSpec:
    """The catalogue entry for an exercise or label name; KeyError when it is not a rep exercise."""
    name = ALIASES.get(movement, movement)
    try:
        return CATALOGUE[name]
    except KeyError:
        raise KeyError(f"{movement!r} is not in the rep catalogue ({', '.join(CATALOGUE)})") from None
