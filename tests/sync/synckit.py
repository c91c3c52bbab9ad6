"""Helpers for the sync tests: a real HQ on 127.0.0.1, kiosk databases, enrolled kiosks."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from core.ids import uuid7
from core.nps import category
from kiosk.db import Database, open_database


def soak_examples(default: int = 200, soak: int = 1000) -> int:
    """Examples for a property test: 200 in a normal run, 1000 under make soak (NPS_SOAK=1)."""
    return soak if os.environ.get("NPS_SOAK") == "1" else default


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Hq:
    base: str
    hq: Any  # hq.service.Hq
    server: Any
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.hq.close()

    def new_store(self, name: str | None = None) -> str:
        store = f"s-{uuid.uuid4().hex[:10]}"
        self.hq.add_store(store, name=name or f"Store {store[-4:]}")
        return store

    def code(self, store: str | None = None) -> str:
        return str(self.hq.enroll_device(store_id=store or self.new_store()).code)

    def rows(self, device_id: str) -> dict[str, str]:
        """id -> content hash of what HQ holds for a device (and a check for duplicates)."""
        with self.hq.db.engine.connect() as conn:
            got = conn.exec_driver_sql(
                "SELECT id, content_hash FROM responses WHERE device_id = ?", (device_id,)
            ).all()
        out = {r[0]: r[1] for r in got}
        assert len(out) == len(got), "HQ holds a response twice"
        return out


def start_hq(data_dir: Path, **config: Any) -> Hq:
    import uvicorn

    from hq.app import create_app
    from hq.service import Hq as HqService
    from hq.service import HqConfig

    hq = HqService.open(HqConfig(data_dir=data_dir, **config))
    started = threading.Event()

    class _Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            started.set()

    port = free_port()
    server = _Server(
        uvicorn.Config(
            create_app(hq), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
        )
    )
    thread = threading.Thread(target=server.run, name=f"hq-{port}", daemon=True)
    thread.start()
    if not started.wait(timeout=30) or not server.started:
        raise RuntimeError("The HQ test server did not start within 30 s")
    return Hq(base=f"http://127.0.0.1:{port}", hq=hq, server=server, thread=thread)


def fresh_db(template: Path, path: Path) -> Database:
    """A kiosk database copied from a migrated template (much quicker than migrating)."""
    shutil.copyfile(template, path)
    return open_database(path)


def make_template(path: Path) -> Path:
    db = open_database(path)
    db.close()
    for side in ("-wal", "-shm"):
        Path(str(path) + side).unlink(missing_ok=True)
    return path


def add_responses(
    db: Database,
    n: int,
    *,
    complete: bool = True,
    start: datetime | None = None,
    comment: str | None = None,
) -> list[str]:
    """``n`` responses recorded on this kiosk, inserted in one transaction (a bulk stand-in for
    the tap path, which tests/kiosk covers)."""
    if n <= 0:
        return []
    s = db.settings()
    start = start or datetime(2026, 11, 20, 9, 0)
    ids: list[str] = []
    with db.write_connection() as conn:
        top = (
            conn.exec_driver_sql(
                "SELECT coalesce(max(seq), 0) FROM responses WHERE device_id = ?", (s.device_id,)
            ).scalar()
            or 0
        )
        rows = []
        for i in range(n):
            score = (i * 7 + top) % 11
            at = start + timedelta(seconds=37 * (top + i))
            rid = str(uuid7(unix_ms=int(at.timestamp() * 1000)))
            ids.append(rid)
            rows.append(
                (
                    rid,
                    top + i + 1,
                    s.store_id,
                    s.device_id,
                    "en" if i % 3 else "hi",
                    score,
                    category(score).value,
                    json.dumps(["wait_time"] if score < 7 else []),
                    comment if comment is not None else (f"comment {i}" if i % 4 == 0 else None),
                    at.strftime("%Y-%m-%d %H:%M:%S.%f"),
                    1500 + i,
                    "complete" if complete else "incomplete",
                    "done" if complete else None,
                )
            )
        conn.exec_driver_sql(
            "INSERT INTO responses (id, seq, store_id, device_id, channel, language, "
            "question_version, score, category, reasons, comment, contact_consent, device_time, "
            "time_to_answer_ms, status, completion, suspect, sync_state) VALUES "
            "(?, ?, ?, ?, 'kiosk', ?, 1, ?, ?, ?, ?, 0, ?, ?, ?, ?, 0, 'pending')",
            rows,
        )
    return ids


def local_states(db: Database) -> dict[str, str]:
    with db.reading() as s:
        return dict(
            s.connection()
            .exec_driver_sql("SELECT sync_state, count(*) FROM responses GROUP BY sync_state")
            .all()
        )


def complete_ids(db: Database) -> set[str]:
    with db.reading() as s:
        return {
            r[0]
            for r in s.connection().exec_driver_sql(
                "SELECT id FROM responses WHERE status = 'complete' AND seeded = 0 "
                "AND channel = 'kiosk'"
            )
        }


def local_hashes(db: Database) -> dict[str, str]:
    """id -> protocol content hash of every complete kiosk response on this kiosk."""
    from core.protocol import ResponseV1, content_hash
    from sync.ledger import WIRE_COLUMNS, WIRE_SELECT
    from sync.outbox import _wire

    with db.reading() as s:
        rows = (
            s.connection()
            .exec_driver_sql(
                f"SELECT {WIRE_SELECT} FROM responses WHERE status = 'complete' "
                "AND seeded = 0 AND channel = 'kiosk'"
            )
            .all()
        )
    out = {}
    for r in rows:
        d = dict(zip(WIRE_COLUMNS, r, strict=True))
        d["reasons"] = json.loads(d["reasons"])
        d["contact_consent"] = bool(d["contact_consent"])
        d["suspect"] = bool(d["suspect"])
        out[d["id"]] = content_hash(ResponseV1.model_validate(_wire(d)))
    return out


def session() -> requests.Session:
    from sync.client import new_session

    return new_session()


LAN_HOST = "10.1.2.3"  # an HQ on another machine of a closed test network


def lan_session(hq: Hq) -> requests.Session:
    """A real session whose connections to http://10.1.2.3:<port> reach the test HQ on
    127.0.0.1:<port>, as a hosts-file entry would: the kiosk sees a non-loopback address, the
    bytes still go over real HTTP to a real HQ (no 10.x network exists here)."""
    from requests.adapters import HTTPAdapter

    from sync.client import new_session

    port = hq.base.rsplit(":", 1)[1]

    class _Route(HTTPAdapter):
        def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
            request.url = (request.url or "").replace(
                f"http://{LAN_HOST}:{port}", f"http://127.0.0.1:{port}", 1
            )
            return super().send(request, *args, **kwargs)

    s = new_session()
    s.mount(f"http://{LAN_HOST}:{port}", _Route())
    return s


def lan_url(hq: Hq) -> str:
    return f"http://{LAN_HOST}:{hq.base.rsplit(':', 1)[1]}"


# -- protocol v2: store profiles --------------------------------------------------------------

HINDI_QUESTION = "आज की ख़रीदारी के बाद, आप हमें किसी मित्र को कितना सुझाएँगे?"


def survey_texts(question: str, *, follow_up: str = "हम क्या बेहतर कर सकते हैं?") -> dict[str, Any]:
    return {
        "question": question,
        "label_low": "बिल्कुल नहीं",
        "label_high": "ज़रूर",
        "follow_up": {
            "detractor": follow_up,
            "passive": "10 के लिए क्या?",
            "promoter": "क्या पसंद आया?",
        },
        "reasons": {"detractor": [{"key": "queue", "label": "लंबी कतार"}]},
        "consent": "क्या हम आपसे संपर्क कर सकते हैं?",
    }


def publish_survey(
    hq: Hq, store: str, *, question: str = HINDI_QUESTION, english: str = "How was your visit?"
) -> int:
    """Publish a new Hindi-first survey at HQ (the CLI's functions) and make ``store`` ask it;
    returns the survey version's id."""
    from hq.profiles import publish, save_draft, set_settings

    form = f"f{uuid.uuid4().hex[:8]}"
    save_draft(hq.hq, form, actor="test", create=True)
    en = {
        **survey_texts(english),
        "follow_up": {
            "detractor": "What went wrong?",
            "passive": "What would make it a 10?",
            "promoter": "What did you like?",
        },
        "label_low": "Not likely",
        "label_high": "Very likely",
        "consent": "May we call you?",
        "reasons": {"detractor": [{"key": "queue", "label": "Long queue"}]},
    }
    save_draft(
        hq.hq,
        form,
        actor="test",
        name=f"Hindi {form}",
        languages=["hi", "en"],
        texts={"hi": survey_texts(question), "en": en},
    )
    version = publish(hq.hq, form, actor="test")
    set_settings(hq.hq, "store", store, {"survey": form}, actor="test")
    return version.id


def store_profile_version(hq: Hq, store: str) -> int:
    from hq.profiles import current_profile

    return current_profile(hq.hq, store).version


class RecordingSession(requests.Session):
    """A real session that logs every request (method, path, query) and can rewrite replies:
    ``rewrite(path, response)`` returns the response to hand to the kiosk."""

    def __init__(self, rewrite: Any = None) -> None:
        super().__init__()
        self.calls: list[tuple[str, str, str]] = []
        self.rewrite = rewrite

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        from urllib.parse import urlencode, urlsplit

        parts = urlsplit(str(url))
        params = kwargs.get("params") or {}
        self.calls.append((str(method), parts.path, urlencode(params)))
        verb = method.decode() if isinstance(method, bytes) else method
        resp = super().request(verb, url, *args, **kwargs)
        if self.rewrite is not None:
            resp = self.rewrite(parts.path, kwargs, resp)
        return resp

    def count(self, path: str) -> int:
        return sum(1 for _m, p, _q in self.calls if p == path)
