"""The numbers-only feedback summary and the rule-based text written from it."""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from coach.feedback import load_summary, rule_based_summary, summary_from_events, summary_from_report
from coach.feedback.rules import format_reps

ATHLETE = "Jane Q. Athlete"
VIDEO = "/home/jane/Videos/jane_squat_2024.mp4"
THUMB = "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDA"


def _rep(
    index: int,
    start: float,
    duration: float,
    faults: list[tuple[str, str, int, int]],
    loss: float | None,
    anomaly: dict | None,
) -> dict[str, Any]:
    f0 = int(start * 25)
    return {
        "index": index,
        "start_s": start,
        "bottom_s": start + 0.55 * duration,
        "end_s": start + duration,
        "start_frame": f0,
        "bottom_frame": f0 + 14,
        "end_frame": f0 + int(25 * duration),
        "partial": False,
        "truncated": False,
        "metrics": {
            "duration_s": duration,
            "eccentric_s": 0.55 * duration,
            "concentric_s": 0.45 * duration,
            "rom": 0.81,
            "depth": -0.05,
            "peak_trunk_lean_deg": 31.2,
            "asymmetry_deg": 4.1,
            "peak_concentric_velocity": 3.9,
            "velocity_loss_pct": loss,
        },
        "faults": [
            {"rule": rule, "cue": cue, "start_frame": f0 + a, "end_frame": f0 + b}
            for rule, cue, a, b in faults
        ],
        "anomaly": anomaly,
    }


def squat_doc() -> dict[str, Any]:
    """A schema-1 `coach analyze --json` document shaped like real output (see coach.analysis.report):
    five squats from the front, knees caving in reps 2, 4 and 5, slowing towards the end."""
    knees = ("knee_valgus", "Knees out", 8, 18)
    heels = ("heel_lift", "Keep your heels down", 12, 13)
    flagged = {"score": 9.1, "threshold": 3.814, "top_joints": ["left knee", "right knee", "left hip"],
               "phase": "at the turn"}  # fmt: skip
    fine = {"score": 2.2, "threshold": 3.814, "top_joints": ["left wrist", "trunk", "right hip"],
            "phase": "start of the rep"}  # fmt: skip
    reps = [
        _rep(1, 0.40, 1.60, [], None, fine),
        _rep(2, 2.40, 1.64, [knees], 4.0, flagged),
        _rep(3, 4.50, 1.58, [heels], 9.5, fine),
        _rep(4, 6.60, 1.70, [knees], 14.2, flagged),
        _rep(5, 8.80, 1.86, [knees, knees], 23.4, None),  # a per-side rule can fire twice in a rep
    ]
    reps[1]["thumbnail"] = THUMB  # must never be copied into the summary
    return {
        "schema": 1,
        "video": VIDEO,
        "fps": 25.0,
        "frames": 280,
        "frames_with_pose": 280,
        "exercise": "squat",
        "exercise_confidence": None,
        "view": "front",
        "reps": 5,
        "partial_reps": 0,
        "rep_events": reps,
        "rules": {"checked": ["heel_lift", "knee_valgus"], "skipped": ["forward_lean", "squat_depth"]},
        "gait": None,
        "timing": {
            "wall_s": 7.2,
            "pose_ms_per_frame": 42.5,
            "decode_ms_per_frame": 2.8,
            "rest_ms_per_frame": 1.0,
            "lanes": 2,
        },  # fmt: skip
        "pose_model": "/work/shared/models/pose_landmarker_full.task",
        "app_version": "0.1.0",
        "athlete": ATHLETE,  # not part of schema 1; a later writer might add it: still must not leak
    }


def run_doc() -> dict[str, Any]:
    """A schema-1 document of a treadmill run shaped like real output (coach.gait.analyze)."""

    def m(median: float | None, spread: float | None, unit: str) -> dict[str, Any]:
        return {"median": median, "spread": spread, "unit": unit, "view_requirement": "side view"}

    return {
        "schema": 1,
        "video": VIDEO,
        "fps": 30.0,
        "exercise": "running",
        "view": "side",
        "reps": None,
        "partial_reps": None,
        "rep_events": [],
        "rules": None,
        "gait": {
            "activity": "running",
            "cadence_spm": 158.4,
            "steps": 40,
            "confidence": "high",
            "view": "side",
            "warnings": [f"see {VIDEO}"],
            "metrics": {
                "cadence": m(158.4, 6.0, "steps/min"),
                "ground_contact_time": m(312.0, 20.0, "ms"),
                "duty_factor": m(41.2, 3.0, "%"),
                "overstride": m(0.47, 0.05, "leg lengths"),
                "vertical_oscillation": m(0.11, 0.01, "leg lengths"),
                "vertical_oscillation_cm": m(None, None, "cm"),
            },
            "events": [
                {"foot": "L", "ic_s": 0.6, "to_s": 0.9, "confirmed_at_s": 1.0, "confirm_delay_ms": 100.0}
            ],
            "phase_deviations": [
                {
                    "phase": "initial_contact",
                    "joint": "knee_flexion",
                    "z": -2.69,
                    "difference_deg": -16.1,
                    "cosine": 0.92,
                    "dtw_deg": 8.7,
                    "message": "At landing your knee is straighter.",
                },
                {
                    "phase": "swing",
                    "joint": "hip_flexion",
                    "z": 0.4,
                    "difference_deg": 2.0,
                    "cosine": 0.98,
                    "dtw_deg": 1.2,
                    "message": "During the swing close.",
                },
            ],  # fmt: skip
            "strides": [
                {
                    "foot": "L",
                    "start_s": 0.6,
                    "end_s": 1.3,
                    "anomaly": {
                        "score": 6.2,
                        "threshold": 3.1,
                        "top_joints": ["right hip", "left knee"],
                        "phase": "end of the rep",
                    },
                },
            ],  # fmt: skip
        },
        "pose_model": "/work/shared/models/pose_landmarker_full.task",
        "app_version": "0.1.0",
    }


VOCABULARY = re.compile(r"[A-Za-z][A-Za-z0-9 _',:\-]{0,59}")


def _leaves(obj: Any) -> list[Any]:
    if isinstance(obj, dict):
        return [x for k, v in obj.items() for x in (k, *_leaves(v))]
    if isinstance(obj, list):
        return [x for v in obj for x in _leaves(v)]
    return [obj]


def assert_numbers_and_vocabulary_only(summary: dict[str, Any]) -> None:
    text = json.dumps(summary)
    for secret in (ATHLETE, "Jane", VIDEO, "jane_squat", ".mp4", ".task", "base64", "data:image", "/9j/"):
        assert secret not in text
    for leaf in _leaves(summary):
        if isinstance(leaf, str):
            assert VOCABULARY.fullmatch(leaf), f"not a vocabulary word: {leaf!r}"
        elif isinstance(leaf, float):
            assert math.isfinite(leaf)
        else:
            assert leaf is None or isinstance(leaf, bool | int), repr(leaf)


@pytest.mark.parametrize("doc", [squat_doc(), run_doc()], ids=["squat", "run"])
def test_summary_holds_only_numbers_and_exercise_words(doc: dict[str, Any]) -> None:
    summary = summary_from_report(doc)
    assert_numbers_and_vocabulary_only(summary)
    assert "athlete" not in summary


def test_a_path_smuggled_into_a_vocabulary_field_is_dropped() -> None:
    doc = squat_doc()
    doc["exercise"] = VIDEO
    doc["rep_events"][1]["faults"][0]["cue"] = THUMB
    doc["rep_events"][1]["anomaly"]["top_joints"] = ["C:\\Users\\jane\\knee.png", "right knee"]
    summary = summary_from_report(doc)
    assert_numbers_and_vocabulary_only(summary)
    assert summary["set"]["exercise"] is None


def test_the_athlete_name_is_included_only_on_request() -> None:
    assert "athlete" not in summary_from_report(squat_doc())
    assert summary_from_report(squat_doc(), athlete="Jane Doe")["athlete"] == "Jane Doe"
    # opting in to a name does not open the door to a path
    assert "athlete" not in summary_from_report(squat_doc(), athlete=VIDEO)


def test_summary_of_a_set_has_per_rep_metrics_faults_and_anomaly() -> None:
    s = summary_from_report(squat_doc())["set"]
    assert (s["exercise"], s["view"], s["reps"], s["partial_reps"]) == ("squat", "front", 5, 0)
    assert [r["rep"] for r in s["per_rep"]] == [1, 2, 3, 4, 5]
    rep5 = s["per_rep"][4]
    assert rep5["duration_s"] == 1.86 and rep5["velocity_loss_pct"] == 23.4 and rep5["trunk_lean_deg"] == 31.2
    assert rep5["faults"] == ["knee_valgus", "knee_valgus"]
    main = s["faults"][0]
    assert (main["rule"], main["cue"], main["count"], main["reps"]) == (
        "knee_valgus",
        "Knees out",
        3,
        [2, 4, 5],
    )
    assert s["faults"][1]["reps"] == [3]
    assert s["tempo"]["max_velocity_loss_pct"] == 23.4 and s["tempo"]["max_velocity_loss_rep"] == 5
    assert s["anomaly"]["scored_reps"] == 4 and s["anomaly"]["flagged_reps"] == [2, 4]
    assert s["anomaly"]["top_joints"][0] == {"joint": "left knee", "reps": 2}
    json.dumps(s, allow_nan=False)  # plain JSON, no NaN


def test_rule_based_set_summary_names_the_main_fault_its_reps_and_the_fatigue() -> None:
    text = rule_based_summary(summary_from_report(squat_doc()))
    assert "knee valgus" in text and "reps 2, 4 and 5" in text
    assert '"Knees out"' in text.split("Cue for the next set:")[1]  # the cue is the main fault's
    assert "heel lift in rep 3" in text
    assert "23%" in text and "rep 5" in text and "fatigue" in text  # velocity loss, and where it peaked
    assert "left knee" in text  # anomaly attribution


def test_rule_based_set_summary_without_faults_praises_and_keeps_the_cue_concrete() -> None:
    doc = squat_doc()
    for rep in doc["rep_events"]:
        rep["faults"] = []
        rep["metrics"]["velocity_loss_pct"] = 3.0
    text = rule_based_summary(summary_from_report(doc))
    assert "Main fault" not in text
    assert "no heel lift and knee valgus flagged" in text
    assert "Cue for the next set:" in text


def test_rule_based_run_summary_grounds_cadence_contact_overstride_and_phase() -> None:
    summary = summary_from_report(run_doc())
    assert_numbers_and_vocabulary_only(summary)
    run = summary["run"]
    assert run["metrics"]["overstride_leg_lengths"]["median"] == 0.47
    assert "vertical_oscillation_cm" not in run["metrics"]  # not measured: left out
    assert run["phase_deviations"][0]["phase"] == "initial_contact"  # largest |z| first
    text = rule_based_summary(summary)
    assert "158 steps/min" in text and "170-180" in text
    assert "312 ms" in text
    assert "0.47 leg lengths" in text and "overstriding" in text
    assert "At landing your knee is straighter than the reference (by about 16°" in text.replace(
        "at landing", "At landing"
    )
    assert "Cue for the next run: land with the foot closer under your hips" in text  # overstride first
    assert "found 1 of 1 stride unlike its good strides, mostly at the right hip and left knee" in text


def test_rule_based_run_summary_says_when_no_stride_looked_odd() -> None:
    doc = run_doc()
    doc["gait"]["strides"][0]["anomaly"]["score"] = 2.0  # below its threshold of 3.1
    summary = summary_from_report(doc)
    assert summary["run"]["stride_anomaly"]["flagged_strides"] == 0
    text = rule_based_summary(summary)
    assert "No stride looked unlike the movement model's good strides (1 scored)." in text


def test_empty_document_gives_a_plain_message() -> None:
    assert "nothing to summarise" in rule_based_summary(summary_from_report({"schema": 1, "reps": None}))


@pytest.mark.parametrize(
    ("reps", "words"),
    [
        ([3], "rep 3"),
        ([2, 4, 5], "reps 2, 4 and 5"),
        ([1, 2, 3, 4], "reps 1-4"),
        ([1, 2, 3, 7], "reps 1-3 and 7"),
    ],
)
def test_format_reps(reps: list[int], words: str) -> None:
    assert format_reps(reps) == words


def _session_events() -> list[dict[str, Any]]:
    doc = squat_doc()
    events: list[dict[str, Any]] = [{"t": 0.0, "frame": 0, "type": "set_started", "set_index": 1}]
    for rep in doc["rep_events"]:
        anomaly = rep.pop("anomaly")
        events.append({"t": rep["end_s"], "frame": rep["end_frame"], "type": "rep_completed", "rep": rep})
        if anomaly is not None:
            events.append({"t": rep["end_s"], "frame": rep["end_frame"], "type": "anomaly",
                           "rep_index": rep["index"], "anomaly": anomaly})  # fmt: skip
    events.append({"t": 11.0, "frame": 275, "type": "cue", "text": "Knees out"})
    return events


def test_summary_from_session_events_matches_the_analysis_of_the_same_reps() -> None:
    from_events = summary_from_events(_session_events(), exercise="squat", view="front")
    from_report = summary_from_report(squat_doc())
    assert from_events["set"]["per_rep"] == from_report["set"]["per_rep"]
    assert from_events["set"]["faults"] == from_report["set"]["faults"]
    assert from_events["set"]["anomaly"] == from_report["set"]["anomaly"]
    assert "reps 2, 4 and 5" in rule_based_summary(from_events)


def test_load_summary_reads_a_session_directory_and_keeps_the_athlete_out(tmp_path: Path) -> None:
    session = tmp_path / "session"
    session.mkdir()
    # A session as docs/session_format.md describes it: full manifest, no frames stored (events only).
    manifest = {
        "schema": 1, "id": "ab" * 16, "created": "2025-01-01T00:00:00Z", "athlete": ATHLETE,
        "exercise": "squat", "app_version": "0.1.0", "pose_model": "pose_landmarker_full.task",
        "pose_model_sha256": "0" * 64, "camera": {"source": "0", "width": 640, "height": 480, "fps": 25.0},
        "fps": 25.0, "closed": True, "stop_reason": "stopped",
    }  # fmt: skip
    (session / "manifest.json").write_text(json.dumps(manifest))
    (session / "video.mjpeg").write_bytes(b"")
    (session / "frames.bin").write_bytes(b"")
    lines = [json.dumps(e) for e in _session_events()]
    (session / "events.jsonl").write_text("\n".join(lines) + '\n{"t": 12.0, "type": "no')  # torn last line
    summary = load_summary(session)
    assert_numbers_and_vocabulary_only(summary)
    assert summary["set"]["reps"] == 5
    assert load_summary(session, include_athlete=True)["athlete"] == ATHLETE


def test_load_summary_reads_an_analyze_file_and_an_out_directory(tmp_path: Path) -> None:
    (tmp_path / "doc.json").write_text(json.dumps(squat_doc()))
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text(json.dumps(run_doc()))
    assert load_summary(tmp_path / "doc.json")["set"]["reps"] == 5
    assert load_summary(out)["run"]["steps"] == 40


def test_summary_does_not_change_its_input() -> None:
    doc = squat_doc()
    before = copy.deepcopy(doc)
    summary_from_report(doc)
    assert doc == before
