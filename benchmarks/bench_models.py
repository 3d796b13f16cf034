"""Inference cost of the shipped models: ``python benchmarks/bench_models.py``.

Prints, for the exercise classifier, the time of one ONNX call (one window), the per-window feature cost,
and the live cost per frame (frame features every frame + one window and one inference every `hop_s`).
The last line is machine-readable JSON.
"""

from __future__ import annotations

import json
import logging
import time

from coach.features import frame_features
from coach.features.reps import rep_trajectory
from coach.ml import ExerciseClassifier, LiveExerciseClassifier
from coach.ml.anomaly import RepAnomalyScorer
from coach.pose.smoothing import smooth_track
from coach.synth import generate

log = logging.getLogger("bench_models")


def _per_call(fn, repeats: int) -> float:
    fn()  # warm-up
    t0 = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - t0) / repeats * 1000.0


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    clf = ExerciseClassifier()
    clip = generate("squat", seed=123, duration_s=10.0)
    lm, wd = smooth_track(clip.media_ts, clip.landmarks, clip.world)
    frames = frame_features(lm, wd, clip.camera.image_size)
    t_end = float(clip.media_ts[-1])
    window = clf.window(frames, clip.media_ts, t_end)
    x = window[None]
    infer_ms = _per_call(lambda: clf.predict(x), 2000)
    window_ms = _per_call(lambda: clf.window(frames, clip.media_ts, t_end), 500)
    frame_ms = _per_call(lambda: frame_features(lm[-1], wd[-1], clip.camera.image_size), 2000)

    live = LiveExerciseClassifier(clf)
    size = clip.camera.image_size
    t0 = time.perf_counter()
    for i in range(len(clip)):
        live.update(float(clip.media_ts[i]), lm[i], wd[i], size)
    live_ms = (time.perf_counter() - t0) / len(clip) * 1000.0
    scorer = RepAnomalyScorer()
    first, last = clip.spans[0]
    traj_ms = _per_call(lambda: rep_trajectory(lm, wd, size, first, last), 500)
    traj = rep_trajectory(lm, wd, size, first, last)
    ae_ms = _per_call(lambda: scorer.score_trajectory("squat", traj), 2000)
    log.info("exercise classifier: ONNX inference %.3f ms/call (1 window)", infer_ms)
    log.info(
        "rep autoencoder: trajectory %.3f ms/rep, score (ONNX + attribution) %.3f ms/rep", traj_ms, ae_ms
    )
    log.info("window features (resample + scale): %.3f ms/window", window_ms)
    log.info("frame features: %.3f ms/frame", frame_ms)
    log.info(
        "live classifier (frame features every frame, inference every %.2f s): %.3f ms/frame at %.0f fps",
        live.hop_s,
        live_ms,
        clip.fps,
    )
    print(
        json.dumps(
            {
                "classifier_infer_ms": round(infer_ms, 4),
                "window_features_ms": round(window_ms, 4),
                "frame_features_ms": round(frame_ms, 4),
                "live_ms_per_frame": round(live_ms, 4),
                "rep_trajectory_ms": round(traj_ms, 4),
                "rep_score_ms": round(ae_ms, 4),
            }
        )
    )


if __name__ == "__main__":
    main()
