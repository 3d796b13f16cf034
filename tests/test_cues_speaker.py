"""Speakers through the `Speaker` interface: the recording double, and `Pyttsx3Speaker` driven by an injected
fake engine (queue replacement, stale cues, mute at once, no engine, a hung engine, clean close)."""

from __future__ import annotations

import ast
import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from coach.cues import Cue, Pyttsx3Speaker, RecordingSpeaker, Speaker, SpeechError, synthesize_to_wav

REPO = Path(__file__).resolve().parents[1]


def _count(n: int, t: float = 0.0) -> Cue:
    return Cue(str(n), 10, "count", t, n)


def _fix(text: str, t: float = 0.0) -> Cue:
    return Cue(text, 30, "corrective", t)


class FakeEngine:
    """Stands in for pyttsx3.Engine. Each utterance reports its words (like SAPI5 does) and honours stop()
    between them; `gate` (when set up) holds runAndWait until the test opens it, like a busy audio device."""

    def __init__(self, *, gate: threading.Event | None = None, word_s: float = 0.0) -> None:
        self.gate = gate
        self.word_s = word_s
        self.thread_names: set[str] = set()
        self.said: list[str] = []
        self.words: list[str] = []
        self.stops = 0
        self.started = threading.Event()  # set when an utterance begins
        self.connected: dict[int, Callable[..., object]] = {}
        self.properties: dict[str, object] = {}
        self._pending: list[str] = []
        self._stopped = False

    def _seen(self) -> None:
        self.thread_names.add(threading.current_thread().name)

    def say(self, text: str) -> None:
        self._seen()
        self._pending.append(text)

    def runAndWait(self) -> None:  # noqa: N802
        self._seen()
        self._stopped = False
        for text in self._pending:
            self.started.set()
            if self.gate is not None:
                self.gate.wait(10.0)
            for word in text.split():
                if self._stopped:
                    break
                self.words.append(word)
                for cb in list(self.connected.values()):
                    cb(name=word, location=0, length=len(word))
                time.sleep(self.word_s)
            if not self._stopped:
                self.said.append(text)
        self._pending.clear()

    def stop(self) -> None:
        self._seen()
        self.stops += 1
        self._stopped = True

    def save_to_file(self, text: str, filename: str) -> None:
        raise AssertionError("not used")

    def connect(self, topic: str, cb: Callable[..., object]) -> object:
        self._seen()
        token = len(self.connected) + 1
        self.connected[token] = cb
        return token

    def disconnect(self, token: object) -> None:
        self.connected.pop(token, None)  # type: ignore[call-overload]

    def setProperty(self, name: str, value: object) -> None:  # noqa: N802
        self.properties[name] = value


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def _speaker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "coach-speaker"]


def _wait(cond: Callable[[], bool], timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.005)
    return cond()


@pytest.fixture
def no_thread_left() -> Iterator[None]:
    yield
    assert _speaker_threads() == [], "a speaker thread was left running"


# ------------------------------------------------------------------ the recording double


def test_recording_speaker_records_through_the_interface_with_mute_and_close():
    sp: Speaker = RecordingSpeaker()
    assert isinstance(sp, Speaker) and sp.available and sp.unavailable_reason is None
    sp.say(_count(1))
    sp.set_muted(True)
    sp.say(_fix("Knees out"))
    sp.set_muted(False)
    sp.say(_count(2))
    sp.close()
    sp.say(_count(3))
    assert isinstance(sp, RecordingSpeaker)
    assert sp.texts() == ["1", "2"]
    assert [c.text for c in sp.dropped] == ["Knees out", "3"]
    off = RecordingSpeaker(available=False, unavailable_reason="no audio device")
    off.say(_count(1))
    assert not off.available and off.unavailable_reason == "no audio device" and off.texts() == []


# ------------------------------------------------------------------ Pyttsx3Speaker with a fake engine


def test_engine_is_made_and_used_only_on_the_speaker_thread(no_thread_left):
    engine = FakeEngine()
    spoken: list[str] = []
    done = threading.Event()

    def on_spoken(cue: Cue) -> None:
        spoken.append(cue.text)
        if len(spoken) == 2:
            done.set()

    def factory() -> FakeEngine:
        engine._seen()
        return engine

    sp = Pyttsx3Speaker(engine_factory=factory, audio_probe=None, on_spoken=on_spoken, rate_wpm=170)
    assert isinstance(sp, Speaker) and sp.available
    sp.say(_fix("Knees out"))
    assert _wait(lambda: spoken == ["Knees out"])
    sp.say(_count(1))
    assert done.wait(5.0)
    sp.close()
    assert spoken == ["Knees out", "1"] and engine.said == spoken
    assert engine.thread_names == {"coach-speaker"}  # pyttsx3 is not thread-safe
    assert engine.properties == {"rate": 170}
    assert engine.connected == {}  # the word callback is disconnected when the thread ends
    assert sp.stats().spoken == 2


def test_a_more_important_cue_replaces_queued_ones_and_the_queue_is_bounded(no_thread_left):
    gate = threading.Event()
    engine = FakeEngine(gate=gate)
    sp = Pyttsx3Speaker(engine_factory=lambda: engine, audio_probe=None, max_queue=2)
    try:
        sp.say(_count(1))
        assert engine.started.wait(5.0)  # "1" is being spoken, held by the gate
        sp.say(_count(2))
        sp.say(_count(3))  # the queue holds "2", "3"
        assert [c.text for c in sp.queued] == ["2", "3"]
        sp.say(_fix("Knees out"))  # more important: the counts go
        assert [c.text for c in sp.queued] == ["Knees out"]
        sp.say(_count(4))
        sp.say(_count(5))  # full: the oldest, least important cue ("4") goes, not the correction
        assert [c.text for c in sp.queued] == ["Knees out", "5"]
        assert sp.stats().replaced == 3
        gate.set()
        assert _wait(lambda: len(engine.said) == 3)
        assert engine.said == ["1", "Knees out", "5"]
    finally:
        gate.set()
        sp.close()


def test_cues_that_waited_too_long_are_dropped(no_thread_left):
    gate = threading.Event()
    clock = Clock()
    engine = FakeEngine(gate=gate)
    sp = Pyttsx3Speaker(engine_factory=lambda: engine, audio_probe=None, clock=clock, max_wait_s=2.0,
                        utterance_timeout_s=60.0)
    try:
        sp.say(_count(1))
        assert engine.started.wait(5.0)
        sp.say(_fix("Chest up"))
        clock.t += 3.0  # the first cue took 3 s: "Chest up" is about a rep that is long gone
        gate.set()
        assert _wait(lambda: sp.stats().stale == 1)
        sp.say(_fix("Sit deeper"))
        assert _wait(lambda: len(engine.said) == 2)
        assert engine.said == ["1", "Sit deeper"]
    finally:
        gate.set()
        sp.close()


def test_mute_drops_the_queue_at_once_and_stops_the_current_utterance(no_thread_left):
    engine = FakeEngine(word_s=0.05)
    sp = Pyttsx3Speaker(engine_factory=lambda: engine, audio_probe=None)
    try:
        long = "Squeeze your glutes and keep your hips up in one straight line"
        sp.say(_fix(long))
        sp.say(_count(1))
        assert _wait(lambda: len(engine.words) >= 2)
        sp.set_muted(True)
        assert sp.muted and sp.queued == ()
        sp.say(_count(2))  # muted: not even queued
        assert sp.queued == ()
        assert _wait(lambda: engine.stops >= 1)
        time.sleep(0.2)
        assert long not in engine.said and len(engine.words) < len(long.split())
        assert engine.said == []
        sp.set_muted(False)
        sp.say(_count(3))
        assert _wait(lambda: engine.said == ["3"])
        assert sp.stats().muted == 2
    finally:
        sp.close()


def test_no_engine_means_unavailable_logged_once_and_say_is_a_no_op(caplog, no_thread_left):
    calls = 0

    def broken() -> FakeEngine:
        nonlocal calls
        calls += 1
        raise RuntimeError("This means you probably do not have eSpeak or eSpeak-ng installed!")

    with caplog.at_level(logging.WARNING, logger="coach.cues.speaker"):
        sp = Pyttsx3Speaker(engine_factory=broken, audio_probe=None)
        for i in range(5):
            sp.say(_count(i))
        sp.set_muted(True)
        sp.set_muted(False)
        assert not sp.available
        assert "eSpeak" in (sp.unavailable_reason or "")
        sp.close()
        sp.close()
    assert calls == 1
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "shown on screen" in warnings[0].getMessage()
    assert sp.stats().unavailable == 5 and sp.stats().spoken == 0


def test_no_audio_device_starts_no_thread(caplog, no_thread_left):
    made: list[FakeEngine] = []
    with caplog.at_level(logging.WARNING, logger="coach.cues.speaker"):
        sp = Pyttsx3Speaker(engine_factory=lambda: made.append(FakeEngine()) or made[-1],
                            audio_probe=lambda: "no audio output device")
        assert _speaker_threads() == []
        sp.say(_count(1))
        sp.close()
    assert made == [] and not sp.available and sp.unavailable_reason == "no audio output device"
    assert len(caplog.records) == 1


def test_an_engine_error_while_speaking_turns_speech_off(caplog, no_thread_left):
    class Failing(FakeEngine):
        def runAndWait(self) -> None:  # noqa: N802
            raise OSError("audio device disappeared")

    with caplog.at_level(logging.WARNING, logger="coach.cues.speaker"):
        sp = Pyttsx3Speaker(engine_factory=Failing, audio_probe=None)
        sp.say(_count(1))
        assert _wait(lambda: not sp.available)
        sp.say(_count(2))
        sp.close()
    assert "audio device disappeared" in (sp.unavailable_reason or "")
    assert len(caplog.records) == 1


def test_a_hung_engine_is_noticed_by_the_watchdog_and_close_does_not_wait_for_it(caplog):
    gate = threading.Event()  # never opened until the end: the audio stack blocks forever
    clock = Clock()
    engine = FakeEngine(gate=gate)
    with caplog.at_level(logging.WARNING, logger="coach.cues.speaker"):
        sp = Pyttsx3Speaker(engine_factory=lambda: engine, audio_probe=None, clock=clock,
                            utterance_timeout_s=8.0, close_timeout_s=0.2)
        sp.say(_fix("Knees out"))
        assert engine.started.wait(5.0)
        assert sp.available
        clock.t += 9.0
        assert not sp.available and "8 s" in (sp.unavailable_reason or "")
        sp.say(_count(1))  # a no-op now: nothing piles up behind the hung utterance
        assert sp.queued == ()
        t0 = time.monotonic()
        sp.close()
        took = time.monotonic() - t0
    assert took < 2.0  # bounded by close_timeout_s (0.2 s), not by the hung engine
    assert len([r for r in caplog.records if r.getMessage().startswith("spoken cues are off")]) == 1
    assert any("left behind" in r.getMessage() for r in caplog.records)
    gate.set()  # let the thread finish so it does not outlive the test
    assert _wait(lambda: _speaker_threads() == [])


def test_close_is_quick_idempotent_and_leaves_no_thread(no_thread_left):
    sp = Pyttsx3Speaker(engine_factory=FakeEngine, audio_probe=None)
    assert len(_speaker_threads()) == 1
    t0 = time.monotonic()
    sp.close()
    assert time.monotonic() - t0 < 1.0  # the window closes without a pause the user would notice
    sp.close()
    sp.say(_count(1))
    assert sp.stats().spoken == 0


def test_synthesize_to_wav_reports_a_broken_engine(tmp_path):
    def broken() -> FakeEngine:
        raise OSError("no espeak")

    with pytest.raises(SpeechError, match="no espeak"):
        synthesize_to_wav("Knees out", tmp_path / "x.wav", engine_factory=broken)


def test_only_the_speaker_module_imports_pyttsx3():
    users = []
    for path in sorted((REPO / "coach").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names] if isinstance(node, ast.Import)
                else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            )
            if any(n.split(".")[0] == "pyttsx3" for n in names):
                users.append(str(path.relative_to(REPO)))
    assert sorted(set(users)) == ["coach/cues/speaker.py"]
