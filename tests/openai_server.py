"""A chat-completions server on 127.0.0.1 for tests that run the REAL `openai` client (no mocks).

`serve_chat()` starts `http.server` in a thread on a free port and yields a `ChatServer`: set `mode` (and
`delay_s` for "slow") to choose what the next requests get, read `requests` to see what the client sent
(path, Authorization header, body). Modes: "ok" (a normal answer, `ANSWER`), "slow" (the answer after
`delay_s`, or at teardown), "500" (an error that echoes the Authorization header, as a misbehaving proxy
might), and malformed bodies: "not_json", "no_choices", "empty_choices", "empty_content", "null_content".
Used by tests/test_feedback_gpt.py and the UI's feedback panel tests.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["ANSWER", "ChatServer", "serve_chat"]

ANSWER = "Knees caved in reps 2, 4 and 5 (3 of 5); velocity loss reached 23.4% in rep 5. Cue: knees out."


@dataclass
class ChatServer:
    """What the fake server does next (`mode`) and what it has received."""

    url: str
    mode: str = "ok"
    delay_s: float = 0.0
    answer: str = ANSWER
    requests: list[dict[str, Any]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


def _completion(content: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 0,
        "model": "test-model",
        "choices": [
            {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}
        ],
    }


def _handler(state: ChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append(
                {"path": self.path, "auth": self.headers.get("Authorization"), "body": body.decode()}
            )
            mode = state.mode
            if mode == "slow":
                state.release.wait(state.delay_s)  # released at teardown so no thread lingers
            status, payload = 200, json.dumps(_completion(state.answer)).encode()
            if mode == "500":
                # Echo the Authorization header back, as a misbehaving proxy might: the client's error
                # message then quotes the key, and the product must redact it.
                status = 500
                payload = json.dumps({"error": {"message": f"boom, got {self.headers.get('Authorization')}"}})
                payload = payload.encode()
            elif mode == "not_json":
                payload = b'{"id": "x", "choices": [ this is not json'
            elif mode == "no_choices":
                payload = json.dumps(
                    {"id": "x", "object": "chat.completion", "created": 0, "model": "m"}
                ).encode()
            elif mode == "empty_choices":
                payload = json.dumps({**_completion(state.answer), "choices": []}).encode()
            elif mode == "empty_content":
                payload = json.dumps(_completion("   ")).encode()
            elif mode == "null_content":
                payload = json.dumps(_completion(None)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            # The client may have given up (timeout) before a slow answer comes.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output quiet
            pass

    return Handler


@contextlib.contextmanager
def serve_chat() -> Iterator[ChatServer]:
    """Run the server for the duration of the block; at exit, release slow answers and join its thread."""
    state = ChatServer(url="")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-chat-server", daemon=True
    )
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
    assert not thread.is_alive()
