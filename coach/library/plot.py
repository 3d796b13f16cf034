"""Draw a trend as a PNG with OpenCV (already a dependency), so plotting needs no matplotlib.

One panel: sessions left to right in date order, the per-session median as a line with points, the mean as
hollow markers, y axis with round tick values and grid lines, x tick labels with the session date.
Pure drawing; any thread.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from coach.library.errors import LibraryError
from coach.library.trends import TrendPoint

__all__ = ["draw_trend", "render_trend"]

_BG = (255, 255, 255)
_AXIS = (60, 60, 60)
_GRID = (225, 225, 225)
_LINE = (180, 110, 30)  # BGR: a blue
_MEAN = (60, 140, 240)  # BGR: an orange
_TEXT = (30, 30, 30)
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def render_trend(
    points: Sequence[TrendPoint], title: str, y_label: str, size: tuple[int, int] = (960, 540)
) -> np.ndarray:
    """The trend as a BGR uint8 image of `size` (width, height). An empty trend draws a "no data" note."""
    width, height = size
    img = np.full((height, width, 3), _BG, dtype=np.uint8)
    left, right, top, bottom = 90, 30, 60, 90
    x0, x1, y0, y1 = left, width - right, top, height - bottom
    _text(img, title, (left, 35), 0.75, 2)
    cv2.line(img, (x0, y1), (x1, y1), _AXIS, 1, cv2.LINE_AA)
    cv2.line(img, (x0, y0), (x0, y1), _AXIS, 1, cv2.LINE_AA)
    _vertical_text(img, y_label, (22, (y0 + y1) // 2))
    if not points:
        _text(img, "no sessions with this metric", ((x0 + x1) // 2 - 160, (y0 + y1) // 2), 0.7, 1)
        return img

    values = [v for p in points for v in (p.mean, p.median)]
    lo, hi = min(values), max(values)
    # A nearly flat trend must not fill the panel: a 0.3 deg wobble drawn edge to edge reads as a change.
    min_span = 0.1 * max(abs(lo), abs(hi)) or 1.0
    if hi - lo < min_span:
        mid = (lo + hi) / 2
        lo, hi = mid - min_span / 2, mid + min_span / 2
    ticks = _nice_ticks(lo, hi)
    lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])

    def ypix(v: float) -> int:
        return int(round(y1 - (v - lo) / (hi - lo) * (y1 - y0)))

    n = len(points)

    def xpix(i: int) -> int:
        return int(round(x0 + (i + 0.5) * (x1 - x0) / n))

    for t in ticks:
        y = ypix(t)
        cv2.line(img, (x0 + 1, y), (x1, y), _GRID, 1)
        cv2.line(img, (x0 - 5, y), (x0, y), _AXIS, 1)
        label = _format_tick(t, ticks)
        (tw, th), _ = cv2.getTextSize(label, _FONT, 0.45, 1)
        _text(img, label, (x0 - 12 - tw, y + th // 2), 0.45, 1)

    label_every = max(1, math.ceil(n / 12))  # keep date labels from overlapping
    for i, p in enumerate(points):
        x = xpix(i)
        cv2.line(img, (x, y1), (x, y1 + 5), _AXIS, 1)
        if i % label_every == 0:
            date = p.created[:10] or p.session_id[:8]
            (tw, _), _ = cv2.getTextSize(date, _FONT, 0.4, 1)
            _text(img, date, (x - tw // 2, y1 + 22), 0.4, 1)
    pts = np.array([[xpix(i), ypix(p.median)] for i, p in enumerate(points)], dtype=np.int32)
    if n > 1:
        cv2.polylines(img, [pts], False, _LINE, 2, cv2.LINE_AA)
    for i, p in enumerate(points):
        cv2.circle(img, (xpix(i), ypix(p.mean)), 6, _MEAN, 2, cv2.LINE_AA)
        cv2.circle(img, tuple(int(c) for c in pts[i]), 5, _LINE, -1, cv2.LINE_AA)

    # Legend, bottom left under the date labels.
    ly = height - 25
    cv2.line(img, (x0, ly - 4), (x0 + 24, ly - 4), _LINE, 2, cv2.LINE_AA)
    cv2.circle(img, (x0 + 12, ly - 4), 5, _LINE, -1, cv2.LINE_AA)
    _text(img, "median per session", (x0 + 32, ly), 0.45, 1)
    cv2.circle(img, (x0 + 212, ly - 4), 6, _MEAN, 2, cv2.LINE_AA)
    _text(img, "mean", (x0 + 226, ly), 0.45, 1)
    _text(img, f"{n} session(s)", (x1 - 110, ly), 0.45, 1)
    return img


def draw_trend(
    points: Sequence[TrendPoint], path: Path, title: str, y_label: str, size: tuple[int, int] = (960, 540)
) -> Path:
    """Render the trend and write it as a PNG at `path`; raises `LibraryError` when it cannot be written."""
    path = Path(path)
    img = render_trend(points, title, y_label, size)
    ok, data = cv2.imencode(".png", img)
    if not ok:
        raise LibraryError("OpenCV could not encode the trend plot")
    try:
        path.write_bytes(data.tobytes())
    except OSError as exc:
        raise LibraryError(f"cannot write {path}: {exc}") from exc
    return path


def _text(img: np.ndarray, text: str, org: tuple[int, int], scale: float, thickness: int) -> None:
    # Hershey fonts are ASCII only; anything else would be drawn as '?'.
    safe = text.encode("ascii", "replace").decode("ascii")
    cv2.putText(img, safe, org, _FONT, scale, _TEXT, thickness, cv2.LINE_AA)


def _vertical_text(img: np.ndarray, text: str, center: tuple[int, int]) -> None:
    """Text rotated 90 degrees counter-clockwise (OpenCV cannot rotate text, so rotate a strip)."""
    safe = text.encode("ascii", "replace").decode("ascii")
    (tw, th), base = cv2.getTextSize(safe, _FONT, 0.5, 1)
    strip = np.full((th + base + 4, tw + 4, 3), _BG, dtype=np.uint8)
    cv2.putText(strip, safe, (2, th + 2), _FONT, 0.5, _TEXT, 1, cv2.LINE_AA)
    strip = cv2.rotate(strip, cv2.ROTATE_90_COUNTERCLOCKWISE)
    h, w = strip.shape[:2]
    y = max(0, center[1] - h // 2)
    x = max(0, center[0] - w // 2)
    h = min(h, img.shape[0] - y)
    w = min(w, img.shape[1] - x)
    img[y : y + h, x : x + w] = strip[:h, :w]


def _nice_ticks(lo: float, hi: float, target: int = 6) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten) covering [lo, hi]."""
    raw = (hi - lo) / target
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.floor(lo / step) * step
    ticks = []
    v = first
    while v < hi + step * 0.999:
        ticks.append(round(v, 10))
        v += step
    return ticks


def _format_tick(v: float, ticks: Sequence[float]) -> str:
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    decimals = max(0, -math.floor(math.log10(step))) if step > 0 else 0
    return f"{v:.{decimals}f}"
