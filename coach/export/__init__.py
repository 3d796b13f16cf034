"""Exports of a recorded session (no Qt): per-frame angles and per-rep metrics as CSV, the whole session as
JSON, the video with overlays burned in as MP4, and a self-contained HTML report with inline SVG plots.

All read the session through `load_session` (`SessionReader`, corrections applied), so every export shows
the coach's corrected reps, and angles are recomputed with `coach.kinematics.angles`. `coach export` is
the command line (`coach.cli.export_cmd`).
"""

from coach.export.errors import ExportError
from coach.export.html_report import export_html, render_html
from coach.export.json_doc import export_json, session_document, written_summary
from coach.export.overlay_timeline import overlay_timeline
from coach.export.session_data import RepRow, SessionData, load_session
from coach.export.tables import CsvExport, export_csv
from coach.export.video import Mp4Export, export_mp4

__all__ = [
    "CsvExport",
    "ExportError",
    "Mp4Export",
    "RepRow",
    "SessionData",
    "export_csv",
    "export_html",
    "export_json",
    "export_mp4",
    "load_session",
    "overlay_timeline",
    "render_html",
    "session_document",
    "written_summary",
]
