"""A device whose clock runs far ahead cannot freeze its "last sync": HQ records when it received
each batch by its own clock and keeps a sent_at from the future out of the device's state
(real HQ server, both databases)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hqkit import Device, Server, batch, post_batch, response, statuses
from sqlalchemy import select

from hq.analytics import dashboard
from hq.models import BatchRow, DeviceRow


def _device_state(server: Server, device: Device) -> tuple[datetime, datetime]:
    with server.hq.db.reading() as s:
        row = s.get(DeviceRow, device.device_id)
        assert row is not None and row.last_sync_at is not None
        assert row.last_device_time is not None
        return row.last_sync_at, row.last_device_time


def test_a_batch_sent_in_2999_does_not_freeze_last_sync(hq_server: Server, device: Device) -> None:
    future = batch(device, [response(device, 1)], sent_at="2999-01-01T00:00:00+00:00", pending=40)
    assert statuses(post_batch(hq_server, device, future)) == ["accepted"]
    first_sync, device_time = _device_state(hq_server, device)
    hq_now = datetime.now(UTC).replace(tzinfo=None)
    assert device_time.year < 2999 and device_time <= hq_now  # HQ's receive time, not 2999
    with hq_server.hq.db.reading() as s:
        stored = s.scalar(select(BatchRow.sent_at).where(BatchRow.batch_id == future["batch_id"]))
    assert stored is not None and stored.year < 2999

    normal = batch(device, [response(device, 2)], pending=3)
    assert statuses(post_batch(hq_server, device, normal)) == ["accepted"]
    second_sync, later_time = _device_state(hq_server, device)
    assert second_sync > first_sync
    assert later_time >= device_time
    shown = {d.device_id: d for d in dashboard(hq_server.hq).devices}[device.device_id]
    assert shown.last_sync_at == second_sync and shown.backlog == 3


def test_a_little_clock_skew_is_kept_as_sent(hq_server: Server, device: Device) -> None:
    ahead = datetime.now(UTC) + timedelta(minutes=2)
    body = batch(device, [response(device, 1)], sent_at=ahead.isoformat())
    assert statuses(post_batch(hq_server, device, body)) == ["accepted"]
    _sync, device_time = _device_state(hq_server, device)
    assert abs(device_time - ahead.replace(tzinfo=None)) < timedelta(milliseconds=1)
