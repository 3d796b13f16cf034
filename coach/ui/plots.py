"""Live scrolling plots (pyqtgraph): the primary joint angle with rep markers, anomaly per rep, gait metrics.

Data goes into preallocated ring buffers as it arrives (cheap, any rate); the curves are redrawn by
`refresh()`, which the window calls from a ~10 Hz timer and which does nothing unless new data arrived.
Curves clip to the visible window and peak-downsample, so a long session costs the same as a short one.
GUI thread only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QHBoxLayout, QWidget

from coach.activities import is_gait
from coach.live.activity import PRIMARY_ANGLE
from coach.ui.formatting import GAIT_FIELDS, gait_value, rep_anomaly
from coach.ui.ring_buffer import RingBuffer

__all__ = ["LivePlots"]

pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)

WINDOW_S = 20.0  # seconds of history visible while scrolling
ANGLE_CAPACITY = 60 * 60  # a minute at 60 fps
MARKER_CAPACITY = 256
GAIT_CAPACITY = 2048
ANOMALY_REPS = 50

_REP_END_KINDS = ("rep_completed", "partial_rep")
_FULL_BRUSH = pg.mkBrush(80, 220, 120)
_PARTIAL_BRUSH = pg.mkBrush(250, 170, 40)


def _plot(title: str, left: str, bottom: str | None = "media time (s)") -> pg.PlotWidget:
    w = pg.PlotWidget()
    w.setBackground((30, 30, 34))
    item = w.getPlotItem()
    item.setTitle(title, size="9pt")
    item.setLabel("left", left)
    if bottom:
        item.setLabel("bottom", bottom)
    item.showGrid(x=True, y=True, alpha=0.2)
    item.setMenuEnabled(False)
    w.setMinimumHeight(150)
    return w


class LivePlots(QWidget):
    """Three plots side by side; which ones show depends on the activity (reps vs gait)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

        self.angle_plot = _plot("Primary joint angle", "deg")
        self._angle = RingBuffer(ANGLE_CAPACITY)
        self._angle_curve = self.angle_plot.plot(pen=pg.mkPen((90, 170, 255), width=2))
        self._angle_curve.setClipToView(True)
        self._angle_curve.setDownsampling(auto=True, method="peak")
        self._markers_full = RingBuffer(MARKER_CAPACITY)
        self._markers_partial = RingBuffer(MARKER_CAPACITY)
        self._full_scatter = pg.ScatterPlotItem(size=11, symbol="o", brush=_FULL_BRUSH, pen=None)
        self._partial_scatter = pg.ScatterPlotItem(size=11, symbol="t", brush=_PARTIAL_BRUSH, pen=None)
        self.angle_plot.addItem(self._full_scatter)
        self.angle_plot.addItem(self._partial_scatter)
        self.angle_plot.getPlotItem().enableAutoRange(x=False, y=True)
        layout.addWidget(self.angle_plot, 2)

        self.anomaly_plot = _plot("Anomaly per rep", "score", "rep")
        self.anomaly_plot.setYRange(0.0, 1.0)
        self._anomaly_bars = pg.BarGraphItem(x=[], height=[], width=0.7, brush=(230, 110, 90))
        self.anomaly_plot.addItem(self._anomaly_bars)
        self._anomaly_note = pg.TextItem("— no form model yet",
                                         color=(190, 190, 200), anchor=(0.5, 0.5))
        self.anomaly_plot.addItem(self._anomaly_note)
        self._anomaly_note.setPos(0.5, 0.5)
        self.anomaly_plot.setXRange(0.0, 1.0)
        self._anomaly: dict[int, float] = {}
        layout.addWidget(self.anomaly_plot, 1)

        self.gait_plot = _plot("Gait", "value")
        self.gait_plot.addLegend(offset=(10, 5))
        self._gait: dict[str, RingBuffer] = {}
        self._gait_curves: dict[str, pg.PlotDataItem] = {}
        colours = [(90, 170, 255), (250, 170, 40), (80, 220, 120), (230, 110, 90)]
        for (label, unit, _dec, _keys), colour in zip(GAIT_FIELDS[:2], colours, strict=False):
            self._gait[label] = RingBuffer(GAIT_CAPACITY)
            curve = self.gait_plot.plot(pen=pg.mkPen(colour, width=2), name=f"{label} ({unit})")
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
            self._gait_curves[label] = curve
        self.gait_plot.getPlotItem().enableAutoRange(x=False, y=True)
        layout.addWidget(self.gait_plot, 1)

        self._dirty = False
        self._last_gait: dict[str, float] = {}
        self._angle_title = ""
        self.set_activity(None)

    # -- data in (cheap; any rate) ----------------------------------------------------------------------
    def add_series(self, ts: np.ndarray, angles: np.ndarray) -> None:
        """Append primary-angle samples (media seconds, degrees; NaN = not measured, drawn as a gap)."""
        if len(ts):
            self._angle.extend(ts, angles)
            self._dirty = True

    def add_rep_marker(self, t: float, partial: bool) -> None:
        """Mark a rep at media time `t` on the angle curve."""
        x, y = self._angle.view()
        finite = np.isfinite(y)
        angle = float(np.interp(t, x[finite], y[finite])) if finite.any() else float("nan")
        (self._markers_partial if partial else self._markers_full).append(t, angle)
        self._dirty = True

    def add_events(self, events: list[Any]) -> None:
        """Mark completed and partial reps from the pipeline's drained events (gait events are ignored)."""
        for event in events:
            kind = str(getattr(event.kind, "value", event.kind))
            if kind not in _REP_END_KINDS:
                continue
            rep = getattr(event, "rep", None)
            t = rep.bottom_t if rep is not None else event.t  # the rep's turning point sits on the curve
            self.add_rep_marker(float(t), partial=kind == "partial_rep")

    def add_last_rep(self, last_rep: Mapping[str, Any] | None) -> None:
        """Take the anomaly score of `LiveResult.last_rep`, if the models produced one."""
        if last_rep and isinstance(last_rep.get("index"), int):
            self.add_rep_anomaly(last_rep["index"], rep_anomaly(last_rep))

    def add_rep_anomaly(self, rep_index: int, score: float | None) -> None:
        """Record a rep's anomaly score; None (no model yet) draws nothing."""
        if score is None or self._anomaly.get(rep_index) == score:
            return
        self._anomaly[rep_index] = score
        for old in sorted(self._anomaly)[:-ANOMALY_REPS]:
            del self._anomaly[old]
        self._dirty = True

    def add_gait(self, t: float, gait: Mapping[str, Any] | None) -> None:
        """Append the gait summary's values at media time `t` when they changed."""
        for label, _unit, _dec, keys in GAIT_FIELDS[:2]:
            v = gait_value(gait, keys)
            if v is not None and self._last_gait.get(label) != v:
                self._last_gait[label] = v
                self._gait[label].append(t, v)
                self._dirty = True

    def set_activity(self, activity: str | None) -> None:
        """Show the plots that matter for `activity` and name its primary angle."""
        joint = PRIMARY_ANGLE.get(activity or "", (None, None))[0]
        title = f"{joint.capitalize()} angle ({activity.replace('_', ' ')})" if joint and activity else (
            "Primary joint angle")
        if title != self._angle_title:
            self._angle_title = title
            self.angle_plot.getPlotItem().setTitle(title, size="9pt")
        gait = is_gait(activity)
        self.gait_plot.setVisible(gait)
        self.anomaly_plot.setVisible(not gait)

    def reset(self) -> None:
        """Forget all data (a new session)."""
        for buf in (self._angle, self._markers_full, self._markers_partial, *self._gait.values()):
            buf.clear()
        self._anomaly.clear()
        self._last_gait.clear()
        self._dirty = True
        self.refresh()

    # -- drawing (timer) -----------------------------------------------------------------------------------
    def refresh(self) -> bool:
        """Redraw if anything arrived since the last call; returns whether it redrew."""
        if not self._dirty:
            return False
        self._dirty = False
        x, y = self._angle.view()
        self._angle_curve.setData(x, y, connect="finite")
        self._full_scatter.setData(*self._markers_full.view())
        self._partial_scatter.setData(*self._markers_partial.view())
        last = self._angle.last_x()
        if last is not None:
            self.angle_plot.setXRange(max(x[0], last - WINDOW_S), max(last, x[0] + 1.0), padding=0)
        if self._anomaly:
            reps = np.array(sorted(self._anomaly), dtype=float)
            self._anomaly_bars.setOpts(x=reps, height=[self._anomaly[int(r)] for r in reps])
            self._anomaly_note.setVisible(False)
            self.anomaly_plot.setXRange(reps[0] - 0.5, reps[-1] + 0.5, padding=0)
        else:
            self._anomaly_bars.setOpts(x=[], height=[])
            self._anomaly_note.setVisible(True)
        latest = 0.0
        for label, buf in self._gait.items():
            gx, gy = buf.view()
            self._gait_curves[label].setData(gx, gy)
            latest = max(latest, buf.last_x() or 0.0)
        if latest:
            self.gait_plot.setXRange(max(0.0, latest - WINDOW_S), latest, padding=0)
        return True

    # -- what tests and the status bar read ---------------------------------------------------------------
    def angle_samples(self) -> int:
        return len(self._angle)

    def anomaly_reps(self) -> int:
        """How many reps have an anomaly bar (at most the last `ANOMALY_REPS`)."""
        return len(self._anomaly)

    def rep_markers(self) -> int:
        return len(self._markers_full) + len(self._markers_partial)

    def curve_points(self) -> int:
        """Points the angle curve holds right now (what the user sees, before clipping)."""
        x, _ = self._angle_curve.getOriginalDataset()
        return 0 if x is None else len(x)
