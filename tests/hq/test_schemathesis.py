"""schemathesis against the live /openapi.json: whatever it sends, no 5xx (bounded: a few
operations, a few dozen examples each)."""

from __future__ import annotations

import pytest
from hqkit import Device, Server
from hypothesis import HealthCheck, given, settings

OPERATIONS = [
    ("/api/v1/batches", "POST", "device"),
    ("/api/v1/enroll", "POST", None),
    ("/api/v1/stores/{store}/responses", "GET", "device"),
    ("/api/v1/responses", "GET", "analyst"),
    ("/api/v1/nps", "GET", "analyst"),
    ("/api/v1/export", "GET", "analyst"),
]


@pytest.mark.parametrize(("path", "method", "auth"), OPERATIONS)
def test_no_server_errors(
    hq_server: Server, device: Device, analyst_token: str, path: str, method: str, auth: str | None
) -> None:
    import schemathesis

    schema = schemathesis.openapi.from_url(hq_server.url("/openapi.json"))
    operation = schema[path][method]
    headers = {
        "device": device.auth,
        "analyst": {"Authorization": f"Bearer {analyst_token}"},
        None: {},
    }[auth]

    @settings(
        max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(case=operation.as_strategy())
    def check(case: schemathesis.Case) -> None:
        response = case.call(headers=headers, timeout=10)
        assert response.status_code < 500, (case.as_curl_command(), response.text[:500])

    check()
