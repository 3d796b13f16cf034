"""GPT-written feedback through the official `openai` client: the ONLY module that imports `openai`.

`GptFeedback.summarize(summary)` sends the numbers-only summary of `coach.feedback.summary_input` to a
chat-completions endpoint and returns the model's text, or raises `GptUnavailable` with a reason. It works
with OpenAI and with any OpenAI-compatible server (Ollama, llama.cpp's server, vLLM): set the base URL.

Configuration (`GptFeedback.from_env`): `COACH_OPENAI_BASE_URL` (default: OpenAI), `COACH_OPENAI_MODEL`
(default `DEFAULT_MODEL`). The API key comes from `COACH_OPENAI_API_KEY`, then `OPENAI_API_KEY`, then the OS
keyring (service `KEYRING_SERVICE`, user `KEYRING_USER`) when the optional `keyring` package is installed.
The key is read for each request and kept only in the client of that request: it is never stored on this
object, logged, or put into an error message (`redact`).

Timeouts and retries are owned here, not by the client (which is built with `max_retries=0`): each attempt
gets `timeout_s`, at most `max_retries` retries follow a timeout, a connection error, HTTP 5xx or 429, with
a short backoff. So one call takes at most about `timeout_s * (max_retries + 1)` plus
`backoff_s * (2**max_retries - 1)`; the client's own retry would honour a server's Retry-After of up to a
minute and break that bound. (httpx's timeout limits each wait for bytes; a server that trickles an answer
byte by byte could hold an attempt longer, which is why the UI only ever calls this off its thread.)

Thread ownership: a `GptFeedback` holds no connection between calls (each call builds and closes its own
client), so one instance may be used from several threads; `FeedbackService` runs it on its worker thread.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import openai

from coach.feedback.errors import GptUnavailable

_KEYRING_ERRORS: tuple[type[Exception], ...] = ()
try:  # optional: the OS keyring is used when the package happens to be installed; not a dependency
    import keyring
    from keyring.errors import KeyringError

    _KEYRING_ERRORS = (KeyringError,)
except ImportError:  # pragma: no cover - depends on the environment
    keyring = None  # type: ignore[assignment]

__all__ = [
    "DEFAULT_MODEL",
    "ENV_BASE_URL",
    "ENV_KEYS",
    "ENV_MODEL",
    "GptFeedback",
    "SYSTEM_PROMPT",
    "api_key_from_env_or_keyring",
    "redact",
]

log = logging.getLogger(__name__)

DEFAULT_MODEL = "gpt-4o-mini"
ENV_KEYS = ("COACH_OPENAI_API_KEY", "OPENAI_API_KEY")
ENV_BASE_URL = "COACH_OPENAI_BASE_URL"
ENV_MODEL = "COACH_OPENAI_MODEL"
KEYRING_SERVICE = "coach"
KEYRING_USER = "openai"
# Local servers ignore the key but the client refuses to start without one.
LOCAL_PLACEHOLDER_KEY = "no-key"
MAX_ANSWER_CHARS = 4000

SYSTEM_PROMPT = """\
You are an experienced strength and running coach. You receive a JSON summary of one set (key "set") \
and/or one run (key "run") measured by a webcam pose tracker. Write 3 to 6 short sentences of plain \
feedback for the athlete:
- what went well;
- the main fault and the rep numbers it occurred in (set.faults is sorted, most frequent first);
- tempo and fatigue: velocity_loss_pct is how much slower a rep's fastest upward speed was than the best \
rep of the set (under 10% fresh, over 20% close to fatigue);
- for a run: cadence_spm against the usual 170-180 steps/min, ground contact time, overstride \
(leg lengths the foot lands ahead of the hips; above 0.4 is overstriding) and the phase deviation with \
the largest |z| (difference from a reference runner, in degrees);
- anomaly entries come from a model of good reps: flagged reps moved unlike them, top_joints say where;
- end with one concrete cue for the next set or run.
Cite the numbers you use exactly as they appear in the JSON. Never invent figures, faults or reps that \
are not in the JSON; if something was not measured (null), do not guess it. No medical advice. \
Plain text, no headings, no lists."""

ApiKeyProvider = Callable[[], str | None]
ClientFactory = Callable[
    ..., Any
]  # keyword args api_key, base_url, timeout -> an `openai.OpenAI`-like client

_KEY_SHAPE = re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}")


def api_key_from_env_or_keyring() -> str | None:
    """The API key from `COACH_OPENAI_API_KEY`, `OPENAI_API_KEY`, or the OS keyring; None when none is set."""
    for name in ENV_KEYS:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    if keyring is None:
        return None
    try:
        value = keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
    except _KEYRING_ERRORS as exc:  # no backend, locked keychain...: feedback falls back, the app goes on
        log.info("OS keyring not usable (%s); no API key from it", type(exc).__name__)
        return None
    return value.strip() if value else None


def redact(text: str, secret: str | None) -> str:
    """`text` with `secret` (and anything shaped like an OpenAI key) replaced by ``[redacted]``.

    Error messages can quote what a server sent back, and a misbehaving server may echo the request's
    Authorization header, so every message leaving this module goes through here.
    """
    if secret:
        text = text.replace(secret, "[redacted]")
    return _KEY_SHAPE.sub("sk-[redacted]", text)


def _default_client_factory(*, api_key: str, base_url: str | None, timeout: float) -> openai.OpenAI:
    # max_retries=0: retries and their time bound are owned by GptFeedback (see the module docstring).
    return openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0)


class GptFeedback:
    """Written feedback from a chat-completions model; see the module docstring for configuration."""

    def __init__(
        self,
        base_url: str | None = None,
        model: str = DEFAULT_MODEL,
        api_key_provider: ApiKeyProvider = api_key_from_env_or_keyring,
        timeout_s: float = 20.0,
        max_retries: int = 2,
        client_factory: ClientFactory | None = None,
        *,
        backoff_s: float = 0.25,
        temperature: float = 0.3,
        max_tokens: int = 350,
    ) -> None:
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be positive, not {timeout_s}")
        if max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, not {max_retries}")
        self.base_url = base_url or None
        self.model = model
        self.timeout_s = float(timeout_s)
        self.max_retries = int(max_retries)
        self.backoff_s = float(backoff_s)
        self.temperature = temperature
        self.max_tokens = max_tokens
        self._api_key_provider = api_key_provider
        self._client_factory = client_factory or _default_client_factory

    @classmethod
    def from_env(cls, *, base_url: str | None = None, model: str | None = None, **kwargs: Any) -> GptFeedback:
        """Arguments given here win over $COACH_OPENAI_BASE_URL / $COACH_OPENAI_MODEL, then the defaults."""
        return cls(
            base_url=base_url or os.environ.get(ENV_BASE_URL) or None,
            model=model or os.environ.get(ENV_MODEL) or DEFAULT_MODEL,
            **kwargs,
        )

    def __repr__(self) -> str:  # no key in here, ever: only where requests go
        return f"GptFeedback(base_url={self.endpoint!r}, model={self.model!r}, timeout_s={self.timeout_s})"

    @property
    def endpoint(self) -> str:
        """Where requests go, without any credentials or query in the URL (safe to log and show)."""
        if self.base_url is None:
            return "OpenAI"
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}{parts.path}"

    @property
    def max_wait_s(self) -> float:
        """The longest one `summarize` call should take (see the module docstring for the trickle caveat)."""
        backoff = sum(self.backoff_s * 2**i for i in range(self.max_retries))
        return self.timeout_s * (self.max_retries + 1) + backoff

    def messages(self, summary: Mapping[str, Any]) -> list[dict[str, str]]:
        """The chat messages for `summary`: the system prompt, then the summary as compact JSON."""
        payload = json.dumps(summary, separators=(",", ":"), sort_keys=True, allow_nan=False)
        return [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"Summary JSON:\n{payload}"},
        ]

    def summarize(self, summary: Mapping[str, Any], *, stop: threading.Event | None = None) -> str:
        """The model's feedback text for `summary`; blocks up to about `max_wait_s`.

        Raises `GptUnavailable` (redacted message) when there is no key for OpenAI, on timeouts, connection
        errors and HTTP errors after the retries, on a malformed answer, or when `stop` is set between
        attempts.
        """
        key = self._api_key_provider()
        try:
            return self._summarize(summary, key, stop)
        except GptUnavailable as exc:
            # Re-raised without a chain: a chained client exception may quote a response echoing the key.
            raise GptUnavailable(redact(str(exc), key), retryable=exc.retryable) from None

    def _summarize(self, summary: Mapping[str, Any], key: str | None, stop: threading.Event | None) -> str:
        if not key:
            if self.base_url is None:
                raise GptUnavailable(
                    f"no API key: set {ENV_KEYS[0]} (or {ENV_KEYS[1]}) or store one in the OS keyring"
                )
            key = LOCAL_PLACEHOLDER_KEY
        try:
            messages = self.messages(summary)
        except ValueError as exc:  # NaN or a non-JSON value: a bug upstream, but feedback must not crash
            raise GptUnavailable(f"summary is not plain JSON ({exc})") from None
        try:
            client = self._client_factory(api_key=key, base_url=self.base_url, timeout=self.timeout_s)
        except openai.OpenAIError as exc:
            raise GptUnavailable(f"cannot set up the OpenAI client: {exc}") from None
        try:
            attempts = self.max_retries + 1
            for attempt in range(1, attempts + 1):
                if stop is not None and stop.is_set():
                    raise GptUnavailable("stopped")
                try:
                    return self._attempt(client, messages)
                except GptUnavailable as exc:
                    if not exc.retryable or attempt == attempts:
                        raise
                    delay = self.backoff_s * 2 ** (attempt - 1)
                    log.info(
                        "GPT feedback from %s: attempt %d of %d failed (%s); retrying in %.2f s",
                        self.endpoint,
                        attempt,
                        attempts,
                        redact(str(exc), key),
                        delay,
                    )
                    # An Event's wait doubles as an interruptible sleep, so a stop ends the backoff at once.
                    if (stop or threading.Event()).wait(delay):
                        raise GptUnavailable("stopped") from None
            raise AssertionError("unreachable: the last attempt returns or raises")
        finally:
            client.close()

    def _attempt(self, client: Any, messages: list[dict[str, str]]) -> str:
        try:
            completion = client.chat.completions.create(
                model=self.model,
                messages=messages,
                temperature=self.temperature,
                max_tokens=self.max_tokens,
            )
        except openai.APITimeoutError:
            raise GptUnavailable(f"no answer within {self.timeout_s:g} s", retryable=True) from None
        except openai.APIConnectionError:
            raise GptUnavailable(f"cannot reach {self.endpoint} (offline?)", retryable=True) from None
        except openai.APIStatusError as exc:
            status = exc.status_code
            retryable = status >= 500 or status == 429
            raise GptUnavailable(
                f"HTTP {status} from {self.endpoint}: {exc.message}", retryable=retryable
            ) from None
        except openai.APIResponseValidationError:
            raise GptUnavailable("malformed answer (does not match the chat-completions schema)") from None
        except json.JSONDecodeError:
            # The client parses JSON bodies itself and lets a broken one through as JSONDecodeError.
            raise GptUnavailable("malformed answer (not JSON)") from None
        except openai.APIError as exc:
            raise GptUnavailable(f"API error: {exc.message}") from None
        return _answer_text(completion)


def _answer_text(completion: Any) -> str:
    """The first choice's message content, or `GptUnavailable` when the answer does not have one.

    The client validates leniently, so a body without choices or with a null message still arrives as an
    object (or as a bare list): check each step instead of trusting the type.
    """
    choices = _field(completion, "choices")
    if not isinstance(choices, list) or not choices:
        raise GptUnavailable("malformed answer (no choices)")
    content = _field(_field(choices[0], "message"), "content")
    if not isinstance(content, str) or not content.strip():
        raise GptUnavailable("malformed answer (empty content)")
    text = content.strip()
    if len(text) > MAX_ANSWER_CHARS:
        log.info("GPT feedback answer cut from %d to %d characters", len(text), MAX_ANSWER_CHARS)
        text = text[:MAX_ANSWER_CHARS].rstrip() + "..."
    return text


def _field(obj: Any, name: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)
