"""Operations: the health check a load balancer polls."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends

from hq import auth

router = APIRouter(tags=["ops"], dependencies=[Depends(auth.public)])


@router.get("/healthz")
def health() -> dict[str, Any]:
    return {"ok": True, "server_time": datetime.now(UTC).isoformat()}
