"""HQ on SQLite with many kiosks at once: ten devices posting together to a real server, each
response stored exactly once and every reply right, while batches are refused, resent and
conflicting in the middle of the load; and the group commit's promise that one batch's failure
never takes another device's batch with it. No timing is asserted (bench_hq_concurrency
measures that)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from hqkit import Device, Server, batch, enroll, response, start_server

DEVICES = 10
ROUNDS = 3


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[Server]:
    from hq.service import Hq, HqConfig

    hq = Hq.open(HqConfig(data_dir=tmp_path))
    server, thread, base = start_server(hq)
    try:
        yield Server(base=base, hq=hq, backend="sqlite")
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        hq.close()


def _wait(condition: Callable[[], bool], what: str) -> None:
    done = threading.Event()
    for _ in range(3000):  # bounded: 30 s
        if condition():
            return
        done.wait(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def _health() -> dict[str, Any]:
    return {
        "app_version": "7.2.0",
        "schema_revision": "0007",
        "db_bytes": 1 << 20,
        "free_disk_bytes": 1 << 33,
        "backlog": 0,
        "clock_offset_s": 0.0,
        "started_at": datetime(2026, 11, 1, tzinfo=UTC).isoformat(),
        "recoveries_since_sync": 0,
        "suspect_rate": 0.0,
        "profile_version": 1,
    }


class _Kiosk:
    """One device's uploads, checking every reply as it goes."""

    def __init__(self, server: Server, device: Device, other: Device) -> None:
        self.server = server
        self.device = device
        self.other = other  # another store's device: its store id makes a refused batch
        self.session = requests.Session()
        self.seq = 1
        self.stored: dict[str, int] = {}  # id -> score HQ must have
        self.refused: set[str] = set()  # ids HQ must not have
        self.problems: list[str] = []

    def post(self, body: dict[str, Any]) -> requests.Response:
        return self.session.post(
            self.server.url("/api/v1/batches"), json=body, headers=self.device.auth, timeout=60
        )

    def expect(self, body: dict[str, Any], wanted: list[str]) -> None:
        r = self.post(body)
        if r.status_code != 200:
            self.problems.append(f"{self.device.device_id}: HTTP {r.status_code} {r.text[:200]}")
            return
        got = r.json()
        ids = [x["id"] for x in got["results"]]
        sent = [x["id"] for x in body["responses"]]
        statuses = [x["status"] for x in got["results"]]
        if got["batch_id"] != body["batch_id"] or ids != sent or statuses != wanted:
            self.problems.append(f"{self.device.device_id}: {statuses} for {wanted}")

    def new(self, n: int, **changes: Any) -> list[dict[str, Any]]:
        out = []
        for _ in range(n):
            out.append(response(self.device, self.seq, score=self.seq % 11, **changes))
            self.seq += 1
        return out

    def round(self, start: threading.Barrier) -> None:
        good = self.new(40)
        bad = response(self.device, self.seq, score=11)  # out of range: rejected alone
        self.seq += 1
        first = batch(self.device, [*good, bad])
        start.wait()
        self.expect(first, ["accepted"] * 40 + ["rejected"])
        self.stored.update((r["id"], r["score"]) for r in good)
        self.refused.add(bad["id"])
        # Protocol v2 with the device's health, 120 new answers.
        more = self.new(120)
        self.expect(batch(self.device, more, protocol="v2", health=_health()), ["accepted"] * 120)
        self.stored.update((r["id"], r["score"]) for r in more)
        # The first batch again, as a kiosk resends after a lost reply: nothing changes.
        self.expect(first, ["duplicate"] * 40 + ["rejected"])
        # A batch naming another store is refused whole, and stores none of its answers.
        mixed = self.new(5)
        mixed.append(response(self.other, self.seq))
        self.seq += 1
        r = self.post(batch(self.device, mixed))
        if r.status_code != 403:
            self.problems.append(f"{self.device.device_id}: a foreign store got {r.status_code}")
        self.refused.update(x["id"] for x in mixed)
        # Same id, other content: a conflict, rejected; the first stays as stored.
        conflict = {**good[0], "score": (good[0]["score"] + 1) % 11}
        conflict["category"] = response(self.device, 0, score=conflict["score"])["category"]
        fresh = self.new(10)
        self.expect(batch(self.device, [conflict, *fresh]), ["rejected"] + ["accepted"] * 10)
        self.stored.update((x["id"], x["score"]) for x in fresh)


def test_ten_devices_at_once_store_each_response_once_and_every_reply_is_right(
    sqlite_server: Server,
) -> None:
    from sqlalchemy import func, select

    from hq.models import DeviceRow, ResponseRow

    devices = [enroll(sqlite_server) for _ in range(DEVICES)]
    kiosks = [_Kiosk(sqlite_server, d, devices[(i + 1) % DEVICES]) for i, d in enumerate(devices)]
    for _ in range(ROUNDS):
        start = threading.Barrier(DEVICES)
        threads = [threading.Thread(target=k.round, args=(start,)) for k in kiosks]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in threads)
    assert [p for k in kiosks for p in k.problems] == []

    with sqlite_server.hq.db.reading() as s:
        rows = s.execute(select(ResponseRow.id, ResponseRow.store_id, ResponseRow.score)).all()
        health = dict(s.execute(select(DeviceRow.device_id, DeviceRow.health)).all())
        rollup = s.execute(
            select(ResponseRow.store_id, func.count()).group_by(ResponseRow.store_id)
        ).all()
    stored = {r.id: (r.store_id, r.score) for r in rows}
    assert len(rows) == len(stored)  # each id once
    for k in kiosks:
        mine = {i: sc for i, (st, sc) in stored.items() if st == k.device.store_id}
        assert mine == k.stored  # every accepted answer, with the content first sent
        assert not k.refused & stored.keys()
        assert health[k.device.device_id] is not None and "7.2.0" in health[k.device.device_id]
    assert dict(rollup) == {k.device.store_id: len(k.stored) for k in kiosks}
    # The store's NPS counts each answer once too (rollups written in the same transactions).
    analyst = sqlite_server.hq.create_api_token("hqwrite")
    r = requests.get(
        sqlite_server.url("/api/v1/nps?group_by=store"),
        headers={"Authorization": f"Bearer {analyst}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    counted = {g["key"]: g["n"] for g in r.json()["groups"]}
    assert counted == {k.device.store_id: len(k.stored) for k in kiosks}


def test_a_failing_job_is_rolled_back_alone_and_the_others_in_its_group_commit(
    tmp_path: Path,
) -> None:
    from sqlalchemy import select

    from hq.db import utcnow
    from hq.models import StoreRow
    from hq.service import Hq, HqConfig

    hq = Hq.open(HqConfig(data_dir=tmp_path))
    try:
        db = hq.db
        results: dict[str, Future[Any]] = {}

        def write(name: str, fail: bool = False) -> Callable[[Any], str]:
            def work(s: Any) -> str:
                s.add(StoreRow(store_id=name, name=name, created_at=utcnow()))
                s.flush()
                if fail:
                    raise ValueError(f"{name} went wrong")
                return name

            return work

        def submit(name: str, fail: bool = False) -> None:
            future: Future[Any] = Future()
            results[name] = future

            def call() -> None:
                try:
                    future.set_result(db.grouped(write(name, fail)))
                except Exception as exc:  # handed to the test
                    future.set_exception(exc)

            threading.Thread(target=call).start()

        with db.gate.turn():  # another writer holds SQLite: "first" leads and waits behind it
            submit("first")
            _wait(lambda: db.gate.waiting == 1, "first to wait for its turn")
            submit("a")
            _wait(lambda: db.group_writer.queued == 1, "a to queue")
            submit("b", fail=True)
            _wait(lambda: db.group_writer.queued == 2, "b to queue")
            submit("c")
            _wait(lambda: db.group_writer.queued == 3, "c to queue")
        assert results["first"].result(timeout=30) == "first"
        assert results["a"].result(timeout=30) == "a"
        assert results["c"].result(timeout=30) == "c"
        with pytest.raises(ValueError, match="b went wrong"):
            results["b"].result(timeout=30)
        assert (db.group_writer.groups, db.group_writer.jobs) == (2, 4)  # a, b, c: one commit
        with db.reading() as s:
            names = set(s.scalars(select(StoreRow.store_id)))
        assert {"first", "a", "c"} <= names and "b" not in names
    finally:
        hq.close()
