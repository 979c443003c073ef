"""Items: idempotent ingest with cursors, reads by row id, thread and author context."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlite_utils

from cmdesk.model import Author, EventKind, Item, Kind, Status
from cmdesk.store.events import append_events

#: Columns a sync may refresh; triage state (status, labels, snooze) belongs to the CM.
_CONTENT = (
    "account",
    "network",
    "brand",
    "kind",
    "remote_id",
    "thread_id",
    "parent_id",
    "author_id",
    "author_handle",
    "author_name",
    "text",
    "lang",
    "url",
    "created_at",
    "context_only",
)


def item_to_row(item: Item) -> dict[str, Any]:
    return {
        "id": item.id,
        "account": item.account,
        "network": item.network,
        "brand": item.brand,
        "kind": str(item.kind),
        "remote_id": item.remote_id,
        "thread_id": item.thread_id,
        "parent_id": item.parent_id,
        "author_id": item.author.id,
        "author_handle": item.author.handle,
        "author_name": item.author.display_name,
        "text": item.text,
        "lang": item.lang,
        "url": item.url,
        "created_at": item.created_at,
        "received_at": item.received_at,
        "status": str(item.status),
        "snooze_until": item.snooze_until,
        "labels": json.dumps(list(item.labels)),
        "assignee": item.assignee,
        "context_only": int(item.context_only),
    }


def row_to_item(row: Mapping[str, Any]) -> Item:
    return Item(
        id=row["id"],
        account=row["account"],
        network=row["network"],
        brand=row["brand"],
        kind=Kind(row["kind"]),
        remote_id=row["remote_id"] or "",
        author=Author(row["author_id"] or "", row["author_handle"] or "", row["author_name"] or ""),
        text=row["text"],
        created_at=row["created_at"],
        thread_id=row["thread_id"],
        parent_id=row["parent_id"],
        lang=row["lang"],
        url=row["url"],
        received_at=row["received_at"] or 0,
        status=Status(row["status"]),
        snooze_until=row["snooze_until"],
        labels=tuple(json.loads(row["labels"] or "[]")),
        assignee=row["assignee"],
        context_only=bool(row["context_only"]),
    )


def ingest(
    db: sqlite_utils.Database,
    account: str,
    items: Sequence[Item],
    cursors: Mapping[str, str],
    now: int,
) -> list[str]:
    """Store one sync result and its cursors in one transaction; return the new item ids.

    Idempotent: the same page twice changes nothing. A context-only item that later
    arrives as actionable becomes actionable (and is `received` then), never the reverse.
    """
    unique = list({item.id: item for item in items}.values())
    with db.conn:
        known = _known(db, [item.id for item in unique])
        fresh, seen = [], []
        for item in unique:
            row = item_to_row(item)
            if item.id not in known:
                row["received_at"] = now
                fresh.append(row)
            else:
                if known[item.id] == 0:
                    row["context_only"] = 0
                seen.append({key: row[key] for key in ("id", *_CONTENT)})
        if fresh:
            db["items"].insert_all(fresh)
        if seen:
            db["items"].upsert_all(seen, pk="id")
        became = [i.id for i in unique if known.get(i.id) == 1 and not i.context_only]
        new_ids = [row["id"] for row in fresh if not row["context_only"]] + became
        received = set(new_ids)
        follow_ups = _follow_ups(db, [i for i in unique if i.id in received])
        append_events(
            db,
            (
                (i, EventKind.RECEIVED, {"reopens": follow_ups[i]} if i in follow_ups else {})
                for i in new_ids
            ),
            now,
            "sync",
        )
        for stream, value in cursors.items():
            db["cursors"].upsert(
                {"account": account, "stream": stream, "value": value}, pk=("account", "stream")
            )
    return new_ids


def _follow_ups(db: sqlite_utils.Database, new: Sequence[Item]) -> dict[str, str]:
    """New items that carry on a conversation we had answered or closed: id -> earlier item.

    The conversation is the thread on one account. A new message follows up when the
    latest earlier actionable message of its thread is replied or done. It is its own
    response opportunity anyway (its clock starts now); the mark lets the report count
    conversations that came back. The earlier item is left as it is: reopening it too
    would queue the same question twice and count the customer's wait twice.
    """
    found: dict[str, str] = {}
    for item in new:
        if not item.thread_id:
            continue
        row = db.execute(
            "SELECT id, status FROM items WHERE account = ? AND thread_id = ? AND id != ? "
            "AND context_only = 0 AND created_at <= ? ORDER BY created_at DESC, id DESC LIMIT 1",
            [item.account, item.thread_id, item.id, item.created_at],
        ).fetchone()
        if row is not None and row[1] in ("replied", "done"):
            found[item.id] = row[0]
    return found


def _known(db: sqlite_utils.Database, ids: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT id, context_only FROM items WHERE id IN ({marks})"
        found.update(db.execute(sql, chunk).fetchall())
    return found


def cursors_for(db: sqlite_utils.Database, account: str) -> dict[str, str]:
    rows = db.execute("SELECT stream, value FROM cursors WHERE account = ?", [account])
    return dict(rows.fetchall())


def _query(db: sqlite_utils.Database, sql: str, params: Iterable[Any]) -> list[Item]:
    cursor = db.execute(sql, list(params))
    names = [column[0] for column in cursor.description]
    return [row_to_item(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]


def items_by_rowid(db: sqlite_utils.Database, rowids: Sequence[int]) -> dict[int, Item]:
    """The items for a page of list rows, keyed by row id."""
    if not rowids:
        return {}
    marks = ",".join("?" * len(rowids))
    cursor = db.execute(f"SELECT rowid AS _rowid, * FROM items WHERE rowid IN ({marks})", rowids)
    names = [column[0] for column in cursor.description]
    result: dict[int, Item] = {}
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        result[row.pop("_rowid")] = row_to_item(row)
    return result


def get_item(db: sqlite_utils.Database, item_id: str) -> Item | None:
    found = _query(db, "SELECT * FROM items WHERE id = ?", [item_id])
    return found[0] if found else None


def rowid_of(db: sqlite_utils.Database, item_id: str) -> int | None:
    row = db.execute("SELECT rowid FROM items WHERE id = ?", [item_id]).fetchone()
    return row[0] if row else None


def parent_chain(db: sqlite_utils.Database, item: Item, limit: int = 20) -> list[Item]:
    """Ancestors of `item`, root first, as far as the store holds them."""
    chain: list[Item] = []
    parent_id = item.parent_id
    while parent_id and len(chain) < limit:
        parent = get_item(db, parent_id)
        if parent is None:
            break
        chain.append(parent)
        parent_id = parent.parent_id
    return chain[::-1]


def thread_replies(db: sqlite_utils.Database, item: Item, limit: int = 50) -> list[Item]:
    """Direct replies to `item` in the store, oldest first."""
    sql = "SELECT * FROM items WHERE parent_id = ? ORDER BY created_at LIMIT ?"
    return _query(db, sql, [item.id, limit])


def author_items(db: sqlite_utils.Database, item: Item, limit: int = 20) -> list[Item]:
    """The author's other items on this account, newest first."""
    sql = (
        "SELECT * FROM items WHERE account = ? AND author_id = ? AND id != ? "
        "ORDER BY created_at DESC LIMIT ?"
    )
    return _query(db, sql, [item.account, item.author.id, item.id, limit])
