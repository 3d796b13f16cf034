"""Offline gait analysis of a whole clip: stream a `PoseTrack` through `GaitEngine` and summarise.

`analyze_gait(track, activity).to_json()` is the `gait` object of `coach analyze --json`. Pass the track the
live engine would see (the smoothed one) so offline and live give the same events.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from coach.analysis.track import PoseTrack
from coach.gait.compare import cosine_similarity, dtw_distance, phase_ranges, phase_z_scores
from coach.gait.engine import METRICS, Cycle, GaitEngine
from coach.gait.reference import JOINTS, ReferenceProfile, default_reference
from coach.gait.types import EventKind, GaitEvent
from coach.gait.vertical import supports_front_view
from coach.kinematics.view import View, clip_view, estimate_yaw
from coach.pose.types import PoseSample

# Step rates a person can produce, steps per real minute. A clip outside them was measured wrongly, or is
# slow motion played without its time scale. Running: an easy jog ~140 to elite sprinting ~300 (Weyand et
# al., J Appl Physiol 89:1991-1999, 2000, report step frequencies up to ~5 Hz); walking: ~60-150 spm.
PLAUSIBLE_CADENCE_SPM = {"running": (120.0, 320.0), "walking": (50.0, 160.0)}
# Running duty factors run from ~20 % (sprinting) to ~50 % (slow jogging); outside that the contacts or toe
# offs were not seen.
PLAUSIBLE_DUTY_PCT = {"running": (15.0, 55.0), "walking": (50.0, 75.0)}
MIN_STEPS = 8  # fewer measured steps give no reliable rolling figure
# Share of consecutive contacts within -25 %/+33 % of the median step that a steady gait reaches. Step
# times themselves jitter by a frame or two (touchdown is refined to the frame), so their spread is no test;
# a missed or doubled contact, another person or a cut instead puts a gap far outside that band.
MIN_REGULAR_SHARE = 0.7

PHASE_WORDS = {
    "initial_contact": "at landing",
    "mid_stance": "in mid stance",
    "toe_off": "at push-off",
    "swing": "during the swing",
}
JOINT_WORDS = {  # (more, less) than the reference
    "knee_flexion": ("your knee is more bent", "your knee is straighter"),
    "hip_flexion": ("your thigh is further forward", "your thigh is further behind you"),
    "ankle_dorsiflexion": ("your toes are pulled up more", "your foot points down more"),
}


def iter_samples(track: PoseTrack) -> Iterator[PoseSample]:
    """The `PoseSample` stream of a track, frame by frame (frames without a pose give `pose=None`)."""
    for i in range(len(track)):
        yield PoseSample(
            t=float(track.media_ts[i]), frame_index=int(track.frame_index[i]), pose=track.pose_at(i)
        )


@dataclass(frozen=True, slots=True)
class MetricSummary:
    median: float
    spread: float  # interquartile range
    unit: str
    view_requirement: str
    n: int


@dataclass(frozen=True, slots=True)
class PhaseDeviation:
    """The largest per-phase deviation from the reference, in a runner's words."""

    phase: str
    joint: str
    z: float
    difference_deg: float
    cosine: float  # whole-cycle shape agreement of that joint
    dtw_deg: float
    message: str


@dataclass(frozen=True, slots=True)
class GaitQuality:
    """How far the clip's figures can be trusted: `confidence` "ok" or "low", and why, in words.

    Low confidence means the numbers are printed for inspection only; a coach should not act on them.
    """

    confidence: str
    view: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GaitAnalysis:
    activity: str
    cadence_spm: float
    steps: int
    metrics: dict[str, MetricSummary]
    events: tuple[GaitEvent, ...]
    cycles: tuple[Cycle, ...]
    phase_deviations: tuple[PhaseDeviation, ...]
    quality: GaitQuality = GaitQuality("ok", View.UNKNOWN.value)

    def steps_json(self) -> list[dict[str, Any]]:
        """Per-step events: each contact with its toe off (None when unseen), confirmed when."""
        out = []
        tos = [e for e in self.events if e.kind is EventKind.TOE_OFF]
        for ic in (e for e in self.events if e.kind is EventKind.INITIAL_CONTACT):
            to = next((e for e in tos if e.foot is ic.foot and e.t > ic.t), None)
            nxt = next(
                (
                    e
                    for e in self.events
                    if e.kind is EventKind.INITIAL_CONTACT and e.foot is ic.foot and e.t > ic.t
                ),
                None,
            )
            if to is not None and nxt is not None and to.t > nxt.t:
                to = None
            last = to if to is not None else ic
            out.append(
                {
                    "foot": ic.foot.value,
                    "ic_s": _num(ic.t, 4),
                    "to_s": _num(to.t, 4) if to is not None else None,
                    "confirmed_at_s": _num(last.confirmed_at, 4),
                    "confirm_delay_ms": _num(1000 * max(ic.confirm_delay_s, last.confirm_delay_s), 1),
                }
            )
        return out

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types only; NaN becomes None."""
        return {
            "activity": self.activity,
            "cadence_spm": _num(self.cadence_spm, 1),
            "steps": self.steps,
            "confidence": self.quality.confidence,
            "view": self.quality.view,
            "warnings": list(self.quality.warnings),
            "metrics": {
                k: {
                    "median": _num(m.median, 3),
                    "spread": _num(m.spread, 3),
                    "unit": m.unit,
                    "view_requirement": m.view_requirement,
                }
                for k, m in self.metrics.items()
            },
            "events": self.steps_json(),
            "phase_deviations": [
                {
                    "phase": d.phase,
                    "joint": d.joint,
                    "z": _num(d.z, 2),
                    "difference_deg": _num(d.difference_deg, 1),
                    "cosine": _num(d.cosine, 3),
                    "dtw_deg": _num(d.dtw_deg, 2),
                    "message": d.message,
                }
                for d in self.phase_deviations
            ],
        }


def _num(x: float | None, digits: int = 3) -> float | None:
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), digits)


def _summaries(engine: GaitEngine) -> dict[str, MetricSummary]:
    out: dict[str, MetricSummary] = {}
    for name, spec in METRICS.items():
        if engine.activity not in spec.activities:
            continue
        if name == "cadence":
            out[name] = _cadence(engine, spec.unit, spec.view_requirement)
            continue
        if name == "step_time_asymmetry":
            v = engine.step_time_asymmetry()
            out[name] = MetricSummary(
                v, math.nan, spec.unit, spec.view_requirement, 0 if math.isnan(v) else 1
            )
            continue
        s = engine.metric_series(name)
        if len(s):
            q1, med, q3 = np.percentile(s, [25, 50, 75])
            out[name] = MetricSummary(
                float(med), float(q3 - q1), spec.unit, spec.view_requirement, len(s)
            )
        else:
            out[name] = MetricSummary(math.nan, math.nan, spec.unit, spec.view_requirement, 0)
    return out


def _cadence(engine: GaitEngine, unit: str, view: str) -> MetricSummary:
    """Cadence from the mean stride between contacts of the same foot (strides beyond 0.6-1.6x the median
    dropped), falling back on the mean step time when there are too few contacts for strides.

    Not the median of per-step cadences: each step time is a whole number of frames, so at 30 fps a
    170 spm runner has steps of 10 or 11 frames and the median snaps to 164 or 180 spm; a mean of many
    intervals averages the quantisation away. Strides rather than steps: in side and oblique views the near
    and the far foot's touchdowns are timed with opposite small biases, so steps alternate short and long;
    an outlier filter on single steps keeps one half of such a pair and drops the other, which moves the
    mean with the frame rate (1.7 spm between 25 and 50 fps on a treadmill clip), while a stride from a
    contact to the next contact of the same foot holds both halves.
    """
    s = engine.metric_series("step_time")
    if not len(s):
        return MetricSummary(math.nan, math.nan, unit, view, 0)
    med = float(np.median(s))
    kept = s[(s > 0.6 * med) & (s < 1.6 * med)]
    if not len(kept):  # two step times too far apart to agree on a median
        return MetricSummary(math.nan, math.nan, unit, view, 0)
    per_step = 60000.0 / kept
    q1, q3 = np.percentile(per_step, [25, 75])
    spread = float(q3 - q1)
    ics = np.array([e.t for e in engine.events if e.kind is EventKind.INITIAL_CONTACT])
    steps = np.diff(ics)
    # A stride with a missed contact inside (a step over 1.6 typical steps) is not one stride.
    whole = (steps[:-1] < 1.6 * med / 1000.0) & (steps[1:] < 1.6 * med / 1000.0)
    strides = (ics[2:] - ics[:-2])[whole]
    if len(strides) >= 3:
        med_stride = float(np.median(strides))
        good = strides[(strides > 0.6 * med_stride) & (strides < 1.6 * med_stride)]
        if len(good):
            return MetricSummary(120.0 / float(good.mean()), spread, unit, view, len(kept))
    return MetricSummary(60000.0 / float(kept.mean()), spread, unit, view, len(kept))


def compare_cycles(cycles: list[Cycle], reference: ReferenceProfile) -> tuple[PhaseDeviation, ...]:
    """Per phase, the joint whose mean curve deviates most from `reference` (largest |z|)."""
    if not cycles:
        return ()
    phases = phase_ranges(reference.toe_off_pct)
    per_joint = {}
    for j in JOINTS:
        if j not in reference.mean:
            continue
        c = np.array([cy.curves[j] for cy in cycles])
        c = c[np.isfinite(c).all(axis=1)]
        if not len(c):
            continue
        mean = c.mean(axis=0)
        per_joint[j] = (
            mean,
            phase_z_scores(mean, reference.mean[j], reference.sd[j], phases),
            cosine_similarity(mean, reference.mean[j]),
            dtw_distance(mean, reference.mean[j]),
        )
    out = []
    for phase, (a, b) in phases.items():
        best = max(per_joint, key=lambda j: abs(per_joint[j][1][phase]), default=None)
        if best is None:
            continue
        mean, zs, cos, dtw = per_joint[best]
        z = zs[phase]
        diff = float(np.mean(mean[a:b] - reference.mean[best][a:b]))
        if abs(z) < 1.0:
            msg = f"{PHASE_WORDS[phase].capitalize()} your joint angles are close to the reference."
        else:
            words = JOINT_WORDS[best][0 if diff > 0 else 1]
            msg = f"{PHASE_WORDS[phase].capitalize()} {words} than the reference (by about {abs(diff):.0f}°)."
        out.append(PhaseDeviation(phase, best, z, diff, cos, dtw, msg))
    return tuple(out)


def _alternates(events: tuple[GaitEvent, ...], max_step_ratio: float = 1.6) -> bool:
    """True when every two contacts less than `max_step_ratio` median steps apart are on different feet."""
    ics = [e for e in events if e.kind is EventKind.INITIAL_CONTACT]
    if len(ics) < 2:
        return False
    gaps = sorted(b.t - a.t for a, b in zip(ics, ics[1:], strict=False))
    typical = gaps[len(gaps) // 2]
    return all(
        a.foot is not b.foot
        for a, b in zip(ics, ics[1:], strict=False)
        if b.t - a.t < max_step_ratio * typical
    )


def assess_quality(
    activity: str,
    view: View,
    cadence: MetricSummary,
    duty_factor: MetricSummary | None,
    events: tuple[GaitEvent, ...],
    time_scale: float,
) -> GaitQuality:
    """Plausibility checks on a clip's result; each failed check adds a warning and lowers confidence.

    Only physiology and internal consistency are checked (never a clip's expected value): enough steps,
    regular steps, alternating feet, a cadence and a duty factor a human can produce at this time scale.
    """
    warnings: list[str] = []
    if cadence.n < MIN_STEPS:
        warnings.append(f"only {cadence.n} steps measured (need {MIN_STEPS}): figures are unreliable")
    ics = np.array([e.t for e in events if e.kind is EventKind.INITIAL_CONTACT])
    if len(ics) >= 3:
        gaps = np.diff(ics)
        typical = float(np.median(gaps))
        regular = float(np.mean((gaps > 0.75 * typical) & (gaps < 1.33 * typical)))
        if regular < MIN_REGULAR_SHARE:
            warnings.append(
                f"steps are irregular (only {100 * regular:.0f} % near the typical step): several people, "
                "camera cuts, slow motion or a poorly tracked runner?"
            )
    lo, hi = PLAUSIBLE_CADENCE_SPM[activity]
    if math.isfinite(cadence.median) and not lo <= cadence.median <= hi:
        hint = (
            "; slow-motion footage needs --time-scale"
            if cadence.median < lo and time_scale == 1.0
            else ""
        )
        warnings.append(f"cadence {cadence.median:.0f} spm is implausible for {activity}{hint}")
    if duty_factor is not None and math.isfinite(duty_factor.median):
        lo, hi = PLAUSIBLE_DUTY_PCT[activity]
        if not lo <= duty_factor.median <= hi:
            warnings.append(
                f"duty factor {duty_factor.median:.0f} % is implausible for {activity}: "
                "contacts or toe offs were missed"
            )
    if sum(e.kind is EventKind.INITIAL_CONTACT for e in events) >= 2 and not _alternates(events):
        warnings.append("left and right contacts do not alternate")
    return GaitQuality("low" if warnings else "ok", view.value, tuple(warnings))


def analyze_gait(
    track: PoseTrack,
    activity: str,
    *,
    time_scale: float = 1.0,
    runner_height_m: float | None = None,
    reference: ReferenceProfile | None = None,
    view: View | None = None,
) -> GaitAnalysis:
    """Stream every frame of `track` through a `GaitEngine` and summarise the clip.

    `time_scale` is how many times slower than real time the footage plays (4.0 for 4x slow motion);
    `reference` defaults to the shipped profile for the activity (none for walking). `view` is the clip's
    view, estimated from the track when not given. A runner filmed from the front gets events from the feet's
    heights (`coach.gait.vertical`): timing metrics and vertical oscillation, but no sagittal metrics or
    phases. A walker filmed from the front gets only a warning (see `supports_front_view`).
    """
    if view is None:
        view = clip_view(estimate_yaw(track.landmarks, track.world, track.image_size))
    if view is View.FRONT and not supports_front_view(activity):
        empty = {
            name: MetricSummary(math.nan, math.nan, spec.unit, spec.view_requirement, 0)
            for name, spec in METRICS.items()
            if activity in spec.activities
        }
        quality = GaitQuality(
            "low",
            view.value,
            (f"{activity} needs a side or oblique view: this clip is filmed from the front",),
        )
        return GaitAnalysis(activity, math.nan, 0, empty, (), (), (), quality)
    engine = GaitEngine(
        activity, time_scale=time_scale, runner_height_m=runner_height_m, front_view=view is View.FRONT
    )
    for sample in iter_samples(track):
        engine.update(sample)
    metrics = _summaries(engine)
    ref = reference if reference is not None else default_reference(activity)
    deviations = compare_cycles(engine.cycles, ref) if ref is not None else ()
    steps = sum(1 for e in engine.events if e.kind is EventKind.INITIAL_CONTACT)
    events = tuple(engine.events)
    quality = assess_quality(
        activity, view, metrics["cadence"], metrics.get("duty_factor"), events, time_scale
    )
    return GaitAnalysis(
        activity=activity,
        cadence_spm=metrics["cadence"].median,
        steps=steps,
        metrics=metrics,
        events=events,
        cycles=tuple(engine.cycles),
        phase_deviations=deviations,
        quality=quality,
    )
