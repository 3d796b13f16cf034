"""The session library window: indexed sessions in a table, filters, trends across sessions, open in replay.

The table lists what `coach.library.Library.list_sessions` reports (date, athlete, exercise, reps, duration,
cadence, whether the directory is still there); the athlete and exercise boxes filter in the database, the
text filter (Ctrl+F) narrows the rows shown. Under the table, one pyqtgraph plot per trend metric of
`coach.library.trends` (depth, tempo, anomaly, cadence) shows the per-session median (line and dots) and
mean (hollow circles) for the same filters; the selected session's points are ringed, and clicking a point
selects its session.

Enter (or a double-click) opens the selected session in a `ReplayWindow`; Delete removes it from the index
after a confirmation (the directory is never touched); F5 re-reads the library. A session whose directory
was moved or deleted is marked "missing"; opening it shows a message bar offering to remove it from the
library or to locate the moved directory (re-adding it there keeps its history, found by manifest id).

Threads: GUI thread only. The window owns one `Library` connection while it is shown (opened on show,
closed on close): sqlite3 connections belong to the thread that opened them, and the live session indexes
new recordings through its own connection (WAL mode, so neither blocks the other).
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import (
    QAbstractTableModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QBrush, QCloseEvent, QColor, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from coach.errors import CoachError
from coach.library import TREND_METRICS, Library, LibraryError, SessionRow, TrendPoint

__all__ = ["LibraryWindow", "SessionTableModel", "TrendPlots", "open_replay_window", "run_library_app"]

log = logging.getLogger(__name__)

ALL_ATHLETES = "All athletes"
ALL_EXERCISES = "All exercises"
MAX_DATE_TICKS = 5
SORT_ROLE = Qt.ItemDataRole.UserRole
MISSING_TEXT = "missing"

_MEDIAN_PEN = pg.mkPen((90, 170, 255), width=2)
_MEDIAN_BRUSH = pg.mkBrush(90, 170, 255)
_MEAN_PEN = pg.mkPen((250, 160, 60), width=1.5)
_SELECTED_PEN = pg.mkPen((255, 255, 255), width=2)

ReplayFactory = Callable[[Path], QWidget]


def open_replay_window(path: Path) -> QWidget:
    """A `ReplayWindow` on the session at `path` (not shown yet). Raises `CoachError` (SessionError) when
    the directory is not a readable session with frames, OSError when it cannot be read at all."""
    from coach.replay.model import ReplayModel
    from coach.ui.replay.window import ReplayWindow

    return ReplayWindow(ReplayModel(path))


# -- table ------------------------------------------------------------------------------------------------
def _reps_text(r: SessionRow) -> str:
    if not r.reps and not r.partial_reps:
        return "—"
    return str(r.reps) + (f" (+{r.partial_reps} partial)" if r.partial_reps else "")


def _date_text(created: str) -> str:
    return created[:16].replace("T", " ")


class SessionTableModel(QAbstractTableModel):
    """The sessions as table rows; `SORT_ROLE` holds sortable raw values (None sorts first)."""

    COLUMNS: tuple[str, ...] = ("Date", "Athlete", "Exercise", "Reps", "Duration", "Cadence", "Status",
                                "Folder")  # fmt: skip

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[SessionRow] = []

    def set_rows(self, rows: Sequence[SessionRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> SessionRow:
        return self._rows[row]

    def rows(self) -> list[SessionRow]:
        return list(self._rows)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(  # noqa: N802 - Qt's name
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid():
            return None
        r = self._rows[index.row()]
        column = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(r, column)
        if role == SORT_ROLE:
            return self._sort_key(r, column)
        if role == Qt.ItemDataRole.ForegroundRole and r.missing:
            return QBrush(QColor(150, 150, 150)) if column != "Status" else QBrush(QColor(220, 60, 60))
        if role == Qt.ItemDataRole.ToolTipRole:
            note = " — the directory is gone (moved or deleted)" if r.missing else ""
            return f"{r.path}{note}\nid {r.id}"
        if role == Qt.ItemDataRole.TextAlignmentRole and column in ("Reps", "Duration", "Cadence"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _display(r: SessionRow, column: str) -> str:
        match column:
            case "Date":
                return _date_text(r.created)
            case "Athlete":
                return r.athlete or "—"
            case "Exercise":
                return (r.exercise or "—").replace("_", " ")
            case "Reps":
                return _reps_text(r)
            case "Duration":
                return f"{r.duration_s:.0f} s" if r.duration_s is not None else "—"
            case "Cadence":
                return f"{r.cadence_spm:.0f} spm" if r.cadence_spm is not None else "—"
            case "Status":
                return MISSING_TEXT if r.missing else "ok"
            case _:
                return r.path.name

    @staticmethod
    def _sort_key(r: SessionRow, column: str) -> Any:
        match column:
            case "Date":
                return r.created
            case "Reps":
                return r.reps
            case "Duration":
                return r.duration_s if r.duration_s is not None else -1.0
            case "Cadence":
                return r.cadence_spm if r.cadence_spm is not None else -1.0
            case _:
                return SessionTableModel._display(r, column).lower()


# -- trend plots ------------------------------------------------------------------------------------------
class TrendPlots(QWidget):
    """One plot per trend metric: x is the session's place in date order (tick labels are dates)."""

    session_clicked = Signal(str)  # session id of a clicked point

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.plots: dict[str, pg.PlotWidget] = {}
        self._median: dict[str, pg.PlotDataItem] = {}
        self._mean: dict[str, pg.ScatterPlotItem] = {}
        self._selected: dict[str, pg.ScatterPlotItem] = {}
        self._empty: dict[str, pg.TextItem] = {}
        self._points: dict[str, list[TrendPoint]] = {}
        for name, spec in TREND_METRICS.items():
            w = pg.PlotWidget()
            w.setBackground((30, 30, 34))
            item = w.getPlotItem()
            item.setTitle(f"{name.capitalize()} · median ●  mean ○", size="9pt")
            item.setLabel("left", spec.label)
            for side in ("left", "bottom"):
                item.getAxis(side).enableAutoSIPrefix(False)  # "(x0.001)" reads as a unit change
            item.showGrid(x=False, y=True, alpha=0.2)
            item.setMenuEnabled(False)
            item.setMouseEnabled(x=False, y=False)
            item.hideButtons()
            w.setMinimumSize(180, 160)
            median = w.plot(pen=_MEDIAN_PEN, symbol="o", symbolSize=8, symbolBrush=_MEDIAN_BRUSH,
                            symbolPen=None, name="median")  # fmt: skip
            median.sigPointsClicked.connect(lambda _item, pts, *_a, m=name: self._clicked(m, pts))
            mean = pg.ScatterPlotItem(size=9, symbol="o", pen=_MEAN_PEN, brush=None, name="mean")
            selected = pg.ScatterPlotItem(size=16, symbol="o", pen=_SELECTED_PEN, brush=None)
            empty = pg.TextItem("no sessions with this metric", color=(190, 190, 200), anchor=(0.5, 0.5))
            for extra in (mean, selected, empty):
                w.addItem(extra)
            self.plots[name], self._median[name], self._mean[name] = w, median, mean
            self._selected[name], self._empty[name] = selected, empty
            layout.addWidget(w)

    def show_points(self, points: dict[str, list[TrendPoint]]) -> None:
        """Redraw every plot from `points` (metric -> points in date order)."""
        for name, w in self.plots.items():
            pts = list(points.get(name, []))
            self._points[name] = pts
            x = np.arange(len(pts), dtype=float)
            self._median[name].setData(x, np.array([p.median for p in pts], dtype=float))
            self._mean[name].setData(x, np.array([p.mean for p in pts], dtype=float))
            self._selected[name].setData([], [])
            self._empty[name].setVisible(not pts)
            axis = w.getPlotItem().getAxis("bottom")
            axis.setTicks([_date_ticks(pts), []])
            w.getPlotItem().setLabel("bottom", f"session date ({_years(pts)})" if pts else "session date")
            if pts:
                w.getPlotItem().enableAutoRange()
                w.setXRange(-0.5, len(pts) - 0.5, padding=0.05)
            else:
                w.setXRange(0, 1)
                w.setYRange(0, 1)
                self._empty[name].setPos(0.5, 0.5)

    def highlight(self, session_id: str | None) -> None:
        """Ring the points of `session_id` (None clears)."""
        for name, pts in self._points.items():
            hits = [(float(i), p.median) for i, p in enumerate(pts) if p.session_id == session_id]
            self._selected[name].setData([h[0] for h in hits], [h[1] for h in hits])

    def points(self, metric: str) -> list[TrendPoint]:
        return list(self._points.get(metric, []))

    def curve_data(self, metric: str) -> tuple[np.ndarray, np.ndarray]:
        """What the median curve of `metric` draws (x, y)."""
        x, y = self._median[metric].getData()
        return (np.asarray(x if x is not None else []), np.asarray(y if y is not None else []))

    def highlighted(self, metric: str) -> int:
        """How many points of `metric` are ringed as selected."""
        x, _y = self._selected[metric].getData()
        return 0 if x is None else len(x)

    def _clicked(self, metric: str, pts: Sequence[Any]) -> None:
        if not len(pts):
            return
        i = int(round(pts[0].pos().x()))
        points = self._points.get(metric, [])
        if 0 <= i < len(points):
            self.session_clicked.emit(points[i].session_id)


def _date_ticks(points: Sequence[TrendPoint]) -> list[tuple[float, str]]:
    """At most `MAX_DATE_TICKS` labels "mm-dd" (the years go in the axis label: see `_years`)."""
    step = max(1, int(np.ceil(len(points) / MAX_DATE_TICKS)))
    return [(float(i), points[i].created[5:10]) for i in range(0, len(points), step)]


def _years(points: Sequence[TrendPoint]) -> str:
    years = sorted({p.created[:4] for p in points})
    return "" if not years else years[0] if len(years) == 1 else f"{years[0]}–{years[-1]}"


# -- message bar ------------------------------------------------------------------------------------------
class MessageBar(QFrame):
    """An inline message with optional actions (a missing directory, an unreadable session, a DB error)."""

    remove_clicked = Signal()
    locate_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("MessageBar { background: #4a3a1a; } QLabel { color: #ffe6b0; }")
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.remove_button = QPushButton("Remove from library")
        self.locate_button = QPushButton("Locate…")
        self.locate_button.setToolTip("Pick the session's new directory: it is re-indexed there")
        close = QPushButton("Dismiss")
        self.remove_button.clicked.connect(self.remove_clicked)
        self.locate_button.clicked.connect(self.locate_clicked)
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.locate_button)
        layout.addWidget(self.remove_button)
        layout.addWidget(close)
        self.hide()

    def show_message(self, text: str, *, offer_remove: bool = False, offer_locate: bool = False) -> None:
        self.label.setText(text)
        self.remove_button.setVisible(offer_remove)
        self.locate_button.setVisible(offer_locate)
        self.show()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""


# -- window -----------------------------------------------------------------------------------------------
class LibraryWindow(QMainWindow):
    """The library browser; see the module docstring. `replay_factory` builds the window that opens a
    session (default: `open_replay_window`)."""

    replay_opened = Signal(object)  # the replay window just shown
    feedback_requested = Signal(str)  # the selected session's directory ("Feedback" button)
    library_changed = Signal()  # sessions were removed or re-indexed from this window

    def __init__(
        self,
        library_path: Path | None = None,
        *,
        replay_factory: ReplayFactory = open_replay_window,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("coach — session library")
        self._library_path = library_path
        self._library: Library | None = None
        self._replay_factory = replay_factory
        self._problem_row: SessionRow | None = None  # the session the message bar is about
        self.replay_windows: list[QWidget] = []

        self.athlete_box = QComboBox()
        self.athlete_box.setMinimumContentsLength(12)
        self.exercise_box = QComboBox()
        self.exercise_box.setMinimumContentsLength(12)
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Filter (Ctrl+F): date, athlete, exercise, folder…")
        self.filter_edit.setClearButtonEnabled(True)
        self.open_button = QPushButton("Open replay")
        self.open_button.setToolTip("Open the selected session in the replay window (Enter)")
        self.feedback_button = QPushButton("Feedback")
        self.feedback_button.setToolTip("Written feedback on the selected session")

        self.model = SessionTableModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)  # newest first
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)

        self.message_bar = MessageBar()
        self.trends = TrendPlots()
        self.status_label = QLabel()
        self._assemble()
        self._make_actions()
        self._connect()
        self.resize(1200, 760)

    def _assemble(self) -> None:
        filters = QHBoxLayout()
        filters.addWidget(QLabel("Athlete"))
        filters.addWidget(self.athlete_box)
        filters.addWidget(QLabel("Exercise"))
        filters.addWidget(self.exercise_box)
        filters.addWidget(self.filter_edit, 1)
        filters.addWidget(self.feedback_button)
        filters.addWidget(self.open_button)
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(6, 6, 6, 0)
        top_layout.addLayout(filters)
        top_layout.addWidget(self.message_bar)
        top_layout.addWidget(self.table, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(self.trends)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.setCentralWidget(split)
        self.statusBar().addWidget(self.status_label, 1)

    def _make_actions(self) -> None:
        def action(text: str, keys: Sequence[QKeySequence | str], slot: Callable[[], object]) -> QAction:
            a = QAction(text, self)
            a.setShortcuts([QKeySequence(k) for k in keys])
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            a.triggered.connect(lambda _checked=False: slot())
            self.addAction(a)
            return a

        self.find_action = action("Filter", [QKeySequence.StandardKey.Find], self.focus_filter)
        self.delete_action = action("Remove from library", [QKeySequence.StandardKey.Delete, "Backspace"],
                                    self.remove_selected)  # fmt: skip
        self.refresh_action = action("Refresh", [QKeySequence.StandardKey.Refresh, "F5"], self.refresh)
        self.close_action = action("Close", [QKeySequence.StandardKey.Close, "Ctrl+W"], self.close)

    def _connect(self) -> None:
        self.athlete_box.activated.connect(lambda _i: self.refresh())
        self.exercise_box.activated.connect(lambda _i: self.refresh())
        self.filter_edit.textChanged.connect(self._on_filter_text)
        self.filter_edit.returnPressed.connect(self._open_first_match)
        self.table.activated.connect(lambda _index: self.open_selected())  # Enter, double-click
        self.table.selectionModel().currentRowChanged.connect(lambda *_a: self._on_selection())
        self.open_button.clicked.connect(self.open_selected)
        self.feedback_button.clicked.connect(self._request_feedback)
        self.trends.session_clicked.connect(self.select_session)
        self.message_bar.remove_clicked.connect(self._remove_problem_row)
        self.message_bar.locate_clicked.connect(self._locate_problem_row)

    # -- library access -------------------------------------------------------------------------------
    def _lib(self) -> Library:
        if self._library is None:
            self._library = Library(self._library_path)
        return self._library

    def refresh(self) -> None:
        """Re-read sessions, filter choices and trends from the library (keeps the selection if it can)."""
        selected = self.selected_row()
        athlete, exercise = self._filter_value(self.athlete_box), self._filter_value(self.exercise_box)
        try:
            lib = self._lib()
            everyone = lib.list_sessions()
            rows = lib.list_sessions(athlete=athlete, exercise=exercise)
            athletes = lib.athletes()
            points = {m: lib.trend(m, athlete=athlete, exercise=exercise) for m in TREND_METRICS}
        except (LibraryError, sqlite3.Error, OSError) as exc:
            log.warning("cannot read the session library: %s", exc)
            self.message_bar.show_message(f"Cannot read the session library: {exc}")
            return
        self._fill_box(self.athlete_box, ALL_ATHLETES, athletes, athlete)
        exercises = sorted({r.exercise for r in everyone if r.exercise})
        self._fill_box(self.exercise_box, ALL_EXERCISES, exercises, exercise)
        self.model.set_rows(rows)
        self.trends.show_points(points)
        missing = sum(r.missing for r in rows)
        text = f"{len(rows)} session{'s' if len(rows) != 1 else ''}"
        if len(rows) != len(everyone):
            text += f" of {len(everyone)}"
        if missing:
            text += f" · {missing} missing (moved or deleted: open one to locate or remove it)"
        self.status_label.setText(text)
        if selected is not None:
            self.select_session(selected.id)
        if self.selected_row() is None and self.proxy.rowCount():
            self.table.selectRow(0)
        self._on_selection()

    @staticmethod
    def _filter_value(box: QComboBox) -> str | None:
        data = box.currentData()
        return data if isinstance(data, str) and data else None

    @staticmethod
    def _fill_box(box: QComboBox, all_text: str, values: Sequence[str], current: str | None) -> None:
        box.blockSignals(True)
        box.clear()
        box.addItem(all_text, "")
        for v in values:
            box.addItem(v.replace("_", " "), v)
        if current is not None and current not in values:
            box.addItem(current.replace("_", " "), current)  # keep a filter with no sessions left visible
        box.setCurrentIndex(max(0, box.findData(current or "")))
        box.blockSignals(False)

    def set_filters(self, athlete: str | None = None, exercise: str | None = None) -> None:
        """Choose the athlete and exercise filters (None: all) and refresh."""
        for box, value in ((self.athlete_box, athlete), (self.exercise_box, exercise)):
            i = box.findData(value or "")
            if i < 0:
                box.addItem(str(value), value)
                i = box.count() - 1
            box.setCurrentIndex(i)
        self.refresh()

    # -- selection --------------------------------------------------------------------------------------
    def selected_row(self) -> SessionRow | None:
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().isRowSelected(index.row(), QModelIndex()):
            return None
        return self.model.row_at(self.proxy.mapToSource(index).row())

    def visible_rows(self) -> list[SessionRow]:
        """The rows as shown (filtered and sorted)."""
        return [self.model.row_at(self.proxy.mapToSource(self.proxy.index(i, 0)).row())
                for i in range(self.proxy.rowCount())]  # fmt: skip

    def select_session(self, session_id: str) -> bool:
        for i in range(self.proxy.rowCount()):
            index = self.proxy.index(i, 0)
            if self.model.row_at(self.proxy.mapToSource(index).row()).id == session_id:
                flags = (QItemSelectionModel.SelectionFlag.ClearAndSelect
                         | QItemSelectionModel.SelectionFlag.Rows)  # fmt: skip
                self.table.selectionModel().setCurrentIndex(index, flags)
                self.table.scrollTo(index)
                return True
        return False

    def _on_selection(self) -> None:
        row = self.selected_row()
        self.trends.highlight(row.id if row else None)
        self.open_button.setEnabled(row is not None)
        self.feedback_button.setEnabled(row is not None and not row.missing)

    def focus_filter(self) -> None:
        self.filter_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_edit.selectAll()

    def _on_filter_text(self, text: str) -> None:
        self.proxy.setFilterFixedString(text.strip())
        if self.selected_row() is None and self.proxy.rowCount():
            self.table.selectRow(0)
        self._on_selection()

    def _open_first_match(self) -> None:
        if self.selected_row() is None and self.proxy.rowCount():
            self.table.selectRow(0)
        self.table.setFocus()
        self.open_selected()

    # -- opening ------------------------------------------------------------------------------------------
    def open_selected(self) -> QWidget | None:
        """Open the selected session in a replay window; a missing or unreadable directory is reported in
        the message bar (with an offer to remove it from the library), never raised."""
        row = self.selected_row()
        if row is None:
            self.statusBar().showMessage("Select a session first", 3000)
            return None
        return self.open_session(row)

    def open_session(self, row: SessionRow) -> QWidget | None:
        if not row.path.is_dir() or row.missing:
            self._report_missing(row)
            return None
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            window = self._replay_factory(row.path)
        except (CoachError, OSError) as exc:
            if not row.path.is_dir():  # gone between the listing and now
                self._report_missing(row)
                return None
            log.warning("cannot open session %s: %s", row.path, exc)
            self._problem_row = row
            self.message_bar.show_message(
                f"Cannot open {row.path}: {exc}", offer_remove=True, offer_locate=False
            )
            return None
        finally:
            QApplication.restoreOverrideCursor()
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.replay_windows.append(window)
        window.destroyed.connect(lambda _obj=None, w=window: self._forget_replay(w))
        window.show()
        window.raise_()
        self.message_bar.hide()
        log.info("opened session %s in replay", row.path)
        self.replay_opened.emit(window)
        return window

    def _forget_replay(self, window: QWidget) -> None:
        if window in self.replay_windows:
            self.replay_windows.remove(window)

    def _report_missing(self, row: SessionRow) -> None:
        self._problem_row = row
        self.message_bar.show_message(
            f"The session directory is gone: {row.path} (moved or deleted). Remove the session from the "
            "library, or locate its new directory.",
            offer_remove=True,
            offer_locate=True,
        )

    def _remove_problem_row(self) -> None:
        row = self._problem_row
        if row is not None:
            self._forget(row)
        self.message_bar.hide()

    def _locate_problem_row(self) -> None:
        row = self._problem_row
        if row is None:
            return
        start = str(row.path.parent if row.path.parent.is_dir() else Path.home())
        chosen = QFileDialog.getExistingDirectory(self, "Locate the session directory", start)
        if chosen:
            self.relocate(row, Path(chosen))

    def relocate(self, row: SessionRow, directory: Path) -> bool:
        """Re-index `row` from `directory` (where it was moved); False with a message when that fails."""
        try:
            summary = self._lib().add(directory)
        except (LibraryError, sqlite3.Error, OSError) as exc:
            self.message_bar.show_message(f"Not re-indexed: {exc}", offer_remove=True, offer_locate=True)
            return False
        if summary.id != row.id:
            # Another session was picked: it is in the library now, and the missing one stays missing.
            self.statusBar().showMessage(f"{directory} is another session; it was added to the library", 8000)
        self.message_bar.hide()
        self.refresh()
        self.select_session(summary.id)
        self.library_changed.emit()
        return True

    # -- removing -----------------------------------------------------------------------------------------
    def remove_selected(self) -> bool:
        """Delete key: remove the selected session from the library after a confirmation (files stay)."""
        row = self.selected_row()
        if row is None:
            return False
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Remove from library",
            f"Remove the session of {_date_text(row.created)} ({row.exercise or 'no exercise'}) from the "
            f"library?\n\nIts directory is not deleted:\n{row.path}",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        if box.exec() != QMessageBox.StandardButton.Yes:
            return False
        return self._forget(row)

    def _forget(self, row: SessionRow) -> bool:
        try:
            removed = self._lib().forget(row.id)
        except (LibraryError, sqlite3.Error, OSError) as exc:
            self.message_bar.show_message(f"Could not remove the session: {exc}")
            return False
        self._problem_row = None
        self.refresh()
        self.statusBar().showMessage(f"Removed {row.path.name} from the library" if removed
                                     else f"{row.path.name} was not in the library", 5000)  # fmt: skip
        self.library_changed.emit()
        return bool(removed)

    def _request_feedback(self) -> None:
        row = self.selected_row()
        if row is not None and not row.missing:
            self.feedback_requested.emit(str(row.path))

    # -- lifetime -----------------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.refresh()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """Close the database connection (reopened when shown again); replay windows stay open."""
        if self._library is not None:
            self._library.close()
            self._library = None
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Close this window and every replay window it opened (app exit)."""
        for window in list(self.replay_windows):
            window.close()
        self.close()


def run_library_app(library_path: Path | None = None) -> int:
    """`coach sessions --gui`: the library window on its own, with feedback in a separate window."""
    from coach.settings import load_settings
    from coach.ui.feedback_panel import FeedbackPanel, make_feedback_service

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("coach")
    settings = load_settings()
    window = LibraryWindow(library_path)
    panel = FeedbackPanel(make_feedback_service(settings), use_gpt=settings.feedback_gpt)
    panel.setWindowTitle("coach — feedback")
    panel.resize(520, 360)

    def show_feedback(path: str) -> None:
        panel.show_session(Path(path))
        panel.show()
        panel.raise_()

    window.feedback_requested.connect(show_feedback)
    window.show()
    code = app.exec()
    window.shutdown()
    panel.close()
    panel.shutdown(wait=False)
    return code
