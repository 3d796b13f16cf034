"""Versioned schema migrations of the session library, on real sqlite3 files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from test_library_fixtures import rep_event, squat_events, write_session

from coach.library import LATEST_VERSION, MIGRATIONS, Library, LibraryError, migrate, schema_version


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def test_fresh_library_is_at_latest_with_every_step_recorded(tmp_path: Path) -> None:
    with Library(tmp_path / "lib.sqlite3") as lib:
        assert lib.schema_version() == LATEST_VERSION == len(MIGRATIONS)
        versions = [r[0] for r in lib._conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == list(range(1, LATEST_VERSION + 1))


def test_reopening_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "lib.sqlite3"
    Library(path).close()
    with Library(path) as lib:
        n = lib._conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0]
    assert n == LATEST_VERSION


def test_upgrade_from_v1_keeps_data_then_reindex_fills_new_columns(tmp_path: Path) -> None:
    """A library written by the first release opens, keeps its rows, and re-reads old sessions on request."""
    session_dir = tmp_path / "s1"
    events = squat_events([80, 90])
    events[1] = rep_event(1, 2.5, depth=80, anomaly=0.3)
    m = write_session(session_dir, events)
    path = tmp_path / "lib.sqlite3"
    conn = _connect(path)
    assert migrate(conn, target=1) == 1
    # What version 1 of the library wrote for this session: no sets, no anomaly, no gait.
    conn.execute("INSERT INTO athletes (name) VALUES ('ana')")
    conn.execute(
        "INSERT INTO sessions (id, path, created, athlete_id, exercise, duration_s, frames, app_version, "
        "pose_model, pose_model_sha256, indexed_at) VALUES (?, ?, ?, 1, 'squat', 1.0, 30, '0.0.9', 'm', "
        "NULL, '2025-01-01T00:00:00+00:00')",
        (m["id"], str(session_dir.resolve()), m["created"]),
    )
    conn.execute(
        "INSERT INTO reps (session_id, rep_index, start_s, end_s, partial, duration_s, depth, metrics_json) "
        "VALUES (?, 1, 0.5, 2.5, 0, 2.0, 80.0, '{}')",
        (m["id"],),
    )
    conn.close()

    with Library(path) as lib:
        assert lib.schema_version() == LATEST_VERSION
        [row] = lib.list_sessions()
        assert (row.id, row.athlete, row.app_version, row.reps, row.sets) == (m["id"], "ana", "0.0.9", 1, 0)
        [rep] = lib.reps(m["id"])
        assert rep["depth"] == 80.0 and rep["anomaly_score"] is None and rep["set_id"] is None
        assert lib.trend("depth")[0].mean == pytest.approx(80.0)

        assert lib.reindex_stale() == [m["id"]]
        [row] = lib.list_sessions()
        assert (row.app_version, row.reps, row.sets) == ("0.1.0", 2, 1)
        reps = lib.reps(m["id"])
        assert reps[0]["anomaly_score"] == pytest.approx(0.3)
        assert all(r["set_id"] is not None for r in reps)
        assert lib.reindex_stale() == []  # now current


def test_stale_session_with_missing_directory_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "lib.sqlite3"
    conn = _connect(path)
    migrate(conn, target=1)
    conn.execute(
        "INSERT INTO sessions (id, path, created, indexed_at) VALUES ('abc', ?, '2025-01-01', 'x')",
        (str(tmp_path / "gone"),),
    )
    conn.close()
    with Library(path) as lib:
        assert lib.reindex_stale() == []
        [row] = lib.list_sessions()
        assert row.missing


def test_newer_library_is_refused_not_written(tmp_path: Path) -> None:
    path = tmp_path / "lib.sqlite3"
    Library(path).close()
    conn = _connect(path)
    conn.execute("INSERT INTO schema_migrations VALUES (?, 'future')", (LATEST_VERSION + 1,))
    conn.close()
    with pytest.raises(LibraryError, match="newer coach"):
        Library(path)


def test_failed_migration_rolls_back_to_previous_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = _connect(tmp_path / "lib.sqlite3")
    migrate(conn, target=1)
    monkeypatch.setattr(
        "coach.library.schema.MIGRATIONS",
        (MIGRATIONS[0], "CREATE TABLE half (x); SELECT nonsense FROM nowhere"),
    )
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, target=2)
    assert schema_version(conn) == 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "half" not in tables
