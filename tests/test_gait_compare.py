"""Reference comparison math on known curves, and reference profiles saved and loaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from coach.gait.compare import (
    CYCLE_SAMPLES,
    cosine_similarity,
    dtw_distance,
    phase_ranges,
    phase_z_scores,
)
from coach.gait.reference import ReferenceProfile, curve_from_keypoints, default_reference

X = np.linspace(0, 2 * np.pi, CYCLE_SAMPLES)


def test_cosine_is_shape_agreement() -> None:
    assert cosine_similarity(np.sin(X), 3 * np.sin(X) + 40) == pytest.approx(1.0)
    assert cosine_similarity(np.sin(X), -np.sin(X)) == pytest.approx(-1.0)
    assert abs(cosine_similarity(np.sin(X), np.cos(X))) < 0.05
    assert np.isnan(cosine_similarity(np.sin(X), np.full(CYCLE_SAMPLES, np.nan)))


def test_z_scores_per_phase() -> None:
    ref = np.zeros(CYCLE_SAMPLES)
    sd = np.full(CYCLE_SAMPLES, 5.0)
    curve = np.zeros(CYCLE_SAMPLES)
    curve[50:] = 10.0
    z = phase_z_scores(curve, ref, sd, {"a": (0, 50), "b": (50, 101)})
    assert z == {"a": 0.0, "b": 2.0}
    ranges = phase_ranges(40.0)
    assert ranges["swing"] == (40, 101) and ranges["initial_contact"][0] == 0


def test_dtw_forgives_a_time_shift_but_not_a_change_of_amplitude() -> None:
    a = np.sin(X)
    shifted = np.sin(X - 0.2)
    assert dtw_distance(a, a) == 0.0
    assert dtw_distance(a, shifted) < 0.5 * np.mean(np.abs(a - shifted))
    assert dtw_distance(a, 2 * a) > 0.3


def test_reference_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    curves = {"knee_flexion": 40 + 30 * np.sin(X) + rng.normal(0, 3, (12, CYCLE_SAMPLES))}
    ref = ReferenceProfile.from_cycles("my best run", curves, 37.5)
    ref.save(tmp_path / "ref.json")
    back = ReferenceProfile.load(tmp_path / "ref.json")
    assert back.name == "my best run" and back.cycles == 12 and back.toe_off_pct == 37.5
    np.testing.assert_allclose(back.mean["knee_flexion"], ref.mean["knee_flexion"], atol=0.01)
    np.testing.assert_allclose(back.sd["knee_flexion"], ref.sd["knee_flexion"], atol=0.01)


def test_shipped_running_reference_matches_its_keypoints() -> None:
    ref = default_reference("running")
    assert ref is not None and "Novacheck" in ref.source
    for joint, points in ref.extra["keypoints"].items():
        np.testing.assert_allclose(
            ref.mean[joint], curve_from_keypoints([tuple(p) for p in points]), atol=0.01
        )
    knee = ref.mean["knee_flexion"]
    assert 60 < int(np.argmax(knee)) < 80  # peak knee flexion in swing
