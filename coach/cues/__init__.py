"""Spoken cues: `policy.CuePolicy` decides what to say (no clock, no I/O), a `speaker.Speaker` says it.

`coach.cues.speaker` is the only module that imports pyttsx3; the live pipeline is given a `Speaker`
(`Pyttsx3Speaker` in the app, `RecordingSpeaker` in tests) instead of creating one.
"""

from coach.cues.policy import (
    PRIORITY_CORRECTIVE,
    PRIORITY_COUNT,
    PRIORITY_INFO,
    PRIORITY_SAFETY,
    Cue,
    CueKind,
    CuePolicy,
)
from coach.cues.speaker import (
    Pyttsx3Speaker,
    RecordingSpeaker,
    Speaker,
    SpeakerStats,
    SpeechError,
    probe_audio_output,
    synthesize_to_wav,
)

__all__ = [
    "PRIORITY_CORRECTIVE",
    "PRIORITY_COUNT",
    "PRIORITY_INFO",
    "PRIORITY_SAFETY",
    "Cue",
    "CueKind",
    "CuePolicy",
    "Pyttsx3Speaker",
    "RecordingSpeaker",
    "Speaker",
    "SpeakerStats",
    "SpeechError",
    "probe_audio_output",
    "synthesize_to_wav",
]
