"""Text for the side panel and status bar: how metrics, gait values and pipeline stats read to a user.

Pure functions, no Qt. Missing values (None, NaN, absent keys) read as an em dash, never as a made-up 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = [
    "DASH",
    "GAIT_FIELDS",
    "activity_text",
    "first_number",
    "format_number",
    "gait_value",
    "rep_anomaly",
    "rep_metric_rows",
]

DASH = "—"

# Rep metrics shown for the last rep, in this order, with their labels and units. Others are ignored here
# (they are in the JSON report).
_REP_METRICS: tuple[tuple[str, str, str, int], ...] = (
    ("duration_s", "Duration", "s", 1),
    ("eccentric_s", "Eccentric", "s", 1),
    ("concentric_s", "Concentric", "s", 1),
    # The rep signal's own units (an angle for some exercises, hip height for squats): no unit claimed.
    ("rom", "Range of motion", "", 2),
    ("depth", "Depth", "", 2),
    ("peak_trunk_lean_deg", "Trunk lean (peak)", "°", 0),
    ("asymmetry_deg", "Left/right asymmetry", "°", 0),
    ("velocity_loss_pct", "Velocity loss", "%", 0),
)

# Running metrics in the side panel: (label, unit, decimals, accepted keys in LiveResult.gait, first wins).
GAIT_FIELDS: tuple[tuple[str, str, int, tuple[str, ...]], ...] = (
    ("Cadence", "steps/min", 0, ("cadence_spm", "cadence")),
    ("Contact time", "ms", 0, ("contact_ms", "ground_contact_time_ms", "ground_contact_time")),
    ("Overstride", "leg lengths", 2, ("overstride", "overstride_leg")),
    ("Vertical oscillation", "leg lengths", 3, ("vertical_osc", "vertical_oscillation")),
)


def first_number(value: Any) -> float | None:
    """`value` as a finite float, or None (None, NaN, inf, bool and non-numbers are all 'missing')."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def format_number(value: Any, unit: str = "", decimals: int = 1) -> str:
    """'12.3 s', '85°', or the dash when missing."""
    v = first_number(value)
    if v is None:
        return DASH
    text = f"{v:.{decimals}f}"
    if not unit:
        return text
    return f"{text}{unit}" if unit in ("°", "%") else f"{text} {unit}"


def activity_text(activity: str | None, confidence: float | None) -> str:
    """'Squat (92%)', 'Squat' without a confidence, 'detecting…' while unknown."""
    if not activity:
        return "detecting…"
    name = activity.replace("_", " ").capitalize()
    c = first_number(confidence)
    return f"{name} ({c * 100:.0f}%)" if c is not None else name


def rep_metric_rows(last_rep: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """(label, value text) for the last rep's metrics; every row present, dashed when not measured."""
    metrics = (last_rep or {}).get("metrics") or {}
    return [(label, format_number(metrics.get(key), unit, dec)) for key, label, unit, dec in _REP_METRICS]


def rep_anomaly(last_rep: Mapping[str, Any] | None) -> float | None:
    """The rep's anomaly for display in [0, 1] when the models have produced one (key "anomaly"), else None.

    The model's raw score is 1.0 for a typical good rep and its threshold differs per exercise (about 3
    for a squat, 40 for a jumping jack), so with a threshold it is shown relative to it: the threshold
    sits at 0.5 (yellow) and twice the threshold or more at 1 (red). A bare score is taken as is.
    """
    if not last_rep:
        return None
    value = last_rep.get("anomaly")
    threshold = None
    if isinstance(value, Mapping):  # {"score": x, "threshold": y, ...}
        threshold = first_number(value.get("threshold"))
        value = value.get("score")
    score = first_number(value)
    if score is None or threshold is None or threshold <= 0:
        return score
    return min(1.0, max(0.0, 0.5 * score / threshold))


def gait_value(gait: Mapping[str, Any] | None, keys: tuple[str, ...]) -> float | None:
    """The first present, finite value among `keys` in the gait summary."""
    if not gait:
        return None
    for key in keys:
        v = first_number(gait.get(key))
        if v is not None:
            return v
    return None
