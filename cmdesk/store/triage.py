"""Triage actions on one item or a selection, each logged, each undoable.

Every action writes one event per item with the item's state before it and a
batch number; undo restores that state for the whole batch and writes an
`undone` event. Nothing is ever deleted from the log.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from cmdesk.model import EventKind, Status
from cmdesk.store import outbox
from cmdesk.store.events import append_events
from cmdesk.store.outbox import OutboxEntry


@dataclass(frozen=True, slots=True)
class Undone:
    item_ids: list[str]
    #: Moderation of the undone batch that had already reached the platform.
    sent: list[OutboxEntry]
    #: The items' rowids, in `item_ids` order: the inbox puts its rows back with no
    #: second trip to the store.
    rowids: list[int]


UNDOABLE = (
    EventKind.DONE,
    EventKind.DELETED,
    EventKind.BLOCKED,
    EventKind.MUTED,
    EventKind.REPORTED,
    EventKind.SNOOZED,
    EventKind.LABELLED,
    EventKind.UNLABELLED,
    EventKind.HIDDEN,
    EventKind.SPAM,
    EventKind.LOCKED,
    EventKind.REOPENED,
)


def _state(db: sqlite_utils.Database, item_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    marks = ",".join("?" * len(item_ids))
    rows = db.execute(
        f"SELECT id, status, snooze_until, labels FROM items WHERE id IN ({marks})", list(item_ids)
    ).fetchall()
    return {
        r[0]: {"status": r[1], "snooze_until": r[2], "labels": json.loads(r[3] or "[]")}
        for r in rows
    }


def _next_batch(db: sqlite_utils.Database) -> int:
    row = db.execute("SELECT coalesce(max(id), 0) + 1 FROM events").fetchone()
    return int(row[0])


def _apply(
    db: sqlite_utils.Database,
    item_ids: Sequence[str],
    kind: EventKind,
    changes: dict[str, Any],
    actor: str,
    now: int,
    extra: dict[str, Any] | None = None,
    then: Callable[[int], None] | None = None,
) -> int:
    """Change the items, log one event each with their state before, all as one batch.

    `then(batch)` runs in the same transaction (the outbox rows of a moderation action).
    """
    with db.conn:
        before = _state(db, item_ids)
        batch = _next_batch(db)
        entries = []
        for item_id, state in before.items():
            update = dict(changes)
            if "labels" in update:
                update["labels"] = json.dumps(update["labels"](state["labels"]))
            db["items"].update(item_id, update)
            payload = {"batch": batch, "before": state, **(extra or {})}
            entries.append((item_id, kind, payload))
        append_events(db, entries, now, actor)
        if then is not None:
            then(batch)
    return batch


#: Moderation actions: the event logged, and the status the item takes (None: unchanged).
MODERATION: dict[str, tuple[EventKind, str | None]] = {
    "hide": (EventKind.HIDDEN, "hidden"),
    "spam": (EventKind.SPAM, "spam"),
    "delete": (EventKind.DELETED, "hidden"),
    "block": (EventKind.BLOCKED, "done"),
    "mute": (EventKind.MUTED, None),
    "report": (EventKind.REPORTED, None),
    "lock": (EventKind.LOCKED, None),
}

#: The action that undoes a moderation action already sent, where the platform has one.
#: Block, mute and report have none here: undo puts them back in cmdesk only.
UNDO_ON_PLATFORM: dict[str, str] = {
    "hide": "restore",
    "spam": "restore",
    "delete": "restore",
    "lock": "unlock",
}


def moderate(
    db: sqlite_utils.Database,
    targets: Sequence[tuple[str, str]],
    action: str,
    actor: str,
    now: int,
) -> int:
    """Apply a moderation action locally and queue it for the platform, atomically."""
    kind, status = MODERATION[action]
    changes = {"status": status, "snooze_until": None} if status else {}
    item_ids = [item_id for item_id, _ in targets]

    def queue(batch: int) -> None:
        outbox.queue_action(db, list(targets), action, batch, now)

    return _apply(db, item_ids, kind, changes, actor, now, {"action": action}, queue)


def mark_done(db: sqlite_utils.Database, item_ids: Sequence[str], actor: str, now: int) -> int:
    return _apply(
        db, item_ids, EventKind.DONE, {"status": "done", "snooze_until": None}, actor, now
    )


def snooze(
    db: sqlite_utils.Database, item_ids: Sequence[str], until: int, actor: str, now: int
) -> int:
    changes = {"status": "snoozed", "snooze_until": until}
    return _apply(db, item_ids, EventKind.SNOOZED, changes, actor, now, {"until": until})


def reopen(db: sqlite_utils.Database, item_ids: Sequence[str], actor: str, now: int) -> int:
    changes = {"status": "open", "snooze_until": None}
    return _apply(db, item_ids, EventKind.REOPENED, changes, actor, now)


def set_label(
    db: sqlite_utils.Database,
    item_ids: Sequence[str],
    label: str,
    actor: str,
    now: int,
    *,
    remove: bool = False,
) -> int:
    """Add (or remove) one label on every item; labels stay sorted and unique."""
    if remove:
        change = lambda labels: sorted(set(labels) - {label})  # noqa: E731
        kind = EventKind.UNLABELLED
    else:
        change = lambda labels: sorted({*labels, label})  # noqa: E731
        kind = EventKind.LABELLED
    return _apply(db, item_ids, kind, {"labels": change}, actor, now, {"label": label})


def mark_opened(db: sqlite_utils.Database, item_id: str, actor: str, now: int) -> None:
    """Log that the CM opened the item; a new item becomes open. Not an undoable action."""
    with db.conn:
        db.execute("UPDATE items SET status = 'open' WHERE id = ? AND status = 'new'", [item_id])
        append_events(db, [(item_id, EventKind.OPENED, {})], now, actor)


def wake_snoozed(db: sqlite_utils.Database, now: int) -> list[str]:
    """Bring back items whose snooze is over; returns their ids."""
    with db.conn:
        ids = [
            r[0]
            for r in db.execute(
                "SELECT id FROM items WHERE status = 'snoozed' AND snooze_until <= ?", [now]
            )
        ]
        if ids:
            marks = ",".join("?" * len(ids))
            db.execute(
                f"UPDATE items SET status = 'open', snooze_until = NULL WHERE id IN ({marks})", ids
            )
            append_events(db, ((i, EventKind.WOKEN, {}) for i in ids), now, "system")
    return ids


def undo_last(db: sqlite_utils.Database, actor: str, now: int) -> Undone:
    """Undo `actor`'s latest batch not yet undone.

    Moderation still queued is cancelled; what already reached the platform is
    returned in `sent`, for the caller to restore there where the platform can.
    """
    kinds = [str(kind) for kind in UNDOABLE]
    with db.conn:
        undone = {
            r[0]
            for r in db.execute(
                "SELECT json_extract(payload, '$.undoes') FROM events "
                "WHERE kind = 'undone' AND actor = ?",
                [actor],
            )
        }
        # `+kind`: walk the log newest first (the latest batch is at its end) instead of
        # the kind index and a sort of every action ever, and read only as far as the
        # batch goes: 0.1 ms at 2M events, where fetching 5,000 rows first took 35 ms.
        rows = db.execute(
            f"SELECT item_id, payload FROM events WHERE actor = ? "
            f"AND +kind IN ({','.join('?' * len(kinds))}) ORDER BY id DESC",
            [actor, *kinds],
        )
        batch: int | None = None
        restored: list[tuple[str, dict[str, Any]]] = []
        for item_id, payload_text in rows:
            payload = json.loads(payload_text)
            if batch is None and payload["batch"] not in undone:
                batch = payload["batch"]
            if batch is not None and payload["batch"] == batch:
                restored.append((item_id, payload["before"]))
            elif batch is not None:
                break
        rows.close()
        for item_id, before in restored:
            db["items"].update(
                item_id,
                {
                    "status": before["status"],
                    "snooze_until": before["snooze_until"],
                    "labels": json.dumps(before["labels"]),
                },
            )
        append_events(
            db, ((i, EventKind.UNDONE, {"undoes": batch}) for i, _ in restored), now, actor
        )
        sent = outbox.cancel_batch(db, batch, now) if batch is not None else []
        item_ids = [item_id for item_id, _ in restored]
        rowids = dict(
            db.execute(
                f"SELECT id, rowid FROM items WHERE id IN ({','.join('?' * len(item_ids))})",
                item_ids,
            ).fetchall()
        )
    return Undone(item_ids, sent, [rowids[item_id] for item_id in item_ids])


def all_labels(db: sqlite_utils.Database) -> list[str]:
    """Labels in use, most used first, for the label picker."""
    rows = db.execute(
        "SELECT value, count(*) FROM items, json_each(items.labels) "
        "WHERE items.labels != '[]' GROUP BY value ORDER BY 2 DESC, 1 LIMIT 50"
    ).fetchall()
    return [r[0] for r in rows]


def current_status(db: sqlite_utils.Database, item_id: str) -> Status | None:
    row = db.execute("SELECT status FROM items WHERE id = ?", [item_id]).fetchone()
    return Status(row[0]) if row else None
