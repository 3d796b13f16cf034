"""The library's SQLite schema as an ordered list of migrations.

`MIGRATIONS[i]` takes a database from version `i` to `i + 1`; the `schema_migrations` table records every
version applied, with when. A migration runs in one transaction with its version row, so a crash
mid-migration leaves the previous version intact. Never edit a released migration: append a new one.

Data that an older schema could not hold is not invented by a migration: `sessions.indexed_schema` records
which schema a session was indexed under, and `Library.reindex_stale()` re-reads sessions indexed before
`REINDEX_BELOW` from their directories.
"""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime

from coach.library.errors import LibraryError

__all__ = ["LATEST_VERSION", "MIGRATIONS", "REINDEX_BELOW", "migrate", "schema_version"]

log = logging.getLogger(__name__)

_V1 = """
CREATE TABLE athletes (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,                 -- manifest "id" (uuid4 hex): survives moving the directory
    path TEXT NOT NULL UNIQUE,           -- absolute, resolved
    created TEXT NOT NULL,               -- ISO-8601 UTC from the manifest; sorts chronologically
    athlete_id INTEGER REFERENCES athletes(id) ON DELETE RESTRICT,
    exercise TEXT,
    duration_s REAL,
    frames INTEGER,
    app_version TEXT,
    pose_model TEXT,
    pose_model_sha256 TEXT,
    indexed_at TEXT NOT NULL
);
CREATE INDEX sessions_created ON sessions(created);
CREATE TABLE reps (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    rep_index INTEGER NOT NULL,
    start_s REAL,
    end_s REAL,
    partial INTEGER NOT NULL,
    duration_s REAL,
    eccentric_s REAL,
    concentric_s REAL,
    rom REAL,
    depth REAL,
    metrics_json TEXT NOT NULL,
    UNIQUE (session_id, rep_index)
);
"""

_V2 = """
CREATE TABLE sets (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    set_index INTEGER NOT NULL,
    exercise TEXT,
    start_s REAL,
    end_s REAL,
    UNIQUE (session_id, set_index)
);
ALTER TABLE reps ADD COLUMN set_id INTEGER REFERENCES sets(id) ON DELETE SET NULL;
ALTER TABLE reps ADD COLUMN exercise TEXT;
ALTER TABLE reps ADD COLUMN trunk_lean REAL;
ALTER TABLE reps ADD COLUMN asymmetry REAL;
ALTER TABLE reps ADD COLUMN velocity_loss REAL;
ALTER TABLE reps ADD COLUMN anomaly_score REAL;
ALTER TABLE reps ADD COLUMN faults INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reps ADD COLUMN engine_index INTEGER;   -- the rep engine's number; NULL for a rep the coach added
ALTER TABLE reps ADD COLUMN added INTEGER NOT NULL DEFAULT 0;
ALTER TABLE reps ADD COLUMN start_frame INTEGER;
ALTER TABLE reps ADD COLUMN end_frame INTEGER;
CREATE INDEX reps_session ON reps(session_id);
CREATE TABLE gait_summaries (
    session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    activity TEXT,
    steps INTEGER NOT NULL,
    cadence_spm REAL,
    contact_ms REAL,
    stride_ms REAL,
    duty_factor_pct REAL,
    step_time_asymmetry_pct REAL
);
ALTER TABLE sessions ADD COLUMN indexed_schema INTEGER NOT NULL DEFAULT 1;
CREATE INDEX sessions_athlete ON sessions(athlete_id);
"""

_V3 = """
ALTER TABLE reps ADD COLUMN good_form INTEGER NOT NULL DEFAULT 0;  -- marked good form in the replay
"""

_V4 = """
CREATE TABLE strides (                -- running/walking strides the anomaly model scored while recording
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    stride_index INTEGER NOT NULL,    -- the recording's number (stride_anomaly events), from 1
    activity TEXT,
    foot TEXT,
    start_s REAL,
    end_s REAL,
    anomaly_score REAL,
    good_form INTEGER NOT NULL DEFAULT 0,  -- marked good form in the replay
    UNIQUE (session_id, stride_index)
);
CREATE INDEX strides_session ON strides(session_id);
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4)
LATEST_VERSION = len(MIGRATIONS)
# Sessions indexed under v1 have no sets, gait or anomaly columns; under v2, no good-form marks. Not 4: a
# session indexed under v3 was recorded by a coach that scored no strides, so it has none to add.
REINDEX_BELOW = 3


def schema_version(conn: sqlite3.Connection) -> int:
    """The highest migration applied (0 for an empty database)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if exists is None:
        return 0
    row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def migrate(conn: sqlite3.Connection, target: int = LATEST_VERSION) -> int:
    """Apply the migrations after the database's version up to `target`; returns the version reached.

    The connection must be in autocommit mode (`isolation_level=None`): each step is wrapped in an explicit
    BEGIN IMMEDIATE ... COMMIT so two processes opening an old library at once cannot both migrate it.
    A database newer than this code raises `LibraryError` instead of being written to.
    """
    if not 0 <= target <= LATEST_VERSION:
        raise ValueError(f"target version {target} outside 0..{LATEST_VERSION}")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    current = schema_version(conn)
    if current > LATEST_VERSION:
        raise LibraryError(
            f"the session library was written by a newer coach (schema {current}; this version knows "
            f"{LATEST_VERSION}): update coach"
        )
    while current < target:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-read under the write lock: another process may have migrated while we waited.
            current = schema_version(conn)
            if current >= target:
                conn.execute("COMMIT")
                break
            for statement in _statements(MIGRATIONS[current]):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                (current + 1, datetime.now(UTC).isoformat(timespec="seconds")),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        current += 1
        log.info("library schema migrated to version %d", current)
    return current


def _statements(script: str) -> list[str]:
    """Split a migration into statements (executescript would COMMIT our transaction behind our back)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
