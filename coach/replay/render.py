"""Rendering one recorded frame with the live overlays, plus the ghost of a reference rep (no Qt).

The image is the stored JPEG and the pose the stored smoothed pose; the overlay is `coach.overlay.Overlay`,
the very annotators the live window draws with, fed with what the live run showed at that frame (reps
counted so far, the phase of the rep in progress, the cue issued in the last few seconds; for a run, the
steps so far and whether a foot is on the ground). The ghost is the
reference rep's skeleton at the DTW-matched moment, moved so its hips sit on the athlete's, blended
semi-transparently.

Threads: a `FrameRenderer` keeps overlay state (the bar-path trail) and belongs to one thread (the GUI
thread in the replay window; a decode and draw takes a few milliseconds).
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import cv2
import numpy as np

from coach.activities import is_gait
from coach.overlay import Overlay, OverlayData, SkeletonAnnotator
from coach.pose.landmarks import Landmark
from coach.pose.types import Pose
from coach.replay.align import RepAlignment, align_reps
from coach.replay.reps import RepItem, RepList
from coach.reps.catalogue import spec_for
from coach.session.reader import SessionReader

__all__ = ["CUE_SHOWN_S", "FrameRenderer", "ghost_pose"]

log = logging.getLogger(__name__)

# How long a cue stays in the banner after it was issued: the live window's `CUE_DISPLAY_S` (not imported:
# that module loads MediaPipe; a test keeps the replay, the export and the live window equal).
CUE_SHOWN_S = 3.0
GHOST_ALPHA = 0.45
GHOST_COLOR = (255, 120, 255)  # BGR magenta: distinct from the live skeleton's white and cyan
_TRAIL_ROWS = 90  # frames of bar path redrawn after a jump (the annotator's own trail length)


def ghost_pose(reference: Pose, athlete: Pose | None) -> Pose:
    """`reference` translated so its hip midpoint lies on the athlete's (unchanged without an athlete or
    hips): the coach compares shapes, not where each rep happened to be filmed."""
    if athlete is None:
        return reference
    hips = [Landmark.LEFT_HIP, Landmark.RIGHT_HIP]
    ref_mid = np.nanmean(reference.landmarks[hips, :2], axis=0)
    ath_mid = np.nanmean(athlete.landmarks[hips, :2], axis=0)
    shift = ath_mid - ref_mid
    if not np.isfinite(shift).all():
        return reference
    lm = reference.landmarks.copy()
    lm[:, :2] += shift.astype(lm.dtype)
    return Pose(lm, reference.world, reference.image_size)


class FrameRenderer:
    """Draws row `i` of a session as the live window would have shown it (optionally with the ghost)."""

    def __init__(self, reader: SessionReader, angle: np.ndarray, activity: str | None) -> None:
        self.reader = reader
        self.angle = angle
        self.activity = activity
        self.overlay = Overlay(activity)
        self._ghost_skeleton = SkeletonAnnotator(bone_color=GHOST_COLOR, joint_color=GHOST_COLOR, thickness=4)
        try:
            eccentric_first = spec_for(activity or "").out_phase == "eccentric"
        except KeyError:
            eccentric_first = True  # gait and unknown activities: the phase names are not used for reps
        self._phases = ("descent", "ascent") if eccentric_first else ("ascent", "descent")
        self._rest = "top" if eccentric_first else "bottom"
        self._cues: list[tuple[int, float, str]] = []
        self._gait = activity is not None and is_gait(activity)
        self._contacts: list[int] = []  # frames of initial contacts (a run's steps), sorted
        self._foot_events: dict[str, tuple[list[int], list[str]]] = {}  # foot -> (frames, kinds), sorted
        self._reps = RepList(())
        self._alignments: dict[tuple[int, int], RepAlignment] = {}
        self._last_row = -2
        self.set_events(reader.events, RepList(()))

    def set_events(self, events: Sequence[Mapping[str, Any]], reps: RepList) -> None:
        """Use these (corrected) events and reps from now on."""
        self._reps = reps
        self._cues = [(int(e["frame"]), float(e["t"]), str(e.get("text", ""))) for e in events
                      if e.get("type") == "cue"]
        gait = sorted((int(e["frame"]), str(e.get("foot")), str(e.get("kind"))) for e in events
                      if e.get("type") == "gait_event" and e.get("kind") in ("initial_contact", "toe_off"))
        self._contacts = [f for f, _foot, kind in gait if kind == "initial_contact"]
        self._foot_events = {}
        for f, foot, kind in gait:
            frames, kinds = self._foot_events.setdefault(foot, ([], []))
            frames.append(f)
            kinds.append(kind)
        self._alignments.clear()

    def alignment(self, rep: RepItem, reference: RepItem) -> RepAlignment:
        """DTW alignment of `rep` to `reference` on the primary angle (cached per pair)."""
        key = (rep.start_row, reference.start_row)
        if key not in self._alignments:
            self._alignments[key] = align_reps(self.angle[rep.start_row:rep.end_row + 1],
                                               self.angle[reference.start_row:reference.end_row + 1])
        return self._alignments[key]

    def ghost_row(self, row: int, reference: RepItem | None) -> int | None:
        """The reference rep's row matched to `row`, None outside a rep (or for the reference itself)."""
        rep = self._reps.at_row(row)
        if rep is None or reference is None or rep.start_row == reference.start_row:
            return None
        return reference.start_row + self.alignment(rep, reference).map(row - rep.start_row)

    def render(self, row: int, *, ghost_of: RepItem | None = None) -> np.ndarray:
        """The BGR image of `row` with overlays; with `ghost_of`, that rep's matched skeleton on top."""
        image = self.reader.image(row)
        if row != self._last_row + 1:
            self._refill_trail(row)
        self._last_row = row
        data = self.overlay_data(row)
        pose = data.pose
        self.overlay.draw(image, data)
        match = self.ghost_row(row, ghost_of)
        if match is not None:
            reference = self.reader.pose(match)
            if reference is not None:
                layer = image.copy()
                self._ghost_skeleton.annotate(layer, ghost_pose(reference, pose))
                cv2.addWeighted(layer, GHOST_ALPHA, image, 1.0 - GHOST_ALPHA, 0.0, dst=image)
        return image

    def overlay_data(self, row: int) -> OverlayData:
        """What the live overlay showed at `row`: rep counts and phase (steps and stance or swing for a
        run) and the cue on screen."""
        pose = self.reader.pose(row)
        frame = int(self.reader.frame_index[row])
        if self._gait:
            steps = bisect.bisect_right(self._contacts, frame)
            return OverlayData(pose=pose, activity=self.activity, phase=self._gait_phase(frame, pose),
                               cue=self._cue(frame), steps=steps)
        full, partial = self._reps.counts_at(frame)
        return OverlayData(pose=pose, activity=self.activity, reps=full, partial_reps=partial,
                           phase=self._phase(row), cue=self._cue(frame))

    # ------------------------------------------------------------------ internals
    def _gait_phase(self, frame: int, pose: Pose | None) -> str:
        """As live: "stance" while a foot's last event is its landing, else "swing"; "idle" before any
        event or with nobody in view."""
        if pose is None:
            return "idle"
        last = []
        for frames, kinds in self._foot_events.values():
            i = bisect.bisect_right(frames, frame)
            if i:
                last.append(kinds[i - 1])
        if not last:
            return "idle"
        return "stance" if "initial_contact" in last else "swing"

    def _refill_trail(self, row: int) -> None:
        # After a jump the bar path would start empty or join two distant moments: rebuild it from the
        # preceding frames, drawn on a 1x1 scratch image (the annotator's own code, nothing duplicated).
        self.overlay.reset_trails()
        if not self.overlay.show_bar_path:
            return
        scratch = np.zeros((1, 1, 3), dtype=np.uint8)
        for r in range(max(0, row - _TRAIL_ROWS), row):
            self.overlay.bar_path.annotate(scratch, self.reader.pose(r))

    def _phase(self, row: int) -> str:
        rep = self._reps.at_row(row)
        if rep is None:
            return self._rest
        if row == rep.bottom_row:
            return "bottom" if self._rest == "top" else "top"
        return self._phases[0] if row < rep.bottom_row else self._phases[1]

    def _cue(self, frame: int) -> str | None:
        t = float(self.reader.media_ts[self.reader.row_of_frame(frame)])
        text = None
        for cue_frame, cue_t, cue_text in self._cues:
            if cue_frame > frame:
                break
            if t - cue_t <= CUE_SHOWN_S:
                text = cue_text
        return text
