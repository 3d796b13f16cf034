"""Rep counts and form checks on the real clips in ../shared/videos, through the REAL pipeline.

Every clip goes through `coach.analysis.offline.analyze_video` (pose lanes, smoothing, the view estimated
from the poses, the rep engine) exactly as `coach analyze` runs it. Expected counts come from labels.json,
read here in the test and never by the product. Each clip is analysed once per session (poses go to a
session-scoped cache directory), so a clip used by several tests costs one pose run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coach.analysis.offline import ClipAnalysis, analyze_video
from coach.reps.catalogue import ALIASES, CATALOGUE
from coach.reps.evaluate import EXACT_NOTES

VIDEOS = Path(__file__).resolve().parents[1].parent / "shared" / "videos"


def _counted_clips() -> list[str]:
    """Clips of rep exercises whose count is exact (stated or verified), in labels.json order."""
    path = VIDEOS / "labels.json"
    if not path.is_file():  # collected without ../shared: the fixtures below then fail loudly
        return []
    out = []
    for v in json.loads(path.read_text())["videos"]:
        movement = ALIASES.get(v["movement"], v["movement"])
        note = (v.get("reps_note") or "").split(":")[0].strip()
        if movement in CATALOGUE and v.get("reps") is not None and note in EXACT_NOTES:
            out.append(v["file"])
    return out


@pytest.fixture(scope="session")
def pose_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pose_cache")


@pytest.fixture(scope="session")
def analysed(full_model: Path, labels: dict[str, dict], pose_cache_dir: Path):
    """analysed(file) -> the clip's `ClipAnalysis`, computed at most once per session."""
    done: dict[str, ClipAnalysis] = {}

    def get(name: str) -> ClipAnalysis:
        if name not in done:
            video = VIDEOS / name
            assert video.is_file(), f"real test video missing: {video}"
            # The label's movement name mapped to the catalogue, as `coach eval reps` does
            # ("deadlift_romanian" -> "deadlift").
            movement = labels[name]["movement"]
            done[name] = analyze_video(
                video, full_model, exercise=ALIASES.get(movement, movement), pose_cache_dir=pose_cache_dir
            )
        return done[name]

    return get


def _faults(clip: ClipAnalysis) -> set[str]:
    assert clip.reps is not None
    return {f.rule for r in clip.reps.rep_records for f in r.faults}


def test_there_are_counted_clips_to_test(labels: dict[str, dict]) -> None:
    # Guards the parametrisation below against silently testing nothing.
    assert len(_counted_clips()) >= 20


@pytest.mark.parametrize("name", _counted_clips())
def test_exact_rep_count(name: str, analysed, labels: dict[str, dict]) -> None:
    clip = analysed(name)
    assert clip.reps is not None
    assert clip.reps.reps == labels[name]["reps"], (
        f"{name}: counted {clip.reps.reps} (+{clip.reps.partial_reps} partial) in a {clip.view} view"
    )


def test_knee_valgus_is_seen_on_the_caving_squat_but_not_the_good_one(analysed) -> None:
    # The caving athlete is turned about 45 degrees to the camera; the rule must still be judged there.
    caving = analysed("squat__front__posture_knee_error.mp4")
    assert caving.view in ("front", "oblique")
    assert "knee_valgus" in _faults(caving)
    good = analysed("squat__front__nowva_goblet.mp4")
    assert "knee_valgus" in good.reps.checked_rules
    assert "knee_valgus" not in _faults(good)


def test_rounded_back_is_seen_on_the_bad_deadlift_but_not_the_clean_one(analysed) -> None:
    bad = analysed("deadlift__side__posereader_bad_form.mp4")
    assert "rounded_back" in _faults(bad)
    clean = analysed("deadlift__side__posereader_nico_clear.mp4")
    assert "rounded_back" in clean.reps.checked_rules
    assert "rounded_back" not in _faults(clean)
