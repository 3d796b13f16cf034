"""Runtime rep anomaly scores from the shipped autoencoder: faulty reps stand out, attribution names the
body part, and a personal baseline moves the threshold without training."""

from __future__ import annotations

import numpy as np
import pytest

from coach.features.reps import CHANNELS, REP_SAMPLES, rep_trajectory
from coach.ml.anomaly import AthleteBaseline, RepAnomalyScorer
from coach.ml.paths import model_path
from coach.pose.smoothing import smooth_track
from coach.synth import generate
from coach.training.rep_spans import FULL_BODY, engine_spans


@pytest.fixture(scope="module")
def scorer() -> RepAnomalyScorer:
    return RepAnomalyScorer(model_path("rep_autoencoder.onnx"))


def _reps(exercise: str, fault: str | None, seeds) -> list[np.ndarray]:
    out = []
    for s in seeds:
        # Full-body framing: the autoencoder does not judge close-ups (see its model card).
        clip = generate(exercise, seed=s, fault=fault, options=FULL_BODY)
        lm, wd = smooth_track(clip.media_ts, clip.landmarks, clip.world)
        # Cut where the product cuts them (the rep engine's whole-movement span), as the model is trained.
        spans = engine_spans(exercise, clip, lm, wd)[:4]
        out += [rep_trajectory(lm, wd, clip.camera.image_size, a, b) for a, b in spans]
    return out


SEEDS = range(880_000, 880_006)  # not used in training or calibration


@pytest.mark.parametrize(
    ("exercise", "fault"),
    [("squat", "hips_rising_first"), ("deadlift", "rounded_back"), ("pushup", "hip_sag"),
     ("jumping_jack", "shallow_depth"), ("walking", "overstride"), ("running", "excessive_trunk_lean"),
     ("bicep_curl", "elbow_drift")],
)  # fmt: skip
def test_faulty_reps_score_above_good_ones(scorer: RepAnomalyScorer, exercise: str, fault: str) -> None:
    good = [scorer.score_trajectory(exercise, t).score for t in _reps(exercise, None, SEEDS)]
    bad = [scorer.score_trajectory(exercise, t).score for t in _reps(exercise, fault, SEEDS)]
    # Ranking, not the threshold: the population threshold is loose (see the model card's flagged shares).
    assert np.median(bad) > np.median(good)


def test_attribution_names_the_trunk_for_a_leaning_runner(scorer: RepAnomalyScorer) -> None:
    results = [scorer.score_trajectory("running", t) for t in _reps("running", "excessive_trunk_lean", SEEDS)]
    good = [scorer.score_trajectory("running", t) for t in _reps("running", None, SEEDS)]
    # Leaning from the hips shows in the trunk angle and in the hip angle (shoulder-hip-knee) alike.
    lean_named = np.mean(
        [any(j in ("trunk", "left hip", "right hip") for j in r.top_joints) for r in results]
    )
    assert lean_named > 0.6
    trunk_bad = np.mean(["trunk" in r.top_joints for r in results])
    trunk_good = np.mean(["trunk" in r.top_joints for r in good])
    assert trunk_bad > 2 * trunk_good + 0.1
    js = results[0].to_json()
    assert set(js) == {"score", "threshold", "top_joints", "phase"}


def test_missing_channels_do_not_break_the_score(scorer: RepAnomalyScorer) -> None:
    t = _reps("squat", None, SEEDS[:2])[0].copy()
    t[:, : len(CHANNELS) // 2] = np.nan
    r = scorer.score_trajectory("squat", t)
    assert np.isfinite(r.score)
    assert t.shape == (REP_SAMPLES, len(CHANNELS))


def test_personal_baseline_sets_the_threshold_from_good_reps(scorer: RepAnomalyScorer) -> None:
    reps = _reps("bicep_curl", None, SEEDS[:2])
    base = AthleteBaseline(scorer, "bicep_curl", margin=1.25)
    assert base.threshold == scorer.default_threshold("bicep_curl")
    for t in reps[:3]:
        base.add_good(t)
    scores = [scorer.score_trajectory("bicep_curl", t).score for t in reps[:3]]
    population = scorer.default_threshold("bicep_curl")
    expected = max(1.0, 1.25 * max(scores), population * float(np.median(scores)))
    assert base.threshold == pytest.approx(expected)
    assert base.score(reps[0]).threshold == base.threshold


@pytest.mark.parametrize("activity", ["running", "walking"])
def test_strides_of_either_foot_are_cut_and_scored_alike(scorer: RepAnomalyScorer, activity: str) -> None:
    """Strides are cut where the gait engine cuts them, each foot's contact to its next: version 5 was
    trained on the synthesizer's one-foot spans and scored the other foot's good strides ~20 times worse."""
    from coach.analysis.model_scores import cycle_rows
    from coach.analysis.track import PoseTrack
    from coach.gait.analyze import analyze_gait

    by_foot: dict[str, list[float]] = {"L": [], "R": []}
    for s in SEEDS:
        clip = generate(activity, seed=s, options=FULL_BODY)
        lm, wd = smooth_track(clip.media_ts, clip.landmarks, clip.world)
        size = clip.camera.image_size
        cycles = analyze_gait(PoseTrack(np.arange(len(clip)), clip.media_ts, lm, wd, size), activity).cycles
        spans = engine_spans(activity, clip, lm, wd)
        assert spans == [cycle_rows(clip.media_ts, c) for c in cycles]
        for c, (a, b) in zip(cycles, spans, strict=True):
            trajectory = rep_trajectory(lm, wd, size, a, b)
            by_foot[c.foot.value].append(scorer.score_trajectory(activity, trajectory).score)
    left, right = (np.median(by_foot[f]) for f in ("L", "R"))
    assert len(by_foot["L"]) >= 5 and len(by_foot["R"]) >= 5
    assert max(left, right) < 2.0 * min(left, right)
    assert max(left, right) < scorer.default_threshold(activity)  # typical good strides pass
