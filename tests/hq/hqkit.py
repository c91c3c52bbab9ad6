"""Helpers for the HQ tests: a real server, enrolled devices, protocol v1 bodies."""

from __future__ import annotations

import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    base: str
    hq: Any  # hq.service.Hq
    backend: str

    def url(self, path: str) -> str:
        return self.base + path


def start_server(hq: Any) -> tuple[Any, threading.Thread, str]:
    import uvicorn

    from hq.app import create_app
    from hq.server import server_options

    started = threading.Event()

    class _Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            started.set()

    port = free_port()
    server = _Server(
        uvicorn.Config(
            create_app(hq),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="off",
            **server_options(),  # as nps-hq serve runs it
        )
    )
    thread = threading.Thread(target=server.run, name=f"hq-{port}", daemon=True)
    thread.start()
    if not started.wait(timeout=30) or not server.started:
        raise RuntimeError("The HQ test server did not start within 30 s")
    return server, thread, f"http://127.0.0.1:{port}"


@dataclass
class Device:
    store_id: str
    device_id: str
    token: str
    secret: bytes

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def new_store(server: Server, *, name: str | None = None) -> str:
    store = f"s-{uuid.uuid4().hex[:10]}"
    server.hq.add_store(store, name=name or store)
    return store


def enroll(server: Server, store: str | None = None) -> Device:
    """A store (new unless given) and a device enrolled over HTTP like a kiosk does."""
    from core.protocol import EnrollReplyV1, decode_secret

    store = store or new_store(server)
    code = server.hq.enroll_device(store_id=store)
    r = requests.post(server.url("/api/v1/enroll"), json={"code": code.code}, timeout=10)
    assert r.status_code == 200, r.text
    reply = EnrollReplyV1.model_validate(r.json())
    return Device(
        store_id=reply.store_id,
        device_id=reply.device_id,
        token=reply.device_token,
        secret=decode_secret(reply.device_secret),
    )


def response(device: Device, seq: int, *, score: int = 9, **changes: Any) -> dict[str, Any]:
    """A valid protocol v1 response (JSON form) of ``device``."""
    from core.ids import uuid7
    from core.nps import category

    when = datetime(2026, 11, 20, 10, 0, tzinfo=UTC) + timedelta(minutes=seq)
    body: dict[str, Any] = {
        "id": str(uuid7()),
        "seq": seq,
        "store_id": device.store_id,
        "device_id": device.device_id,
        "channel": "kiosk",
        "language": "en",
        "question_version": 1,
        "score": score,
        "category": category(score).value if score in range(11) else "promoter",
        "reasons": [],
        "comment": None,
        "contact_consent": False,
        "contact_name": None,
        "contact_detail": None,
        "device_time": when.isoformat(),
        "time_to_answer_ms": 2100,
        "completion": "done",
        "suspect": False,
        "suspect_reason": None,
    }
    body.update(changes)
    return body


def batch(device: Device, responses: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    from core.ids import uuid7

    body = {
        "protocol": "v1",
        "batch_id": str(uuid7()),
        "device_id": device.device_id,
        "sent_at": datetime.now(UTC).isoformat(),
        "responses": responses,
    }
    body.update(changes)
    return body


def post_batch(server: Server, device: Device, body: dict[str, Any]) -> requests.Response:
    return requests.post(server.url("/api/v1/batches"), json=body, headers=device.auth, timeout=30)


def statuses(reply: requests.Response) -> list[str]:
    assert reply.status_code == 200, reply.text
    return [r["status"] for r in reply.json()["results"]]


def count_rows(server: Server, **where: Any) -> int:
    from sqlalchemy import func, select

    from hq.models import ResponseRow

    stmt = select(func.count()).select_from(ResponseRow)
    for key, value in where.items():
        stmt = stmt.where(getattr(ResponseRow, key) == value)
    with server.hq.db.reading() as s:
        return int(s.scalar(stmt) or 0)


def data_dir(server: Server) -> Path:
    return Path(server.hq.config.data_dir)


def csrf_token(html: str) -> str:
    """The session's CSRF token from a signed-in page's hidden form field."""
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no csrf_token field in the page"
    return found.group(1)


def sign_in(base: str, username: str, password: str) -> requests.Session:
    """A browser-like session signed in to HQ at ``base``, sending the session's CSRF token
    as the X-CSRF-Token header (as the pages' forms send it as a field)."""
    s = requests.Session()
    page = s.post(f"{base}/login", data={"username": username, "password": password}, timeout=30)
    assert page.status_code == 200, page.text
    s.headers["X-CSRF-Token"] = csrf_token(page.text)
    return s


# PostgreSQL for the tests (conftest.py's fixtures and tests that make a database of their own;
# import these from here: ``from conftest import`` may find another folder's conftest).
DEFAULT_PG_URL = "postgresql+psycopg://nps:nps@127.0.0.1:5432/nps_test"


def pg_admin_url() -> str:
    import os

    return os.environ.get("NPS_TEST_PG_URL") or DEFAULT_PG_URL


def pg_conninfo(url: str, *, dbname: str | None = None) -> str:
    from sqlalchemy.engine import make_url

    u = make_url(url)
    parts = {
        "host": u.host or "127.0.0.1",
        "port": u.port or 5432,
        "user": u.username,
        "password": u.password,
        "dbname": dbname or u.database,
    }
    return " ".join(f"{k}='{v}'" for k, v in parts.items() if v is not None)
