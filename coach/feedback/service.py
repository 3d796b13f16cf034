"""`FeedbackService`: GPT feedback when opted in and available, the rule-based summary otherwise.

`summarize(summary, use_gpt=...)` always returns a `Feedback` (text, source, error) and never raises for a
GPT problem: opted out, no key, offline, timeout, HTTP errors, malformed answers all give the rule-based text
with `source="rules"` and the reason in `error`. It blocks while the model answers, so the UI calls
`summarize_async` instead.

Thread ownership: the service owns ONE worker thread (a single-worker executor, created on first use).
`summarize_async` queues a job and returns a `concurrent.futures.Future[Feedback]` at once; its `callback`
runs ON THE WORKER THREAD, so a Qt caller must only emit a signal from it (queued to the GUI thread).
`close()` is the clean stop: queued jobs are cancelled, a retry in progress is abandoned at its next
backoff, and the worker thread is joined (with `wait=True`, after at most one request timeout). This module
does not import `openai`; only `coach.feedback.gpt` does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from coach.feedback.errors import GptUnavailable
from coach.feedback.rules import rule_based_summary

if TYPE_CHECKING:
    from coach.feedback.gpt import GptFeedback

__all__ = ["Feedback", "FeedbackService"]

log = logging.getLogger(__name__)

Source = Literal["gpt", "rules"]


class Feedback(NamedTuple):
    """One written summary: `text`, where it came from, and why GPT was not used (None when it was, or when
    the caller did not ask for it)."""

    text: str
    source: Source
    error: str | None


class FeedbackService:
    """GPT feedback with a rule-based fallback; see the module docstring for threads and stopping."""

    def __init__(self, gpt: GptFeedback | None = None) -> None:
        self.gpt = gpt
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None

    def summarize(self, summary: Mapping[str, Any], *, use_gpt: bool) -> Feedback:
        """The feedback for `summary`, on the caller's thread; with `use_gpt` it blocks up to `max_wait_s`."""
        rules_text = rule_based_summary(summary)
        if not use_gpt:
            return Feedback(rules_text, "rules", None)
        if self.gpt is None:
            return Feedback(rules_text, "rules", "GPT feedback is not configured")
        try:
            text = self.gpt.summarize(summary, stop=self._stop)
        except GptUnavailable as exc:  # the message is already redacted by coach.feedback.gpt
            log.info("GPT feedback unavailable, using the rule-based summary: %s", exc)
            return Feedback(rules_text, "rules", str(exc))
        return Feedback(text, "gpt", None)

    def summarize_async(
        self,
        summary: Mapping[str, Any],
        *,
        use_gpt: bool,
        callback: Callable[[Feedback], None] | None = None,
    ) -> Future[Feedback]:
        """Queue `summarize` on the worker thread; returns at once. `callback(feedback)` runs on the worker
        thread when the job finishes (not when it is cancelled by `close`). Raises RuntimeError after `close`.
        """
        with self._lock:
            if self._stop.is_set():
                raise RuntimeError("FeedbackService is closed")
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="coach-feedback")
            # A snapshot: the caller may keep mutating its summary while the job waits in the queue.
            frozen = _deep_copy(summary)
            future = self._executor.submit(self.summarize, frozen, use_gpt=use_gpt)
        if callback is not None:
            future.add_done_callback(lambda f: _deliver(f, callback))
        return future

    def close(self, *, wait: bool = True) -> None:
        """Stop: cancel queued jobs, end a retry loop at its next backoff, join the worker when `wait`."""
        with self._lock:
            self._stop.set()
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=True)

    def __enter__(self) -> FeedbackService:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _deliver(future: Future[Feedback], callback: Callable[[Feedback], None]) -> None:
    if future.cancelled():
        return
    callback(future.result())  # summarize never raises for GPT problems; anything else is a bug to surface


def _deep_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_deep_copy(v) for v in value]
    return value
