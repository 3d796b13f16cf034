"""Saying cues out loud: the `Speaker` interface, `Pyttsx3Speaker` (the only module importing pyttsx3),
`RecordingSpeaker` (a test double) and `synthesize_to_wav` (a diagnostic that writes one cue to a file).

Threads: `say`, `set_muted` and `close` may be called from any thread (the live pipeline calls `say` on
its analysis thread, the GUI calls `set_muted` on the GUI thread) and never block on speech.
`Pyttsx3Speaker` creates its pyttsx3 engine on ONE dedicated daemon thread ("coach-speaker") and only ever
touches it there, because pyttsx3 engines are not thread-safe (and SAPI5 needs the COM apartment of the
thread that created it).

What pyttsx3 2.99 does on Linux (measured on the project machine): its espeak-ng driver synthesises into
memory (espeak-ng in retrieval mode, synchronous), writes a temporary WAV and plays it with
``os.system("aplay ...")``. So speech needs libespeak-ng1 AND aplay (alsa-utils) AND an audio device:
- espeak-ng missing: ``pyttsx3.init()`` raises RuntimeError -> the speaker is unavailable;
- aplay missing or no sound card: ``runAndWait()`` returns in about 10 ms after the shell reports the
  error on stderr; nothing is heard and nothing hangs. `probe_audio_output` notices both up front, so the
  app says once that cues are visual only instead of printing ALSA errors for every cue;
- an utterance cannot be interrupted (the engine is inside ``aplay``), so mute drops the queue at once and
  the cue being spoken (about a second) finishes. Engines that report words (SAPI5, NSSpeech) are stopped
  at the next word.
- an audio stack that blocks (a hung sound server) would hold the speaker thread inside ``aplay``: the
  watchdog declares the speaker unavailable once an utterance has taken longer than
  `utterance_timeout_s`, so cues are no longer queued, and `close` gives up after its timeout (the thread
  is a daemon and cannot keep the process alive).
- ``save_to_file`` followed by ``say`` on the same engine writes the ``say`` to the file again (the driver
  keeps the file name), and espeak-ng has one synthesis callback per process, so `synthesize_to_wav`
  refuses to run while a `Pyttsx3Speaker` with the default engine is open in the same process.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from coach.cues.policy import Cue
from coach.errors import CoachError

__all__ = [
    "Pyttsx3Speaker",
    "RecordingSpeaker",
    "Speaker",
    "SpeakerStats",
    "SpeechError",
    "TtsEngine",
    "default_engine_factory",
    "probe_audio_output",
    "synthesize_to_wav",
]

log = logging.getLogger(__name__)

# What pyttsx3 and its drivers raise when an engine cannot be built or used: ImportError (pyttsx3 or a
# driver module missing), RuntimeError (libespeak-ng missing, "run loop already started"), OSError (ctypes
# loading, the audio device), ValueError/KeyError (setProperty with a value or name the driver rejects).
_ENGINE_ERRORS: tuple[type[BaseException], ...] = (ImportError, OSError, RuntimeError, ValueError, KeyError)

# espeak-ng is one synthesiser per process, whatever thread or pyttsx3 engine drives it: every use of
# pyttsx3 in this module holds this lock, from making an engine to freeing it (`_free_engines`).
_PYTTSX3_LOCK = threading.Lock()
_open_default_speakers = 0  # Pyttsx3Speakers using the real pyttsx3 engine, guarded by _OPEN_LOCK
_OPEN_LOCK = threading.Lock()

_WAV_HEADER_BYTES = 44


class SpeechError(CoachError):
    """Text could not be synthesised (no engine, the engine failed, or it took too long)."""


@runtime_checkable
class Speaker(Protocol):
    """Says cues. All methods are safe from any thread and return at once.

    `available` is False when nothing can be heard (no engine, no audio device, the engine failed);
    `unavailable_reason` then says why, for a status line. `say` is a no-op while unavailable or muted.
    """

    @property
    def available(self) -> bool: ...

    @property
    def unavailable_reason(self) -> str | None: ...

    def say(self, cue: Cue) -> None: ...

    def set_muted(self, muted: bool) -> None: ...

    def close(self) -> None: ...


class TtsEngine(Protocol):
    """The part of ``pyttsx3.Engine`` the speaker uses; inject a fake through `engine_factory`."""

    def say(self, text: str) -> None: ...

    def runAndWait(self) -> None: ...  # noqa: N802 - pyttsx3's name

    def stop(self) -> None: ...

    def save_to_file(self, text: str, filename: str) -> None: ...

    def connect(self, topic: str, cb: Callable[..., object]) -> object: ...

    def disconnect(self, token: object) -> None: ...

    def setProperty(self, name: str, value: object) -> None: ...  # noqa: N802 - pyttsx3's name


def _free_engines() -> None:
    """Free the engines this thread has dropped now, here and under the lock. An engine caught in a
    reference cycle would otherwise be torn down (espeak-ng terminated) on whichever thread the garbage
    collector next runs, possibly while another thread is creating an engine: espeak-ng then crashed the
    process (a segfault in the test suite, synthesising to a file while the main thread collected)."""
    with _PYTTSX3_LOCK:
        gc.collect()


def default_engine_factory() -> TtsEngine:
    """``pyttsx3.init()``: espeak-ng on Linux, SAPI5 on Windows, NSSpeech on macOS. Call it on the thread
    that will use the engine. Raises ImportError/RuntimeError/OSError when there is no engine."""
    import pyttsx3  # imported here so that a missing pyttsx3 is "no engine", not an import error of coach

    engine: TtsEngine = pyttsx3.init()
    return engine


def probe_audio_output() -> str | None:
    """Why speech cannot be heard on this machine, or None when it can (as far as can be told cheaply).

    Only Linux is checked: pyttsx3 plays espeak-ng's audio with ``aplay`` there, which needs an ALSA card or
    a PulseAudio/PipeWire server. Windows and macOS engines speak through the system's own audio."""
    if not sys.platform.startswith("linux"):
        return None
    if shutil.which("aplay") is None:
        return "aplay not found (install alsa-utils): pyttsx3 plays espeak-ng audio through it"
    if _has_alsa_card() or _has_sound_server():
        return None
    return "no audio output device (no ALSA sound card, no PulseAudio/PipeWire server)"


def _has_alsa_card() -> bool:
    try:
        cards = Path("/proc/asound/cards").read_text()
    except OSError:
        return False
    return bool(cards.strip()) and "no soundcards" not in cards


def _has_sound_server() -> bool:
    if os.environ.get("PULSE_SERVER"):
        return True
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if not runtime:
        return False
    return any((Path(runtime) / p).exists() for p in ("pulse/native", "pipewire-0"))


@dataclass(frozen=True, slots=True)
class SpeakerStats:
    """Counters since the speaker was made: cues spoken, and cues not spoken by reason."""

    spoken: int
    replaced: int  # pushed out of the queue by a newer, more important cue (or the queue was full)
    stale: int  # waited in the queue longer than max_wait_s
    muted: int  # said (or queued) while muted
    unavailable: int  # said while no speech was possible


@dataclass(slots=True)
class _Queued:
    cue: Cue
    enqueued_at: float  # the speaker's clock (monotonic): queue waiting is wall time, not media time
    seq: int


def _admit(queue: list[_Queued], new: _Queued, max_len: int) -> int:
    """Put `new` in `queue`; returns how many queued cues it displaced.

    A newer cue replaces queued cues that are less important or say the same thing; if the queue is still
    over `max_len`, the least important, oldest cue goes (which may be `new` itself when it is the least
    important: a burst of counts must not push out a correction)."""
    keep = [q for q in queue if q.cue.priority >= new.cue.priority and q.cue.text != new.cue.text]
    displaced = len(queue) - len(keep)
    keep.append(new)
    while len(keep) > max_len:
        victim = min(keep, key=lambda q: (q.cue.priority, q.seq))
        keep.remove(victim)
        displaced += victim is not new
    queue[:] = keep
    return displaced


def _pop_next(queue: list[_Queued]) -> _Queued:
    best = max(queue, key=lambda q: (q.cue.priority, -q.seq))
    queue.remove(best)
    return best


class Pyttsx3Speaker:
    """Speaks cues through pyttsx3 on its own thread (see module docstring).

    Construction starts the thread and waits (at most `init_timeout_s`) for the engine, so `available` is
    known when it returns. The queue holds at most `max_queue` cues (see `_admit`); a cue that waited
    longer than `max_wait_s` is dropped instead of spoken. `set_muted(True)` empties the queue at once.
    `close()` stops the thread, waiting at most `close_timeout_s` (an utterance in progress finishes).
    `on_spoken` is called on the speaker thread after each cue was spoken.
    """

    def __init__(
        self,
        *,
        engine_factory: Callable[[], TtsEngine] | None = None,
        audio_probe: Callable[[], str | None] | None = probe_audio_output,
        rate_wpm: int | None = 185,
        max_queue: int = 3,
        max_wait_s: float = 2.0,
        utterance_timeout_s: float = 8.0,
        init_timeout_s: float = 5.0,
        close_timeout_s: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        on_spoken: Callable[[Cue], None] | None = None,
    ) -> None:
        if max_queue < 1:
            raise ValueError("max_queue must be >= 1")
        self._factory = engine_factory or default_engine_factory
        self._uses_default_engine = engine_factory is None
        self._rate_wpm = rate_wpm
        self.max_queue = max_queue
        self.max_wait_s = max_wait_s
        self.utterance_timeout_s = utterance_timeout_s
        self.close_timeout_s = close_timeout_s
        self._clock = clock
        self._on_spoken = on_spoken
        self._cond = threading.Condition()  # guards everything below; re-entrant
        self._queue: list[_Queued] = []
        self._seq = 0
        self._muted = False
        self._closed = False
        self._reason: str | None = None
        self._speaking_since: float | None = None
        self._counts = {"spoken": 0, "replaced": 0, "stale": 0, "muted": 0, "unavailable": 0}
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._registered = False

        reason = audio_probe() if audio_probe is not None else None
        if reason is not None:
            self._mark_unavailable(reason)
            return
        if self._uses_default_engine:
            self._register()
        self._thread = threading.Thread(target=self._run, name="coach-speaker", daemon=True)
        self._thread.start()
        if not self._ready.wait(init_timeout_s):
            self._mark_unavailable(f"text-to-speech engine did not start within {init_timeout_s:g} s")

    # ------------------------------------------------------------------ public, any thread
    @property
    def available(self) -> bool:
        """False when nothing can be heard; see `unavailable_reason`."""
        with self._cond:
            self._check_watchdog()
            return self._reason is None

    @property
    def unavailable_reason(self) -> str | None:
        with self._cond:
            self._check_watchdog()
            return self._reason

    @property
    def muted(self) -> bool:
        with self._cond:
            return self._muted

    @property
    def queued(self) -> tuple[Cue, ...]:
        """The cues waiting, in the order they would be spoken."""
        with self._cond:
            return tuple(q.cue for q in sorted(self._queue, key=lambda q: (-q.cue.priority, q.seq)))

    def stats(self) -> SpeakerStats:
        with self._cond:
            return SpeakerStats(**self._counts)

    def say(self, cue: Cue) -> None:
        """Queue `cue` (never blocks). A no-op while muted, unavailable or closed."""
        with self._cond:
            self._check_watchdog()
            if self._closed or self._reason is not None:
                self._counts["unavailable"] += 1
                return
            if self._muted:
                self._counts["muted"] += 1
                return
            self._seq += 1
            self._counts["replaced"] += _admit(
                self._queue, _Queued(cue, self._clock(), self._seq), self.max_queue
            )
            self._cond.notify_all()

    def set_muted(self, muted: bool) -> None:
        """Muting drops every queued cue at once and asks the engine to stop the current utterance."""
        with self._cond:
            self._muted = muted
            if muted:
                self._counts["muted"] += len(self._queue)
                self._queue.clear()

    def close(self) -> None:
        """Stop the speaker thread (idempotent). Waits at most `close_timeout_s`."""
        with self._cond:
            already = self._closed
            self._closed = True
            self._queue.clear()
            self._cond.notify_all()
        if already:
            return
        th = self._thread
        if th is not None and th is not threading.current_thread():
            th.join(self.close_timeout_s)
            if th.is_alive():
                # Stuck inside the engine (a blocking audio stack); it is a daemon thread, so it cannot
                # keep the process alive, and the lock-free engine has no way to be cancelled from here.
                log.warning("speaker thread still inside the speech engine after %.1f s; left behind",
                            self.close_timeout_s)
        self._unregister()

    def __enter__(self) -> Pyttsx3Speaker:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # ------------------------------------------------------------------ internals
    def _mark_unavailable(self, reason: str) -> None:
        with self._cond:
            if self._reason is not None:
                return
            self._reason = reason
            self._queue.clear()
            self._cond.notify_all()
        log.warning("spoken cues are off: %s; cues are shown on screen only", reason)

    def _check_watchdog(self) -> None:
        """Called with the lock held: an utterance that never ends means the audio stack is blocking."""
        since = self._speaking_since
        if since is not None and self._reason is None and self._clock() - since > self.utterance_timeout_s:
            self._mark_unavailable(
                f"speech engine has not finished an utterance in {self.utterance_timeout_s:g} s"
            )

    def _register(self) -> None:
        global _open_default_speakers
        with _OPEN_LOCK:
            _open_default_speakers += 1
        self._registered = True

    def _unregister(self) -> None:
        global _open_default_speakers
        if self._registered:
            with _OPEN_LOCK:
                _open_default_speakers -= 1
            self._registered = False

    def _run(self) -> None:
        """The speaker thread: owns the engine from creation to release."""
        try:
            with _PYTTSX3_LOCK:
                engine = self._factory()
                if self._rate_wpm is not None:
                    engine.setProperty("rate", self._rate_wpm)

            def on_word(**_: object) -> None:
                # Runs on this thread inside runAndWait: the only place the engine can be stopped safely.
                if self._muted or self._closed:
                    engine.stop()

            token = engine.connect("started-word", on_word)
        except _ENGINE_ERRORS as e:
            self._mark_unavailable(f"no text-to-speech engine ({type(e).__name__}: {e})")
            self._ready.set()
            return
        self._ready.set()
        try:
            self._loop(engine)
        finally:
            # on_word and the engine refer to each other; left as a cycle, the engine would be freed by the
            # garbage collector at some later moment, and pyttsx3's espeak driver then unregisters the
            # process-wide synthesis callback, silencing (hanging) whichever engine was made after it.
            engine.disconnect(token)
            with self._cond:
                self._speaking_since = None
                ended_early = not self._closed and self._reason is None
            if ended_early:  # an exception escaped (e.g. from on_spoken): say so instead of going quiet
                self._mark_unavailable("speaker thread ended unexpectedly")
            # The last references to the engine (on_word reads it from this cell), dropped and freed here,
            # on the thread that made it.
            engine = token = None  # type: ignore[assignment]
            _free_engines()

    def _loop(self, engine: TtsEngine) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._closed and self._reason is None:
                    self._cond.wait()
                if self._closed or self._reason is not None:
                    return
                item = _pop_next(self._queue)
                now = self._clock()
                if now - item.enqueued_at > self.max_wait_s:
                    self._counts["stale"] += 1
                    log.debug("cue %r dropped: waited %.1f s", item.cue.text, now - item.enqueued_at)
                    continue
                self._speaking_since = now
            try:
                with _PYTTSX3_LOCK:
                    engine.say(item.cue.text)
                    engine.runAndWait()
            except _ENGINE_ERRORS as e:
                self._mark_unavailable(f"speech engine failed ({type(e).__name__}: {e})")
                return
            finally:
                with self._cond:
                    self._speaking_since = None
            with self._cond:
                self._counts["spoken"] += 1
            if self._on_spoken is not None:
                self._on_spoken(item.cue)


class RecordingSpeaker:
    """A `Speaker` that records what it would say, with the same mute/availability/close semantics.

    Thread-safe; `spoken` is appended to in `say` (synchronously: there is no queue to wait on)."""

    def __init__(self, *, available: bool = True, unavailable_reason: str | None = None) -> None:
        if not available and unavailable_reason is None:
            unavailable_reason = "recording speaker made unavailable"
        self._lock = threading.Lock()
        self._available = available
        self._reason = None if available else unavailable_reason
        self._muted = False
        self.closed = False
        self.spoken: list[Cue] = []
        self.dropped: list[Cue] = []  # said while muted, unavailable or closed

    @property
    def available(self) -> bool:
        return self._available

    @property
    def unavailable_reason(self) -> str | None:
        return self._reason

    @property
    def muted(self) -> bool:
        with self._lock:
            return self._muted

    def texts(self) -> list[str]:
        with self._lock:
            return [c.text for c in self.spoken]

    def say(self, cue: Cue) -> None:
        with self._lock:
            if self._muted or self.closed or not self._available:
                self.dropped.append(cue)
            else:
                self.spoken.append(cue)

    def set_muted(self, muted: bool) -> None:
        with self._lock:
            self._muted = muted

    def close(self) -> None:
        with self._lock:
            self.closed = True


def synthesize_to_wav(
    text: str,
    path: str | os.PathLike[str],
    *,
    engine_factory: Callable[[], TtsEngine] | None = None,
    timeout_s: float = 15.0,
) -> Path:
    """Synthesise `text` into a WAV file with pyttsx3's ``save_to_file`` (a diagnostic: does the speech
    engine work here, whatever the audio device?). Runs on a short-lived thread of its own, which owns the
    engine, so a hung engine costs `timeout_s`, not the caller. Raises `SpeechError`."""
    out = Path(path)
    if engine_factory is None:
        with _OPEN_LOCK:
            if _open_default_speakers:
                raise SpeechError("close the speaker before synthesising to a file (pyttsx3 shares one "
                                  "espeak-ng synthesiser per process)")
    factory = engine_factory or default_engine_factory
    failure: list[BaseException] = []

    def work() -> None:
        try:
            with _PYTTSX3_LOCK:
                engine = factory()
                engine.save_to_file(text, str(out))
                engine.runAndWait()
        except _ENGINE_ERRORS as e:
            failure.append(e)
        finally:
            engine = None  # noqa: F841 - the last reference, freed on this thread
            _free_engines()

    th = threading.Thread(target=work, name="coach-tts-file", daemon=True)
    th.start()
    th.join(timeout_s)
    if th.is_alive():
        raise SpeechError(f"speech synthesis did not finish within {timeout_s:g} s")
    if failure:
        raise SpeechError(f"speech synthesis failed: {failure[0]}") from failure[0]
    if not out.is_file() or out.stat().st_size <= _WAV_HEADER_BYTES:
        raise SpeechError(f"speech synthesis wrote no audio to {out}")
    return out
