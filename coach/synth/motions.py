"""Movement drivers: one function per activity that turns a random style, a tempo schedule and an optional
form fault into body-frame landmark trajectories (see `coach.synth.skeleton` for the frame).

Every rep exercise is driven by a rep phase ``p`` in [0, 1] (0 = rest, 1 = the turn of the rep: bottom of a
squat, top of a curl), built by `rep_schedule` with random tempo, pauses and per-rep range of motion. Gait
is driven by a stride phase; idle and "other" by slow random keyframes.

Faults are drawn in by changing the joint-level plan (not by post-hoc pixel edits), so every view shows
them consistently:

=================== =========================================== ==========================================
fault               exercises                                   what changes
=================== =========================================== ==========================================
knee_valgus         squat, lunge                                knees collapse towards the midline with
                                                                depth (the bending plane rotates 12-40 deg:
                                                                real valgus brings the knees to about ankle
                                                                width rather than crossing them)
shallow_depth       squat, lunge, pushup, jumping_jack,         range of motion cut to ~40-60 %
                    lateral_raise
forward_lean        squat, lunge                                extra trunk lean with depth (+20-35 deg)
heel_lift           squat, deadlift                             heels rise with depth (12-25 deg)
hips_rising_first   squat, deadlift                             on the way up the knees extend before the
                                                                trunk rises (trunk lean grows)
rounded_back        deadlift                                    the back rounds with depth: the shoulders
                                                                come 10-20 % closer to the hips and drop
                                                                forward (+8-18 deg of trunk lean)
hip_sag             pushup                                      hips drop below the shoulder-ankle line
elbow_drift         bicep_curl, shoulder_press                  upper arm swings forward during the rep
overstride          running, walking                            foot lands far ahead of the hips with a
                                                                straighter knee
excessive_trunk_lean running, walking, lateral_raise,           trunk leans far forward (gait) or swings
                    shoulder_press                              back (upper-body lifts)
=================== =========================================== ==========================================

Threads: pure functions of their arguments and the random generator passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from coach.synth.skeleton import (
    ARM_NAMES,
    FWD,
    LEFT,
    LEG_NAMES,
    SIDES,
    UP,
    Body,
    Frame3,
    Skeleton,
    _unit,
    arm,
    foot_from_ankle,
    foot_on_ground,
    head,
    leg_ik,
    rotate,
)

__all__ = ["FAULTS", "MOTIONS", "Motion", "rep_schedule"]

FAULTS: dict[str, tuple[str, ...]] = {
    "squat": ("knee_valgus", "shallow_depth", "forward_lean", "heel_lift", "hips_rising_first"),
    "deadlift": ("heel_lift", "hips_rising_first", "rounded_back"),
    "pushup": ("hip_sag", "shallow_depth"),
    "lunge": ("knee_valgus", "shallow_depth", "forward_lean"),
    "jumping_jack": ("shallow_depth",),
    "bicep_curl": ("elbow_drift",),
    "lateral_raise": ("shallow_depth", "excessive_trunk_lean"),
    "shoulder_press": ("elbow_drift", "excessive_trunk_lean"),
    "running": ("overstride", "excessive_trunk_lean"),
    "walking": ("overstride", "excessive_trunk_lean"),
    "idle": (),
    "other": (),
}

D = np.radians


@dataclass(frozen=True, slots=True)
class Motion:
    """Body-frame trajectories of one clip and their truth."""

    points: np.ndarray  # (N, 33, 3) metres, body frame (y up, ground y = 0)
    phase: np.ndarray  # (N,) rep phase in [0, 1] (0 = rest), or stride phase in [0, 1) for gait
    spans: tuple[tuple[int, int], ...]  # (first, last) frame of each rep / stride
    # A standing arm exercise (curl, raise, press, pushdown, ...): filmed from close more often, whether or
    # not it is in the catalogue, so framing alone does not tell catalogue arm work from other arm work.
    upper_body: bool = False


def rep_schedule(
    rng: np.random.Generator,
    n: int,
    fps: float,
    rep_s: tuple[float, float],
    *,
    top_pause_s: tuple[float, float] = (0.0, 0.8),
    bottom_pause_s: tuple[float, float] = (0.0, 0.3),
    rom: tuple[float, float] = (0.85, 1.05),
) -> tuple[np.ndarray, np.ndarray, tuple[tuple[int, int], ...]]:
    """(phase (N,), rep index (N,) with -1 before the first rep, rep spans) for `n` frames at `fps`.

    Each rep goes 0 -> amplitude -> 0 on half-cosines (eccentric and concentric of random share), with
    random pauses at the turn and at rest; the clip starts at a random point so windows do not all begin
    at rest."""
    t_frames = np.arange(n) / fps
    p = np.zeros(n)
    idx = np.full(n, -1)
    spans: list[tuple[int, int]] = []
    t = -float(rng.uniform(0.0, rep_s[1]))  # start part-way into a rep
    k = 0
    while t < n / fps:
        dur = float(rng.uniform(*rep_s))
        share = float(rng.uniform(0.4, 0.6))
        t_out, t_back = dur * share, dur * (1 - share)
        hold = float(rng.uniform(*bottom_pause_s))
        amp = float(rng.uniform(*rom))
        t0, t1, t2, t3 = t, t + t_out, t + t_out + hold, t + t_out + hold + t_back
        m = (t_frames >= t0) & (t_frames < t1)
        p[m] = amp * 0.5 * (1 - np.cos(np.pi * (t_frames[m] - t0) / t_out))
        m = (t_frames >= t1) & (t_frames < t2)
        p[m] = amp
        m = (t_frames >= t2) & (t_frames < t3)
        p[m] = amp * 0.5 * (1 + np.cos(np.pi * (t_frames[m] - t2) / t_back))
        m = (t_frames >= t0) & (t_frames < t3)
        idx[m] = k
        first, last = int(np.ceil(t0 * fps)), int(np.ceil(t3 * fps)) - 1
        if first >= 0 and last < n:
            spans.append((first, last))
        t = t3 + float(rng.uniform(*top_pause_s))
        k += 1
    # Frames in a pause after a rep belong to it for alternating-side exercises.
    for i in range(1, n):
        if idx[i] < 0 and idx[i - 1] >= 0:
            idx[i] = idx[i - 1]
    return p, idx, tuple(spans)


def _ascent(p: np.ndarray) -> np.ndarray:
    """(N,) bool: frames on the way back to rest (phase decreasing)."""
    d = np.gradient(p)
    return d < -1e-9


def _smooth_noise(
    rng: np.random.Generator, n: int, fps: float, sd: float, period_s: float = 2.0
) -> np.ndarray:
    """Slow random wander (N,): cubic-ish interpolation of random knots every ~`period_s` seconds."""
    step = max(2, int(period_s * fps))
    knots = rng.normal(0, sd, n // step + 3)
    x = np.arange(n) / step
    i = np.floor(x).astype(int)
    f = x - i
    f = f * f * (3 - 2 * f)
    return knots[i] * (1 - f) + knots[i + 1] * f


@dataclass(frozen=True, slots=True)
class _Arms:
    """A static arm carriage: elevation, plane, elbow flexion (radians) and the elbow-bend hint."""

    elevation: float
    plane: float
    elbow: float
    bend: str  # "fwd", "up", "back", "in"


def _random_carriage(rng: np.random.Generator, choices: tuple[str, ...]) -> _Arms:
    kind = choices[int(rng.integers(len(choices)))]
    j = rng.uniform(-1, 1, 3) * D(8)
    table = {
        "sides": _Arms(D(6), D(60), D(12), "fwd"),
        "forward": _Arms(D(85), D(5), D(5), "up"),
        "goblet": _Arms(D(25), D(10), D(140), "up"),
        "barbell": _Arms(D(55), D(75), D(115), "back"),
        "hips": _Arms(D(30), D(80), D(105), "back"),
        "crossed": _Arms(D(35), D(0), D(135), "in"),
    }
    a = table[kind]
    return _Arms(a.elevation + j[0], a.plane + j[1], max(0.0, a.elbow + j[2]), a.bend)


def _bend_vector(kind: str, frame: Frame3, side: int) -> np.ndarray:
    return {
        "fwd": frame.fwd,
        "up": frame.up + 0.3 * frame.fwd,
        "back": -frame.fwd - 0.3 * side * frame.left,
        "in": -side * frame.left + 0.5 * frame.up,
    }[kind]


def _assemble(
    sk: Skeleton,
    body: Body,
    pelvis: np.ndarray,
    pelvis_frame: Frame3,
    trunk: Frame3,
    arms: dict[int, tuple[np.ndarray | float, np.ndarray | float, np.ndarray | float, np.ndarray]],
    *,
    head_pitch: np.ndarray | float = 0.0,
    torso_scale: np.ndarray | float = 1.0,
) -> None:
    """Place hips, shoulders, arms and head. `arms[side]` = (elevation, plane, elbow flex, bend (N, 3));
    `torso_scale` (N,) shortens the hip-to-shoulder chord (a rounding back)."""
    n = len(pelvis)
    for side in SIDES:
        sk[LEG_NAMES[side][0]] = pelvis + side * body.hip_half * pelvis_frame.left
    mid_sh = pelvis + body.torso * _bc1(torso_scale, n) * trunk.up
    for side in SIDES:
        sh = mid_sh + side * body.shoulder_half * trunk.left
        names = ARM_NAMES[side]
        sk[names[0]] = sh
        e, pl, k, b = arms[side]
        for name, pt in zip(names[1:], arm(sh, trunk, side, e, pl, k, b, body), strict=True):
            sk[name] = pt
    hp = np.broadcast_to(np.asarray(head_pitch, dtype=np.float64), (n,))
    head_up = rotate(trunk.up, trunk.left, hp)
    head_fwd = rotate(trunk.fwd, trunk.left, hp)
    centre = mid_sh + body.neck * head_up
    head(sk, centre, Frame3(head_up, head_fwd, trunk.left), body)


def _bc1(v: np.ndarray | float, n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(v, dtype=np.float64), (n,))[:, None]


def _planted_legs(
    sk: Skeleton,
    body: Body,
    toes: dict[int, np.ndarray],
    dirs: dict[int, np.ndarray],
    lifts: dict[int, np.ndarray | float],
    bends: dict[int, np.ndarray],
) -> None:
    """Feet on the ground (toes fixed), knees by IK from the already placed hips."""
    for side in SIDES:
        hip_n, knee_n, ankle_n, heel_n, toe_n = LEG_NAMES[side]
        heel, ankle, toe = foot_on_ground(toes[side], dirs[side], lifts[side], body)
        sk[ankle_n], sk[heel_n], sk[toe_n] = ankle, heel, toe
        sk[knee_n] = leg_ik(sk[hip_n], ankle, bends[side], body.thigh, body.shin)


def _n3(v: np.ndarray, n: int) -> np.ndarray:
    return np.broadcast_to(v, (n, 3)).copy()


def _stance(
    rng: np.random.Generator, body: Body, width: tuple[float, float], toe_out_deg: tuple[float, float]
):
    half = body.hip_half * float(rng.uniform(*width))
    toe_out = D(float(rng.uniform(*toe_out_deg)))
    dirs = {s: np.array([s * np.sin(toe_out), 0.0, np.cos(toe_out)]) for s in SIDES}
    return half, toe_out, dirs


def _sagittal_squat(body: Body, knee_flex: np.ndarray, shin_share: float, heel_lift: np.ndarray):
    """Height and fore-aft offset of the pelvis above the ankle for a given knee flexion (radians)."""
    a_s = shin_share * knee_flex
    a_t = knee_flex - a_s
    y = body.ankle_height * np.cos(heel_lift) + body.shin * np.cos(a_s) + body.thigh * np.cos(a_t)
    z = body.shin * np.sin(a_s) - body.thigh * np.sin(a_t)
    return y, z, a_t


def _squat_like(
    rng: np.random.Generator, n: int, fps: float, body: Body, fault: str | None, sev: float, hinge: bool
) -> Motion:
    if hinge:  # deadlift: big trunk lean, moderate knees; RDL-like variants keep the knees almost straight
        romanian = rng.random() < 0.35
        # A deadlift from the floor rests at the bottom between reps (bar on the floor); an RDL at the top.
        pauses = {"top_pause_s": (0.2, 1.2), "bottom_pause_s": (0.0, 0.4)}
        if not romanian:
            pauses = {"top_pause_s": (0.0, 0.4), "bottom_pause_s": (0.2, 1.5)}
        p, _, spans = rep_schedule(rng, n, fps, (1.8, 4.0), **pauses)
        # Real side-view deadlifts (pose cache): hip angle down to ~45-55 deg, knee ~65-80 deg from the
        # floor, trunk ~65-75 deg from vertical; shins stay near vertical (the bar path is vertical).
        k_max = D(rng.uniform(15, 40) if romanian else rng.uniform(70, 115))
        # Stiff-legged pulls often hinge less (real side view: ~55 deg with the knees nearly straight).
        lean_max = D(rng.uniform(45, 88) if romanian else rng.uniform(55, 80))
        half, _, dirs = _stance(rng, body, (0.9, 1.5), (0, 15))
        shin_share = float(rng.uniform(0.15, 0.3))
        carriage = None
    else:
        p, _, spans = rep_schedule(rng, n, fps, (1.6, 4.0))
        k_max = D(rng.uniform(95, 125))
        lean_max = D(rng.uniform(20, 45))
        half, _, dirs = _stance(rng, body, (1.1, 2.0), (5, 30))
        shin_share = float(rng.uniform(0.38, 0.5))
        carriage = _random_carriage(rng, ("forward", "goblet", "barbell", "hips", "crossed"))
    if fault == "shallow_depth":
        k_max *= 0.4 + 0.2 * (1 - sev)
        lean_max *= 0.5
    p_knee, p_trunk = p.copy(), p.copy()
    if fault == "hips_rising_first":
        # On the way up the knees straighten early while the chest stays down (the hips shoot up).
        up = _ascent(p)
        p_knee[up] = p[up] ** (1.5 + 1.5 * sev)
        p_trunk[up] = p[up] ** (0.4 - 0.2 * sev)
    knee = k_max * p_knee
    lift = np.zeros(n)
    if fault == "heel_lift":
        lift = D(12 + 13 * sev) * p
    y, z, _ = _sagittal_squat(body, knee, shin_share, lift)
    lean = lean_max * p_trunk
    if fault == "hips_rising_first":
        lean = lean + D(15 + 15 * sev) * np.clip(p_trunk - p_knee, 0, 1)
    if fault == "forward_lean":
        lean = lean + D(20 + 15 * sev) * p
    torso_scale = np.ones(n)
    if fault == "rounded_back":
        # MediaPipe has no spine points: a rounding back shows as the shoulders coming closer to the hips
        # and further forward and down (the chord of a curved back).
        torso_scale = 1.0 - (0.10 + 0.10 * sev) * p
        lean = lean + D(8 + 10 * sev) * p
    sway = _smooth_noise(rng, n, fps, D(2))
    pelvis = np.stack([_smooth_noise(rng, n, fps, 0.01), y, z], axis=1)
    zero = np.zeros(n)
    pelvis_frame = Frame3.from_angles(zero, zero, zero)
    trunk = Frame3.from_angles(lean, sway, 0.5 * sway)
    sk = Skeleton(n)
    arms = {}
    for s in SIDES:
        if carriage is None:  # hands hang straight down to the bar
            # Elevation relative to the trunk that keeps the arm vertical in the world.
            arms[s] = (lean + D(rng.uniform(-3, 8)), D(5), D(rng.uniform(5, 25)), trunk.fwd)
        else:
            arms[s] = (
                carriage.elevation,
                carriage.plane,
                carriage.elbow,
                _bend_vector(carriage.bend, trunk, s),
            )
    _assemble(sk, body, pelvis, pelvis_frame, trunk, arms, head_pitch=-0.5 * lean, torso_scale=torso_scale)
    valgus = D(12 + 28 * sev) * p if fault == "knee_valgus" else zero
    toes, bends, lifts = {}, {}, {}
    for s in SIDES:
        d = _n3(dirs[s], n)
        toes[s] = np.array([s * half, 0.0, 0.0]) + (0.75 * body.foot) * d
        # The knee points along the toes; valgus turns that towards the midline.
        bends[s] = rotate(d, _n3(UP, n), -s * valgus)
        lifts[s] = lift
    _planted_legs(sk, body, toes, {s: _n3(dirs[s], n) for s in SIDES}, lifts, bends)
    return Motion(sk.array(), p, spans)


def _squat(rng, n, fps, body, fault, sev) -> Motion:
    return _squat_like(rng, n, fps, body, fault, sev, hinge=False)


def _deadlift(rng, n, fps, body, fault, sev) -> Motion:
    return _squat_like(rng, n, fps, body, fault, sev, hinge=True)


def _pushup(rng, n, fps, body, fault, sev) -> Motion:
    p, _, spans = rep_schedule(rng, n, fps, (1.4, 3.2), top_pause_s=(0.0, 0.6), bottom_pause_s=(0.0, 0.2))
    arm_len = body.upper_arm + body.forearm
    hand_w = body.shoulder_half + float(rng.uniform(0.03, 0.15))
    # Arms nearly locked out at the top: shoulder height that leaves the hand-to-shoulder reach at 99 %.
    top = 0.03 + float(np.sqrt((0.99 * arm_len) ** 2 - (hand_w - body.shoulder_half) ** 2 - 0.05**2))
    # Bottom from the elbow angle there: real push-ups (pose cache, side views) bottom out at ~60-100 deg
    # of elbow angle with the shoulders well above the hands, not folded flat on the floor.
    elbow_bottom = D(rng.uniform(60, 100))
    reach = np.sqrt(
        body.upper_arm**2 + body.forearm**2 - 2 * body.upper_arm * body.forearm * np.cos(elbow_bottom)
    )
    bottom = 0.03 + float(np.sqrt(max(reach**2 - (hand_w - body.shoulder_half) ** 2 - 0.05**2, 0.01)))
    if fault == "shallow_depth":
        bottom = top - (0.35 + 0.2 * (1 - sev)) * (top - bottom)
    y_sh = top - p * (top - bottom)
    knees_down = rng.random() < 0.15
    # The body is a straight line from the ankles (or knees) to the shoulders, pivoting at the feet.
    length = body.torso + body.thigh + (0.0 if knees_down else body.shin)
    base_y = 0.05 if knees_down else 0.75 * body.foot + 0.02  # toes tucked under, foot near vertical
    angle = np.arcsin(np.clip((y_sh - base_y) / length, -1, 1))
    d = np.stack([np.zeros(n), np.sin(angle), np.cos(angle)], axis=1)
    perp_up = np.stack([np.zeros(n), np.cos(angle), -np.sin(angle)], axis=1)
    base = np.stack([np.zeros(n), np.full(n, base_y), np.zeros(n)], axis=1)
    if knees_down:
        knee_c = base
        hip_c = knee_c + body.thigh * d
        ankle_c = knee_c - body.shin * np.stack([np.zeros(n), -np.full(n, 0.2), np.ones(n)], axis=1)
    else:
        ankle_c = base
        knee_c = ankle_c + body.shin * d
        hip_c = knee_c + body.thigh * d
    sh_c = hip_c + body.torso * d
    if fault == "hip_sag":
        sag = (0.07 + 0.08 * sev) * body.height / 1.75 * (0.6 + 0.4 * p)
        hip_c = hip_c - sag[:, None] * perp_up
        knee_c = knee_c - 0.5 * sag[:, None] * perp_up
    # Trunk frame: "up" runs hip -> shoulder, "fwd" is the chest's facing (towards the floor).
    t_up = _unit(sh_c - hip_c)
    t_left = _n3(LEFT, n)
    t_fwd = np.cross(t_left, t_up)
    sk = Skeleton(n)
    flare = float(rng.uniform(0.2, 0.9))
    foot_pitch = D(rng.uniform(30, 75))
    for s in SIDES:
        sk[LEG_NAMES[s][0]] = hip_c + s * body.hip_half * t_left
        sh = sh_c + s * body.shoulder_half * t_left
        sk[ARM_NAMES[s][0]] = sh
        wrist = np.stack([np.full(n, s * hand_w), np.full(n, 0.03), sh_c[:, 2] + 0.05], axis=1)
        elbow = leg_ik(sh, wrist, -FWD + flare * s * LEFT, body.upper_arm, body.forearm)
        fore = _unit(wrist - elbow)
        sk[ARM_NAMES[s][1]], sk[ARM_NAMES[s][2]] = elbow, wrist
        sk[ARM_NAMES[s][3]] = wrist + 0.07 * FWD + 0.0 * fore
        sk[ARM_NAMES[s][4]] = wrist + 0.06 * FWD + s * 0.03 * LEFT
        sk[ARM_NAMES[s][5]] = wrist + 0.04 * FWD - s * 0.03 * LEFT
        hip_s = sk[LEG_NAMES[s][0]]
        off = s * body.hip_half * t_left * 0.8
        sk[LEG_NAMES[s][1]] = knee_c + off
        sk[LEG_NAMES[s][2]] = ankle_c + off
        # Toes tucked under: the foot points down and back from the ankle to the floor (real side views
        # read ~95-125 deg at the ankle).
        heel, toe = foot_from_ankle(ankle_c + off, _n3(-FWD, n), foot_pitch, body)
        sk[LEG_NAMES[s][3]], sk[LEG_NAMES[s][4]] = heel, toe
        del hip_s
    centre = sh_c + body.neck * _unit(t_up + 0.3 * t_fwd)
    head(sk, centre, Frame3(_unit(t_up), _unit(t_fwd + 0.3 * t_up), t_left), body)
    return Motion(sk.array(), p, spans)


def _lunge(rng, n, fps, body, fault, sev) -> Motion:
    p, idx, spans = rep_schedule(rng, n, fps, (2.0, 4.0), top_pause_s=(0.1, 1.0), bottom_pause_s=(0.0, 0.4))
    # Half of the lunges keep the split stance between reps (static lunge / split squat), as in most
    # real lunge footage; the rest step out from and back to a standing stance.
    static = rng.random() < 0.5
    alternate = (rng.random() < 0.7) and not static
    first = int(rng.choice(SIDES))
    step = float(rng.uniform(0.55, 0.8)) * body.leg * 1.3
    # Deep enough that the back knee nearly reaches the floor.
    drop_max = float(rng.uniform(0.36, 0.52)) * body.leg
    if fault == "shallow_depth":
        drop_max *= 0.35 + 0.2 * (1 - sev)
    half = body.hip_half * float(rng.uniform(0.9, 1.3))
    front = np.where((idx % 2 == 0) | ~alternate, first, -first)
    # First ~35 % of the way out is the step; the rest lowers the hips.
    s_step = np.clip(p / 0.35, 0, 1)
    s_drop = np.clip((p - 0.25) / 0.75, 0, 1)
    s_step = s_step * s_step * (3 - 2 * s_step)
    if static:
        s_step = np.ones(n)
    front_z = step * s_step
    lift_swing = 0.08 * np.sin(np.pi * s_step) * (p < 0.35)
    drop = drop_max * s_drop
    lean = D(rng.uniform(0, 8)) + D(rng.uniform(0, 15)) * s_drop
    if fault == "forward_lean":
        lean = lean + D(20 + 15 * sev) * s_drop
    pelvis = np.stack([_smooth_noise(rng, n, fps, 0.01), body.leg - 0.02 - drop, 0.45 * front_z], axis=1)
    zero = np.zeros(n)
    trunk = Frame3.from_angles(lean, _smooth_noise(rng, n, fps, D(2)), zero)
    carriage = _random_carriage(rng, ("sides", "hips", "crossed"))
    arms = {
        s: (carriage.elevation, carriage.plane, carriage.elbow, _bend_vector(carriage.bend, trunk, s))
        for s in SIDES
    }
    sk = Skeleton(n)
    _assemble(sk, body, pelvis, Frame3.from_angles(zero, zero, zero), trunk, arms, head_pitch=-0.4 * lean)
    valgus = D(12 + 28 * sev) * s_drop if fault == "knee_valgus" else zero
    for s in SIDES:
        hip_n, knee_n, ankle_n, heel_n, toe_n = LEG_NAMES[s]
        is_front = front == s
        toe = np.stack(
            [
                np.full(n, s * half),
                np.where(is_front, lift_swing, 0.0),
                np.where(is_front, front_z, 0.0) + 0.75 * body.foot,
            ],
            axis=1,
        )
        rear_lift = np.where(is_front, 0.0, D(45) * (s_drop if not static else 0.5 + 0.5 * s_drop))
        heel, ankle, toe = foot_on_ground(toe, _n3(FWD, n), rear_lift, body)
        bend = rotate(_n3(FWD, n), _n3(UP, n), -s * np.where(is_front, valgus, 0.0))
        sk[ankle_n], sk[heel_n], sk[toe_n] = ankle, heel, toe
        sk[knee_n] = leg_ik(sk[hip_n], ankle, bend, body.thigh, body.shin)
    return Motion(sk.array(), p, spans)


def _standing_legs(sk: Skeleton, body: Body, n: int, half: float, dirs: dict[int, np.ndarray]) -> None:
    for s in SIDES:
        d = _n3(dirs[s], n)
        toe = np.array([s * half, 0.0, 0.0]) + 0.75 * body.foot * d
        heel, ankle, toe = foot_on_ground(toe, d, 0.0, body)
        hip_n, knee_n, ankle_n, heel_n, toe_n = LEG_NAMES[s]
        sk[ankle_n], sk[heel_n], sk[toe_n] = ankle, heel, toe
        sk[knee_n] = leg_ik(sk[hip_n], ankle, d, body.thigh, body.shin)


def _upright(rng, n, fps, body, *, lean=None, knee_bend: float = 0.02):
    """Pelvis, frames and stance of a standing athlete with natural sway."""
    half, _, dirs = _stance(rng, body, (0.9, 1.6), (0, 20))
    y = body.leg - knee_bend * body.leg + _smooth_noise(rng, n, fps, 0.004)
    pelvis = np.stack([_smooth_noise(rng, n, fps, 0.012), y, _smooth_noise(rng, n, fps, 0.01)], axis=1)
    zero = np.zeros(n)
    pitch = _smooth_noise(rng, n, fps, D(2)) + (lean if lean is not None else 0.0)
    trunk = Frame3.from_angles(pitch, _smooth_noise(rng, n, fps, D(1.5)), _smooth_noise(rng, n, fps, D(3)))
    return pelvis, Frame3.from_angles(zero, zero, zero), trunk, half, dirs


def _jumping_jack(rng, n, fps, body, fault, sev) -> Motion:
    p, _, spans = rep_schedule(
        rng, n, fps, (0.6, 1.3), top_pause_s=(0.0, 0.1), bottom_pause_s=(0.0, 0.05), rom=(0.9, 1.05)
    )
    arm_top = D(rng.uniform(150, 175))
    if fault == "shallow_depth":
        arm_top = D(80 + 20 * (1 - sev))
    feet_out = float(rng.uniform(0.2, 0.4)) * body.height / 1.75
    hop = 0.05 * np.abs(np.sin(np.pi * p))
    pelvis0, pframe, trunk, half, dirs = _upright(rng, n, fps, body, knee_bend=0.03)
    pelvis = pelvis0 + hop[:, None] * UP
    arms = {s: (D(10) + (arm_top - D(10)) * p, D(rng.uniform(80, 95)), D(15), trunk.fwd) for s in SIDES}
    sk = Skeleton(n)
    _assemble(sk, body, pelvis, pframe, trunk, arms)
    for s in SIDES:
        d = _n3(dirs[s], n)
        toe = np.stack([s * (half + feet_out * p), hop * 0.8, np.zeros(n)], axis=1) + 0.75 * body.foot * d
        heel, ankle, toe = foot_on_ground(toe, d, D(10) * hop / 0.05, body)
        hip_n, knee_n, ankle_n, heel_n, toe_n = LEG_NAMES[s]
        sk[ankle_n], sk[heel_n], sk[toe_n] = ankle, heel, toe
        sk[knee_n] = leg_ik(sk[hip_n], ankle, d, body.thigh, body.shin)
    return Motion(sk.array(), p, spans)


def _upper_body(rng, n, fps, body, fault, sev, kind: str) -> Motion:
    rep_s = {"bicep_curl": (1.5, 3.5), "lateral_raise": (1.8, 3.5), "shoulder_press": (1.6, 3.5)}[kind]
    p, idx, spans = rep_schedule(rng, n, fps, rep_s, top_pause_s=(0.0, 0.8), bottom_pause_s=(0.0, 0.4))
    lean = np.zeros(n)
    if fault == "excessive_trunk_lean":
        # Swinging the weight up: the trunk rocks back with the rep.
        lean = -D(12 + 13 * sev) * p
    pelvis, pframe, trunk, half, dirs = _upright(rng, n, fps, body, lean=lean)
    mode = rng.choice(("both", "alternate", "one")) if kind == "bicep_curl" else "both"
    one_side = int(rng.choice(SIDES))
    arms = {}
    for s in SIDES:
        if mode == "alternate":
            ps = np.where((idx % 2 == 0) == (s == one_side), p, 0.0)
        elif mode == "one":
            ps = p if s == one_side else np.zeros(n)
        else:
            ps = p
        if kind == "bicep_curl":
            # Real curls in MediaPipe's world landmarks (pose cache, front and side views): the elbow
            # angle bottoms out at ~70-80 deg (the forearm foreshortens towards the camera, so the pose
            # model under-reads the flexion) and the upper arm hangs 15-40 deg off the trunk, moving a
            # little forward as the weight comes up.
            elev = D(rng.uniform(5, 25)) + D(rng.uniform(0, 12)) * ps
            if fault == "elbow_drift":
                elev = elev + D(30 + 25 * sev) * ps
            flex = D(rng.uniform(10, 25)) + D(rng.uniform(75, 110)) * ps
            arms[s] = (elev, D(rng.uniform(-10, 30)), flex, trunk.fwd + 0.2 * trunk.up)
        elif kind == "lateral_raise":
            top = D(rng.uniform(80, 100))
            if fault == "shallow_depth":
                top = D(45 + 10 * (1 - sev))
            arms[s] = (
                D(8) + (top - D(8)) * ps,
                D(rng.uniform(65, 90)),
                D(rng.uniform(8, 25)),
                trunk.fwd - trunk.up,
            )
        else:  # shoulder_press: from the rack (hands at the shoulders) to arms overhead
            plane = D(rng.uniform(55, 85))
            if fault == "elbow_drift":
                plane = plane - D(35 + 20 * sev) * (1 - ps)  # elbows drift forward at the bottom
            elev = D(rng.uniform(70, 90)) + D(rng.uniform(75, 95)) * ps
            flex = D(rng.uniform(85, 105)) * (1 - ps) + D(5)
            arms[s] = (elev, plane, flex, trunk.up + 0.1 * trunk.fwd)
    sk = Skeleton(n)
    _assemble(sk, body, pelvis, pframe, trunk, arms)
    _standing_legs(sk, body, n, half, dirs)
    return Motion(sk.array(), p, spans, upper_body=True)


def _gait(rng, n, fps, body, fault, sev, running: bool) -> Motion:
    cadence = float(rng.uniform(150, 195) if running else rng.uniform(95, 125))
    stride_s = 120.0 / cadence
    duty = float(rng.uniform(0.28, 0.45) if running else rng.uniform(0.58, 0.64))
    exc = float(rng.uniform(0.22, 0.36) if running else rng.uniform(0.28, 0.38)) * body.leg / 0.92
    land = exc
    if fault == "overstride":
        land = exc * (1.5 + 0.4 * sev)
    lift = float(rng.uniform(0.2, 0.4) if running else rng.uniform(0.06, 0.12)) * body.leg / 0.92
    lean_base = D(rng.uniform(4, 12) if running else rng.uniform(0, 5))
    if fault == "excessive_trunk_lean":
        lean_base = D(20 + 12 * sev)
    t = np.arange(n) / fps
    phase = (float(rng.uniform(0, 1)) + t / stride_s) % 1.0
    h0 = body.leg * (float(rng.uniform(0.94, 0.97)) if running else 0.975)
    if fault == "overstride":
        h0 = body.leg * 0.975  # a reaching leg lands nearly straight
    bob = (0.035 if running else 0.02) * np.cos(4 * np.pi * (phase - duty / 2))
    pelvis = np.stack([np.zeros(n), h0 - (bob if running else -bob), np.zeros(n)], axis=1)
    zero = np.zeros(n)
    trunk = Frame3.from_angles(
        lean_base + D(2) * np.sin(4 * np.pi * phase), zero, D(4) * np.sin(2 * np.pi * phase)
    )
    arms = {}
    for s in SIDES:
        off = 0.0 if s == 1 else 0.5
        u = (phase - off) % 1.0
        swing = D(35 if running else 20) * -np.cos(2 * np.pi * (u - duty / 2))
        # Walkers' arms hang with the elbows a little bent (real side views: ~135-165 deg).
        elbow = D(rng.uniform(75, 100)) if running else D(rng.uniform(15, 45))
        arms[-s] = (swing, D(5), elbow, trunk.fwd + 0.3 * trunk.up)  # arms swing against their own leg
    sk = Skeleton(n)
    _assemble(
        sk, body, pelvis, Frame3.from_angles(zero, zero, zero), trunk, arms, head_pitch=-0.5 * lean_base
    )
    half = body.hip_half * 0.9
    for s in SIDES:
        off = 0.0 if s == 1 else 0.5
        u = (phase - off) % 1.0
        st = u < duty
        a = np.where(st, u / duty, 0.0)
        sw = np.where(st, 0.0, (u - duty) / (1 - duty))
        z = np.where(st, land - (land + exc) * a, -exc + (land + exc) * 0.5 * (1 - np.cos(np.pi * sw)))
        clearance = np.where(st, 0.0, lift * np.sin(np.pi * np.clip(sw, 0, 1) ** 0.7))
        # Foot pitch (toes down +): landing near flat, push-off through the toes, toes still pointing down
        # early in swing, as runners' feet do.
        push = D(40 if running else 25)
        pitch = np.where(st, D(-5) * (1 - a) + push * np.clip(a - 0.6, 0, 1) / 0.4, push * (1 - sw))
        ankle = np.stack(
            [np.full(n, s * half), body.ankle_height + clearance + 0.03 * np.abs(np.sin(pitch)), z], axis=1
        )
        heel, toe = foot_from_ankle(ankle, _n3(FWD, n), pitch, body)
        hip_n, knee_n, ankle_n, heel_n, toe_n = LEG_NAMES[s]
        sk[ankle_n], sk[heel_n], sk[toe_n] = ankle, heel, toe
        sk[knee_n] = leg_ik(sk[hip_n], ankle, _n3(FWD, n), body.thigh, body.shin)
    wraps = [0, *[int(i) for i in np.where(np.diff(phase) < 0)[0] + 1], n]
    spans = tuple((a, b - 1) for a, b in zip(wraps[1:-2], wraps[2:-1], strict=True))
    return Motion(sk.array(), phase, spans)


def _keyframes(
    rng: np.random.Generator, n: int, fps: float, lo: float, hi: float, every_s: tuple[float, float]
) -> np.ndarray:
    """A smooth, aperiodic trajectory through random values at random times (smoothstep between knots)."""
    times = [0.0]
    while times[-1] < n / fps:
        times.append(times[-1] + float(rng.uniform(*every_s)))
    vals = rng.uniform(lo, hi, len(times))
    t = np.arange(n) / fps
    i = np.clip(np.searchsorted(times, t, side="right") - 1, 0, len(times) - 2)
    f = (t - np.asarray(times)[i]) / (np.asarray(times)[i + 1] - np.asarray(times)[i])
    f = f * f * (3 - 2 * f)
    return vals[i] * (1 - f) + vals[i + 1] * f


def _idle(rng, n, fps, body, fault, sev) -> Motion:
    pelvis, pframe, trunk, half, dirs = _upright(rng, n, fps, body)
    carriage = _random_carriage(rng, ("sides", "sides", "hips", "crossed"))
    arms = {}
    for s in SIDES:
        jitter = _smooth_noise(rng, n, fps, D(4), 1.5)
        arms[s] = (
            carriage.elevation + jitter,
            carriage.plane,
            carriage.elbow + jitter,
            _bend_vector(carriage.bend, trunk, s),
        )
    sk = Skeleton(n)
    _assemble(sk, body, pelvis, pframe, trunk, arms, head_pitch=_smooth_noise(rng, n, fps, D(6)))
    _standing_legs(sk, body, n, half, dirs)
    return Motion(sk.array(), np.zeros(n), ())


def _gym_other(rng, n, fps, body) -> Motion:
    """Rhythmic gym exercises outside the catalogue, so "other" is not only everyday movement: tricep
    pushdown (upper arm fixed at the side, elbow from ~90 deg at chest height to straight, trunk a little
    forward), overhead tricep extension and calf raises."""
    kind = rng.choice(("pushdown", "pushdown", "overhead_extension", "calf_raise"))
    p, _, spans = rep_schedule(rng, n, fps, (1.2, 3.0), top_pause_s=(0.0, 0.6), bottom_pause_s=(0.0, 0.3))
    lean = D(rng.uniform(10, 25)) if kind == "pushdown" else 0.0
    pelvis, pframe, trunk, half, dirs = _upright(rng, n, fps, body, lean=lean)
    arms = {}
    for s in SIDES:
        if kind == "pushdown":
            flex = D(rng.uniform(85, 110)) * (1 - p) + D(rng.uniform(0, 12))
            arms[s] = (D(rng.uniform(5, 20)), D(rng.uniform(-5, 15)), flex, trunk.fwd + 0.5 * trunk.up)
        elif kind == "overhead_extension":
            flex = D(rng.uniform(120, 150)) * p + D(rng.uniform(5, 15))
            arms[s] = (D(rng.uniform(155, 175)), D(rng.uniform(0, 20)), flex, -trunk.fwd)
        else:
            arms[s] = (D(rng.uniform(5, 15)), D(60), D(rng.uniform(5, 30)), trunk.fwd)
    sk = Skeleton(n)
    if kind == "calf_raise":
        rise = body.foot * 0.6 * np.sin(D(25) * p)
        pelvis = pelvis + rise[:, None] * UP
    _assemble(sk, body, pelvis, pframe, trunk, arms)
    for s in SIDES:
        d = _n3(dirs[s], n)
        toe = np.array([s * half, 0.0, 0.0]) + 0.75 * body.foot * d
        heel, ankle, toe = foot_on_ground(toe, d, D(25) * p if kind == "calf_raise" else 0.0, body)
        hip_n, knee_n, ankle_n, heel_n, toe_n = LEG_NAMES[s]
        sk[ankle_n], sk[heel_n], sk[toe_n] = ankle, heel, toe
        sk[knee_n] = leg_ik(sk[hip_n], ankle, d, body.thigh, body.shin)
    return Motion(sk.array(), np.zeros(n), (), upper_body=kind != "calf_raise")


def _other(rng, n, fps, body, fault, sev) -> Motion:
    """Everyday, non-exercise movement: reaching, turning, bending, stepping, gesturing, irregular timing;
    a third of the clips are gym exercises outside the catalogue (`_gym_other`)."""
    if rng.random() < 0.33:
        return _gym_other(rng, n, fps, body)
    every = (0.5, 1.8)
    pitch = _keyframes(rng, n, fps, D(-10), D(rng.choice([15, 40, 70])), every)
    roll = _keyframes(rng, n, fps, D(-15), D(15), every)
    twist = _keyframes(rng, n, fps, D(-40), D(40), every)
    crouch = _keyframes(rng, n, fps, 0.0, float(rng.choice([0.02, 0.08, 0.2])), every) * body.leg
    px = _keyframes(rng, n, fps, -0.25, 0.25, (1.0, 3.0))
    pz = _keyframes(rng, n, fps, -0.25, 0.25, (1.0, 3.0))
    turn = _keyframes(rng, n, fps, D(-60), D(60), (1.5, 4.0)) if rng.random() < 0.5 else np.zeros(n)
    world_up = _n3(UP, n)
    pframe = Frame3.from_angles(np.zeros(n), np.zeros(n), turn)
    trunk = Frame3.from_angles(pitch, roll, twist + turn)
    pelvis = np.stack([px, body.leg - 0.02 - crouch, pz], axis=1)
    arms = {}
    for s in SIDES:
        arms[s] = (
            _keyframes(rng, n, fps, D(-30), D(rng.choice([60, 120, 170])), every),
            _keyframes(rng, n, fps, D(-20), D(100), every),
            _keyframes(rng, n, fps, 0.0, D(150), every),
            trunk.fwd + _keyframes(rng, n, fps, -1, 1, every)[:, None] * trunk.up,
        )
    sk = Skeleton(n)
    _assemble(sk, body, pelvis, pframe, trunk, arms, head_pitch=_keyframes(rng, n, fps, D(-20), D(30), every))
    half = body.hip_half * float(rng.uniform(0.9, 1.8))
    # Feet mostly follow the pelvis (shuffling steps), sometimes one leg lifts.
    for s in SIDES:
        fx = px + s * half * np.cos(turn) + _keyframes(rng, n, fps, -0.05, 0.05, (0.8, 2.0))
        fz = pz - s * half * np.sin(turn) + _keyframes(rng, n, fps, -0.15, 0.15, (0.8, 2.0))
        raise_ = _keyframes(rng, n, fps, 0.0, 0.25, (0.6, 2.0)) * (rng.random() < 0.3)
        d = rotate(_n3(FWD, n), world_up, turn)
        toe = np.stack([fx, raise_, fz], axis=1) + 0.75 * body.foot * d
        heel, ankle, toe = foot_on_ground(toe, d, 0.0, body)
        hip_n, knee_n, ankle_n, heel_n, toe_n = LEG_NAMES[s]
        sk[ankle_n], sk[heel_n], sk[toe_n] = ankle, heel, toe
        sk[knee_n] = leg_ik(sk[hip_n], ankle, d, body.thigh, body.shin)
    return Motion(sk.array(), np.zeros(n), ())


MotionFn = Callable[[np.random.Generator, int, float, Body, "str | None", float], Motion]
MOTIONS: dict[str, MotionFn] = {
    "squat": _squat,
    "deadlift": _deadlift,
    "pushup": _pushup,
    "lunge": _lunge,
    "jumping_jack": _jumping_jack,
    "bicep_curl": lambda *a: _upper_body(*a, kind="bicep_curl"),
    "lateral_raise": lambda *a: _upper_body(*a, kind="lateral_raise"),
    "shoulder_press": lambda *a: _upper_body(*a, kind="shoulder_press"),
    "running": lambda *a: _gait(*a, running=True),
    "walking": lambda *a: _gait(*a, running=False),
    "idle": _idle,
    "other": _other,
}
