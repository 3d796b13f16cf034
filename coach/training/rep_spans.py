"""Where the product cuts a synthetic clip into reps, for training and testing the rep autoencoder on
what it is shown at run time. No torch: runtime tests use it too.

Threads: plain functions; any thread.
"""

from __future__ import annotations

import numpy as np

from coach.activities import GAIT_ACTIVITIES, REP_EXERCISES
from coach.analysis.model_scores import cycle_rows
from coach.analysis.track import PoseTrack
from coach.gait.analyze import analyze_gait
from coach.kinematics.view import clip_view, estimate_yaw
from coach.reps.analyze import analyze_reps
from coach.synth import SynthClip, SynthOptions

__all__ = ["FULL_BODY", "engine_spans"]

# What the rep autoencoder judges: full-body framing from the usual heights. Form faults live in the legs
# as much as the arms, and neither a close-up (legs out of the image) nor a camera looking steeply down
# (any activity, or a push-up from above) is a view it is meant to judge.
FULL_BODY = SynthOptions(
    close_up_rate=0.0,
    close_up_rate_arms=0.0,
    high_view_rate=0.0,
    high_view_rate_floor=0.0,
    occlusion_rate=0.0,
)


def engine_spans(
    exercise: str, clip: SynthClip, landmarks: np.ndarray, world: np.ndarray
) -> list[tuple[int, int]]:
    """(first, last) rows of each rep as the product segments it: the rep engine's whole-movement span
    (`coach.reps`) for rep exercises, with the clip's view estimated as `coach analyze` does; for running
    and walking the gait engine's cycles (`coach.gait`: each foot's contact to its next contact).

    Why not the synthesizer's own spans: the engine finds the movement from the primary signal (a squat's
    hip height barely moves over the first 20 degrees of knee bend), takes a deadlift that starts on the
    floor from its turn and drops reps too shallow to count; the model must learn the reps it will be
    shown. Reps cut by the clip's start or end are left out.

    Strides likewise (version 6): the synthesizer's stride spans run from one foot's contact only, so a
    model trained on them saw only that foot's strides, while the runtime scores both feet's cycles, the
    other foot's with left and right swapped: half of all strides looked odd (synthetic good strides cut by
    the engine scored a median of 17.6 against 0.8 on the synthesizer's spans)."""
    size = clip.camera.image_size
    track = PoseTrack(np.arange(len(clip), dtype=np.int64), clip.media_ts, landmarks, world, size)
    if exercise in GAIT_ACTIVITIES:
        return [cycle_rows(clip.media_ts, c) for c in analyze_gait(track, exercise).cycles]
    if exercise not in REP_EXERCISES:
        return list(clip.spans)
    view = clip_view(estimate_yaw(landmarks, world, size))
    # A synthetic clip starts and ends at random points of a rep: the reps it cuts in half are not reps
    # (the synthesizer's own spans leave them out too).
    return [
        r.motion_span
        for r in analyze_reps(track, exercise, view).rep_records
        if r.motion_span[0] > 2 and r.motion_span[1] < len(clip) - 3 and not r.truncated
    ]
