"""Motion synthesizer: parametric 33-landmark athletes doing every activity the coach knows, with random
bodies, tempo, range of motion, cameras, noise and labelled form faults (no torch; see `generator`)."""

from coach.synth.generator import ACTIVITY_LABELS, CameraSpec, SynthClip, SynthOptions, generate
from coach.synth.motions import FAULTS

__all__ = ["ACTIVITY_LABELS", "FAULTS", "CameraSpec", "SynthClip", "SynthOptions", "generate"]
