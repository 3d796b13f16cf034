"""The side panel: exercise and confidence, reps, the last rep's metrics, anomaly bars and running metrics.

A passive view of `LiveResult`s: `show_result()` takes the newest one (the window calls it through a
throttle, so text is rebuilt a few times per second, not at frame rate). GUI thread only.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from coach.activities import is_gait
from coach.ui.anomaly_bars import AnomalyBars
from coach.ui.formatting import (
    DASH,
    GAIT_FIELDS,
    activity_text,
    format_number,
    gait_value,
    rep_anomaly,
    rep_metric_rows,
)

__all__ = ["SidePanel"]


def _value_label(text: str = DASH) -> QLabel:
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class SidePanel(QWidget):
    """Numbers a user reads between sets. Rep and running sections show for the current activity."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(260)
        self.setMaximumWidth(340)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)

        now = QGroupBox("Now")
        form = QFormLayout(now)
        self.activity_label = _value_label("—")
        self.phase_label = _value_label()
        self.reps_label = _value_label("0")
        big = QFont(self.reps_label.font())
        big.setPointSize(big.pointSize() * 2)
        big.setBold(True)
        self.reps_label.setFont(big)
        self.partial_label = _value_label("0")
        self.cue_label = QLabel("")
        self.cue_label.setWordWrap(True)
        form.addRow("Exercise", self.activity_label)
        form.addRow("Phase", self.phase_label)
        form.addRow("Reps", self.reps_label)
        form.addRow("Partial reps", self.partial_label)
        form.addRow("Cue", self.cue_label)
        layout.addWidget(now)

        self.rep_group = QGroupBox("Last rep")
        rep_form = QFormLayout(self.rep_group)
        self._metric_labels: dict[str, QLabel] = {}
        for label, value in rep_metric_rows(None):
            self._metric_labels[label] = _value_label(value)
            rep_form.addRow(label, self._metric_labels[label])
        self.faults_label = QLabel(DASH)
        self.faults_label.setWordWrap(True)
        rep_form.addRow("Form", self.faults_label)
        layout.addWidget(self.rep_group)

        self.anomaly_group = QGroupBox("Anomaly per rep")
        anomaly_layout = QVBoxLayout(self.anomaly_group)
        self.anomaly_bars = AnomalyBars()
        self.anomaly_bars.setToolTip("Form-model anomaly score per rep (— until the models are installed)")
        anomaly_layout.addWidget(self.anomaly_bars)
        layout.addWidget(self.anomaly_group)

        self.gait_group = QGroupBox("Running")
        gait_form = QFormLayout(self.gait_group)
        self._gait_labels: dict[str, QLabel] = {}
        for label, unit, _dec, _keys in GAIT_FIELDS:
            self._gait_labels[label] = _value_label()
            gait_form.addRow(f"{label} ({unit})", self._gait_labels[label])
        layout.addWidget(self.gait_group)
        layout.addStretch(1)
        self._show_sections(None)

    def show_result(self, result: Any) -> None:
        """Update every field from one `LiveResult`."""
        self.activity_label.setText(activity_text(result.activity, result.activity_confidence))
        self._show_sections(result.activity)  # first: a change between reps and strides clears the bars
        self.phase_label.setText(result.phase or DASH)
        self.reps_label.setText(str(result.reps))
        self.partial_label.setText(str(result.partial_reps))
        if result.cue:
            self.cue_label.setText(result.cue)
        self._show_last_rep(result.last_rep)
        stride = result.last_stride
        if stride and isinstance(stride.get("index"), int):
            self.anomaly_bars.set_rep(stride["index"], rep_anomaly(stride))
        for label, _unit, dec, keys in GAIT_FIELDS:
            self._gait_labels[label].setText(format_number(gait_value(result.gait, keys), "", dec))

    def reset(self) -> None:
        """Clear per-session values (a new Start)."""
        self.reps_label.setText("0")
        self.partial_label.setText("0")
        self.phase_label.setText(DASH)
        self.cue_label.setText("")
        self._show_last_rep(None)
        self.anomaly_bars.clear()

    def reps_text(self) -> str:
        return self.reps_label.text()

    def _show_last_rep(self, last_rep: dict | None) -> None:
        for label, value in rep_metric_rows(last_rep):
            self._metric_labels[label].setText(value)
        if not last_rep:
            self.faults_label.setText(DASH)
            return
        faults = [f.get("cue") or f.get("rule", "") for f in last_rep.get("faults", [])]
        self.faults_label.setText("; ".join(faults) if faults else "Good")
        index = last_rep.get("index")
        if isinstance(index, int):
            self.anomaly_bars.set_rep(index, rep_anomaly(last_rep))

    def _show_sections(self, activity: str | None) -> None:
        gait = is_gait(activity)
        self.gait_group.setVisible(gait)
        self.rep_group.setVisible(not gait)
        # Reps and strides share the bars: a session tracks one activity at a time (a switch clears them).
        unit = "stride" if gait else "rep"
        if unit != self.anomaly_bars.unit:
            self.anomaly_bars.unit = unit
            self.anomaly_bars.clear()
            self.anomaly_group.setTitle(f"Anomaly per {unit}")
            self.anomaly_bars.setToolTip(f"Form-model anomaly score per {unit} ({DASH} until the models are "
                                         "installed)")
