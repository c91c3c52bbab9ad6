"""The delivery worker's wake-up: a wake() that arrives while a pass runs is kept, so the next
pass starts at once rather than a poll interval (an hour here) later. The passes are stand-ins
(run_once overridden) so that the test is about the thread's loop alone, not about HQ.

This passed on the old loop too (pass; wait; clear is wait; clear; pass rotated, so a wake
cleared after the wait was always followed by a pass); it guards the behaviour the clear's
placement exists for."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

from hq.delivery import DeliveryConfig, DeliveryWorker


class CountingWorker(DeliveryWorker):
    def __init__(self, **kwargs: Any) -> None:
        hq = SimpleNamespace(config=SimpleNamespace(allow_private_webhooks=False))
        super().__init__(hq=hq, config=DeliveryConfig(poll_interval_s=3600), **kwargs)  # type: ignore[arg-type]  # a stand-in: the passes never touch HQ
        self.passes = 0
        self.second_pass = threading.Event()
        self.on_pass: list[Any] = []

    def run_once(self) -> int:
        self.passes += 1
        for hook in self.on_pass:
            hook(self.passes)
        if self.passes >= 2:
            self.second_pass.set()
        return 0


def test_a_wake_during_a_pass_starts_the_next_pass_at_once() -> None:
    worker = CountingWorker()
    worker.on_pass.append(lambda n: worker.wake() if n == 1 else None)  # new work mid-pass
    worker.start()
    try:
        assert worker.second_pass.wait(20), "the wake during the first pass was lost"
    finally:
        worker.stop()
