"""The library indexes a session written by the real `SessionWriter` (events as the app records them)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from coach.capture.frame import Frame
from coach.gait.types import EventKind as GaitKind
from coach.gait.types import Foot, GaitEvent
from coach.library import Library
from coach.reps.engine import Event, EventKind, Rep
from coach.session.writer import CameraInfo, SessionWriter

FPS = 30.0


def _rep(index: int, end_t: float, depth: float) -> Rep:
    return Rep(
        index=index, partial=False, start_t=end_t - 2.0, bottom_t=end_t - 1.0, end_t=end_t,
        start_frame=int((end_t - 2.0) * FPS), bottom_frame=int((end_t - 1.0) * FPS),
        end_frame=int(end_t * FPS),
        metrics={"duration_s": 2.0, "eccentric_s": 1.0, "concentric_s": 1.0, "rom": 70.0, "depth": depth,
                 "peak_trunk_lean_deg": 15.0, "asymmetry_deg": math.nan, "peak_concentric_velocity": 90.0,
                 "velocity_loss_pct": math.nan},
        faults=(),
    )  # fmt: skip


def test_library_reads_what_the_recorder_writes(tmp_path: Path) -> None:
    d = tmp_path / "rec"
    image = np.zeros((48, 64, 3), np.uint8)
    with SessionWriter(d, camera=CameraInfo("synthetic", 64, 48, FPS), fps=FPS, athlete="cy",
                       exercise="squat", lossless=True) as w:  # fmt: skip
        for i in range(int(8 * FPS)):
            t = i / FPS
            w.record_frame(Frame(i, 1000.0 + t, t, image), None)
            events: list[object] = []
            if i == 15:
                events.append(Event(EventKind.SET_STARTED, t, i, set_index=1))
            for k, (end, depth) in enumerate(((2.5, 95.0), (4.5, 105.0), (6.5, 100.0)), 1):
                if i == int(end * FPS):
                    events.append(
                        Event(EventKind.REP_COMPLETED, end, i, rep=_rep(k, end, depth), set_index=1)
                    )
            if i == int(7.5 * FPS):
                events.append(Event(EventKind.SET_ENDED, t, i, set_index=1))
            if i % 10 == 0 and i:
                foot = Foot.LEFT if (i // 10) % 2 else Foot.RIGHT
                events.append(GaitEvent(GaitKind.INITIAL_CONTACT, foot, t, t + 0.1, i))
            if events:
                w.record_events(events, t=t, frame=i)
    with (d / "corrections.jsonl").open("a") as fh:
        fh.write(json.dumps({"op": "delete_rep", "frame": int(4.5 * FPS)}) + "\n")

    with Library(tmp_path / "lib.sqlite3") as lib:
        s = lib.add(d)
        [row] = lib.list_sessions(athlete="cy")
        assert row.frames == 240 and row.duration_s == pytest.approx(8.0)
        assert (row.sets, row.reps) == (1, 2)
        reps = lib.reps(s.id)
        assert [(r["engine_index"], r["depth"]) for r in reps] == [(1, 95.0), (3, 100.0)]
        assert reps[0]["asymmetry"] is None  # NaN in the engine is stored as unknown
        [depth] = lib.trend("depth")
        assert depth.mean == pytest.approx(97.5)
        [cadence] = lib.trend("cadence")
        assert cadence.mean == pytest.approx(180.0)  # a contact every 10 frames at 30 fps
