"""coach: a real-time webcam coach (pose, reps, gait, form feedback)."""

__version__ = "0.1.0"
