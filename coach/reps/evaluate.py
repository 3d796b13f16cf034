"""Rep counts of every clip of a labels file against its labelled counts (``coach eval reps LABELS.json``).

The labels format is that of ``../shared/videos/labels.json``: ``{"videos": [{"file", "movement", "view",
"reps", "reps_note", "form", ...}]}``. How a clip becomes a smoothed `PoseTrack` is injected
(`track_loader`), so the same evaluation runs on the real pipeline or on cached poses.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from coach.analysis.track import PoseTrack
from coach.reps.analyze import analyze_reps
from coach.reps.catalogue import ALIASES, CATALOGUE

__all__ = ["EXACT_NOTES", "EvalRow", "evaluate_labels", "format_table", "label_view"]

log = logging.getLogger(__name__)

# Counts whose source is trustworthy enough to demand an exact match.
EXACT_NOTES = ("stated", "verified")


@dataclass(frozen=True, slots=True)
class EvalRow:
    clip: str
    movement: str
    view: str
    expected: int | None
    note: str
    counted: int
    partials: int
    faults: tuple[str, ...]
    form_label: str | None

    @property
    def scored(self) -> bool:
        """The labelled count is exact (stated or verified), so this row counts in the totals."""
        return self.expected is not None and self.note.split(":")[0].strip() in EXACT_NOTES


def label_view(text: str) -> str:
    """The view named first in a label's free-text view description ("side/oblique, studio" -> side)."""
    head = text.split(",")[0].strip().lower()
    if head.startswith("side"):
        return "side"
    if "oblique" in head:
        return "oblique"
    if head.startswith("front"):
        return "front"
    return "unknown"


def evaluate_labels(
    labels_path: Path,
    track_loader: Callable[[Path], PoseTrack],
    view_for: Callable[[dict, PoseTrack], str] | None = None,
) -> list[EvalRow]:
    """Run every labelled clip whose movement is in the catalogue; one row per clip, in file order.

    `track_loader(video_path)` returns the clip's SMOOTHED track; `view_for(label, track)` the view to use
    (default: the label's own view text). Clips the loader cannot provide (FileNotFoundError) are skipped.
    """
    data = json.loads(Path(labels_path).read_text())
    rows: list[EvalRow] = []
    for label in data["videos"]:
        movement = ALIASES.get(label["movement"], label["movement"])
        if movement not in CATALOGUE:
            continue
        video = Path(labels_path).parent / label["file"]
        try:
            track = track_loader(video)
        except FileNotFoundError:
            log.warning("no poses for %s; skipped", video.name)
            continue
        view = view_for(label, track) if view_for else label_view(label.get("view", ""))
        result = analyze_reps(track, movement, view)
        rows.append(
            EvalRow(
                clip=label["file"],
                movement=label["movement"],
                view=view,
                expected=label.get("reps"),
                note=label.get("reps_note") or "",
                counted=result.reps,
                partials=result.partial_reps,
                faults=tuple(sorted({f.rule for r in result.rep_records for f in r.faults})),
                form_label=label.get("form"),
            )
        )
    return rows


def format_table(rows: Sequence[EvalRow]) -> str:
    """A plain-text table plus totals over the scored rows (exact matches, mean absolute error)."""
    head = f"{'clip':58} {'movement':18} {'view':7} {'exp':>4} {'got':>4} {'part':>4}  {'note':9} faults"
    lines = [head, "-" * len(head)]
    for r in rows:
        exp = "-" if r.expected is None else str(r.expected)
        mark = "" if not r.scored else (" ok" if r.counted == r.expected else " MISS")
        lines.append(
            f"{r.clip[:58]:58} {r.movement[:18]:18} {r.view:7} {exp:>4} {r.counted:>4} {r.partials:>4}  "
            f"{r.note.split(':')[0][:9]:9} {','.join(r.faults) or '-'}{mark}"
        )
    scored = [r for r in rows if r.scored]
    exact = sum(1 for r in scored if r.counted == r.expected)
    mae = sum(abs(r.counted - (r.expected or 0)) for r in scored) / len(scored) if scored else float("nan")
    lines.append("-" * len(head))
    lines.append(f"scored (stated/verified): {len(scored)}  exact: {exact}/{len(scored)}  MAE: {mae:.2f}")
    return "\n".join(lines)
