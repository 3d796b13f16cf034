"""Comparing two reps side by side, aligned in time by DTW (no Qt).

Rep A is the rep under study and drives the view: one playhead `i` walks rep A frame by frame, and rep B
shows the frame DTW paired with it (`coach.replay.align`), so both sides show the same moment of the
movement even when one rep paused at the bottom or came up faster. The playhead is also exposed as a
fraction of rep A (0 = its start, 1 = its end), which is what the compare view's slider moves.

* `pick_pair` decides which two reps the coach meant (two selected reps; else one selected rep, or the rep
  under the playhead, against the session's best rep).
* `RepComparison` is the pure index mapping (any thread).
* `rep_figures` / `metric_rows` are the numbers shown under the two videos: the recorded metrics, plus
  figures computed from the primary angle and the rep's rows, so a rep the coach added by hand (which has
  no recorded metrics) can still be compared.
* `ComparePlayer` ties a comparison to a `ReplayModel` and renders both sides with the live overlays, with
  one `FrameRenderer` per side so each keeps its own bar-path trail. It belongs to one thread (the GUI
  thread in the replay window), as the model does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from coach.replay.align import RepAlignment
from coach.replay.render import FrameRenderer
from coach.replay.reps import RepItem, RepList

if TYPE_CHECKING:
    from coach.replay.model import ReplayModel

__all__ = ["RECORDED_METRICS", "ComparePlayer", "RepComparison", "metric_rows", "pick_pair", "rep_figures"]

# Recorded rep metrics shown in the comparison: (label, metric key, format).
RECORDED_METRICS: tuple[tuple[str, str, str], ...] = (
    ("depth", "depth", "{:.2f}"),
    ("peak trunk lean deg", "peak_trunk_lean_deg", "{:.0f}"),
    ("asymmetry deg", "asymmetry_deg", "{:.0f}"),
)


def pick_pair(reps: RepList, selected: Sequence[int], current_row: int) -> tuple[RepItem, RepItem]:
    """The (A, B) reps to compare. Two or more selected indices: the first two, in list order. One selected
    index, or none and a rep under `current_row`: that rep against the best rep (`RepList.best`).
    Raises ValueError with a message for the coach when there is no sensible pair."""
    chosen = sorted({i for i in selected if 0 <= i < len(reps)})
    if len(chosen) >= 2:
        return reps[chosen[0]], reps[chosen[1]]
    if len(reps) < 2:
        raise ValueError("comparing needs at least two reps in the session")
    rep = reps[chosen[0]] if chosen else reps.at_row(current_row)
    if rep is None:
        raise ValueError("select two reps in the list, or stand on a rep to compare it with the best one")
    best = reps.best()
    if best is None:
        raise ValueError("no full recorded rep to use as the reference: select two reps to compare")
    if best.start_row == rep.start_row:
        raise ValueError(f"rep {rep.number} is the best rep: select a second rep to compare it with")
    return rep, best


@dataclass(frozen=True, slots=True)
class RepComparison:
    """Rep `a` against rep `b`; `alignment` maps a's samples to b's (see `coach.replay.align`)."""

    a: RepItem
    b: RepItem
    alignment: RepAlignment

    def __post_init__(self) -> None:
        if len(self.alignment.b_index) != len(self.a.rows):
            raise ValueError(f"the alignment covers {len(self.alignment.b_index)} samples, rep "
                             f"{self.a.number} has {len(self.a.rows)} frames")

    @property
    def length(self) -> int:
        """Frames in rep A: the playhead's positions are 0..length-1."""
        return len(self.a.rows)

    @property
    def distance(self) -> float:
        """Mean absolute primary-angle difference along the DTW path, degrees (NaN: nothing measured)."""
        return self.alignment.distance

    def clamp(self, i: int) -> int:
        return min(max(int(i), 0), self.length - 1)

    def rows(self, i: int) -> tuple[int, int]:
        """The session rows shown at playhead `i`: rep A's frame i and rep B's matched frame."""
        i = self.clamp(i)
        return self.a.start_row + i, self.b.start_row + self.alignment.map(i)

    def index_at(self, fraction: float) -> int:
        """The playhead at `fraction` of rep A (0: its first frame, 1: its last), nearest frame."""
        f = min(max(float(fraction), 0.0), 1.0) if math.isfinite(fraction) else 0.0
        return self.clamp(round(f * (self.length - 1)))

    def fraction_of(self, i: int) -> float:
        """Where playhead `i` lies in rep A, 0..1."""
        return self.clamp(i) / (self.length - 1) if self.length > 1 else 0.0


def rep_figures(rep: RepItem, angle: np.ndarray, media_ts: np.ndarray) -> dict[str, float]:
    """Figures of `rep` computed from its rows: duration, time to and from the bottom, the primary angle at
    the bottom and its range over the rep (NaN where the angle was not measured)."""
    ts = np.asarray(media_ts, dtype=np.float64)
    a = np.asarray(angle, dtype=np.float64)[rep.start_row:rep.end_row + 1]
    finite = a[np.isfinite(a)]
    bottom = float(angle[rep.bottom_row]) if math.isfinite(float(angle[rep.bottom_row])) else math.nan
    return {
        "duration_s": float(ts[rep.end_row] - ts[rep.start_row]),
        "to_bottom_s": float(ts[rep.bottom_row] - ts[rep.start_row]),
        "from_bottom_s": float(ts[rep.end_row] - ts[rep.bottom_row]),
        "bottom_angle": bottom,
        "angle_range": float(finite.max() - finite.min()) if len(finite) else math.nan,
    }


def metric_rows(comparison: RepComparison, angle: np.ndarray, media_ts: np.ndarray,
                angle_name: str | None) -> list[tuple[str, str, str]]:
    """(label, rep A text, rep B text) rows for the compare view's table; "—" where a value is missing."""
    joint = angle_name or "primary"
    computed: tuple[tuple[str, str, str], ...] = (
        ("duration s", "duration_s", "{:.2f}"),
        ("to bottom s", "to_bottom_s", "{:.2f}"),
        ("from bottom s", "from_bottom_s", "{:.2f}"),
        (f"{joint} angle at bottom deg", "bottom_angle", "{:.0f}"),
        (f"{joint} angle range deg", "angle_range", "{:.0f}"),
    )
    figs = [rep_figures(r, angle, media_ts) for r in (comparison.a, comparison.b)]

    def text(value: float, fmt: str) -> str:
        return fmt.format(value) if math.isfinite(value) else "—"

    rows = [(label, text(figs[0][key], fmt), text(figs[1][key], fmt)) for label, key, fmt in computed]
    rows += [(label, text(comparison.a.metric(key), fmt), text(comparison.b.metric(key), fmt))
             for label, key, fmt in RECORDED_METRICS]
    faults = [", ".join(r.faults) or "none" for r in (comparison.a, comparison.b)]
    rows.append(("faults", faults[0], faults[1]))
    return rows


class ComparePlayer:
    """The compare view's state over a `ReplayModel`: the comparison, the playhead `index` in rep A and one
    renderer per side. Listeners (`subscribe`) hear every move of the playhead."""

    def __init__(self, model: ReplayModel, a: RepItem, b: RepItem) -> None:
        if a.start_row == b.start_row:
            raise ValueError("a rep cannot be compared with itself")
        self.model = model
        self.comparison = RepComparison(a, b, model.renderer.alignment(a, b))
        events, reps = model.corrections.events, model.reps
        self._renderers = (FrameRenderer(model.reader, model.angle, model.activity),
                           FrameRenderer(model.reader, model.angle, model.activity))
        for r in self._renderers:
            r.set_events(events, reps)
        self.index = 0
        self._listeners: list[Callable[[], None]] = []

    @property
    def a(self) -> RepItem:
        return self.comparison.a

    @property
    def b(self) -> RepItem:
        return self.comparison.b

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def seek(self, i: int) -> None:
        """Show playhead `i` (clamped to rep A)."""
        self.index = self.comparison.clamp(i)
        for listener in self._listeners:
            listener()

    def step(self, n: int) -> None:
        """Move rep A by `n` frames (rep B follows its DTW match)."""
        self.seek(self.index + n)

    def step_wrapping(self) -> None:
        """One frame on, back to rep A's start after its end (playing the comparison in a loop)."""
        self.seek(self.index + 1 if self.index < self.comparison.length - 1 else 0)

    def seek_fraction(self, fraction: float) -> None:
        self.seek(self.comparison.index_at(fraction))

    @property
    def fraction(self) -> float:
        return self.comparison.fraction_of(self.index)

    @property
    def rows(self) -> tuple[int, int]:
        return self.comparison.rows(self.index)

    def render(self) -> tuple[np.ndarray, np.ndarray]:
        """Both sides' BGR frames at the playhead, with the live overlays."""
        row_a, row_b = self.rows
        return self._renderers[0].render(row_a), self._renderers[1].render(row_b)

    def metric_rows(self) -> list[tuple[str, str, str]]:
        m = self.model
        return metric_rows(self.comparison, m.angle, m.reader.media_ts, m.angle_name)
