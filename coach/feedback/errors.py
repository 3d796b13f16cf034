"""Why GPT feedback was not available. Kept apart from `coach.feedback.gpt` so that code handling the
fallback does not import the OpenAI client."""

from __future__ import annotations

from coach.errors import CoachError


class GptUnavailable(CoachError):
    """The model gave no usable answer. The message says why in a user's words and never holds the API key
    (`coach.feedback.gpt` redacts it before raising). `retryable`: a later attempt may succeed (timeout,
    connection error, HTTP 5xx or 429)."""

    def __init__(self, reason: str, *, retryable: bool = False) -> None:
        super().__init__(reason)
        self.retryable = retryable


class FeedbackInputError(CoachError):
    """A file or directory given to `coach feedback` cannot be read as an analysis or a session."""
