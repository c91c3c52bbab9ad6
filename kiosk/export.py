"""Exports to a folder the manager picks (a USB stick): responses as CSV and JSON, and the
follow-up contacts as CSV. CSV is UTF-8 with a BOM so spreadsheet programs show Hindi right.
Each file is written under a temporary name and renamed when complete; every export is audited.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from core.said import Said
from core.text import spreadsheet_safe
from kiosk import audit, followups
from kiosk.db import Database
from kiosk.errors import KioskError
from kiosk.localtime import day_bounds, to_local, zone

RESPONSE_FIELDS = (
    "id",
    "time_utc",
    "local_time",
    "channel",
    "language",
    "question_version",
    "score",
    "category",
    "reasons",
    "comment",
    "status",
    "completion",
    "suspect",
    "suspect_reason",
    "seeded",
)
CASE_FIELDS = (
    "response_id",
    "opened_utc",
    "score",
    "language",
    "state",
    "contact_name",
    "contact_detail",
    "comment",
    "note",
    "erased",
)


class ExportError(KioskError):
    """The export could not be written (folder missing or not writable, disk full)."""


@dataclass(frozen=True)
class ExportResult:
    files: tuple[Path, ...]
    rows: int


def _unused(path: Path) -> Path:
    n = 2
    candidate = path
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return candidate


def _cells(row: dict[str, object]) -> dict[str, object]:
    """A CSV row with every text cell made inert (a comment like ``=HYPERLINK(...)`` must not
    run when the manager opens the file); numbers and flags are written as they are."""
    return {k: spreadsheet_safe(v) if isinstance(v, str) else v for k, v in row.items()}


def _check_folder(folder: Path) -> Path:
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ExportError(
            Said(
                "The folder {folder} does not exist; plug in the USB stick and pick it again.",
                folder=str(folder),
            )
        )
    if not os.access(folder, os.W_OK):
        raise ExportError(
            Said(
                "The folder {folder} cannot be written (read-only stick?); pick another one.",
                folder=str(folder),
            )
        )
    return folder


def _responses(db: Database, since: date, until: date) -> Iterator[dict[str, object]]:
    tz = zone(db.settings().time_zone)
    start, end = day_bounds(since, until, tz)
    assert start is not None and end is not None
    lo, hi = start.strftime("%Y-%m-%d %H:%M:%S"), end.strftime("%Y-%m-%d %H:%M:%S")
    with db.reading() as s:
        result = s.connection().exec_driver_sql(
            "SELECT id, device_time, channel, language, question_version, score, category, "
            "reasons, comment, status, completion, suspect, suspect_reason, seeded "
            "FROM responses WHERE device_time >= ? AND device_time < ? ORDER BY device_time",
            (lo, hi),
        )
        for r in result:
            at = datetime.fromisoformat(r[1])
            yield {
                "id": r[0],
                "time_utc": at.isoformat() + "Z",
                "local_time": to_local(at, tz).isoformat(),
                "channel": r[2],
                "language": r[3],
                "question_version": r[4],
                "score": r[5],
                "category": r[6],
                "reasons": json.loads(r[7] or "[]"),
                "comment": r[8],
                "status": r[9],
                "completion": r[10],
                "suspect": bool(r[11]),
                "suspect_reason": r[12],
                "seeded": bool(r[13]),
            }


def export_responses(db: Database, *, folder: Path, since: date, until: date) -> ExportResult:
    """Responses from ``since`` to ``until`` (the store's local days, inclusive), without
    contact details; each with its UTC time and the store's local time (with its offset)."""
    folder = _check_folder(folder)
    if until < since:
        raise ExportError(Said("The end date is before the start date; swap them."))
    store = db.settings().store_id
    stem = f"nps-{store}-{since.isoformat()}-to-{until.isoformat()}"
    csv_path = _unused(folder / f"{stem}.csv")
    json_path = _unused(folder / f"{stem}.json")
    tmp_csv, tmp_json = csv_path.with_suffix(".csv.part"), json_path.with_suffix(".json.part")
    rows = 0
    try:
        with (
            tmp_csv.open("w", encoding="utf-8-sig", newline="") as fc,
            tmp_json.open("w", encoding="utf-8") as fj,
        ):
            writer = csv.DictWriter(fc, fieldnames=RESPONSE_FIELDS)
            writer.writeheader()
            head = {
                "store_id": store,
                "time_zone": db.settings().time_zone,
                "since": since.isoformat(),
                "until": until.isoformat(),
            }
            fj.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "responses": [\n')
            for row in _responses(db, since, until):
                fj.write((",\n" if rows else "") + json.dumps(row, ensure_ascii=False))
                writer.writerow(
                    _cells(
                        {
                            **row,
                            "reasons": ";".join(row["reasons"]),  # type: ignore[arg-type]  # a DictWriter row holds str
                            "comment": row["comment"] or "",
                        }
                    )
                )
                rows += 1
            fj.write("\n]}\n")
        tmp_csv.replace(csv_path)
        tmp_json.replace(json_path)
    except OSError as exc:
        for part in (tmp_csv, tmp_json):
            part.unlink(missing_ok=True)
        raise ExportError(
            Said(
                "Writing to {folder} failed ({reason}); check the stick has space and try again.",
                folder=str(folder),
                reason=exc.strerror,
            )
        ) from exc
    audit.record(
        db,
        "export",
        since=since.isoformat(),
        until=until.isoformat(),
        rows=rows,
        folder=str(folder),
    )
    return ExportResult(files=(csv_path, json_path), rows=rows)


def export_cases(db: Database, *, folder: Path) -> ExportResult:
    """Every follow-up case with its contact details, as CSV (for calling customers back)."""
    folder = _check_folder(folder)
    path = _unused(folder / f"nps-{db.settings().store_id}-followups.csv")
    part = path.with_suffix(".csv.part")
    all_cases = followups.cases(db, limit=1_000_000)
    try:
        with part.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=CASE_FIELDS)
            writer.writeheader()
            for c in all_cases:
                writer.writerow(
                    _cells(
                        {
                            "response_id": c.response_id,
                            "opened_utc": c.opened_at.isoformat() + "Z",
                            "score": c.score,
                            "language": c.language,
                            "state": c.state.value,
                            "contact_name": c.contact_name or "",
                            "contact_detail": c.contact_detail or "",
                            "comment": c.comment or "",
                            "note": c.note or "",
                            "erased": c.erased,
                        }
                    )
                )
        part.replace(path)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise ExportError(
            Said(
                "Writing to {folder} failed ({reason}); check the stick has space and try again.",
                folder=str(folder),
                reason=exc.strerror,
            )
        ) from exc
    audit.record(db, "export_cases", rows=len(all_cases), folder=str(folder))
    return ExportResult(files=(path,), rows=len(all_cases))
