"""`VideoImporter`: analyses a plain video file into a session on a worker thread, with a cancellable
progress dialog, so the replay window can open a video the coach never recorded.

The work is `coach.session.from_video.session_from_video` (no Qt) on one `threading.Thread`
(`coach-replay-import`), which itself starts and joins the recorder's capture and writer threads. The
worker reports through signals of this object, queued to the GUI thread: `progressed(done, total)`
(total -1: unknown), then exactly one of `imported(VideoImport)`, `cancelled()` or `failed(message)`.
The progress dialog is updated at most every `PROGRESS_INTERVAL_MS` (`Throttled`): a modal dialog's
`setValue` processes events, which must not happen once per analysed frame. Cancel (the dialog's button,
Esc, or `cancel()`) sets the worker's stop Event; the partial session is deleted by `session_from_video`.
`wait()` joins the worker (the window calls it when it closes). GUI thread only, except `_work`.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget

from coach.errors import CoachError
from coach.session.from_video import ImportCancelled, VideoImport, session_from_video
from coach.ui.throttle import Throttled

__all__ = ["PROGRESS_INTERVAL_MS", "THREAD_NAME", "VideoImporter"]

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_MS = 100
THREAD_NAME = "coach-replay-import"


class VideoImporter(QObject):
    """One import of `video` (start it with `start()`); a new import needs a new object."""

    progressed = Signal(int, int)  # (frames done, frames expected or -1)
    imported = Signal(object)  # VideoImport
    cancelled = Signal()
    failed = Signal(str)

    # Worker -> GUI thread (queued): the public signals above are emitted from the GUI thread only.
    _worker_progress = Signal(int, int)
    _worker_done = Signal(object, str, str)  # (VideoImport or None, outcome, message)

    def __init__(self, video: Path, *, exercise: str | None = None, pose_model: str | None = None,
                 duration_s: float | None = None, root: Path | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.video = Path(video)
        self._options = {"exercise": exercise, "pose_model": pose_model, "duration_s": duration_s,
                         "root": root}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.frames_done = 0
        self.result: VideoImport | None = None
        self.finished = False
        self.dialog = QProgressDialog(f"Analysing {self.video.name}…", "Cancel", 0, 0, parent)
        self.dialog.setWindowTitle("coach — opening a video")
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(0)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.canceled.connect(self.cancel)
        self._show_progress = Throttled(self._update_dialog, PROGRESS_INTERVAL_MS, self)
        self._worker_progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._worker_done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)

    # ------------------------------------------------------------------ GUI thread
    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("an importer runs once")
        self.dialog.show()
        self._thread = threading.Thread(target=self._work, name=THREAD_NAME, daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @Slot()
    def cancel(self) -> None:
        """Stop the analysis; `cancelled` follows once the worker has cleaned up."""
        if not self.finished:
            log.info("import of %s cancelled by the user", self.video)
            self._stop.set()
            self.dialog.setLabelText(f"Cancelling {self.video.name}…")

    def wait(self, timeout_s: float = 10.0) -> bool:
        """Join the worker (cancel first to make it quick); True when no worker thread is left."""
        if self._thread is not None:
            self._thread.join(timeout_s)
        return not self.running

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        self.frames_done = done
        self._show_progress(done, total)
        self.progressed.emit(done, total)

    def _update_dialog(self, done: int, total: int) -> None:
        if self.finished or self._stop.is_set():
            return
        if total > 0:
            self.dialog.setMaximum(total)
            self.dialog.setValue(min(done, total))
            self.dialog.setLabelText(f"Analysing {self.video.name}… frame {done} of {total}")
        else:
            self.dialog.setLabelText(f"Analysing {self.video.name}… frame {done}")

    @Slot(object, str, str)
    def _on_done(self, result: VideoImport | None, outcome: str, message: str) -> None:
        self.finished = True
        self.result = result
        self.dialog.canceled.disconnect(self.cancel)  # closing the dialog below must not "cancel" again
        self.dialog.close()
        if self._thread is not None:
            self._thread.join(5.0)  # it has sent its last signal: only returning is left
        if outcome == "imported":
            self.imported.emit(result)
        elif outcome == "cancelled":
            self.cancelled.emit()
        else:
            self.failed.emit(message)

    # ------------------------------------------------------------------ worker thread
    def _work(self) -> None:
        def progress(done: int, total: int | None) -> None:
            self._worker_progress.emit(done, -1 if total is None else total)

        try:
            result = session_from_video(self.video, stop=self._stop, on_progress=progress,
                                        **self._options)  # type: ignore[arg-type]
        except ImportCancelled:
            self._worker_done.emit(None, "cancelled", "")
        except CoachError as exc:
            log.warning("import of %s failed: %s", self.video, exc)
            self._worker_done.emit(None, "failed", str(exc))
        except Exception as exc:  # top-level handler of the thread: the dialog must close with a reason
            log.exception("import of %s failed", self.video)
            self._worker_done.emit(None, "failed", f"Opening {self.video.name} failed: {exc}")
        else:
            self._worker_done.emit(result, "imported", "")
