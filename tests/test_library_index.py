"""The session library against the real sqlite3: indexing, filters, trends, corrections, missing dirs."""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import threading
from pathlib import Path

import pytest
from test_library_fixtures import (
    append_corrections,
    rep_end_frame,
    rep_event,
    run_events,
    squat_events,
    write_session,
)

from coach.library import Library, LibraryError


@pytest.fixture()
def lib(tmp_path: Path) -> Library:
    library = Library(tmp_path / "data" / "library.sqlite3")
    yield library
    library.close()


def test_default_location_honours_coach_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COACH_DATA_DIR", str(tmp_path / "elsewhere"))
    with Library() as library:
        assert library.path == tmp_path / "elsewhere" / "library.sqlite3"
    assert (tmp_path / "elsewhere" / "library.sqlite3").is_file()


def test_connection_is_wal_with_foreign_keys(lib: Library) -> None:
    assert lib._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert lib._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_add_indexes_session_sets_and_reps(tmp_path: Path, lib: Library) -> None:
    m = write_session(tmp_path / "s1", squat_events([80, 90, 100], partial_depths=[40]), frames=90)
    lib.add(tmp_path / "s1")
    [row] = lib.list_sessions()
    assert row.id == m["id"]
    assert (row.athlete, row.exercise, row.frames) == ("ana", "squat", 90)
    assert row.duration_s == pytest.approx(3.0)
    assert (row.sets, row.reps, row.partial_reps) == (1, 3, 1)
    assert row.app_version == "0.1.0" and row.pose_model == "pose_landmarker_full.task"
    assert not row.missing
    reps = lib.reps(m["id"])
    assert [r["rep_index"] for r in reps] == [1, 2, 3, 4]
    assert reps[0]["depth"] == 80 and reps[0]["trunk_lean"] == 20 and reps[0]["velocity_loss"] == 5
    assert reps[0]["asymmetry"] is None  # not measured stays unknown, never 0
    assert reps[0]["metrics"]["peak_concentric_velocity"] == 120
    assert reps[3]["partial"] is True
    assert lib.athletes() == ["ana"]


def test_reindex_is_idempotent(tmp_path: Path, lib: Library) -> None:
    m = write_session(tmp_path / "s1", squat_events([80, 90, 100]))
    for _ in range(3):
        lib.add(tmp_path / "s1")
    assert len(lib.list_sessions()) == 1
    assert len(lib.reps(m["id"])) == 3
    assert lib._conn.execute("SELECT COUNT(*) FROM sets").fetchone()[0] == 1


def test_deleted_rep_disappears_after_reindex(tmp_path: Path, lib: Library) -> None:
    d = tmp_path / "s1"
    m = write_session(d, squat_events([80, 90, 100]))  # reps end at 2.5, 4.5, 6.5 s
    lib.add(d)
    assert lib.trend("depth")[0].mean == pytest.approx(90.0)
    append_corrections(d, [{"op": "delete_rep", "frame": rep_end_frame(4.5)}])
    lib.add(d)
    reps = lib.reps(m["id"])
    # Numbered as the coach now counts them; the engine's own numbers are kept.
    assert [(r["rep_index"], r["engine_index"], r["depth"]) for r in reps] == [(1, 1, 80.0), (2, 3, 100.0)]
    assert lib.trend("depth")[0].mean == pytest.approx(90.0)
    assert lib.trend("depth")[0].n == 2
    assert lib.list_sessions()[0].reps == 2


def test_added_rep_joins_its_set_without_inventing_metrics(tmp_path: Path, lib: Library) -> None:
    d = tmp_path / "s1"
    added = {"op": "add_rep", "start_frame": 100, "bottom_frame": 115, "end_frame": 130, "start_s": 3.33,
             "bottom_s": 3.83, "end_s": 4.33, "partial": False}  # fmt: skip
    m = write_session(d, squat_events([80, 90]), corrections=[added])  # reps end at 2.5 s and 4.5 s
    lib.add(d)
    reps = lib.reps(m["id"])
    assert [(r["rep_index"], r["engine_index"], r["added"]) for r in reps] == [
        (1, 1, False),
        (2, None, True),
        (3, 2, False),
    ]
    assert reps[1]["depth"] is None and reps[1]["end_frame"] == 130
    assert reps[1]["set_id"] == reps[0]["set_id"] is not None
    assert lib.list_sessions()[0].reps == 3
    [depth] = lib.trend("depth")
    assert (depth.n, depth.mean) == (2, pytest.approx(85.0))  # no made-up depth for the added rep


def test_list_filters_by_athlete_and_exercise(tmp_path: Path, lib: Library) -> None:
    write_session(tmp_path / "a", squat_events([80]), athlete="ana", exercise="squat")
    write_session(tmp_path / "b", squat_events([80]), athlete="ben", exercise="squat")
    write_session(tmp_path / "c", run_events(0.35, 20, 0.2), athlete="ana", exercise="running")
    for name in "abc":
        lib.add(tmp_path / name)
    assert len(lib.list_sessions()) == 3
    assert {r.path.name for r in lib.list_sessions(athlete="ana")} == {"a", "c"}
    assert {r.path.name for r in lib.list_sessions(exercise="squat")} == {"a", "b"}
    assert [r.path.name for r in lib.list_sessions(athlete="ana", exercise="running")] == ["c"]
    assert lib.list_sessions(athlete="nobody") == []
    assert lib.athletes() == ["ana", "ben"]


def test_depth_trend_per_session_ordered_by_date(tmp_path: Path, lib: Library) -> None:
    # Indexed out of date order on purpose: the trend follows `created`, not indexing order.
    sessions = {
        "s3": ("2025-03-01T10:00:00Z", [100, 104, 120]),
        "s1": ("2025-01-01T10:00:00Z", [70, 80, 90, 200]),
        "s2": ("2025-02-01T10:00:00Z", [85, 95]),
    }
    for name, (created, depths) in sessions.items():
        write_session(tmp_path / name, squat_events(depths, partial_depths=[10]), created=created)
        lib.add(tmp_path / name)
    write_session(tmp_path / "other", squat_events([1, 2]), athlete="ben", created="2025-01-15T10:00:00Z")
    lib.add(tmp_path / "other")
    points = lib.trend("depth", athlete="ana")
    assert [p.created[:7] for p in points] == ["2025-01", "2025-02", "2025-03"]
    for p, name in zip(points, ["s1", "s2", "s3"], strict=True):
        depths = sessions[name][1]  # the partial rep at depth 10 must not count
        assert p.mean == pytest.approx(statistics.fmean(depths))
        assert p.median == pytest.approx(statistics.median(depths))
        assert p.n == len(depths)
    assert len(lib.trend("depth")) == 4
    assert lib.trend("depth", exercise="deadlift") == []


def test_tempo_and_anomaly_trends(tmp_path: Path, lib: Library) -> None:
    events = [
        rep_event(1, 3.0, duration=2.0, anomaly=0.2),
        rep_event(2, 6.0, duration=3.0),
        rep_event(3, 9.0, duration=4.0),
        # Anomaly scores may also arrive as their own events after the rep.
        {"t": 9.1, "frame": 273, "type": "anomaly", "rep_index": 3, "score": 0.8},
    ]
    write_session(tmp_path / "s", events)
    lib.add(tmp_path / "s")
    [tempo] = lib.trend("tempo")
    assert (tempo.mean, tempo.median, tempo.n) == (pytest.approx(3.0), pytest.approx(3.0), 3)
    [anomaly] = lib.trend("anomaly")
    assert anomaly.n == 2  # rep 2 has no score: left out, not counted as 0
    assert anomaly.mean == pytest.approx(0.5)


def test_cadence_trend_and_gait_summary(tmp_path: Path, lib: Library) -> None:
    write_session(
        tmp_path / "r1", run_events(0.375, 40, 0.25), exercise="running", created="2025-01-01T00:00:00Z"
    )
    write_session(
        tmp_path / "r2", run_events(0.3, 40, 0.2), exercise="running", created="2025-02-01T00:00:00Z"
    )
    lib.add(tmp_path / "r1")
    lib.add(tmp_path / "r2")
    points = lib.trend("cadence")
    assert [p.mean for p in points] == [pytest.approx(160.0), pytest.approx(200.0)]
    assert points[0].n == 40
    g = lib._conn.execute(
        "SELECT * FROM gait_summaries JOIN sessions s ON s.id = session_id WHERE s.path LIKE ?", ("%r1",)
    ).fetchone()
    assert g["contact_ms"] == pytest.approx(250.0)
    assert g["stride_ms"] == pytest.approx(750.0)
    assert g["duty_factor_pct"] == pytest.approx(100 * 0.25 / 0.75)
    assert g["step_time_asymmetry_pct"] == pytest.approx(0.0, abs=1e-9)
    assert lib.list_sessions()[0].cadence_spm == pytest.approx(160.0)
    assert lib.trend("depth") == []


def test_unknown_metric_and_non_session_are_user_errors(tmp_path: Path, lib: Library) -> None:
    with pytest.raises(LibraryError, match="unknown trend metric"):
        lib.trend("speed")
    (tmp_path / "empty").mkdir()
    with pytest.raises(LibraryError, match="not a session directory"):
        lib.add(tmp_path / "empty")


def test_deleted_directory_is_marked_missing_then_forgotten(tmp_path: Path, lib: Library) -> None:
    write_session(tmp_path / "keep", squat_events([80]))
    m = write_session(tmp_path / "gone", squat_events([90]))
    lib.add(tmp_path / "keep")
    lib.add(tmp_path / "gone")
    shutil.rmtree(tmp_path / "gone")
    rows = {r.path.name: r for r in lib.list_sessions()}
    assert rows["gone"].missing and not rows["keep"].missing
    assert len(lib.trend("depth")) == 2  # its numbers stay available until it is forgotten
    assert lib.forget(tmp_path / "gone") == 1
    assert [r.path.name for r in lib.list_sessions()] == ["keep"]
    assert lib._conn.execute("SELECT COUNT(*) FROM reps WHERE session_id = ?", (m["id"],)).fetchone()[0] == 0
    assert lib.forget(tmp_path / "gone") == 0


def test_forget_by_id_and_forget_missing(tmp_path: Path, lib: Library) -> None:
    a = write_session(tmp_path / "a", squat_events([80]), athlete="ana")
    write_session(tmp_path / "b", squat_events([80]), athlete="ben")
    lib.add(tmp_path / "a")
    lib.add(tmp_path / "b")
    assert lib.forget(a["id"]) == 1
    assert lib.athletes() == ["ben"]  # an athlete with no session left is dropped
    shutil.rmtree(tmp_path / "b")
    assert lib.forget_missing() == [(tmp_path / "b").resolve()]
    assert lib.list_sessions() == []


def test_moved_directory_readded_updates_path(tmp_path: Path, lib: Library) -> None:
    m = write_session(tmp_path / "old", squat_events([80, 90]))
    lib.add(tmp_path / "old")
    (tmp_path / "old").rename(tmp_path / "new")
    assert lib.list_sessions()[0].missing
    lib.add(tmp_path / "new")
    [row] = lib.list_sessions()
    assert row.id == m["id"]
    assert row.path == (tmp_path / "new").resolve()
    assert not row.missing
    assert len(lib.reps(m["id"])) == 2


def test_new_session_in_same_directory_replaces_old_row(tmp_path: Path, lib: Library) -> None:
    d = tmp_path / "s"
    first = write_session(d, squat_events([80]))
    lib.add(d)
    shutil.rmtree(d)
    second = write_session(d, squat_events([90, 95]))
    lib.add(d)
    assert [r.id for r in lib.list_sessions()] == [second["id"]]
    assert lib.reps(first["id"]) == []


def test_library_belongs_to_the_opening_thread(tmp_path: Path, lib: Library) -> None:
    """Documented ownership: another thread must open its own Library; sqlite3 refuses a shared one."""
    write_session(tmp_path / "s", squat_events([80]))
    errors: list[BaseException] = []
    seen: list[int] = []

    def other_thread() -> None:
        try:
            lib.list_sessions()
        except sqlite3.ProgrammingError as exc:
            errors.append(exc)
        with Library(lib.path) as own:
            own.add(tmp_path / "s")
            seen.append(len(own.list_sessions()))

    t = threading.Thread(target=other_thread)
    t.start()
    t.join(10)
    assert not t.is_alive()
    assert len(errors) == 1
    assert seen == [1]
    assert len(lib.list_sessions()) == 1  # WAL: the owner sees the other thread's committed write
