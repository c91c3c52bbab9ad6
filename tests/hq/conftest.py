"""HQ test fixtures: a real uvicorn server on 127.0.0.1 per backend (SQLite file, PostgreSQL).

PostgreSQL comes from NPS_TEST_PG_URL (default postgresql+psycopg://nps:nps@127.0.0.1:5432/
nps_test); each session makes a fresh database next to it (the role needs CREATEDB) and drops
it at the end. Without a server the PostgreSQL half is skipped, except under CI=true, where it
fails: CI must test both databases.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest
from hqkit import Device, Server, enroll, pg_admin_url, start_server
from hqkit import pg_conninfo as _pg_conninfo


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this session (dropped afterwards)."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = pg_admin_url()
    try:
        conn = psycopg.connect(_pg_conninfo(admin), connect_timeout=3, autocommit=True)
    except psycopg.Error as exc:
        reason = (
            f"No PostgreSQL server at {make_url(admin).render_as_string()} ({exc}). "
            "Set NPS_TEST_PG_URL to a server where the role may CREATE DATABASE."
        )
        if _in_ci():
            pytest.fail("CI=true but PostgreSQL is not reachable: " + reason)
        pytest.skip(reason)
    name = f"nps_hq_test_{secrets.token_hex(4)}"
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_pg_conninfo(admin), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def hq_server(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """One real HQ server per backend for the whole session."""
    from hq.service import Hq, HqConfig

    data = tmp_path_factory.mktemp(f"hq-{backend}")
    url = request.getfixturevalue("pg_url") if backend == "postgresql" else None
    hq = Hq.open(HqConfig(data_dir=data, db_url=url, poster_limit_per_hour=2))
    server, thread, base = start_server(hq)
    try:
        yield Server(base=base, hq=hq, backend=backend)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        hq.close()


@pytest.fixture
def device(hq_server: Server) -> Device:
    return enroll(hq_server)


@pytest.fixture(scope="session")
def analyst_token(hq_server: Server) -> str:
    return str(hq_server.hq.create_api_token("tests"))
