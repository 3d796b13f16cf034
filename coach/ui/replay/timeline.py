"""The session plot: the primary joint angle over the whole session, rep spans, and a playhead cursor.

The curve is set once (it does not scroll: the whole session is the x range) and clips and
peak-downsamples like the live plots, so an hour-long session draws as fast as a short one. The cursor is
moved through `Throttled` because moving it repaints the plot, and playback would do that at frame rate.
A left click anywhere on the plot emits `seek_requested(media time)`. GUI thread only.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from coach.replay.reps import GaitMark, RepList
from coach.ui.throttle import Throttled

__all__ = ["CURSOR_INTERVAL_MS", "SessionPlot"]

pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)

CURSOR_INTERVAL_MS = 40  # ~25 cursor moves a second: smooth to the eye, a fraction of the plot's cost
_REP_BRUSH = pg.mkBrush(80, 220, 120, 40)
_PARTIAL_BRUSH = pg.mkBrush(250, 170, 40, 40)


class SessionPlot(QWidget):
    """Primary angle vs media time with rep spans, gait event ticks and a playhead."""

    seek_requested = Signal(float)  # media time in seconds

    def __init__(
        self, media_ts: np.ndarray, angle: np.ndarray, title: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.plot = pg.PlotWidget()
        self.plot.setBackground((30, 30, 34))
        self.plot.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        item = self.plot.getPlotItem()
        item.setTitle(title, size="9pt")
        item.setLabel("left", "deg")
        item.setLabel("bottom", "media time (s)")
        item.showGrid(x=True, y=True, alpha=0.2)
        item.setMenuEnabled(False)
        item.setMouseEnabled(x=False, y=False)  # a click seeks; dragging must not pan the session away
        self.plot.setMinimumHeight(140)
        layout.addWidget(self.plot)
        self.curve = self.plot.plot(np.asarray(media_ts, dtype=float), np.asarray(angle, dtype=float),
                                    pen=pg.mkPen((90, 170, 255), width=2), connect="finite")
        self.curve.setClipToView(True)
        self.curve.setDownsampling(auto=True, method="peak")
        self.cursor = pg.InfiniteLine(pos=float(media_ts[0]), angle=90, movable=False,
                                      pen=pg.mkPen((250, 250, 250), width=2))
        self.plot.addItem(self.cursor, ignoreBounds=True)
        self._spans: list[pg.LinearRegionItem] = []
        self._gait = pg.ScatterPlotItem(size=8, symbol="t1", brush=pg.mkBrush(250, 170, 40), pen=None)
        self.plot.addItem(self._gait)
        # The gait event picked for moving (E): a ring around its tick.
        self._selected = pg.ScatterPlotItem(size=18, symbol="o", brush=None,
                                            pen=pg.mkPen((255, 235, 60), width=2))
        self.plot.addItem(self._selected)
        self._selected_mark: GaitMark | None = None
        self.plot.setXRange(float(media_ts[0]), float(media_ts[-1]), padding=0.01)
        self._media_ts = np.asarray(media_ts, dtype=float)
        self._angle = np.asarray(angle, dtype=float)
        self._move_cursor = Throttled(self._set_cursor, CURSOR_INTERVAL_MS, self)
        self.plot.scene().sigMouseClicked.connect(self._on_click)

    def show_reps(self, reps: RepList, gait: list[GaitMark]) -> None:
        """Shade each rep's span and tick gait events (replacing what was shown)."""
        for span in self._spans:
            self.plot.removeItem(span)
        self._spans = []
        ts = self._media_ts
        for rep in reps:
            span = pg.LinearRegionItem((ts[rep.start_row], ts[rep.end_row]), movable=False,
                                       brush=_PARTIAL_BRUSH if rep.partial else _REP_BRUSH)
            span.setZValue(-10)
            self.plot.addItem(span)
            self._spans.append(span)
        if gait:
            rows = np.array([m.row for m in gait])
            y = self._angle[rows]
            self._gait.setData(ts[rows], np.where(np.isfinite(y), y, np.nanmin(self._angle)))
        else:
            self._gait.setData([], [])

    def show_selected_mark(self, mark: GaitMark | None) -> None:
        """Ring the selected gait event (None: no ring). Free when it did not change: the window calls this
        on every state change, which during playback is every frame."""
        if mark == self._selected_mark:
            return
        self._selected_mark = mark
        if mark is None:
            self._selected.setData([], [])
            return
        y = self._angle[mark.row]
        self._selected.setData([self._media_ts[mark.row]], [y if np.isfinite(y) else np.nanmin(self._angle)])

    def selected_mark_time(self) -> float | None:
        """Media time of the ringed gait event (None: none is ringed)."""
        x, _y = self._selected.getData()
        return float(x[0]) if len(x) else None

    def set_playhead(self, t: float) -> None:
        """Move the cursor to media time `t` (rate-limited; the last position always lands)."""
        self._move_cursor(t)

    def flush(self) -> None:
        """Apply a pending cursor move now."""
        self._move_cursor.flush()

    def cursor_time(self) -> float:
        return float(self.cursor.value())

    def _set_cursor(self, t: float) -> None:
        self.cursor.setValue(t)

    def _on_click(self, event: object) -> None:
        if event.button() != Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            return
        vb = self.plot.getPlotItem().getViewBox()
        pos: QPointF = event.scenePos()  # type: ignore[attr-defined]
        if not vb.sceneBoundingRect().contains(pos):
            return
        self.seek_requested.emit(float(vb.mapSceneToView(pos).x()))
