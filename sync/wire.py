"""A kiosk response in its wire form (core.protocol.ResponseV1)."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from pydantic import ValidationError

from core.errors import ProtocolError
from core.protocol import ResponseV1, describe
from kiosk.recording import Response


def response_from_kiosk(
    response: Response, *, store_id: str, device_id: str, question_version: int
) -> ResponseV1:
    """The wire form of a complete kiosk response (kiosk.recording.Response has no store,
    device or question version: pass them from the kiosk's settings)."""
    if response.status.value != "complete" or response.completion is None:
        raise ProtocolError(
            f"Response {response.id} is not complete; only complete responses "
            "are uploaded. Wait for Done, Skip or the timeout."
        )
    device_time = response.device_time
    if device_time.tzinfo is None:  # the kiosk stores naive UTC
        device_time = device_time.replace(tzinfo=UTC)
    fields: dict[str, Any] = {
        "id": response.id,
        "seq": response.seq,
        "store_id": store_id,
        "device_id": device_id,
        "channel": response.channel.value,
        "language": response.language,
        "question_version": question_version,
        "score": response.score,
        "category": response.category.value,
        "reasons": list(response.reasons),
        "comment": response.comment,
        "contact_consent": response.contact_consent,
        "contact_name": response.contact_name,
        "contact_detail": response.contact_detail,
        "device_time": device_time,
        "time_to_answer_ms": response.time_to_answer_ms,
        "completion": response.completion.value,
        "suspect": response.suspect,
        "suspect_reason": response.suspect_reason,
    }
    try:
        return ResponseV1.model_validate(fields)
    except ValidationError as exc:
        raise ProtocolError(f"Response {response.id} cannot be sent: {describe(exc)}") from exc
