"""The session library: an SQLite index of session directories, their athletes, sets, reps and gait figures.

Thread ownership: a `Library` owns ONE `sqlite3.Connection`, created with sqlite3's default
`check_same_thread=True`, so it belongs to the thread that opened it and sqlite3 raises if another thread
uses it. A thread that needs the library opens its own `Library` on the same file: the database is in WAL
mode, so readers in other threads or processes never block the writer, and writes wait (`busy_timeout`)
instead of failing at once.

Every statement is parameterised. Foreign keys are ON for every connection (SQLite's default is OFF), so
forgetting a session cascades to its sets, reps and gait summary.

The library stores summaries, never the session data itself: the directory stays the source of truth, and
re-indexing it is idempotent (its rows are replaced in one transaction). A directory that was deleted or
moved is reported `missing` by `list_sessions()` instead of failing; re-adding a moved directory finds the
row by the manifest id and updates its path.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import statistics
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from coach.activities import is_gait
from coach.library.errors import LibraryError
from coach.library.paths import library_path
from coach.library.schema import LATEST_VERSION, REINDEX_BELOW, migrate, schema_version
from coach.library.source import (
    MANIFEST,
    REP_METRIC_COLUMNS,
    SessionSummary,
    read_session,
)
from coach.library.trends import TREND_METRICS, TrendPoint

__all__ = ["Library", "SessionRow"]

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000


@dataclass(frozen=True, slots=True)
class SessionRow:
    """One indexed session as `list_sessions()` reports it. `missing`: its directory is gone (checked now)."""

    id: str
    path: Path
    created: str
    athlete: str | None
    exercise: str | None
    duration_s: float | None
    frames: int | None
    app_version: str | None
    pose_model: str | None
    sets: int
    reps: int
    partial_reps: int
    cadence_spm: float | None
    missing: bool

    def to_json(self) -> dict[str, object]:
        """Plain JSON types (the path as a string)."""
        return {
            "id": self.id,
            "path": str(self.path),
            "created": self.created,
            "athlete": self.athlete,
            "exercise": self.exercise,
            "duration_s": self.duration_s,
            "frames": self.frames,
            "app_version": self.app_version,
            "pose_model": self.pose_model,
            "sets": self.sets,
            "reps": self.reps,
            "partial_reps": self.partial_reps,
            "cadence_spm": self.cadence_spm,
            "missing": self.missing,
        }


class Library:
    """The session library at `path` (default: `coach.library.paths.library_path()`).

    Opening creates the file and its directory if needed and migrates the schema to the latest version.
    Use as a context manager, or call `close()`; owned by the opening thread (see the module docstring).
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else library_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are explicit (see `_transaction`), so a failed index never
        # leaves half a session behind and migrations control their own BEGIN/COMMIT.
        self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.version = migrate(self._conn)

    # -- lifetime ------------------------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection (idempotent)."""
        self._conn.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    # -- indexing ------------------------------------------------------------------------------------------
    def add(self, directory: Path) -> SessionSummary:
        """Index (or re-index) the session directory; returns what was stored.

        Idempotent: the session's sets, reps and gait summary are replaced. A directory whose manifest id
        is already indexed under another path (it was moved or renamed) takes over that row. Raises
        `LibraryError` when the directory is not a readable session.
        """
        summary = read_session(directory)
        with self._transaction() as conn:
            self._store(conn, summary)
        log.info("indexed session %s (%d reps) from %s", summary.id, len(summary.reps), summary.path)
        return summary

    def _store(self, conn: sqlite3.Connection, s: SessionSummary) -> None:
        old = conn.execute("SELECT path FROM sessions WHERE id = ?", (s.id,)).fetchone()
        if old is not None and old["path"] != str(s.path):
            log.info("session %s moved: %s -> %s", s.id, old["path"], s.path)
        # Another id indexed at this path means the directory was replaced by a different session (e.g.
        # recorded into the same folder again): the old row describes data that no longer exists there.
        conn.execute("DELETE FROM sessions WHERE path = ? AND id != ?", (str(s.path), s.id))
        athlete_id = self._athlete_id(conn, s.athlete)
        values = (
            str(s.path),
            s.created,
            athlete_id,
            s.exercise,
            s.duration_s,
            s.frames,
            s.app_version,
            s.pose_model,
            s.pose_model_sha256,
            datetime.now(UTC).isoformat(timespec="seconds"),
            LATEST_VERSION,
        )
        conn.execute(
            """INSERT INTO sessions (path, created, athlete_id, exercise, duration_s, frames, app_version,
                   pose_model, pose_model_sha256, indexed_at, indexed_schema, id)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (id) DO UPDATE SET path = excluded.path, created = excluded.created,
                   athlete_id = excluded.athlete_id, exercise = excluded.exercise,
                   duration_s = excluded.duration_s, frames = excluded.frames,
                   app_version = excluded.app_version, pose_model = excluded.pose_model,
                   pose_model_sha256 = excluded.pose_model_sha256, indexed_at = excluded.indexed_at,
                   indexed_schema = excluded.indexed_schema""",
            (*values, s.id),
        )
        for table in ("reps", "sets", "gait_summaries", "strides"):
            conn.execute(f"DELETE FROM {table} WHERE session_id = ?", (s.id,))  # noqa: S608 - fixed names
        set_ids: dict[int, int] = {}
        for st in s.sets:
            cur = conn.execute(
                "INSERT INTO sets (session_id, set_index, exercise, start_s, end_s) VALUES (?, ?, ?, ?, ?)",
                (s.id, st.index, st.exercise, st.start_s, st.end_s),
            )
            set_ids[st.index] = int(cur.lastrowid or 0)
        metric_columns = list(dict.fromkeys(REP_METRIC_COLUMNS.values()))
        columns = [
            "session_id", "set_id", "rep_index", "engine_index", "added", "exercise", "start_s", "end_s",
            "start_frame", "end_frame", "partial", "faults", "anomaly_score", "good_form", *metric_columns,
            "metrics_json",
        ]  # fmt: skip
        sql = f"INSERT INTO reps ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        for r in s.reps:
            by_column = {REP_METRIC_COLUMNS[k]: v for k, v in r.metrics.items() if k in REP_METRIC_COLUMNS}
            conn.execute(
                sql,
                (
                    s.id,
                    set_ids.get(r.set_index) if r.set_index is not None else None,
                    r.index,
                    r.engine_index,
                    int(r.added),
                    r.exercise,
                    r.start_s,
                    r.end_s,
                    r.start_frame,
                    r.end_frame,
                    int(r.partial),
                    r.faults,
                    r.anomaly_score,
                    int(r.good_form),
                    *(by_column.get(c) for c in metric_columns),
                    json.dumps(dict(r.metrics), sort_keys=True),
                ),
            )
        if s.gait is not None:
            g = s.gait
            conn.execute(
                """INSERT INTO gait_summaries (session_id, activity, steps, cadence_spm, contact_ms,
                       stride_ms, duty_factor_pct, step_time_asymmetry_pct)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    s.id,
                    g.activity,
                    g.steps,
                    g.cadence_spm,
                    g.contact_ms,
                    g.stride_ms,
                    g.duty_factor_pct,
                    g.step_time_asymmetry_pct,
                ),
            )
        conn.executemany(
            """INSERT INTO strides (session_id, stride_index, activity, foot, start_s, end_s, anomaly_score,
                   good_form) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
            [(s.id, st.index, st.activity, st.foot, st.start_s, st.end_s, st.anomaly_score, int(st.good_form))
             for st in s.strides],
        )
        # Athletes with no session left are dropped so `athletes()` lists only people with recordings.
        conn.execute(
            "DELETE FROM athletes WHERE id NOT IN (SELECT athlete_id FROM sessions "
            "WHERE athlete_id IS NOT NULL)"
        )

    @staticmethod
    def _athlete_id(conn: sqlite3.Connection, name: str | None) -> int | None:
        if not name:
            return None
        conn.execute("INSERT INTO athletes (name) VALUES (?) ON CONFLICT (name) DO NOTHING", (name,))
        row = conn.execute("SELECT id FROM athletes WHERE name = ?", (name,)).fetchone()
        return int(row["id"])

    def forget(self, directory: Path | str) -> int:
        """Remove the session indexed at `directory` (or with that manifest id) and everything under it.

        Works when the directory no longer exists (that is the point); returns how many sessions were
        removed (0 when nothing matched). The directory itself is never touched.
        """
        text = str(directory)
        resolved = str(Path(directory).expanduser().resolve())
        ids = {
            row["id"]
            for row in self._conn.execute(
                "SELECT id FROM sessions WHERE path = ? OR id = ?", (resolved, text)
            )
        }
        # A directory that still exists may have been indexed under another path before a move we have not
        # seen yet: its manifest id still identifies it.
        manifest_id = _manifest_id(Path(resolved))
        if manifest_id is not None:
            ids.add(manifest_id)
        removed = 0
        with self._transaction() as conn:
            for session_id in ids:
                removed += conn.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount
            conn.execute(
                "DELETE FROM athletes WHERE id NOT IN (SELECT athlete_id FROM sessions "
                "WHERE athlete_id IS NOT NULL)"
            )
        log.info("forgot %d session(s) at %s", removed, directory)
        return removed

    def refresh(self, directory: Path) -> bool:
        """Re-index `directory` if it is already in the library (by path or manifest id), e.g. after the
        coach corrected it in the replay; a session that was never indexed stays out. True if re-indexed."""
        resolved = str(Path(directory).expanduser().resolve())
        manifest_id = _manifest_id(Path(resolved))
        row = self._conn.execute(
            "SELECT id FROM sessions WHERE path = ? OR id = ?", (resolved, manifest_id or "")
        ).fetchone()
        if row is None:
            return False
        self.add(Path(resolved))
        return True

    def forget_missing(self) -> list[Path]:
        """Forget every session whose directory is gone; returns their stored paths."""
        gone = [row.path for row in self.list_sessions() if row.missing]
        with self._transaction() as conn:
            for path in gone:
                conn.execute("DELETE FROM sessions WHERE path = ?", (str(path),))
        return gone

    def reindex_stale(self) -> list[str]:
        """Re-read sessions indexed under a schema older than `REINDEX_BELOW` (after a migration).

        Sessions whose directory is missing or unreadable keep their old rows (logged); returns the ids that
        were re-indexed.
        """
        rows = self._conn.execute(
            "SELECT id, path FROM sessions WHERE indexed_schema < ?", (REINDEX_BELOW,)
        ).fetchall()
        done = []
        for row in rows:
            try:
                self.add(Path(row["path"]))
            except LibraryError as exc:
                log.warning("session %s not re-indexed: %s", row["id"], exc)
                continue
            done.append(row["id"])
        return done

    # -- queries -------------------------------------------------------------------------------------------
    def list_sessions(self, athlete: str | None = None, exercise: str | None = None) -> list[SessionRow]:
        """Indexed sessions, oldest first, optionally filtered by athlete name and session exercise.

        `missing` is checked on the file system now, so a deleted or moved directory shows up as such.
        """
        sql = """
            SELECT s.id, s.path, s.created, a.name AS athlete, s.exercise, s.duration_s, s.frames,
                   s.app_version, s.pose_model,
                   (SELECT COUNT(*) FROM sets WHERE session_id = s.id) AS n_sets,
                   (SELECT COUNT(*) FROM reps WHERE session_id = s.id AND partial = 0) AS n_reps,
                   (SELECT COUNT(*) FROM reps WHERE session_id = s.id AND partial = 1) AS n_partial,
                   g.cadence_spm
            FROM sessions s
            LEFT JOIN athletes a ON a.id = s.athlete_id
            LEFT JOIN gait_summaries g ON g.session_id = s.id
            WHERE (? IS NULL OR a.name = ?) AND (? IS NULL OR s.exercise = ?)
            ORDER BY s.created, s.id
        """
        rows = self._conn.execute(sql, (athlete, athlete, exercise, exercise)).fetchall()
        return [
            SessionRow(
                id=r["id"],
                path=Path(r["path"]),
                created=r["created"],
                athlete=r["athlete"],
                exercise=r["exercise"],
                duration_s=r["duration_s"],
                frames=r["frames"],
                app_version=r["app_version"],
                pose_model=r["pose_model"],
                sets=r["n_sets"],
                reps=r["n_reps"],
                partial_reps=r["n_partial"],
                cadence_spm=r["cadence_spm"],
                missing=not (Path(r["path"]) / MANIFEST).is_file(),
            )
            for r in rows
        ]

    def athletes(self) -> list[str]:
        """Athlete names with at least one indexed session, sorted."""
        return [r["name"] for r in self._conn.execute("SELECT name FROM athletes ORDER BY name")]

    def reps(self, session_id: str, include_partial: bool = True) -> list[dict[str, object]]:
        """The stored reps of one session in order, each with its full `metrics` dict."""
        rows = self._conn.execute(
            "SELECT * FROM reps WHERE session_id = ? AND (? OR partial = 0) ORDER BY rep_index",
            (session_id, int(include_partial)),
        ).fetchall()
        out = []
        for r in rows:
            d = {k: r[k] for k in r.keys() if k != "metrics_json"}  # noqa: SIM118 - sqlite3.Row
            for flag in ("partial", "added", "good_form"):
                d[flag] = bool(d[flag])
            d["metrics"] = json.loads(r["metrics_json"])
            out.append(d)
        return out

    def good_form_scores(
        self, athlete: str, exercise: str, exclude_session: str | None = None
    ) -> list[float]:
        """The anomaly scores of `athlete`'s reps of `exercise` (strides, for running and walking) marked
        good form, over all their sessions (optionally but one): what
        `coach.ml.anomaly.personal_threshold` sets their threshold from."""
        rows = self._conn.execute(
            """SELECT r.anomaly_score, s.created, r.rep_index AS k FROM reps r
                   JOIN sessions s ON s.id = r.session_id JOIN athletes a ON a.id = s.athlete_id
               WHERE a.name = ? AND COALESCE(r.exercise, s.exercise) = ? AND r.good_form = 1
                   AND r.anomaly_score IS NOT NULL AND s.id IS NOT ?
               UNION ALL
               SELECT t.anomaly_score, s.created, t.stride_index AS k FROM strides t
                   JOIN sessions s ON s.id = t.session_id JOIN athletes a ON a.id = s.athlete_id
               WHERE a.name = ? AND COALESCE(t.activity, s.exercise) = ? AND t.good_form = 1
                   AND t.anomaly_score IS NOT NULL AND s.id IS NOT ?
               ORDER BY 2, 3""",
            (athlete, exercise, exclude_session) * 2,
        ).fetchall()
        return [float(r[0]) for r in rows]

    def trend(self, metric: str, athlete: str | None = None, exercise: str | None = None) -> list[TrendPoint]:
        """One point per session with a value of `metric` (see `coach.library.trends`), oldest first.

        `exercise` filters reps by the exercise they were performed as (a session may switch exercise), and
        gait summaries by their activity. Sessions without any value are left out, not reported as 0.
        """
        spec = TREND_METRICS.get(metric)
        if spec is None:
            raise LibraryError(f"unknown trend metric {metric!r}; expected one of {sorted(TREND_METRICS)}")
        if spec.table == "reps":
            sql = f"""
                SELECT s.id, s.created, a.name AS athlete, r.exercise, r.{spec.column} AS value
                FROM reps r JOIN sessions s ON s.id = r.session_id LEFT JOIN athletes a ON a.id = s.athlete_id
                WHERE r.partial = 0 AND r.{spec.column} IS NOT NULL
                  AND (? IS NULL OR a.name = ?) AND (? IS NULL OR r.exercise = ?)
                ORDER BY s.created, s.id, r.rep_index
            """  # noqa: S608 - the column comes from TREND_METRICS, never from the user
        else:
            sql = f"""
                SELECT s.id, s.created, a.name AS athlete, g.activity AS exercise, g.{spec.column} AS value,
                       g.steps
                FROM gait_summaries g JOIN sessions s ON s.id = g.session_id
                LEFT JOIN athletes a ON a.id = s.athlete_id
                WHERE g.{spec.column} IS NOT NULL
                  AND (? IS NULL OR a.name = ?) AND (? IS NULL OR g.activity = ?)
                ORDER BY s.created, s.id
            """  # noqa: S608 - the column comes from TREND_METRICS, never from the user
        rows = self._conn.execute(sql, (athlete, athlete, exercise, exercise)).fetchall()
        grouped: dict[str, list[sqlite3.Row]] = {}
        for r in rows:
            grouped.setdefault(r["id"], []).append(r)
        points = []
        for session_id, group in grouped.items():
            values = [float(r["value"]) for r in group]
            first = group[0]
            exercises = {r["exercise"] for r in group}
            points.append(
                TrendPoint(
                    session_id=session_id,
                    created=first["created"],
                    athlete=first["athlete"],
                    exercise=exercises.pop() if len(exercises) == 1 else None,
                    mean=statistics.fmean(values),
                    median=statistics.median(values),
                    n=int(first["steps"]) if spec.table == "gait_summaries" else len(values),
                )
            )
        return points

    def schema_version(self) -> int:
        """The database's schema version (== `LATEST_VERSION` once opened)."""
        return schema_version(self._conn)


def _manifest_id(directory: Path) -> str | None:
    """The manifest id of a session directory, or None when there is none to read."""
    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return str(data["id"]) if isinstance(data, dict) and data.get("id") else None


# (athlete, exercise, a session to leave out) -> the athlete's good-form scores; `athlete_good_form_scores`
# is the real one, tests inject their own.
GoodFormSource = Callable[[str, str, "str | None"], list[float]]


def athlete_good_form_scores(athlete: str, exercise: str, exclude_session: str | None = None) -> list[float]:
    """`Library.good_form_scores` of the user's library, for callers that only need those (the replay,
    the exports, `coach analyze --athlete`, the live app). No library yet, or one that cannot be read,
    gives none (logged); none is created just to ask."""
    if not library_path().is_file():
        return []
    try:
        with Library() as library:
            return library.good_form_scores(athlete, exercise, exclude_session=exclude_session)
    except (LibraryError, OSError, sqlite3.Error) as exc:
        log.warning("the library's good-form reps could not be read: %s", exc)
        return []


def session_good_form_scores(summary: SessionSummary, source: GoodFormSource | None = None) -> list[float]:
    """The scores that set the athlete's personal threshold for this session: their other sessions' marked
    reps (strides, for a run) of the same activity (`source`, default the user's library; this session left
    out), then this session's own marks (newer than its library rows)."""
    kind = summary.exercise
    if kind is not None and is_gait(kind):
        own = [s.anomaly_score for s in summary.strides if s.good_form and s.anomaly_score is not None]
    else:
        own = [r.anomaly_score for r in summary.reps if r.good_form and r.anomaly_score is not None]
    source = source if source is not None else athlete_good_form_scores
    others = source(summary.athlete, kind, summary.id) if summary.athlete and kind else []
    return [*others, *own]


def index_session(directory: Path, *, refresh_only: bool = False) -> str | None:
    """Add (or, with `refresh_only`, re-index only if already indexed) the session at `directory` in the
    user's library; returns why that failed, else None. Never raises for a library problem: the session
    itself is safe on disk either way, and `coach sessions add DIR` can index it later."""
    try:
        with Library() as library:
            if refresh_only:
                library.refresh(directory)
            else:
                library.add(directory)
    except (LibraryError, OSError, sqlite3.Error) as exc:
        log.warning("session %s not indexed: %s", directory, exc)
        return str(exc)
    return None
