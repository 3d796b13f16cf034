"""Values the gait engine emits: feet, event kinds and confirmed gait events.

Times are *real* seconds: media timestamps divided by the clip's ``time_scale`` (1.0 for real-time footage,
4.0 for footage slowed down four times), so slow-motion clips give real cadences and contact times.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Foot(StrEnum):
    """The athlete's own side (not the image's)."""

    LEFT = "L"
    RIGHT = "R"

    @property
    def other(self) -> Foot:
        return Foot.RIGHT if self is Foot.LEFT else Foot.LEFT


class EventKind(StrEnum):
    """Gait events. Swing starts at toe off; mid swing of one foot is mid stance of the other."""

    INITIAL_CONTACT = "initial_contact"
    MID_STANCE = "mid_stance"
    TOE_OFF = "toe_off"


@dataclass(frozen=True, slots=True)
class GaitEvent:
    """One gait event, confirmed `confirm_delay_s` after it happened.

    `t` is when the event happened and `confirmed_at` when the engine could be sure of it (both in real
    seconds, see the module docstring); `frame_index` is the frame at which it happened. A live display can
    draw the event at `t` and knows it arrives `confirm_delay_s` late.
    """

    kind: EventKind
    foot: Foot
    t: float
    confirmed_at: float
    frame_index: int

    def __post_init__(self) -> None:
        if self.confirmed_at < self.t:
            raise ValueError("an event cannot be confirmed before it happens")

    @property
    def confirm_delay_s(self) -> float:
        return self.confirmed_at - self.t
