"""The append-only event log: every step of every item, never edited in place."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlite_utils

from cmdesk.model import Event, EventKind

#: One event, as every writer of the log adds it (the store, the bulk load).
EVENT_INSERT = "INSERT INTO events (item_id, kind, at, actor, payload) VALUES (?, ?, ?, ?, ?)"


def append_events(
    db: sqlite_utils.Database,
    entries: Iterable[tuple[str, EventKind, dict[str, Any]]],
    at: int,
    actor: str,
) -> None:
    """Append `(item_id, kind, payload)` entries, all at time `at` by `actor`."""
    rows = [
        (item_id, str(kind), at, actor, json.dumps(payload, ensure_ascii=False))
        for item_id, kind, payload in entries
    ]
    if rows:
        db.conn.executemany(EVENT_INSERT, rows)


def item_events(db: sqlite_utils.Database, item_id: str) -> list[Event]:
    """Every event of one item, oldest first."""
    rows = db.execute(
        "SELECT id, item_id, kind, at, actor, payload FROM events WHERE item_id = ? ORDER BY id",
        [item_id],
    ).fetchall()
    return [
        Event(
            item_id=r[1],
            kind=EventKind(r[2]),
            at=r[3],
            actor=r[4],
            payload=json.loads(r[5]),
            id=r[0],
        )
        for r in rows
    ]


def reply_usage(db: sqlite_utils.Database, since: int) -> dict[str, int]:
    """How often each library reply was sent since `since` (the learning's last reset)."""
    rows = db.execute(
        "SELECT json_extract(payload, '$.reply_id') AS rid, count(*) FROM events "
        "WHERE kind = 'replied' AND at >= ? AND rid IS NOT NULL GROUP BY rid",
        [since],
    ).fetchall()
    return dict(rows)
