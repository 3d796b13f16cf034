"""Context-manager and iteration behaviour shared by every frame source, from its read() and close()."""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType
from typing import Self

from coach.capture.frame import Frame


class SourceLifecycle:
    """Mixin: `with source:` closes it; iterating yields frames until `read()` returns None (end of media).

    A camera's `read()` never returns None (it raises `SourceError` when the camera is lost), so iterating a
    camera runs until the caller stops.
    """

    def read(self) -> Frame | None:  # pragma: no cover - every source defines its own
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - every source defines its own
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __iter__(self) -> Iterator[Frame]:
        while (frame := self.read()) is not None:
            yield frame
