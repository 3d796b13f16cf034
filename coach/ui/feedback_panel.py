"""Written feedback on one recorded session: the rule-based text at once, GPT's later if the user opted in.

`FeedbackPanel.show_session(directory)` reads the session's numbers-only summary
(`coach.feedback.load_summary`, without the athlete's name), shows `rule_based_summary` immediately and,
when GPT is opted in, asks `FeedbackService.summarize_async` for the model's text. The request runs on the
service's worker thread; its callback only emits `_Relay.delivered`, which a queued connection brings to
the GUI thread, so the GUI never waits for the network. A busy bar shows while the request is out; the
source line says where the text came from: the model and server, or the rule-based fallback and why GPT
was not used. Copy puts the text on the clipboard.

Privacy: nothing leaves the machine unless `use_gpt` is on (the `feedback_gpt` setting, off by default), and
then only the numbers-only summary (see `coach.feedback.summary_input`). The API key is read by
`coach.feedback.gpt` from the environment or the OS keyring for each request; this module never sees,
stores or logs it. `make_feedback_service(settings)` imports the OpenAI client only when opted in.

Ownership: the panel owns the `FeedbackService` it is given (`configure` replaces and closes the old one,
`shutdown` closes it). Everything here runs on the GUI thread except the callback noted above.
"""

from __future__ import annotations

import logging
import weakref
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from coach.feedback import Feedback, FeedbackInputError, FeedbackService, load_summary, rule_based_summary
from coach.settings import AppSettings, base_url_problem

__all__ = ["FeedbackPanel", "FeedbackSettingsDialog", "make_feedback_service"]

log = logging.getLogger(__name__)

GPT_TIMEOUT_S = 20.0  # per attempt; the service bounds the whole call (`GptFeedback.max_wait_s`)
GPT_RETRIES = 2
OFF_HINT = "GPT feedback is off (Session ▸ Feedback settings…)"


def make_feedback_service(
    settings: AppSettings, *, timeout_s: float = GPT_TIMEOUT_S, max_retries: int = GPT_RETRIES
) -> FeedbackService:
    """The service the settings ask for: rules only unless `feedback_gpt` is on (no OpenAI import then).

    Non-empty `feedback_base_url` / `feedback_model` win over $COACH_OPENAI_BASE_URL / $COACH_OPENAI_MODEL.
    """
    if not settings.feedback_gpt:
        return FeedbackService(None)
    from coach.feedback.gpt import GptFeedback  # the one module that imports openai

    gpt = GptFeedback.from_env(
        base_url=settings.feedback_base_url or None,
        model=settings.feedback_model or None,
        timeout_s=timeout_s,
        max_retries=max_retries,
    )
    return FeedbackService(gpt)


class _Relay(QObject):
    """Carries a finished request from the feedback worker thread to the GUI thread (queued signal)."""

    delivered = Signal(int, object)  # (request number, Feedback)


class FeedbackPanel(QWidget):
    """Feedback for one session at a time; see the module docstring. GUI thread."""

    feedback_shown = Signal(object)  # the Feedback now shown (the rules at once, then GPT's or the fallback)

    def __init__(
        self, service: FeedbackService | None = None, *, use_gpt: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service or FeedbackService(None)
        self._use_gpt = use_gpt
        self._request = 0  # numbers requests; an answer for an older one is ignored
        self._pending: Future[Feedback] | None = None
        self._summary: dict[str, Any] | None = None
        self._directory: Path | None = None
        self.feedback: Feedback | None = None
        # Parentless and owned by this panel: the worker holds only a weak reference (see _ask_gpt).
        self._relay = _Relay()
        self._relay.delivered.connect(self._on_delivered, Qt.ConnectionType.QueuedConnection)

        self.title = QLabel("No session")
        self.title.setStyleSheet("font-weight: bold")
        self.title.setWordWrap(True)
        self.text_view = QPlainTextEdit()
        self.text_view.setReadOnly(True)
        self.text_view.setPlaceholderText("Feedback on a recorded set appears here.")
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)  # indeterminate: the "waiting" animation
        self.busy_bar.setMaximumHeight(10)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.hide()
        self.source_label = QLabel("")
        self.source_label.setWordWrap(True)
        self.source_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the feedback text to the clipboard")
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(self.copy_text)
        self.ask_button = QPushButton("Ask GPT again")
        self.ask_button.setToolTip("Send the numbers-only summary to the model again")
        self.ask_button.clicked.connect(self.ask_again)

        buttons = QHBoxLayout()
        buttons.addWidget(self.source_label, 1)
        buttons.addWidget(self.ask_button)
        buttons.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.text_view, 1)
        layout.addWidget(self.busy_bar)
        layout.addLayout(buttons)
        self._update_ask_button()

    # -- configuration ---------------------------------------------------------------------------------
    @property
    def service(self) -> FeedbackService:
        return self._service

    @property
    def use_gpt(self) -> bool:
        return self._use_gpt

    def configure(self, service: FeedbackService, *, use_gpt: bool) -> None:
        """Use `service` from now on (the old one is closed without waiting; its answer is ignored)."""
        old, self._service, self._use_gpt = self._service, service, use_gpt
        if old is not service:
            self._abandon()
            old.close(wait=False)
        self._update_ask_button()

    # -- showing feedback --------------------------------------------------------------------------------
    def show_session(self, directory: Path) -> bool:
        """Show feedback on the session at `directory`: rules now, GPT's later when opted in.

        Returns False (and says why in the panel) when the directory cannot be read as a session.
        """
        self._abandon()
        self._directory = Path(directory)
        try:
            # Never the athlete's name: only numbers and exercise words may reach a model.
            summary = load_summary(self._directory, include_athlete=False)
        except FeedbackInputError as exc:
            log.warning("no feedback for %s: %s", directory, exc)
            self._summary = None
            self.title.setText(self._directory.name)
            self.text_view.setPlainText(f"No feedback: {exc}")
            self.source_label.setText("")
            self.copy_button.setEnabled(False)
            self.feedback = None
            self._update_ask_button()
            return False
        self._summary = summary
        self.title.setText(_title(self._directory, summary))
        rules = rule_based_summary(summary)
        if self._use_gpt and self._service.gpt is not None:
            self._show(Feedback(rules, "rules", None), "Rule-based for now; asking GPT…")
            self._ask_gpt()
        elif self._use_gpt:
            self._show(Feedback(rules, "rules", "GPT feedback is not configured"))
        else:
            self._show(Feedback(rules, "rules", None), f"Rule-based · {OFF_HINT}")
        self._update_ask_button()
        return True

    def ask_again(self) -> None:
        """Ask the model again for the shown session (e.g. after a timeout)."""
        if self._summary is None or not self._use_gpt or self._service.gpt is None:
            return
        self._abandon()
        self.source_label.setText("Asking GPT…")
        self._ask_gpt()

    def _ask_gpt(self) -> None:
        assert self._summary is not None
        self._request += 1
        number = self._request
        relay = weakref.ref(self._relay)

        def deliver(feedback: Feedback) -> None:  # on the feedback worker thread: only emit
            target = relay()
            if target is not None:
                target.delivered.emit(number, feedback)

        try:
            self._pending = self._service.summarize_async(self._summary, use_gpt=True, callback=deliver)
        except RuntimeError as exc:  # the service was closed (window shutting down)
            log.info("feedback request not sent: %s", exc)
            return
        self.busy_bar.show()
        self._update_ask_button()
        gpt = self._service.gpt
        log.info("asked %s for feedback on %s", gpt.endpoint if gpt else "?", self._directory)

    def _on_delivered(self, number: int, feedback: Feedback) -> None:
        if number != self._request:
            return  # an answer for a session no longer shown
        self._pending = None
        self.busy_bar.hide()
        self._show(feedback)
        self._update_ask_button()

    def _show(self, feedback: Feedback, note: str | None = None) -> None:
        self.feedback = feedback
        self.text_view.setPlainText(feedback.text)
        self.source_label.setText(note or self._source_text(feedback))
        self.copy_button.setEnabled(bool(feedback.text))
        self.feedback_shown.emit(feedback)

    def _source_text(self, feedback: Feedback) -> str:
        gpt = self._service.gpt
        if feedback.source == "gpt" and gpt is not None:
            return f"GPT · {gpt.model} at {gpt.endpoint}"
        if feedback.error:
            return f"Rule-based fallback · GPT not used: {feedback.error}"
        return "Rule-based"

    def _abandon(self) -> None:
        """Forget the request in flight (its answer will be ignored); cancel it if still queued."""
        self._request += 1
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        self.busy_bar.hide()

    def _update_ask_button(self) -> None:
        self.ask_button.setVisible(self._use_gpt and self._service.gpt is not None)
        self.ask_button.setEnabled(self._summary is not None and self._pending is None)

    # -- reading what is shown ---------------------------------------------------------------------------
    def text(self) -> str:
        return self.text_view.toPlainText()

    def source_text(self) -> str:
        return self.source_label.text()

    def is_busy(self) -> bool:
        return self._pending is not None

    def copy_text(self) -> None:
        QGuiApplication.clipboard().setText(self.text())

    # -- lifetime ----------------------------------------------------------------------------------------
    def shutdown(self, *, wait: bool = True) -> None:
        """Close the service: a queued request is cancelled, one in flight ends at its next retry or
        timeout; with `wait`, its thread is joined here (at most one request timeout)."""
        self._abandon()
        self._service.close(wait=wait)


class FeedbackSettingsDialog(QDialog):
    """Opt-in and server settings for GPT feedback. The API key is not a setting and is not shown."""

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Feedback settings")
        self.opt_in = QCheckBox("Ask a GPT model for written feedback")
        self.opt_in.setChecked(settings.feedback_gpt)
        self.base_url = QLineEdit(settings.feedback_base_url)
        self.base_url.setPlaceholderText("default: $COACH_OPENAI_BASE_URL, else OpenAI")
        self.model = QLineEdit(settings.feedback_model)
        self.model.setPlaceholderText("default: $COACH_OPENAI_MODEL, else gpt-4o-mini")
        privacy = QLabel(
            "Only numbers leave this computer (rep counts, times, angles, fault names): no video, images, "
            "file names or athlete names. The API key is read from $COACH_OPENAI_API_KEY, $OPENAI_API_KEY "
            "or the OS keyring and is never saved by coach. A local OpenAI-compatible server (Ollama, "
            "llama.cpp) needs no key."
        )
        privacy.setWordWrap(True)
        self.error_label = QLabel("")
        self.error_label.setStyleSheet("color: #b00020")
        self.error_label.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.opt_in)
        form.addRow("Server base URL", self.base_url)
        form.addRow("Model", self.model)
        ok_cancel = QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        buttons = QDialogButtonBox(ok_cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(privacy)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)

    def values(self) -> dict[str, Any]:
        """The settings fields as entered (`feedback_gpt`, `feedback_base_url`, `feedback_model`)."""
        return {
            "feedback_gpt": self.opt_in.isChecked(),
            "feedback_base_url": self.base_url.text().strip(),
            "feedback_model": self.model.text().strip(),
        }

    def accept(self) -> None:
        problem = base_url_problem(self.values()["feedback_base_url"])
        if problem:
            self.error_label.setText(problem)
            return
        super().accept()


def _title(directory: Path, summary: dict[str, Any]) -> str:
    parts = [directory.name]
    s = summary.get("set")
    if isinstance(s, dict):
        exercise = str(s.get("exercise") or "set").replace("_", " ")
        parts.append(f"{exercise.capitalize()} · {s.get('reps') or 0} reps")
    run = summary.get("run")
    if isinstance(run, dict):
        activity = str(run.get("activity") or "run").replace("_", " ")
        cadence = run.get("cadence_spm")
        parts.append(activity.capitalize() + (f" · {cadence:.0f} steps/min" if cadence else ""))
    return " — ".join(parts)
