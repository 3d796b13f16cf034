"""The rep list: one row per rep with its times, metrics, form score (the anomaly score against the
threshold it is judged by, green within it, red above it with where the rep deviates) and good-form mark;
clicking a rep asks to seek to its start. A running or walking session lists its scored strides instead
(`show_strides`: foot, start, duration, form score, good-form mark).

Display only: `show_reps` fills it from a `RepList`, `highlight` marks the rep under the playhead, and
`rep_activated(index)` reports a click. Ctrl+click (or Shift+click) selects a second rep, for comparing
two reps; `selected_indices` lists the selection. It takes no keyboard focus, so the window's keys keep
working. GUI thread only.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from coach.replay.reps import RepItem, RepList, StrideItem

__all__ = ["COLUMNS", "RepTable"]

# (header, metric key or None for a computed column, format)
COLUMNS: tuple[tuple[str, str | None, str], ...] = (
    ("#", None, ""),
    ("good", None, ""),
    ("form score", None, ""),
    ("start s", None, ""),
    ("duration s", "duration_s", "{:.2f}"),
    ("ecc s", "eccentric_s", "{:.2f}"),
    ("con s", "concentric_s", "{:.2f}"),
    ("depth", "depth", "{:.2f}"),
    ("trunk deg", "peak_trunk_lean_deg", "{:.0f}"),
    ("asym deg", "asymmetry_deg", "{:.0f}"),
    ("faults", None, ""),
)

STRIDE_COLUMNS: tuple[str, ...] = ("#", "good", "form score", "foot", "start s", "duration s")

Threshold = Callable[[RepItem], "float | None"]
StrideThreshold = Callable[[StrideItem], "float | None"]


def form_text(rep: RepItem | StrideItem, threshold: float | None) -> str:
    """The anomaly score against the threshold it is judged by ("2.1 ok", "14.0 > 9.5: left knee")."""
    if rep.anomaly is None:
        return "—"
    if threshold is None:
        return f"{rep.anomaly:.1f}"
    if rep.anomaly <= threshold:
        return f"{rep.anomaly:.1f} ok"
    where = f": {', '.join(rep.top_joints[:2])}" if rep.top_joints else ""
    return f"{rep.anomaly:.1f} > {threshold:.1f}{where}"


def _cell(rep: RepItem, key: str | None, fmt: str, header: str, threshold: float | None = None) -> str:
    if header == "#":
        return f"{rep.number}{' (partial)' if rep.partial else ''}{' (added)' if rep.added else ''}"
    if header == "start s":
        return f"{rep.start_s:.2f}"
    if header == "faults":
        return ", ".join(rep.faults)
    if header == "form score":
        return form_text(rep, threshold)
    if header == "good":
        return "✓" if rep.good_form else ""
    value = rep.metric(key or "")
    return fmt.format(value) if math.isfinite(value) else "—"


class RepTable(QTableWidget):
    """Reps with metrics (or strides); a click emits `rep_activated(index in the list)`."""

    rep_activated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(COLUMNS), parent)
        self.headers = [c[0] for c in COLUMNS]  # the columns shown: a rep's, or a stride's
        self.setHorizontalHeaderLabels(self.headers)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.setMinimumWidth(430)
        self.cellClicked.connect(lambda row, _col: self.rep_activated.emit(row))
        self._highlighted = -1

    def show_reps(self, reps: RepList, threshold_for: Threshold | None = None) -> None:
        """Replace the rows with `reps` (the selection is cleared: its rep may be gone). `threshold_for`
        gives the anomaly threshold each rep is judged by (default: the one it was scored with)."""
        self._reset([c[0] for c in COLUMNS], len(reps))
        for r, rep in enumerate(reps):
            threshold = threshold_for(rep) if threshold_for is not None else rep.anomaly_threshold
            for c, (header, key, fmt) in enumerate(COLUMNS):
                self._set(r, c, _cell(rep, key, fmt, header, threshold), rep, header, threshold)

    def show_strides(self, strides: list[StrideItem], threshold_for: StrideThreshold | None = None) -> None:
        """Replace the rows with scored strides (a running or walking session), as `show_reps` does."""
        self._reset(list(STRIDE_COLUMNS), len(strides))
        for r, stride in enumerate(strides):
            threshold = threshold_for(stride) if threshold_for is not None else stride.anomaly_threshold
            cells = {"#": str(stride.index), "good": "✓" if stride.good_form else "",
                     "form score": form_text(stride, threshold), "foot": stride.foot,
                     "start s": f"{stride.start_s:.2f}", "duration s": f"{stride.end_s - stride.start_s:.2f}"}
            for c, header in enumerate(STRIDE_COLUMNS):
                self._set(r, c, cells[header], stride, header, threshold)

    def _reset(self, headers: list[str], rows: int) -> None:
        # The selection is cleared: its rep may be gone.
        self.clearSelection()
        if headers != self.headers:
            self.setColumnCount(len(headers))
            self.setHorizontalHeaderLabels(headers)
            self.headers = headers
        self.setRowCount(rows)
        self._highlighted = -1

    def _set(self, r: int, c: int, text: str, scored: RepItem | StrideItem, header: str,
             threshold: float | None) -> None:
        item = QTableWidgetItem(text)
        if header == "form score" and scored.anomaly is not None and threshold is not None:
            over = scored.anomaly > threshold
            item.setForeground(QColor(230, 120, 90) if over else QColor(120, 200, 120))
        self.setItem(r, c, item)

    def highlight(self, index: int) -> None:
        """Tint rep `index` (the one under the playhead; -1 for none). Cheap when it did not change."""
        if index == self._highlighted:
            return
        for r, colour in ((self._highlighted, None), (index, QColor(60, 90, 140))):
            if 0 <= r < self.rowCount():
                for c in range(self.columnCount()):
                    item = self.item(r, c)
                    if item is not None:
                        item.setBackground(colour if colour is not None else QColor(0, 0, 0, 0))
        self._highlighted = index

    def selected_index(self) -> int:
        """The selected rep's index (the first in list order when several are), -1 when none is."""
        rows = self.selected_indices()
        return rows[0] if rows else -1

    def selected_indices(self) -> list[int]:
        """The selected reps' indices in list order."""
        return sorted(index.row() for index in self.selectionModel().selectedRows())
