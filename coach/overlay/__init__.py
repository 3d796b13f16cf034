"""OpenCV overlays for the live view: annotators (`annotate(image, data) -> image`) and `Overlay`, which
draws them all for one analysed frame. No Qt; BGR uint8 images; see `compose` for mirroring."""

from coach.overlay.annotators import (
    BarPathAnnotator,
    CueBannerAnnotator,
    JointAngleAnnotator,
    JointAnomalyAnnotator,
    RepCounterAnnotator,
    SkeletonAnnotator,
    TargetLineAnnotator,
    anomaly_color,
)
from coach.overlay.compose import Overlay, OverlayData, OverlayInput, mirror_image, mirror_pose

__all__ = [
    "BarPathAnnotator",
    "CueBannerAnnotator",
    "JointAngleAnnotator",
    "JointAnomalyAnnotator",
    "Overlay",
    "OverlayData",
    "OverlayInput",
    "RepCounterAnnotator",
    "SkeletonAnnotator",
    "TargetLineAnnotator",
    "anomaly_color",
    "mirror_image",
    "mirror_pose",
]
