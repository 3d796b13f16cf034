"""The session library: an SQLite index of recorded sessions for listing, filtering and trends.

`Library` (in `db`) owns the database; `read_session` (in `source`) reads a session directory; `draw_trend`
(in `plot`) renders a trend as a PNG with OpenCV. The library imports no Qt and writes no session files.
"""

from coach.library.db import (
    GoodFormSource,
    Library,
    SessionRow,
    athlete_good_form_scores,
    index_session,
    session_good_form_scores,
)
from coach.library.errors import LibraryError
from coach.library.paths import DATA_DIR_ENV, data_dir, library_path
from coach.library.plot import draw_trend
from coach.library.schema import LATEST_VERSION, MIGRATIONS, migrate, schema_version
from coach.library.source import (
    GaitSummary,
    RepRecord,
    SessionSummary,
    SetRecord,
    read_session,
)
from coach.library.trends import TREND_METRICS, TrendMetric, TrendPoint

__all__ = [
    "DATA_DIR_ENV",
    "LATEST_VERSION",
    "MIGRATIONS",
    "GaitSummary",
    "Library",
    "LibraryError",
    "RepRecord",
    "SessionRow",
    "SessionSummary",
    "SetRecord",
    "TREND_METRICS",
    "TrendMetric",
    "TrendPoint",
    "data_dir",
    "athlete_good_form_scores",
    "GoodFormSource",
    "index_session",
    "draw_trend",
    "library_path",
    "migrate",
    "read_session",
    "schema_version",
    "session_good_form_scores",
]
