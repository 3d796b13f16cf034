"""The real pyttsx3 + espeak-ng on this machine: the speaker thread starts, speaks into whatever audio there
is (nothing, on a machine without a sound card) and closes quickly; one real synthesis to a WAV file.

Needs libespeak-ng1 (scripts/setup_env.sh installs it); without it these tests fail, on purpose."""

from __future__ import annotations

import threading
import time
import wave
from pathlib import Path

import pytest

from coach.cues import Cue, Pyttsx3Speaker, SpeechError, synthesize_to_wav


def _speaker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "coach-speaker"]


def _wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        return w.getnframes() / w.getframerate()


def test_real_speaker_starts_speaks_and_closes_quickly_leaving_no_thread():
    spoken = threading.Event()
    # audio_probe=None: speak even without an audio device, so the real engine runs on its thread here.
    sp = Pyttsx3Speaker(audio_probe=None, on_spoken=lambda cue: spoken.set())
    try:
        assert sp.available, sp.unavailable_reason
        assert len(_speaker_threads()) == 1
        sp.say(Cue("Knees out", 30, "corrective", 0.0))
        # Without a sound card espeak-ng still synthesises and aplay fails at once: no hang.
        assert spoken.wait(10.0), "the real engine did not finish a two-word cue within 10 s"
        assert sp.available
    finally:
        t0 = time.monotonic()
        sp.close()
        took = time.monotonic() - t0
    assert took < 1.0
    assert _speaker_threads() == []


def test_real_espeak_synthesis_to_a_wav_file(tmp_path):
    short = synthesize_to_wav("Knees out", tmp_path / "short.wav")
    long = synthesize_to_wav("Keep your heels down and your chest up, then sit deeper", tmp_path / "long.wav")
    assert short.stat().st_size > 10_000  # not just a header: 16-bit mono speech
    s, ln = _wav_seconds(short), _wav_seconds(long)
    # Speech at about 150-200 words per minute (pyttsx3's default rate): 2 words ~ 0.5-1.5 s, 11 words
    # ~ 2.5-6 s; mostly the check is that the file holds the whole text, not a fragment.
    assert 0.4 < s < 2.0
    assert 2.5 < ln < 7.0
    assert ln > 2.5 * s


def test_synthesis_to_a_file_waits_for_the_live_speaker_to_close(tmp_path):
    sp = Pyttsx3Speaker(audio_probe=None)
    try:
        with pytest.raises(SpeechError, match="close the speaker"):
            synthesize_to_wav("Knees out", tmp_path / "x.wav")
    finally:
        sp.close()
    assert synthesize_to_wav("Knees out", tmp_path / "x.wav").is_file()
