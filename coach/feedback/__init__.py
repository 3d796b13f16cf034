"""Written feedback after a set or a run, grounded in the numbers.

- `summary_input`: the compact, numbers-only summary that is all that may leave the machine.
- `rules`: the rule-based summary (offline fallback, and the default when GPT is not opted in).
- `gpt`: GPT-written feedback through the `openai` client (the only module importing it).
- `service`: `FeedbackService`, GPT-or-rules with a worker thread for the UI.
- `sources`: read an analysis document or a session directory into a summary.

Importing this package does not import `openai`.
"""

from __future__ import annotations

from coach.feedback.errors import FeedbackInputError, GptUnavailable
from coach.feedback.rules import rule_based_summary
from coach.feedback.service import Feedback, FeedbackService
from coach.feedback.sources import load_summary
from coach.feedback.summary_input import summary_from_events, summary_from_report

__all__ = [
    "Feedback",
    "FeedbackInputError",
    "FeedbackService",
    "GptUnavailable",
    "load_summary",
    "rule_based_summary",
    "summary_from_events",
    "summary_from_report",
]
