"""The feedback panel on a real recorded session (the goblet squat clip, recorded once per module by
`test_replay_window.recorded` with the real pose model), with the REAL openai client talking to the local
chat-completions server of `tests/openai_server.py`: rule text at once, GPT's text later, the fallback and
its reason on errors and timeouts, a GUI that keeps running while the server is slow, and an API key that
never reaches the settings file or the logs. The last test records from the live window (R, R) and checks
the feedback dock that appears."""

from __future__ import annotations

import json
import logging
import secrets
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from openai_server import ANSWER, ChatServer, serve_chat
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from test_replay_window import CLIP, recorded  # noqa: F401 - a fixture used here

from coach.cues import RecordingSpeaker
from coach.feedback import FeedbackService
from coach.feedback.gpt import GptFeedback
from coach.settings import AppSettings, load_settings, save_settings
from coach.ui.feedback_panel import FeedbackPanel, FeedbackSettingsDialog, make_feedback_service

pytestmark = [pytest.mark.video, pytest.mark.usefixtures("no_thread_left_behind")]

KEY = "sk-test-" + secrets.token_hex(20)
ATHLETE = "Jane Roe"


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with serve_chat() as state:
        yield state


@pytest.fixture
def session(recorded: Path, tmp_path: Path) -> Path:  # noqa: F811 - the imported fixture
    """A private copy of the recording, with an athlete's name that must never be sent."""
    d = Path(shutil.copytree(recorded, tmp_path / "goblet"))
    manifest = json.loads((d / "manifest.json").read_text())
    manifest["athlete"] = ATHLETE
    (d / "manifest.json").write_text(json.dumps(manifest))
    return d


def _recorded_reps(session: Path) -> int:
    events = [json.loads(line) for line in (session / "events.jsonl").read_text().splitlines()]
    return sum(e.get("type") == "rep_completed" for e in events)


def _panel(qtbot, url: str | None, *, use_gpt: bool = True, timeout_s: float = 5.0, retries: int = 0,
           key: str | None = KEY) -> FeedbackPanel:  # fmt: skip
    gpt = GptFeedback(
        url, "test-model", lambda: key, timeout_s=timeout_s, max_retries=retries, backoff_s=0.05
    )
    panel = FeedbackPanel(FeedbackService(gpt), use_gpt=use_gpt)
    qtbot.addWidget(panel)
    panel.show()
    return panel


def test_rules_at_once_then_the_gpt_text(qtbot, server: ChatServer, session: Path) -> None:
    panel = _panel(qtbot, server.url)
    t0 = time.monotonic()
    assert panel.show_session(session)
    assert time.monotonic() - t0 < 0.5  # the network is not waited for here
    reps = _recorded_reps(session)
    rules = panel.text()
    assert rules.startswith(f"Squat: {reps} reps")  # the rule-based text is there at once
    assert panel.is_busy() and panel.busy_bar.isVisible()
    assert "asking GPT" in panel.source_text()

    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=10_000)
    assert panel.text() == ANSWER and not panel.busy_bar.isVisible()
    assert panel.source_text() == f"GPT · test-model at {server.url}"
    assert panel.feedback is not None and panel.feedback.source == "gpt"

    [request] = server.requests
    assert request["auth"] == f"Bearer {KEY}"
    body = json.loads(request["body"])
    sent = json.loads(body["messages"][1]["content"].split("\n", 1)[1])
    assert sent["set"]["reps"] == reps and sent["set"]["exercise"] == "squat"
    for private in (ATHLETE, "Jane", str(session), session.name, "mjpeg", "manifest", CLIP.name):
        assert private not in request["body"]  # only numbers and exercise words leave the machine

    qtbot.mouseClick(panel.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == ANSWER
    panel.shutdown()


def test_http_500_falls_back_to_rules_and_says_why(qtbot, server: ChatServer, session: Path) -> None:
    server.mode = "500"
    panel = _panel(qtbot, server.url, retries=1)
    panel.show_session(session)
    rules = panel.text()
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=10_000)
    assert panel.text() == rules
    source = panel.source_text()
    assert source.startswith("Rule-based fallback") and "HTTP 500" in source
    assert "[redacted]" in source and KEY not in source  # the server echoed the key back
    assert len(server.requests) == 2  # first try + one retry
    panel.shutdown()


def test_slow_server_times_out_while_the_gui_keeps_running(qtbot, server: ChatServer, session: Path) -> None:
    server.mode, server.delay_s = "slow", 30.0
    panel = _panel(qtbot, server.url, timeout_s=1.0, retries=0)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    t0 = time.monotonic()
    panel.show_session(session)
    assert time.monotonic() - t0 < 0.5
    qtbot.waitUntil(lambda: not panel.is_busy(), timeout=10_000)
    answered = time.monotonic()
    timer.stop()
    assert answered - t0 >= 0.9  # the server really held the request for the whole timeout
    during = [t for t in ticks if t0 < t < answered]
    assert len(during) >= 20  # the event loop ran all along (~100 ticks at 10 ms; loaded machines: fewer)
    gaps = [b - a for a, b in zip(during, during[1:], strict=False)]
    assert max(gaps) < 0.5  # never frozen for long
    assert "no answer within 1 s" in panel.source_text() and panel.text().startswith("Squat:")
    panel.shutdown()


def test_opted_out_sends_nothing_and_starts_no_thread(qtbot, server: ChatServer, session: Path) -> None:
    panel = _panel(qtbot, server.url, use_gpt=False)
    assert panel.show_session(session)
    assert not panel.is_busy() and panel.text().startswith("Squat:")
    assert "GPT feedback is off" in panel.source_text()
    assert not panel.ask_button.isVisible()
    qtbot.wait(200)
    assert server.requests == []
    assert not [t for t in threading.enumerate() if t.name.startswith("coach-feedback")]
    panel.shutdown()


def test_not_a_session_is_reported_in_the_panel(qtbot, tmp_path: Path) -> None:
    panel = _panel(qtbot, None, use_gpt=False)
    assert not panel.show_session(tmp_path / "gone")
    assert panel.text().startswith("No feedback:") and not panel.copy_button.isEnabled()
    panel.shutdown()


def test_the_api_key_never_reaches_the_settings_file_or_the_logs(
    qtbot, server: ChatServer, session: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    """The product's own key path (environment), settings from the dialog, DEBUG logging everywhere."""
    caplog.set_level(logging.DEBUG)  # openai, httpx and httpcore debug output included
    monkeypatch.setenv("COACH_OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_LOG", "debug")
    settings = AppSettings()
    dialog = FeedbackSettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.opt_in.setChecked(True)
    dialog.model.setText("test-model")
    dialog.base_url.setText(f"http://user:{KEY}@127.0.0.1:9/v1")  # a secret in the URL is refused
    dialog.accept()
    assert dialog.result() != dialog.DialogCode.Accepted
    assert "credentials" in dialog.error_label.text() and KEY not in dialog.error_label.text()
    dialog.base_url.setText(server.url)
    dialog.accept()
    assert dialog.result() == dialog.DialogCode.Accepted
    for name, value in dialog.values().items():
        setattr(settings, name, value)
    path = save_settings(settings, tmp_path / "settings.toml")

    service = make_feedback_service(load_settings(path), timeout_s=1.0, max_retries=1)
    panel = FeedbackPanel(service, use_gpt=True)
    qtbot.addWidget(panel)
    for mode in ("ok", "500", "slow"):
        server.mode, server.delay_s = mode, 5.0
        panel.show_session(session)
        qtbot.waitUntil(lambda: not panel.is_busy(), timeout=10_000)
        assert KEY not in panel.text() and KEY not in panel.source_text()
    panel.shutdown()
    assert [r["auth"] for r in server.requests].count(f"Bearer {KEY}") == len(server.requests) >= 3
    assert any(r.name.startswith(("openai", "httpx", "httpcore")) for r in caplog.records)
    assert KEY not in path.read_text() and KEY not in caplog.text
    for record in caplog.records:
        assert KEY not in record.getMessage()


def test_after_a_recording_the_live_window_shows_feedback(qtbot, make_live_window) -> None:
    live = make_live_window(RecordingSpeaker())
    try:
        assert live.feedback_dock is None  # nothing until something was recorded
        assert live.start()
        qtbot.waitUntil(lambda: live.video.frames_shown >= 3, timeout=20_000)
        qtbot.keyClick(live, Qt.Key.Key_R)
        assert live.session.recording
        shown = live.video.frames_shown
        qtbot.waitUntil(lambda: live.video.frames_shown >= shown + 30, timeout=30_000)
        qtbot.keyClick(live, Qt.Key.Key_R)
        assert not live.session.recording and live.session.running
        dock, panel = live.feedback_dock, live.feedback_panel
        assert dock is not None and panel is not None and dock.isVisible()
        assert not dock.isFloating() and not live.isHidden()  # a dock in the window, not a modal dialog
        assert panel.text() and not panel.text().startswith("No feedback")
        assert panel.text().startswith(("Squat:", "No reps"))  # the recorded set (maybe no rep yet)
        assert "GPT feedback is off" in panel.source_text()  # opt-in is off by default
        assert live.status.currentMessage().startswith("Recording saved")  # the panel took nothing away
    finally:
        live.close()
