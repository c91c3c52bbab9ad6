"""Question versions and the admin's settings changes (each audited).

Changing the question or its end labels makes a new question version; a response keeps the
version it was asked with (``responses.question_version``), and ``question_versions`` keeps the
wording of every version, so old answers keep the wording they were given.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from kiosk import audit
from kiosk.db import Database, rekey_if_moved, utcnow
from kiosk.models import QuestionVersionRow, SettingRow
from kiosk.settings import Settings, to_stored

WORDING_KEYS = ("question", "label_low", "label_high")


@dataclass(frozen=True)
class QuestionVersion:
    version: int
    question: Mapping[str, str]
    label_low: Mapping[str, str]
    label_high: Mapping[str, str]
    created_at: datetime


def _to_version(row: QuestionVersionRow) -> QuestionVersion:
    texts = json.loads(row.texts)
    return QuestionVersion(
        version=row.version,
        question=texts.get("question", {}),
        label_low=texts.get("label_low", {}),
        label_high=texts.get("label_high", {}),
        created_at=row.created_at,
    )


def versions(db: Database) -> list[QuestionVersion]:
    """Every question version, newest first."""
    with db.reading() as s:
        rows = s.scalars(
            select(QuestionVersionRow).order_by(QuestionVersionRow.version.desc())
        ).all()
        return [_to_version(r) for r in rows]


def save_settings(db: Database, **changes: Any) -> Settings:
    """Store changed settings in one transaction and audit which keys changed.

    A change to the question or its labels makes a new question version. Raises SettingError
    (nothing stored) when a value is not allowed.
    """
    before = db.settings()
    changed = {k: v for k, v in changes.items() if _differs(getattr(before, k, None), v)}
    if not changed:
        return before
    stored = {key: to_stored(key, value) for key, value in changed.items()}
    now = utcnow()
    wording = [k for k in WORDING_KEYS if k in changed]
    with db.writing() as s:
        if wording:
            texts = {k: dict(changed.get(k) or getattr(before, k)) for k in WORDING_KEYS}
            latest = s.scalar(
                select(QuestionVersionRow.version)
                .order_by(QuestionVersionRow.version.desc())
                .limit(1)
            )
            version = max(latest or 0, before.question_version) + 1
            s.add(
                QuestionVersionRow(
                    version=version,
                    created_at=now,
                    texts=json.dumps(texts, ensure_ascii=False, sort_keys=True),
                )
            )
            stored["question_version"] = to_stored("question_version", version)
            audit.add(s, "question_changed", version=version, keys=wording)
        for key, value in stored.items():
            s.merge(SettingRow(key=key, value=value, updated_at=now))
        rekey_if_moved(s, before.time_zone, changed)
        others = sorted(k for k in changed if k not in WORDING_KEYS)
        if others:
            audit.add(s, "settings_changed", keys=others)
    # Database caches its settings and only update_settings refreshes them; the question
    # version must be stored in the same transaction as its wording, hence this write here.
    db._settings = None
    return db.settings()


def _differs(old: Any, new: Any) -> bool:
    def norm(v: Any) -> Any:
        if isinstance(v, tuple):
            return list(v)
        if isinstance(v, Mapping):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        return v

    return bool(norm(old) != norm(new))
