"""Inline SVG plots for the HTML report, generated in Python: no script, no library to download.

Every function returns one `<svg>` element as a string, without the `xmlns` attribute (HTML5 does not need
it inside a page, and the report must not contain any http(s) address). All text passes through
`html.escape`. Missing values (NaN / None) break a line instead of being drawn at 0.
Pure functions; any thread.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Series", "Span", "bar_chart", "line_chart", "nice_ticks", "peak_downsample", "trend_chart"]

AXIS = "#555"
GRID = "#e3e3e3"
TEXT = "#222"
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")
_MARGIN = (58, 16, 30, 42)  # left, right, top, bottom


@dataclass(frozen=True, slots=True)
class Series:
    """One line: `x` and `y` of equal length, NaN where missing."""

    label: str
    x: np.ndarray
    y: np.ndarray
    color: str
    dashed: bool = False


@dataclass(frozen=True, slots=True)
class Span:
    """A shaded x range (a rep) with a short label drawn at its top."""

    x0: float
    x1: float
    label: str
    fill: str = "#dbe9f6"


def nice_ticks(lo: float, hi: float, target: int = 6) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten) covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else [0.0]
    raw = (hi - lo) / target
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    count = int(math.ceil((hi - first) / step - 1e-9)) + 1
    return [round(first + i * step, 10) for i in range(count)]


def peak_downsample(x: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """At most about `max_points` points keeping each bucket's minimum and maximum (a peak in the data stays
    a peak in the plot, as pyqtgraph's peak mode does). An all-NaN bucket keeps one NaN, so gaps stay gaps."""
    n = len(x)
    if n <= max_points:
        return x, y
    buckets = max(1, max_points // 2)
    edges = np.linspace(0, n, buckets + 1).astype(int)
    keep: list[int] = []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        if b <= a:
            continue
        seg = y[a:b]
        finite = np.isfinite(seg)
        if not finite.any():
            keep.append(a)
            continue
        idx = np.flatnonzero(finite)
        lo, hi = a + idx[np.argmin(seg[idx])], a + idx[np.argmax(seg[idx])]
        keep.extend(sorted({int(lo), int(hi)}))
    k = np.asarray(keep, dtype=np.intp)
    return x[k], y[k]


def _fmt(v: float) -> str:
    return f"{v:.1f}"


def _tick_label(v: float, ticks: Sequence[float]) -> str:
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    decimals = max(0, -math.floor(math.log10(step))) if step > 0 else 0
    return f"{v:.{decimals}f}"


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = 12, color: str = TEXT,
          weight: str = "normal", rotate: bool = False) -> str:
    transform = f' transform="rotate(-90 {_fmt(x)} {_fmt(y)})"' if rotate else ""
    return (f'<text x="{_fmt(x)}" y="{_fmt(y)}" font-size="{size}" fill="{color}" text-anchor="{anchor}" '
            f'font-weight="{weight}"{transform}>{html.escape(text)}</text>')


def _axes(width: int, height: int, x_ticks: Sequence[float], y_ticks: Sequence[float],
          xpix: Callable[[float], float], ypix: Callable[[float], float], x_label: str, y_label: str,
          x_tick_text: Sequence[str] | None = None) -> list[str]:
    left, right, top, bottom = _MARGIN
    x0, x1, y0, y1 = left, width - right, top, height - bottom
    parts = []
    for t in y_ticks:
        y = ypix(t)
        parts.append(f'<line x1="{x0}" y1="{_fmt(y)}" x2="{x1}" y2="{_fmt(y)}" stroke="{GRID}"/>')
        parts.append(_text(x0 - 6, y + 4, _tick_label(t, y_ticks), anchor="end", size=11))
    for i, t in enumerate(x_ticks):
        x = xpix(t)
        parts.append(f'<line x1="{_fmt(x)}" y1="{y1}" x2="{_fmt(x)}" y2="{y1 + 5}" stroke="{AXIS}"/>')
        label = x_tick_text[i] if x_tick_text is not None else _tick_label(t, x_ticks)
        parts.append(_text(x, y1 + 18, label, anchor="middle", size=11))
    parts.append(f'<line x1="{x0}" y1="{y1}" x2="{x1}" y2="{y1}" stroke="{AXIS}"/>')
    parts.append(f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="{AXIS}"/>')
    if x_label:
        parts.append(_text((x0 + x1) / 2, height - 6, x_label, anchor="middle", size=12))
    parts.append(_text(14, (y0 + y1) / 2, y_label, anchor="middle", size=12, rotate=True))
    return parts


def _svg(width: int, height: int, parts: Sequence[str], title: str) -> str:
    return (f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{html.escape(title)}" '
            f'preserveAspectRatio="xMidYMid meet" font-family="sans-serif">'
            f"<title>{html.escape(title)}</title>{''.join(parts)}</svg>")


def _range(values: np.ndarray, pad_frac: float = 0.05) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if not len(finite):
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    pad = (hi - lo) * pad_frac or max(1.0, abs(hi) * 0.05)
    return lo - pad, hi + pad


def line_chart(series: Sequence[Series], *, title: str, x_label: str, y_label: str,
               spans: Sequence[Span] = (), width: int = 1000, height: int = 300,
               max_points: int = 1500) -> str:
    """Lines over a common x axis, with shaded `spans` behind them and a legend along the top."""
    left, right, top, bottom = _MARGIN
    x0, x1, y0, y1 = left, width - right, top, height - bottom
    xs = np.concatenate([s.x for s in series]) if series else np.zeros(0)
    ys = np.concatenate([s.y for s in series]) if series else np.zeros(0)
    finite_x = xs[np.isfinite(xs)]
    xlo, xhi = (float(finite_x.min()), float(finite_x.max())) if len(finite_x) else (0.0, 1.0)
    if xhi <= xlo:
        xhi = xlo + 1.0
    ylo, yhi = _range(ys)
    y_ticks = [t for t in nice_ticks(ylo, yhi) if ylo <= t <= yhi]
    x_ticks = [t for t in nice_ticks(xlo, xhi, target=10) if xlo <= t <= xhi]

    def xpix(v: float) -> float:
        return x0 + (v - xlo) / (xhi - xlo) * (x1 - x0)

    def ypix(v: float) -> float:
        return y1 - (v - ylo) / (yhi - ylo) * (y1 - y0)

    parts: list[str] = []
    for sp in spans:
        a, b = xpix(max(sp.x0, xlo)), xpix(min(sp.x1, xhi))
        if b <= a:
            continue
        parts.append(f'<rect x="{_fmt(a)}" y="{y0}" width="{_fmt(b - a)}" height="{y1 - y0}" '
                     f'fill="{sp.fill}"/>')
        parts.append(_text((a + b) / 2, y0 + 13, sp.label, anchor="middle", size=11, color="#345"))
    parts += _axes(width, height, x_ticks, y_ticks, xpix, ypix, x_label, y_label)
    for s in series:
        x, y = peak_downsample(np.asarray(s.x, float), np.asarray(s.y, float), max_points)
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        for run in _finite_runs(y):
            pts = " ".join(f"{_fmt(xpix(float(x[i])))},{_fmt(ypix(float(y[i])))}" for i in run)
            parts.append(f'<polyline points="{pts}" fill="none" stroke="{s.color}" stroke-width="1.8" '
                         f'stroke-linejoin="round"{dash}/>')
    lx = x0 + 8
    for s in series:  # legend along the top margin
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        parts.append(f'<line x1="{lx}" y1="{top - 12}" x2="{lx + 22}" y2="{top - 12}" stroke="{s.color}" '
                     f'stroke-width="2.5"{dash}/>')
        parts.append(_text(lx + 28, top - 8, s.label, size=12))
        lx += 40 + 7 * len(s.label)
    return _svg(width, height, parts, title)


def _finite_runs(y: np.ndarray) -> list[np.ndarray]:
    """Index runs of consecutive finite values (a single point is drawn as a tiny line of itself)."""
    good = np.flatnonzero(np.isfinite(y))
    if not len(good):
        return []
    runs = np.split(good, np.flatnonzero(np.diff(good) > 1) + 1)
    return [r if len(r) > 1 else np.repeat(r, 2) for r in runs]


def bar_chart(labels: Sequence[str], values: Sequence[float | None], *, title: str, y_label: str,
              threshold: float | None = None, flagged: Sequence[bool] | None = None,
              width: int = 1000, height: int = 260) -> str:
    """One bar per label; a missing value leaves its slot empty with "n/a"; an optional dashed threshold
    line; flagged bars are drawn red."""
    left, right, top, bottom = _MARGIN
    x0, x1, y0, y1 = left, width - right, top, height - bottom
    finite = [v for v in values if v is not None and math.isfinite(v)]
    hi = max([*finite, threshold or 0.0, 1e-9]) * 1.15
    y_ticks = [t for t in nice_ticks(0.0, hi) if t <= hi]
    n = max(1, len(labels))
    slot = (x1 - x0) / n

    def ypix(v: float) -> float:
        return y1 - v / hi * (y1 - y0)

    def xpix(i: float) -> float:
        return x0 + (i + 0.5) * slot

    parts = _axes(width, height, list(range(len(labels))), y_ticks, xpix, ypix, "", y_label,
                  x_tick_text=list(labels))
    bar_w = min(60.0, slot * 0.6)
    for i, v in enumerate(values):
        cx = xpix(i)
        if v is None or not math.isfinite(v):
            parts.append(_text(cx, y1 - 6, "n/a", anchor="middle", size=11, color="#888"))
            continue
        red = bool(flagged[i]) if flagged is not None and i < len(flagged) else False
        color = "#d62728" if red else PALETTE[0]
        parts.append(f'<rect x="{_fmt(cx - bar_w / 2)}" y="{_fmt(ypix(v))}" width="{_fmt(bar_w)}" '
                     f'height="{_fmt(y1 - ypix(v))}" fill="{color}"/>')
        parts.append(_text(cx, ypix(v) - 4, f"{v:.2f}", anchor="middle", size=11))
    if threshold is not None and math.isfinite(threshold):
        y = ypix(threshold)
        parts.append(f'<line x1="{x0}" y1="{_fmt(y)}" x2="{x1}" y2="{_fmt(y)}" stroke="#d62728" '
                     f'stroke-dasharray="6 4"/>')
        parts.append(_text(x1 - 4, y - 4, f"threshold {threshold:.2f}", anchor="end", size=11,
                           color="#d62728"))
    return _svg(width, height, parts, title)


def trend_chart(dates: Sequence[str], medians: Sequence[float], means: Sequence[float], *, title: str,
                y_label: str, highlight: int | None = None, width: int = 480, height: int = 240) -> str:
    """One point per session (oldest left): the median as a line with dots, the mean as hollow circles;
    the session at index `highlight` (this report's) gets a ring."""
    left, right, top, bottom = _MARGIN
    x0, x1, y0, y1 = left, width - right, top, height - bottom
    n = len(dates)
    ylo, yhi = _range(np.asarray([*medians, *means], dtype=float), 0.15)
    y_ticks = [t for t in nice_ticks(ylo, yhi, target=4) if ylo <= t <= yhi]

    def xpix(i: float) -> float:
        return x0 + (i + 0.5) * (x1 - x0) / max(1, n)

    def ypix(v: float) -> float:
        return y1 - (v - ylo) / (yhi - ylo) * (y1 - y0)

    every = max(1, math.ceil(n / 6))  # keep date labels from overlapping
    shown = [i for i in range(n) if i % every == 0]
    parts = _axes(width, height, shown, y_ticks, xpix, ypix, "", y_label,
                  x_tick_text=[dates[i] for i in shown])
    if n > 1:
        pts = " ".join(f"{_fmt(xpix(i))},{_fmt(ypix(v))}" for i, v in enumerate(medians))
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>')
    for i, (med, mean) in enumerate(zip(medians, means, strict=True)):
        parts.append(f'<circle cx="{_fmt(xpix(i))}" cy="{_fmt(ypix(mean))}" r="5" fill="none" '
                     f'stroke="{PALETTE[3]}" stroke-width="1.8"/>')
        parts.append(f'<circle cx="{_fmt(xpix(i))}" cy="{_fmt(ypix(med))}" r="4" fill="{PALETTE[0]}"/>')
        if i == highlight:
            parts.append(f'<circle cx="{_fmt(xpix(i))}" cy="{_fmt(ypix(med))}" r="9" fill="none" '
                         f'stroke="{TEXT}" stroke-width="1.5"/>')
    parts.append(_text(x0 + 6, top - 10, "● median  ○ mean" + ("  ◎ this session" if highlight is not None
                                                                  else ""), size=11))
    return _svg(width, height, parts, title)
