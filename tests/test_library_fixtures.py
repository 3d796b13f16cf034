"""Synthetic session directories for the library tests, written to docs/session_format.md (schema 1).

Real files: manifest.json, frames.bin records with tiny real JPEGs in video.mjpeg, events.jsonl and
corrections.jsonl, so the same directories work with the direct adapter and with
`coach.session.reader.SessionReader` once it exists. Other library tests import from here.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from coach.library import read_session
from coach.session.format import RECORD_SIZE

FPS = 30.0


def manifest(**overrides: Any) -> dict[str, Any]:
    """A closed schema-1 manifest (every key the format lists)."""
    m = {
        "schema": 1,
        "id": uuid.uuid4().hex,
        "created": "2025-01-10T09:00:00Z",
        "athlete": "ana",
        "exercise": "squat",
        "app_version": "0.1.0",
        "pose_model": "pose_landmarker_full.task",
        "pose_model_sha256": "0" * 64,
        "camera": {"source": "0", "width": 64, "height": 48, "fps": FPS},
        "fps": FPS,
        "closed": True,
        "stop_reason": "user",
    }
    m.update(overrides)
    return m


def rep_event(
    index: int,
    t: float,
    *,
    depth: float = 90.0,
    duration: float = 2.0,
    partial: bool = False,
    set_index: int = 1,
    anomaly: float | None = None,
) -> dict[str, Any]:
    """A rep event as `coach.session.events.event_to_json` writes it (`rep_to_json` under "rep")."""
    rep = {
        "index": index,
        "start_s": t - duration,
        "bottom_s": t - duration / 2,
        "end_s": t,
        "start_frame": int((t - duration) * FPS),
        "bottom_frame": int((t - duration / 2) * FPS),
        "end_frame": int(t * FPS),
        "partial": partial,
        "truncated": False,
        "metrics": {
            "duration_s": duration,
            "eccentric_s": duration / 2,
            "concentric_s": duration / 2,
            "rom": 80.0,
            "depth": depth,
            "peak_trunk_lean_deg": 20.0,
            "asymmetry_deg": None,
            "peak_concentric_velocity": 120.0,
            "velocity_loss_pct": 5.0,
        },
        "faults": [],
    }
    if anomaly is not None:
        rep["anomaly"] = {"score": anomaly, "threshold": 0.5, "top_joints": ["trunk"], "phase": "at the turn"}
    return {
        "t": t,
        "frame": int(t * FPS),
        "type": "partial_rep" if partial else "rep_completed",
        "set_index": set_index,
        "rep": rep,
    }


def squat_events(depths: Sequence[float], *, partial_depths: Sequence[float] = ()) -> list[dict[str, Any]]:
    """One set: a rep per depth (2 s each), then the partial reps, bracketed by set_started/set_ended."""
    events: list[dict[str, Any]] = [{"t": 0.5, "frame": 15, "type": "set_started", "set_index": 1}]
    t = 0.5
    for i, d in enumerate([*depths, *partial_depths], 1):
        t += 2.0
        events.append(rep_event(i, t, depth=d, partial=i > len(depths)))
    events.append({"t": t + 3.0, "frame": int((t + 3.0) * FPS), "type": "set_ended", "set_index": 1})
    return events


def run_events(step_s: float, steps: int, contact_s: float) -> list[dict[str, Any]]:
    """Alternating initial contacts every `step_s`, each foot's toe off `contact_s` after its contact."""
    events = []
    for i in range(steps):
        t = 1.0 + i * step_s
        foot = "L" if i % 2 == 0 else "R"
        events.append(
            {"t": t, "frame": int(t * FPS), "type": "gait_event", "kind": "initial_contact", "foot": foot}
        )
        events.append(
            {
                "t": t + contact_s,
                "frame": int((t + contact_s) * FPS),
                "type": "gait_event",
                "kind": "toe_off",
                "foot": foot,
            }
        )
    events.sort(key=lambda e: e["t"])
    return events


def write_session(
    directory: Path,
    events: Iterable[Mapping[str, Any]] = (),
    *,
    corrections: Iterable[Mapping[str, Any]] = (),
    frames: int = 30,
    **manifest_overrides: Any,
) -> dict[str, Any]:
    """Write a session directory; returns its manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    m = manifest(**manifest_overrides)
    (directory / "manifest.json").write_text(json.dumps(m, indent=2))
    ok, jpeg = cv2.imencode(".jpg", np.zeros((8, 8, 3), np.uint8))
    assert ok
    blob = jpeg.tobytes()
    records = bytearray()
    for i in range(frames):
        head = np.array(
            [(i, 100.0 + i / FPS, i / FPS, i * len(blob), len(blob), 1)],
            dtype=[("a", "<i8"), ("b", "<f8"), ("c", "<f8"), ("d", "<u8"), ("e", "<u4"), ("f", "<u4")],
        )
        records += head.tobytes() + bytes(RECORD_SIZE - head.itemsize)
    (directory / "frames.bin").write_bytes(bytes(records))
    (directory / "video.mjpeg").write_bytes(blob * frames)
    (directory / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    corrections = list(corrections)
    if corrections:
        append_corrections(directory, corrections)
    return m


def rep_end_frame(t: float) -> int:
    """The end frame `rep_event` gives a rep ending at `t` (what a delete_rep correction names)."""
    return int(t * FPS)


def append_corrections(directory: Path, corrections: Iterable[Mapping[str, Any]]) -> None:
    with (directory / "corrections.jsonl").open("a") as fh:
        for c in corrections:
            fh.write(json.dumps(c) + "\n")


# -- the helper itself is checked against the format ----------------------------------------------------
def test_synthetic_session_reads_back(tmp_path: Path) -> None:
    m = write_session(tmp_path / "s", squat_events([80, 90, 100]), frames=60)
    s = read_session(tmp_path / "s")
    assert s.id == m["id"]
    assert s.frames == 60
    assert s.duration_s is not None and abs(s.duration_s - 2.0) < 1e-6
    assert [r.index for r in s.reps] == [1, 2, 3]
    assert [r.metrics["depth"] for r in s.reps] == [80, 90, 100]
    assert len(s.sets) == 1 and s.sets[0].exercise == "squat"


def test_torn_last_frame_and_line_are_ignored(tmp_path: Path) -> None:
    """A crash can tear the last frames.bin record and the last events line: the rest still indexes."""
    d = tmp_path / "s"
    write_session(d, squat_events([80, 90]), frames=10)
    with (d / "frames.bin").open("ab") as fh:
        fh.write(b"\x01" * 100)
    with (d / "events.jsonl").open("a") as fh:
        fh.write('{"t": 9.0, "type": "rep_comp')
    s = read_session(d)
    assert s.frames == 10
    assert len(s.reps) == 2
