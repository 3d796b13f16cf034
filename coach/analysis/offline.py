"""Offline analysis of a video file: pose for every frame, then smoothing, kinematics and view.

This is what `coach analyze` runs. Pose (the expensive part) runs in parallel lanes (`pose_lanes`); the rest
is cheap and runs in frame order on the calling thread, through the same streaming code the live app uses,
so offline and live see the same numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.activities import GAIT_ACTIVITIES, REP_EXERCISES
from coach.analysis import model_scores, pose_cache
from coach.analysis.pose_lanes import LaneTiming, PoseRun, run_pose
from coach.analysis.track import PoseTrack
from coach.gait.analyze import GaitAnalysis, analyze_gait
from coach.kinematics.angles import angles_from_landmarks, angles_from_world
from coach.kinematics.view import View, classify_view, clip_view, estimate_yaw
from coach.pose.smoothing import smooth_track
from coach.reps.analyze import RepAnalysis, analyze_reps


@dataclass(frozen=True, slots=True)
class Timing:
    wall_s: float
    frames: int
    decode_ms_per_frame: float
    pose_ms_per_frame: float
    rest_ms_per_frame: float
    lanes: int


@dataclass(frozen=True, slots=True)
class ClipAnalysis:
    """Everything `coach analyze` knows about one clip (arrays are per frame, in frame order)."""

    video: Path
    fps: float
    raw: PoseTrack  # landmarks as MediaPipe returned them
    smoothed: PoseTrack  # after visibility gating and the One Euro filter
    angles: dict[str, np.ndarray]  # from smoothed image landmarks (pixels), degrees
    world_angles: dict[str, np.ndarray]  # from smoothed world landmarks, degrees
    yaw_deg: np.ndarray  # per-frame body yaw relative to the camera (0 facing, 90 side-on)
    views: list[View]  # per-frame view
    view: View  # dominant view of the clip
    exercise: str | None
    exercise_confidence: float | None  # the classifier's, when the exercise was recognised (auto)
    reps: RepAnalysis | None  # when `exercise` is a rep exercise
    rep_anomalies: list[dict | None]  # one autoencoder verdict per entry of reps.rep_records
    gait: GaitAnalysis | None  # when `exercise` is running or walking
    stride_anomalies: list[dict]  # one autoencoder verdict per gait cycle
    timing: Timing

    @property
    def frames(self) -> int:
        return len(self.raw)

    @property
    def frames_with_pose(self) -> int:
        return int(self.raw.has_pose.sum())


def pose_run(
    video: Path,
    model_path: Path,
    *,
    lanes: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    pose_cache_dir: Path | None = None,
) -> PoseRun:
    """Raw poses of every frame, from the pose cache when it holds them (then `lanes` is 0)."""
    cached = pose_cache.load_track(pose_cache_dir, video, model_path) if pose_cache_dir else None
    if cached is not None:
        track, fps = cached
        if on_progress is not None:
            on_progress(len(track))
        return PoseRun(track=track, fps=fps, timing=LaneTiming(len(track), 0.0, 0.0), lanes=0)
    run = run_pose(video, model_path, lanes=lanes, on_progress=on_progress)
    if pose_cache_dir is not None:
        pose_cache.save_track(pose_cache_dir, video, model_path, run.track, run.fps)
    return run


def smooth(raw: PoseTrack) -> PoseTrack:
    """The track the engines and models see: visibility-gated and One Euro filtered, as live."""
    lm, world = smooth_track(raw.media_ts, raw.landmarks, raw.world)
    return PoseTrack(
        frame_index=raw.frame_index,
        media_ts=raw.media_ts,
        landmarks=lm,
        world=world,
        image_size=raw.image_size,
    )


def analyze_video(
    video: Path,
    model_path: Path,
    *,
    exercise: str | None = None,
    lanes: int | None = None,
    time_scale: float = 1.0,
    runner_height_m: float | None = None,
    on_progress: Callable[[int], None] | None = None,
    pose_cache_dir: Path | None = None,
) -> ClipAnalysis:
    """Analyse every frame of `video` (nothing is dropped). `exercise=None` means recognise it (auto).

    `time_scale` is how many times slower than real time the footage plays (slow motion, gait only);
    `runner_height_m` lets the gait engine report vertical oscillation in centimetres. With
    `pose_cache_dir`, raw poses are read from / written to that cache (see `pose_cache`).
    """
    t0 = time.perf_counter()
    run = pose_run(video, model_path, lanes=lanes, on_progress=on_progress, pose_cache_dir=pose_cache_dir)
    t1 = time.perf_counter()
    raw = run.track
    smoothed = smooth(raw)
    lm, world = smoothed.landmarks, smoothed.world
    angles = angles_from_landmarks(lm, raw.image_size)
    world_angles = angles_from_world(world)
    yaw = estimate_yaw(lm, world, raw.image_size)
    views = list(classify_view(yaw))
    view = clip_view(yaw)
    confidence = None
    if exercise is None:
        recognised = model_scores.classify(smoothed)
        if recognised is not None:
            exercise, confidence = recognised.label, recognised.confidence
    reps = analyze_reps(smoothed, exercise, view) if exercise in REP_EXERCISES else None
    gait = (
        analyze_gait(smoothed, exercise, time_scale=time_scale, runner_height_m=runner_height_m)
        if exercise in GAIT_ACTIVITIES
        else None
    )
    rep_anomalies = model_scores.rep_anomalies(smoothed, reps) if reps is not None else []
    stride_anomalies = model_scores.stride_anomalies(smoothed, gait, time_scale) if gait is not None else []
    t2 = time.perf_counter()
    n = max(1, len(raw))
    timing = Timing(
        wall_s=t2 - t0,
        frames=len(raw),
        decode_ms_per_frame=1000.0 * run.timing.decode_s / n,
        pose_ms_per_frame=1000.0 * run.timing.pose_s / n,
        rest_ms_per_frame=1000.0 * (t2 - t1) / n,
        lanes=run.lanes,
    )
    return ClipAnalysis(
        video=video,
        fps=run.fps,
        raw=raw,
        smoothed=smoothed,
        angles=angles,
        world_angles=world_angles,
        yaw_deg=yaw,
        views=views,
        view=view,
        exercise=exercise,
        exercise_confidence=confidence,
        reps=reps,
        rep_anomalies=rep_anomalies,
        gait=gait,
        stride_anomalies=stride_anomalies,
        timing=timing,
    )
