"""The benches' raw baselines write the same rows HQ stores: when a column is added to
``responses`` the baseline must follow, or ``make bench`` fails long after the change (the
consent wording column broke it once)."""

from __future__ import annotations

from pathlib import Path


def test_the_raw_ingest_baseline_writes_hqs_current_rows(tmp_path: Path) -> None:
    from bench.bench_hq_ingest import BATCH, _raw_write
    from hq.db import sqlite_url
    from hq.service import Hq, HqConfig

    hq = Hq.open(HqConfig(data_dir=tmp_path))
    try:
        hq.add_store("bench-store")
        device = hq.redeem_enrollment(hq.enroll_device(store_id="bench-store").code).device_id
    finally:
        hq.close()
    rate = _raw_write(sqlite_url(tmp_path / "hq.db"), device, "bench-store", 1)
    assert rate > 0
    reopened = Hq.open(HqConfig(data_dir=tmp_path))
    try:
        with reopened.db.engine.connect() as conn:
            n = conn.exec_driver_sql("SELECT count(*) FROM responses").scalar()
        assert n == BATCH
    finally:
        reopened.close()
