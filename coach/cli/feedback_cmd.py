"""`coach feedback ANALYZE_JSON|SESSION_DIR`: a written summary of a set or run, by rules or (opt-in) GPT."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from coach.feedback.service import FeedbackService
from coach.feedback.sources import load_summary


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "feedback",
        help="written feedback on an analysed clip or a recorded session (rules, or GPT with --gpt)",
        description=(
            "Write a short summary of a set or run from the numbers of `coach analyze --json` (a file, or "
            "the directory of `coach analyze --out`) or of a recorded session. By default the summary is "
            "rule-based and nothing leaves the machine. With --gpt a numbers-only summary (no images, paths "
            "or names) is sent to an OpenAI-compatible server; on any error the rule-based summary is shown. "
            "Key: $COACH_OPENAI_API_KEY, $OPENAI_API_KEY or the OS keyring."
        ),
    )
    p.add_argument("path", type=Path, metavar="ANALYZE_JSON|SESSION_DIR", help="analysis JSON or directory")
    p.add_argument("--gpt", action="store_true", help="ask a GPT model (opt-in; falls back to rules)")
    p.add_argument(
        "--base-url",
        default=None,
        metavar="URL",
        help="OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1 (default: $COACH_OPENAI_BASE_URL, "
        "else OpenAI)",
    )
    p.add_argument(
        "--model",
        default=None,
        metavar="M",
        help="model name (default: $COACH_OPENAI_MODEL, else gpt-4o-mini)",
    )
    p.add_argument(
        "--timeout", type=float, default=20.0, metavar="S", help="seconds per attempt (default 20)"
    )
    p.add_argument("--retries", type=int, default=2, metavar="N", help="retries after a failure (default 2)")
    p.add_argument("--athlete", action="store_true", help="include the session's athlete name in the summary")
    p.add_argument("--show-input", action="store_true", help="also print the numbers-only summary")
    p.add_argument("--json", action="store_true", help="print one JSON document: text, source, error, input")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    summary = load_summary(args.path, include_athlete=args.athlete)
    gpt = None
    if args.gpt:
        # Imported only when asked for, so the rules-only path never loads the OpenAI client.
        from coach.feedback.gpt import GptFeedback

        gpt = GptFeedback.from_env(
            base_url=args.base_url, model=args.model, timeout_s=args.timeout, max_retries=args.retries
        )
    with FeedbackService(gpt) as service:
        feedback = service.summarize(summary, use_gpt=args.gpt)
    if args.json:
        doc = {"text": feedback.text, "source": feedback.source, "error": feedback.error, "input": summary}
        json.dump(doc, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    print(feedback.text)
    print()
    if feedback.source == "gpt" and gpt is not None:
        print(f"source: gpt ({gpt.model} at {gpt.endpoint})")
    elif feedback.error:
        print(f"source: rules (GPT not used: {feedback.error})")
    else:
        print("source: rules")
    if args.show_input:
        print()
        print(json.dumps(summary, indent=2))
    return 0
