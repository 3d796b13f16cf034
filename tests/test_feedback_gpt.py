"""GPT feedback through the REAL `openai` client against a chat-completions server on 127.0.0.1.

The server (`tests/openai_server.py`: http.server in a thread, random free port) answers normally, slowly,
with HTTP 500, or with malformed bodies; every case must end in usable feedback (GPT's or the rule-based
fallback) within the configured time, send only the numbers-only summary, and never let the API key out.
"""

from __future__ import annotations

import argparse
import ast
import json
import logging
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openai_server import ANSWER, ChatServer, serve_chat
from test_feedback_summary import ATHLETE, VIDEO, assert_numbers_and_vocabulary_only, squat_doc

from coach.cli import feedback_cmd
from coach.feedback import FeedbackService, summary_from_report
from coach.feedback.gpt import GptFeedback, redact

REPO = Path(__file__).resolve().parents[1]
KEY = "sk-test-" + secrets.token_hex(20)


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with serve_chat() as state:
        yield state


@pytest.fixture
def summary() -> dict[str, Any]:
    return summary_from_report(squat_doc())


def _service(
    url: str | None, *, timeout_s: float = 5.0, max_retries: int = 2, key: str | None = KEY
) -> FeedbackService:
    gpt = GptFeedback(
        url, "test-model", lambda: key, timeout_s=timeout_s, max_retries=max_retries, backoff_s=0.05
    )
    return FeedbackService(gpt)


def test_normal_answer_is_used_and_only_numbers_are_sent(server: ChatServer, summary: dict) -> None:
    with _service(server.url) as service:
        feedback = service.summarize(summary, use_gpt=True)
    assert feedback == (ANSWER, "gpt", None)
    assert len(server.requests) == 1
    req = server.requests[0]
    assert req["path"] == "/v1/chat/completions"
    assert req["auth"] == f"Bearer {KEY}"  # the key goes to the server it is meant for, nowhere else
    body = json.loads(req["body"])
    assert body["model"] == "test-model"
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert all(isinstance(m["content"], str) for m in body["messages"])  # no image parts
    for needle in ("image", "base64", "data:", VIDEO, ".mp4", ".task", "/work", ATHLETE, "Jane"):
        assert needle not in req["body"]
    sent = json.loads(body["messages"][1]["content"].split("\n", 1)[1])
    assert sent == json.loads(json.dumps(summary))
    assert_numbers_and_vocabulary_only(sent)


def test_opted_out_sends_nothing(server: ChatServer, summary: dict) -> None:
    with _service(server.url) as service:
        feedback = service.summarize(summary, use_gpt=False)
    assert feedback.source == "rules" and feedback.error is None
    assert "reps 2, 4 and 5" in feedback.text
    assert server.requests == []


def test_slow_answer_times_out_and_falls_back_within_the_bound(server: ChatServer, summary: dict) -> None:
    server.mode, server.delay_s = "slow", 10.0
    service = _service(server.url, timeout_s=0.5, max_retries=1)
    t0 = time.monotonic()
    feedback = service.summarize(summary, use_gpt=True)
    elapsed = time.monotonic() - t0
    service.close()
    assert feedback.source == "rules" and "no answer within 0.5 s" in (feedback.error or "")
    assert "Knees out" in feedback.text
    assert len(server.requests) == 2  # first try + one retry
    assert service.gpt is not None
    assert elapsed < service.gpt.max_wait_s + 1.0  # 0.5 s x 2 attempts + 0.05 s backoff, plus slack


def test_http_500_is_retried_then_falls_back_without_leaking_the_key(
    server: ChatServer, summary: dict
) -> None:
    server.mode = "500"
    with _service(server.url, max_retries=2) as service:
        feedback = service.summarize(summary, use_gpt=True)
    assert feedback.source == "rules"
    assert feedback.error is not None and "HTTP 500" in feedback.error
    assert "[redacted]" in feedback.error  # the server echoed the key; it was redacted
    assert KEY not in feedback.error and KEY not in feedback.text
    assert len(server.requests) == 3


@pytest.mark.parametrize("mode", ["not_json", "no_choices", "empty_choices", "empty_content", "null_content"])
def test_malformed_answer_falls_back_without_retrying(server: ChatServer, summary: dict, mode: str) -> None:
    server.mode = mode
    with _service(server.url) as service:
        feedback = service.summarize(summary, use_gpt=True)
    assert feedback.source == "rules"
    assert feedback.error is not None and "malformed answer" in feedback.error
    assert "Main fault: knee valgus" in feedback.text
    assert len(server.requests) == 1


def test_offline_server_falls_back(summary: dict) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with _service(f"http://127.0.0.1:{port}/v1", max_retries=1) as service:
        feedback = service.summarize(summary, use_gpt=True)
    assert feedback.source == "rules" and "cannot reach" in (feedback.error or "")


def test_no_key_for_openai_falls_back_without_a_request(summary: dict) -> None:
    with _service(None, key=None) as service:
        feedback = service.summarize(summary, use_gpt=True)
    assert feedback.source == "rules" and "no API key" in (feedback.error or "")


def test_a_local_server_needs_no_key(server: ChatServer, summary: dict) -> None:
    with _service(server.url, key=None) as service:
        assert service.summarize(summary, use_gpt=True).source == "gpt"
    assert server.requests[0]["auth"] == "Bearer no-key"


def test_async_returns_at_once_calls_back_on_the_worker_and_stops_cleanly(
    server: ChatServer, summary: dict
) -> None:
    server.mode, server.delay_s = "slow", 0.6
    got: list[tuple[Any, str]] = []
    done = threading.Event()

    def on_done(feedback: Any) -> None:
        got.append((feedback, threading.current_thread().name))
        done.set()

    service = _service(server.url, timeout_s=5.0)
    t0 = time.monotonic()
    future = service.summarize_async(summary, use_gpt=True, callback=on_done)
    assert time.monotonic() - t0 < 0.2  # the caller (the GUI thread) is not held
    assert not future.done()
    assert done.wait(10)
    feedback, thread_name = got[0]
    assert feedback == (ANSWER, "gpt", None) and future.result() == feedback
    assert thread_name.startswith("coach-feedback")
    service.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("coach-feedback")]
    with pytest.raises(RuntimeError):
        service.summarize_async(summary, use_gpt=True)


def test_close_ends_a_retry_loop_early(server: ChatServer, summary: dict) -> None:
    server.mode, server.delay_s = "slow", 10.0
    service = _service(server.url, timeout_s=0.4, max_retries=20)
    future = service.summarize_async(summary, use_gpt=True)
    queued = service.summarize_async(summary, use_gpt=True)
    time.sleep(0.2)
    t0 = time.monotonic()
    service.close()
    assert time.monotonic() - t0 < 1.5  # at most the attempt in flight, not 21 x 0.4 s
    assert future.result(0).source == "rules" and future.result(0).error == "stopped"
    assert queued.cancelled()
    assert not [t for t in threading.enumerate() if t.name.startswith("coach-feedback")]


def test_configuration_from_the_environment(
    server: ChatServer, summary: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COACH_OPENAI_BASE_URL", server.url)
    monkeypatch.setenv("COACH_OPENAI_MODEL", "llama3.2:1b")
    monkeypatch.delenv("COACH_OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    with FeedbackService(GptFeedback.from_env(timeout_s=5)) as service:
        assert service.summarize(summary, use_gpt=True).source == "gpt"
    assert json.loads(server.requests[0]["body"])["model"] == "llama3.2:1b"
    assert server.requests[0]["auth"] == f"Bearer {KEY}"
    assert KEY not in repr(GptFeedback.from_env())


def test_the_key_never_reaches_logs_output_or_files(
    server: ChatServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every path (answer, 500 echoing the key, timeout, malformed) with DEBUG logging from every library
    on, and the CLI writing its output under tmp_path: the key appears nowhere."""
    caplog.set_level(logging.DEBUG)  # root: openai, httpx and httpcore debug output included
    monkeypatch.setenv("COACH_OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_LOG", "debug")
    doc_path = tmp_path / "analysis.json"
    doc_path.write_text(json.dumps(squat_doc()))
    outputs = []
    for mode in ("ok", "500", "slow", "not_json"):
        server.mode, server.delay_s = mode, 5.0
        parser = argparse.ArgumentParser()
        feedback_cmd.add_parser(parser.add_subparsers())
        args = parser.parse_args(
            ["feedback", str(doc_path), "--gpt", "--base-url", server.url, "--model", "m",
             "--timeout", "0.5", "--retries", "1", "--json"]
        )  # fmt: skip
        assert args.func(args) == 0
        out = capsys.readouterr()
        (tmp_path / f"feedback_{mode}.json").write_text(out.out)
        (tmp_path / f"feedback_{mode}.err").write_text(out.err)
        outputs.append(json.loads(out.out))
    assert [o["source"] for o in outputs] == ["gpt", "rules", "rules", "rules"]
    assert all(o["text"] for o in outputs)
    (tmp_path / "log.txt").write_text(caplog.text)
    assert any(r.name.startswith("openai") for r in caplog.records)  # the client's debug log was captured
    assert any(a == f"Bearer {KEY}" for a in (r["auth"] for r in server.requests))
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert KEY not in path.read_text(errors="replace"), path
    assert KEY not in caplog.text
    for record in caplog.records:
        assert KEY not in record.getMessage()


def test_redact() -> None:
    assert redact(f"bad key {KEY}!", KEY) == "bad key [redacted]!"
    assert "sk-abcdefgh12345" not in redact("other sk-abcdefgh12345 key", None)
    assert redact("nothing here", None) == "nothing here"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_one_module_talks_to_the_openai_client() -> None:
    users = [
        str(p.relative_to(REPO)) for p in sorted((REPO / "coach").rglob("*.py")) if "openai" in _imports(p)
    ]
    assert users == ["coach/feedback/gpt.py"]


def test_rules_only_feedback_does_not_load_the_openai_client() -> None:
    code = (
        "import sys\n"
        "import coach.feedback, coach.cli.feedback_cmd\n"
        "from coach.feedback import FeedbackService\n"
        "FeedbackService().summarize({'schema': 1}, use_gpt=False)\n"
        "assert 'openai' not in sys.modules, 'openai imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=120)
