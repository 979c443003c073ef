"""The outbox: every reply and moderation action is written here before any network call.

A row carries an idempotency key that the connector sends (or checks) so a retry
after a crash never posts twice. States: queued -> sending -> sent, or back to
queued with a backoff after a transient error, or failed when retrying cannot help.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from cmdesk.model import EventKind
from cmdesk.store.events import append_events

#: Backoff after the n-th failed attempt, in seconds (then the last value).
BACKOFF_S = (5, 30, 120, 600, 1800)


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    id: int
    key: str
    item_id: str
    account: str
    action: str
    payload: dict[str, Any]
    state: str
    attempts: int
    last_error: str | None


def _entry(row: tuple[Any, ...]) -> OutboxEntry:
    return OutboxEntry(
        id=row[0],
        key=row[1],
        item_id=row[2],
        account=row[3],
        action=row[4],
        payload=json.loads(row[5] or "{}"),
        state=row[6],
        attempts=row[7],
        last_error=row[8],
    )


_COLUMNS = "id, key, item_id, account, action, payload, state, attempts, last_error"


def queue_reply(
    db: sqlite_utils.Database,
    item_id: str,
    account: str,
    payload: dict[str, Any],
    actor: str,
    now: int,
) -> str:
    """Queue a reply, mark the item replied and drop its draft, in one transaction."""
    key = uuid.uuid4().hex
    with db.conn:
        before = db.execute(
            "SELECT status, snooze_until, labels FROM items WHERE id = ?", [item_id]
        ).fetchone()
        db["outbox"].insert(
            {
                "key": key,
                "item_id": item_id,
                "account": account,
                "action": "reply",
                "payload": json.dumps({**payload, "actor": actor}, ensure_ascii=False),
                "state": "queued",
                "created_at": now,
                "next_attempt_at": now,
            }
        )
        db.execute(
            "UPDATE items SET status = 'replied', snooze_until = NULL WHERE id = ?", [item_id]
        )
        db.execute("DELETE FROM drafts WHERE item_id = ?", [item_id])
        if before is not None:
            state = {
                "status": before[0],
                "snooze_until": before[1],
                "labels": json.loads(before[2]),
            }
            append_events(
                db, [(item_id, EventKind.QUEUED, {"key": key, "before": state})], now, actor
            )
    return key


def due(db: sqlite_utils.Database, now: int, limit: int = 50) -> list[OutboxEntry]:
    """Rows to send now: queued ones whose backoff is over, and any left `sending` by a crash."""
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM outbox WHERE state IN ('queued', 'sending') "
        "AND next_attempt_at <= ? ORDER BY id LIMIT ?",
        [now, limit],
    ).fetchall()
    return [_entry(row) for row in rows]


def mark_sending(db: sqlite_utils.Database, entry_id: int, now: int) -> None:
    """Recorded before the network call: a crash after it is retried with the same key."""
    with db.conn:
        db.execute(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1, next_attempt_at = ? "
            "WHERE id = ?",
            [now, entry_id],
        )


def mark_sent(db: sqlite_utils.Database, entry: OutboxEntry, remote_id: str, now: int) -> None:
    """The platform accepted it: record the remote id and the `replied` event together."""
    payload = {k: v for k, v in entry.payload.items() if k != "actor"}
    actor = entry.payload.get("actor", "system")
    with db.conn:
        db.execute(
            "UPDATE outbox SET state = 'sent', remote_id = ?, last_error = NULL, done_at = ? "
            "WHERE id = ?",
            [remote_id, now, entry.id],
        )
        if entry.action == "reply":
            kind, details = EventKind.REPLIED, {**payload, "remote_id": remote_id}
        else:
            kind, details = EventKind.MODERATED, {"action": entry.action}
        append_events(db, [(entry.item_id, kind, {**details, "key": entry.key})], now, actor)


def mark_failed(
    db: sqlite_utils.Database, entry: OutboxEntry, error: str, now: int, *, retry: bool
) -> None:
    """Back off and retry later, or give up and put the item back in the queue."""
    with db.conn:
        if retry:
            # `entry.attempts` counts the attempts before this one.
            delay = BACKOFF_S[min(entry.attempts, len(BACKOFF_S) - 1)] * 1000
            db.execute(
                "UPDATE outbox SET state = 'queued', last_error = ?, next_attempt_at = ? "
                "WHERE id = ?",
                [error, now + delay, entry.id],
            )
            return
        db.execute(
            "UPDATE outbox SET state = 'failed', last_error = ?, done_at = ? WHERE id = ?",
            [error, now, entry.id],
        )
        if entry.action == "reply":
            # Nothing typed is lost: the text goes back to the item's draft, the item to the queue.
            db.execute("UPDATE items SET status = 'open' WHERE id = ?", [entry.item_id])
            db["drafts"].upsert(
                {
                    "item_id": entry.item_id,
                    "text": entry.payload.get("sent", ""),
                    "reply_id": entry.payload.get("reply_id"),
                    "template": entry.payload.get("template", ""),
                    "updated_at": now,
                },
                pk="item_id",
            )


def pending_summary(db: sqlite_utils.Database) -> dict[str, int]:
    rows = db.execute(
        "SELECT state, count(*) FROM outbox WHERE state IN ('queued', 'sending', 'failed') "
        "GROUP BY state"
    ).fetchall()
    return dict(rows)


def entries_for(db: sqlite_utils.Database, item_id: str) -> list[OutboxEntry]:
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM outbox WHERE item_id = ? ORDER BY id", [item_id]
    ).fetchall()
    return [_entry(row) for row in rows]


def queue_action(
    db: sqlite_utils.Database, targets: list[tuple[str, str]], action: str, batch: int, now: int
) -> None:
    """One outbox row per (item id, account) for a moderation action of undo batch `batch`."""
    db["outbox"].insert_all(
        {
            "key": uuid.uuid4().hex,
            "item_id": item_id,
            "account": account,
            "action": action,
            "payload": json.dumps({"batch": batch}),
            "state": "queued",
            "created_at": now,
            "next_attempt_at": now,
        }
        for item_id, account in targets
    )


def cancel_batch(db: sqlite_utils.Database, batch: int, now: int) -> list[OutboxEntry]:
    """Undo before sending: drop the batch's queued rows; return the rows already sent."""
    db.execute(
        "UPDATE outbox SET state = 'cancelled', done_at = ? "
        "WHERE state = 'queued' AND json_extract(payload, '$.batch') = ?",
        [now, batch],
    )
    rows = db.execute(
        f"SELECT {_COLUMNS} FROM outbox WHERE state IN ('sending', 'sent') "
        "AND json_extract(payload, '$.batch') = ?",
        [batch],
    ).fetchall()
    return [_entry(row) for row in rows]
