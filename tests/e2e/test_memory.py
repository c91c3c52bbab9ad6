"""Memory: the kiosk's resident memory after 10,000 taps is within 5 MB of that after 100.

A tap is one click on the screen: a score tile, a reason chip, a key of the on-screen keyboard,
Done or Skip, the thank-you screen. The driver types up to 20 follow-up taps per customer, so
10,000 taps are about 1,000 customers. Memory is read from /proc after a garbage collection."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TAPS = 10_000
LIMIT_MB = 5.0


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_resident_memory_after_10k_taps_within_5_mb_of_100(tmp_path: Path, launch) -> None:  # noqa: ANN001
    marks = (100, 1000, 5000, TAPS)
    rss_args = [arg for n in marks for arg in ("--rss-at", str(n))]
    kiosk = launch(
        tmp_path / "kiosk.db", "--taps", str(TAPS), "--typing", "20", "--seed", "7", *rss_args
    )
    kiosk.wait_for("ready", timeout=60)
    rss: dict[int, int] = {}
    for n in marks:
        _, taps, kb = kiosk.wait_for(f"rss {n} ", timeout=240).split()
        rss[int(taps)] = int(kb)
    kiosk.wait_for("finished", timeout=60)
    code = kiosk.proc.wait(timeout=60)
    assert code == 0, f"the kiosk did not exit cleanly ({code})\n{kiosk.stderr()}"

    growth_mb = (rss[TAPS] - rss[100]) / 1024
    trail = ", ".join(f"{n} taps: {kb / 1024:.1f} MB" for n, kb in sorted(rss.items()))
    assert growth_mb <= LIMIT_MB, f"resident memory grew {growth_mb:.1f} MB ({trail})"
