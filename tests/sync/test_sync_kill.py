"""kill -9 of the kiosk in the middle of a sync: nothing is lost and the resend is safe.

``nps-kiosk sync`` runs in its own process against HQ through the fault proxy. The proxy lets
the first batch through and holds the reply to the second *after HQ committed it*; the kiosk
is then killed with SIGKILL, so it never learns that HQ has the second batch. A new sync sends
it again: HQ answers duplicate for those, and holds every answer exactly once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from faultproxy import FaultProxy
from synckit import Hq, add_responses, complete_ids, fresh_db, local_states, session

from kiosk import credentials
from kiosk.db import check_file, open_database
from sync.ledger import SyncStore
from sync.outbox import StepKind, enroll_kiosk, outbox_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_kill_9_in_the_middle_of_a_sync_loses_nothing(
    hq: Hq, template_db: Path, tmp_path: Path
) -> None:
    proxy = FaultProxy(hq.base)
    path = tmp_path / "kiosk.db"
    db = fresh_db(template_db, path)
    try:
        with session() as s:
            enroll_kiosk(db, hq_url=proxy.base, code=hq.code(), session=s)
        add_responses(db, 1200)  # three batches of at most 500
        device = credentials.load(path).device_id
        db.close()

        proxy.load(["ok", "hold"])
        child = subprocess.Popen(
            [sys.executable, "-m", "ui.cli", "sync", "--db", str(path)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        try:
            assert proxy.holding.wait(60), "the second batch never reached the proxy"
            assert len(hq.rows(device)) == 1000  # HQ committed two batches...
            child.send_signal(signal.SIGKILL)  # ...and the kiosk dies before hearing so
            assert child.wait(30) == -signal.SIGKILL
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(30)
            child.stdout.close()  # type: ignore[union-attr]
            child.stderr.close()  # type: ignore[union-attr]
            proxy.release()

        assert check_file(path) is None  # the database is intact
        db = open_database(path)
        assert local_states(db) == {"synced": 500, "pending": 700}
        with session() as s:
            report = outbox_for(db, session=s).drain(max_failures=1)
        assert report.last.kind is StepKind.IDLE
        assert [(b.accepted, b.duplicate) for b in report.batches] == [(0, 500), (200, 0)]
        assert set(hq.rows(device)) == complete_ids(db) and len(hq.rows(device)) == 1200
        assert local_states(db) == {"synced": 1200}
        assert SyncStore(db).overview().quarantined_count == 0
    finally:
        db.close()
        proxy.close()
