"""Corrected answer times: a till with a dead clock battery boots in the past (2000-01-01) until
it gets network time, and a till whose clock is hours fast puts its answers on tomorrow. HQ
measures each device's clock at every upload and stores, beside the raw ``device_time``, a
``corrected_time`` that every figure uses (ARCHITECTURE.md, "Corrected answer times").

**The measure.** At an upload (HTTP only), offset = HQ's receive time − the batch's ``sent_at``
as the device said it (positive: the device is behind). Network time and the kiosk's few
seconds between building and posting a batch are in it too; both are far below the 5 minutes
that count.

**The rule**, per new answer of the batch:

1. an answer the device's own clock puts *after* its previous upload's ``sent_at`` (or any
   answer, when HQ never measured the device) was recorded since that upload, with the clock
   as it is now: it takes the offset measured now;
2. an answer the device's clock puts at or *before* its previous ``sent_at`` was recorded
   before that upload (a backlog, or answers from before the clock jumped forwards, e.g. when
   the till got network time): it keeps the offset measured at that upload — unless that puts
   it before the newest answer HQ already has from the device (its sequence says it is
   newer), which means the clock jumped *backwards* after that upload (the dead battery after a
   good sync): then it takes the offset measured now.

An offset of at most :data:`SKEW` (5 min) is not applied: ``corrected_time == device_time``
and ``clock_corrected`` is false. A larger one is applied and flags the answer (it still
counts in NPS).

**Limits.** One offset per upload: a clock that changed twice between two uploads is corrected
with one of the two offsets. Batch files carried on a USB stick are imported hours or days after
they were written, so their receive time measures nothing: their answers take the device's last
offset measured over HTTP (none: uncorrected). A clock that is wrong while answering and
right again before the next upload (network time arrived first) cannot be seen: those answers
keep their device time (the kiosk's own check, kiosk/clock.py, warns on the till). An offset
that would put an answer before 2000 (a sent_at from the far future) is not applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# Beyond this a clock counts as wrong (= hq.ingest.CLOCK_ALLOWANCE).
SKEW = timedelta(minutes=5)
# No corrected time is earlier than this (core.protocol refuses older device times too).
EARLIEST = datetime(2000, 1, 1)


@dataclass(frozen=True)
class DeviceClock:
    """What HQ knew of a device's clock before this batch (naive UTC; None: never measured)."""

    last_sent_at: datetime | None = None  # the previous upload's sent_at, as the device said it
    offset_s: float | None = None  # measured at that upload
    newest_answer_at: datetime | None = None  # the newest corrected time of its answers


def measured_offset(sent_at: datetime, received_at: datetime) -> float:
    """HQ's clock minus the device's, in seconds, from an upload (both naive UTC)."""
    return (received_at - sent_at).total_seconds()


def corrected(
    device_time: datetime, *, offset_s: float | None, before: DeviceClock
) -> tuple[datetime, bool]:
    """The corrected time of an answer (naive UTC) and whether it was corrected; ``offset_s``
    is the offset measured at this upload (None: not measured, a batch file)."""
    chosen = offset_s
    if offset_s is None or (
        before.last_sent_at is not None
        and device_time <= before.last_sent_at
        and before.offset_s is not None
    ):
        # Recorded before the previous upload (or unmeasured now): the offset of then, if any.
        earlier = before.offset_s
        if earlier is not None and offset_s is not None and before.newest_answer_at is not None:
            if device_time + timedelta(seconds=earlier) < before.newest_answer_at - SKEW:
                earlier = offset_s  # the clock jumped backwards after that upload
        chosen = earlier
    if chosen is None or abs(chosen) <= SKEW.total_seconds():
        return device_time, False
    try:
        fixed = device_time + timedelta(seconds=chosen)
    except OverflowError:  # a sent_at thousands of years off: nothing to correct with
        return device_time, False
    if fixed < EARLIEST:  # a sent_at from the far future (2999): no measure at all
        return device_time, False
    return fixed, True
