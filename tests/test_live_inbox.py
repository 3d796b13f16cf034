"""The one-slot inbox: the newest frame wins and replacements are counted; lossless mode never drops."""

from __future__ import annotations

import threading
import time

from coach.live.inbox import LatestSlot


def _produce(slot: LatestSlot[int], n: int, period_s: float) -> None:
    for i in range(1, n + 1):
        slot.put(i)
        time.sleep(period_s)
    slot.close()


def test_slow_consumer_gets_newest_items_and_drops_are_counted() -> None:
    slot: LatestSlot[int] = LatestSlot()
    producer = threading.Thread(target=_produce, args=(slot, 60, 0.002))
    producer.start()
    got: list[int] = []
    while (item := slot.get(timeout=2.0)) is not None:
        got.append(item)
        time.sleep(0.02)  # a consumer ten times slower than the producer
    producer.join(2.0)
    assert not producer.is_alive()
    assert got == sorted(got) and len(set(got)) == len(got)  # in order, none twice
    assert got[-1] == 60  # the newest item reached the consumer
    assert len(got) < 30  # most were replaced...
    assert slot.dropped == 60 - len(got)  # ...and every replaced item was counted


def test_replacement_keeps_the_newest() -> None:
    slot: LatestSlot[str] = LatestSlot()
    slot.put("old")
    slot.put("new")
    assert slot.get(timeout=0.1) == "new"
    assert slot.dropped == 1
    assert slot.get(timeout=0.01) is None  # empty: times out


def test_lossless_mode_delivers_every_item() -> None:
    slot: LatestSlot[int] = LatestSlot(lossless=True)
    producer = threading.Thread(target=_produce, args=(slot, 40, 0.0))
    producer.start()
    got = []
    while (item := slot.get(timeout=2.0)) is not None:
        got.append(item)
        time.sleep(0.002)
    producer.join(2.0)
    assert got == list(range(1, 41))
    assert slot.dropped == 0


def test_close_wakes_a_waiting_consumer_and_discard_drops_pending() -> None:
    slot: LatestSlot[int] = LatestSlot()
    result: list[int | None] = []
    consumer = threading.Thread(target=lambda: result.append(slot.get()))
    consumer.start()
    time.sleep(0.05)
    slot.close()
    consumer.join(1.0)
    assert not consumer.is_alive() and result == [None]
    assert slot.put(1) is False  # closed: refused

    pending: LatestSlot[int] = LatestSlot()
    pending.put(7)
    pending.close()
    assert pending.get(timeout=0.1) == 7  # a normal close still delivers the last item
    discarded: LatestSlot[int] = LatestSlot()
    discarded.put(7)
    discarded.close(discard=True)
    assert discarded.get(timeout=0.1) is None
