"""The rule-based written summary: the offline fallback, and what a coach gets when GPT is not opted in.

`rule_based_summary(summary)` turns the numbers-only summary of `coach.feedback.summary_input` into a few
plain sentences: what went well, the main fault and the reps it occurred in, tempo and fatigue (velocity
loss), and one concrete cue for the next set; for a run: cadence against the usual 170-180 steps/min,
ground contact time, overstride, and the largest per-phase deviation from the reference. Every figure in
the text comes from the summary. Pure; any thread.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from coach.gait.analyze import JOINT_WORDS, PHASE_WORDS

__all__ = ["format_reps", "rule_based_summary"]

# Velocity-based-training conventions: under ~10 % loss the set is far from failure; past ~20 % most
# programmes end the set, because further reps are slow grinders that mostly add fatigue.
VELOCITY_LOSS_SOME = 10.0
VELOCITY_LOSS_HIGH = 20.0
TEMPO_STEADY_SPREAD_PCT = 10.0  # reps within ~10 % of each other in duration read as one rhythm

CADENCE_RANGE = (170.0, 180.0)  # the usual recreational-to-trained running band, steps/min
CADENCE_LOW = 160.0
CADENCE_HIGH = 190.0
CONTACT_LONG_MS = 300.0  # beyond this ground contact is long for running at any easy pace
CONTACT_SHORT_MS = 220.0
OVERSTRIDE_HIGH = 0.4  # leg lengths; the live cue policy's default (`coach.cues.policy`)
PHASE_Z_NOTABLE = 1.0  # |z| below this: within the reference's normal spread


def rule_based_summary(summary: Mapping[str, Any]) -> str:
    """A few sentences about the set and/or run in `summary`; never raises on missing figures."""
    parts = []
    if isinstance(summary.get("set"), Mapping):
        parts.append(_set_text(summary["set"]))
    if isinstance(summary.get("run"), Mapping):
        parts.append(_run_text(summary["run"]))
    if not parts:
        return "No reps or running steps were found, so there is nothing to summarise yet."
    return "\n\n".join(parts)


# -- sets ---------------------------------------------------------------------------------------------------
def _set_text(s: Mapping[str, Any]) -> str:
    exercise = _human(s.get("exercise") or "the exercise")
    reps, partial = s.get("reps") or 0, s.get("partial_reps") or 0
    rows = [r for r in s.get("per_rep") or [] if isinstance(r, Mapping)]
    opening = f"{exercise.capitalize()}: {_count(reps, 'rep')}"
    if partial:
        partial_reps = [r["rep"] for r in rows if r.get("partial")]
        where = f" ({format_reps(partial_reps)})" if partial_reps else ""
        opening += f" and {_count(partial, 'partial rep')}{where}"
    sentences = [opening + "."]
    if not rows:
        return " ".join(sentences)
    faults = [f for f in s.get("faults") or [] if isinstance(f, Mapping) and f.get("reps")]
    tempo = s.get("tempo") or {}
    good = _went_well(s, faults, tempo)
    if good:
        sentences.append("Went well: " + "; ".join(good) + ".")
    if faults:
        main = faults[0]
        sentences.append(
            f"Main fault: {_human(main['rule'])}{_quoted_cue(main)} in {format_reps(main['reps'])} "
            f"({main['count']} of {len(rows)})."
        )
        others = [f"{_human(f['rule'])} in {format_reps(f['reps'])}" for f in faults[1:3]]
        if others:
            sentences.append("Also seen: " + "; ".join(others) + ".")
    elif s.get("rules_checked"):
        sentences.append(
            f"No form faults were flagged by the {len(s['rules_checked'])} checks for this view."
        )
    fatigue = _fatigue(tempo)
    if fatigue:
        sentences.append(fatigue)
    anomaly = _anomaly_sentence(s.get("anomaly"))
    if anomaly:
        sentences.append(anomaly)
    sentences.append(_set_cue(faults, tempo))
    return " ".join(sentences)


def _went_well(
    s: Mapping[str, Any], faults: Sequence[Mapping[str, Any]], tempo: Mapping[str, Any]
) -> list[str]:
    good = []
    fired = {f["rule"] for f in faults}
    clean = [r for r in s.get("rules_checked") or [] if r not in fired]
    if clean:
        good.append("no " + _join([_human(r) for r in clean]) + " flagged")
    spread = tempo.get("duration_spread_pct")
    if spread is not None and spread <= TEMPO_STEADY_SPREAD_PCT:
        good.append(f"a steady rhythm (rep durations varied by only {spread:.0f}%)")
    loss = tempo.get("max_velocity_loss_pct")
    if loss is not None and loss < VELOCITY_LOSS_SOME:
        good.append(f"speed held up (at most {loss:.0f}% slower than the fastest rep)")
    return good


def _fatigue(tempo: Mapping[str, Any]) -> str | None:
    mean, ecc, con = (tempo.get(k) for k in ("mean_duration_s", "mean_eccentric_s", "mean_concentric_s"))
    text = ""
    if mean is not None:
        text = f"Tempo: {mean:.2f} s per rep"
        if ecc is not None and con is not None:
            text += f" ({ecc:.2f} s down, {con:.2f} s up)"
        text += "."
    loss, rep, last = (
        tempo.get(k) for k in ("max_velocity_loss_pct", "max_velocity_loss_rep", "last_velocity_loss_pct")
    )
    if loss is None:
        return text or None
    where = f" in rep {rep}" if rep is not None else ""
    tail = f", {last:.0f}% on the last rep" if last is not None and last != loss else ""
    if loss >= VELOCITY_LOSS_HIGH:
        verdict = "the set was getting close to fatigue"
    elif loss >= VELOCITY_LOSS_SOME:
        verdict = "some slowing, but no real sign of fatigue"
    else:
        verdict = "no sign of fatigue"
    return f"{text} Velocity loss peaked at {loss:.0f}%{where}{tail}: {verdict}.".strip()


def _anomaly_sentence(a: Any) -> str | None:
    if not isinstance(a, Mapping) or not a.get("flagged_reps"):
        return None
    flagged = a["flagged_reps"]
    text = f"The movement model found {format_reps(flagged)} unlike its good reps"
    joints = [j["joint"] for j in a.get("top_joints") or [] if isinstance(j, Mapping)]
    if joints:
        text += f", mostly at the {_join(joints[:2])}"
    phases = [p["phase"] for p in a.get("phases") or [] if isinstance(p, Mapping)]
    if phases:
        text += f" ({phases[0]})"
    return text + "."


def _set_cue(faults: Sequence[Mapping[str, Any]], tempo: Mapping[str, Any]) -> str:
    loss = tempo.get("max_velocity_loss_pct")
    if faults and faults[0].get("cue"):
        return (
            f'Cue for the next set: "{faults[0]["cue"]}" (it showed up in {format_reps(faults[0]["reps"])}).'
        )
    if loss is not None and loss >= VELOCITY_LOSS_HIGH:
        return (
            f"Cue for the next set: end the set when reps slow by about {VELOCITY_LOSS_HIGH:.0f}%, "
            "or rest longer."
        )
    return "Cue for the next set: keep the same depth and rhythm."


# -- runs ---------------------------------------------------------------------------------------------------
def _run_text(r: Mapping[str, Any]) -> str:
    metrics = r.get("metrics") or {}
    activity = _human(r.get("activity") or "running")
    steps = r.get("steps")
    cadence = r.get("cadence_spm")
    lo, hi = CADENCE_RANGE
    head = f"{activity.capitalize()}: {_count(steps, 'step')}" if steps is not None else activity.capitalize()
    sentences = []
    good, cue = [], None
    if cadence is not None:
        if cadence < CADENCE_LOW:
            verdict = f"well below the usual {lo:.0f}-{hi:.0f}"
            cue = f"quicker, shorter steps: aim for about {cadence * 1.05:.0f} steps/min (+5%)"
        elif cadence < lo:
            verdict = f"a little below the usual {lo:.0f}-{hi:.0f}"
            cue = f"slightly quicker steps: about {cadence * 1.05:.0f} steps/min (+5%)"
        elif cadence <= CADENCE_HIGH:
            verdict = f"in the usual {lo:.0f}-{hi:.0f} range or close to it"
            good.append(f"cadence {cadence:.0f} steps/min")
        else:
            verdict = "high, which suits fast running"
        sentences.append(f"{head}, cadence {cadence:.0f} steps/min ({verdict}).")
    else:
        sentences.append(f"{head}; cadence could not be measured.")
    contact = _median(metrics, "ground_contact_time_ms")
    duty = _median(metrics, "duty_factor_pct")
    if contact is not None:
        text = f"Ground contact {contact:.0f} ms"
        if duty is not None:
            text += f" (on the ground {duty:.0f}% of each stride)"
        if contact > CONTACT_LONG_MS:
            text += ": long, the foot stays down a while"
        elif contact < CONTACT_SHORT_MS:
            text += ": short and springy"
            good.append("short ground contact")
        sentences.append(text + ".")
    over = _median(metrics, "overstride_leg_lengths")
    if over is not None:
        if over > OVERSTRIDE_HIGH:
            sentences.append(f"The foot lands well ahead of the hips ({over:.2f} leg lengths): overstriding.")
            cue = "land with the foot closer under your hips"
        else:
            sentences.append(f"The foot lands {over:.2f} leg lengths ahead of the hips, not overstriding.")
    osc = _median(metrics, "vertical_oscillation_cm")
    osc_ll = _median(metrics, "vertical_oscillation_leg_lengths")
    if osc is not None:
        sentences.append(f"Vertical oscillation {osc:.1f} cm.")
    elif osc_ll is not None:
        sentences.append(f"Vertical oscillation {osc_ll:.2f} leg lengths.")
    deviation = next(iter(r.get("phase_deviations") or []), None)
    if isinstance(deviation, Mapping) and abs(deviation["z"]) >= PHASE_Z_NOTABLE:
        sentences.append("Biggest difference from the reference: " + _deviation_words(deviation) + ".")
        if cue is None:
            cue = _deviation_cue(deviation)
    elif isinstance(deviation, Mapping):
        good.append("joint angles close to the reference in every phase")
    if good:
        sentences.insert(1, "Went well: " + _join(good) + ".")
    strides = _stride_sentence(r.get("stride_anomaly"))
    if strides:
        sentences.append(strides)
    if r.get("confidence") == "low":
        sentences.append("Tracking confidence was low, so treat these figures as rough.")
    sentences.append(f"Cue for the next run: {cue or 'keep this rhythm'}.")
    return " ".join(sentences)


def _stride_sentence(a: Any) -> str | None:
    """How many strides the movement model found unlike its good strides, and where (None: none scored)."""
    if not isinstance(a, Mapping) or not a.get("scored_strides"):
        return None
    flagged, scored = a.get("flagged_strides") or 0, a["scored_strides"]
    if not flagged:
        return f"No stride looked unlike the movement model's good strides ({scored} scored)."
    text = f"The movement model found {flagged} of {_count(scored, 'stride')} unlike its good strides"
    joints = [j["joint"] for j in a.get("top_joints") or [] if isinstance(j, Mapping)]
    if joints:
        text += f", mostly at the {_join(joints[:2])}"
    return text + "."


def _deviation_words(d: Mapping[str, Any]) -> str:
    phase = PHASE_WORDS.get(d["phase"], _human(d["phase"]))
    diff = d.get("difference_deg")
    words = JOINT_WORDS.get(d["joint"])
    if words is not None and diff is not None:
        what = words[0 if diff > 0 else 1]
        return f"{phase} {what} than the reference (by about {abs(diff):.0f}°, z {d['z']:+.1f})"
    return f"{phase} the {_human(d['joint'])} differs from the reference (z {d['z']:+.1f})"


def _deviation_cue(d: Mapping[str, Any]) -> str:
    diff = d.get("difference_deg") or 0.0
    if d["joint"] == "knee_flexion":
        return (
            "a softer knee at landing"
            if d["phase"] == "initial_contact" and diff < 0
            else ("let the heel come up behind you in the swing" if diff < 0 else "a little less knee bend")
        )
    if d["joint"] == "hip_flexion":
        return "drive the knee forward" if diff < 0 else "push back through the hip"
    return "land with the foot flatter under you"


# -- words --------------------------------------------------------------------------------------------------
def format_reps(reps: Sequence[int]) -> str:
    """'rep 3', 'reps 2, 4 and 5', 'reps 1-4' (runs of three or more consecutive reps as a range)."""
    nums = sorted(set(int(n) for n in reps))
    if not nums:
        return "no reps"
    groups: list[list[int]] = [[nums[0]]]
    for n in nums[1:]:
        if n == groups[-1][-1] + 1:
            groups[-1].append(n)
        else:
            groups.append([n])
    items: list[str] = []
    for g in groups:
        if len(g) >= 3:
            items.append(f"{g[0]}-{g[-1]}")
        else:
            items.extend(str(n) for n in g)
    label = "rep" if len(nums) == 1 else "reps"
    return f"{label} {_join(items)}"


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _human(name: str) -> str:
    return str(name).replace("_", " ")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _quoted_cue(fault: Mapping[str, Any]) -> str:
    return f' ("{fault["cue"]}")' if fault.get("cue") else ""


def _median(metrics: Mapping[str, Any], key: str) -> float | None:
    m = metrics.get(key)
    return m.get("median") if isinstance(m, Mapping) else None
