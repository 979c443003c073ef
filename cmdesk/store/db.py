"""Opening the SQLite store: WAL, foreign keys, `user_version` migrations, clear errors."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import sqlite_utils

from cmdesk.errors import UserError
from cmdesk.store import summaries


class StoreError(UserError):
    """The store cannot be used (missing, corrupt, locked, full disk), said in one line."""


class _Connection(sqlite3.Connection):
    """A connection whose `with conn:` block is one transaction, whatever runs in it.

    sqlite3 opens no transaction before DDL or a SELECT, and sqlite-utils commits each
    of its writes when none is open: without an explicit BEGIN, the statements of a
    `with` block commit one by one, and a crash or a full disk between two of them
    leaves half a sync (items without their events or cursor) or half a migration.
    `BEGIN IMMEDIATE` also takes the write lock first, so a second cmdesk on the same
    store waits its turn (busy_timeout) instead of inserting what the other just did.
    """

    _depth = 0

    def __enter__(self) -> _Connection:
        if self._depth == 0 and not self.in_transaction:
            self.execute("BEGIN IMMEDIATE")
        self._depth += 1
        return self

    def __exit__(self, *exc_info: object) -> bool:
        self._depth -= 1
        return False if self._depth else bool(super().__exit__(*exc_info))  # type: ignore[arg-type]


def _v1(db: sqlite_utils.Database) -> None:
    db["items"].create(
        {
            "id": str,
            "account": str,
            "network": str,
            "brand": str,
            "kind": str,
            "remote_id": str,
            "thread_id": str,
            "parent_id": str,
            "author_id": str,
            "author_handle": str,
            "author_name": str,
            "text": str,
            "lang": str,
            "url": str,
            "created_at": int,
            "received_at": int,
            "status": str,
            "snooze_until": int,
            "labels": str,
            "assignee": str,
            "context_only": int,
        },
        pk="id",
        not_null={"account", "network", "brand", "kind", "text", "created_at", "status"},
        defaults={"status": "new", "labels": "[]", "context_only": 0},
    )
    # The default queue (waiting items, oldest first) reads a partial index: 49 ms at 1M vs 340 ms.
    db.execute(
        "CREATE INDEX items_waiting ON items(created_at) "
        "WHERE status IN ('new', 'open') AND context_only = 0"
    )
    db.execute("CREATE INDEX items_status ON items(status, created_at)")
    db.execute("CREATE INDEX items_network ON items(network, status, created_at)")
    db.execute("CREATE INDEX items_brand ON items(brand, status, created_at)")
    db.execute("CREATE INDEX items_author ON items(account, author_id, created_at)")
    db.execute("CREATE INDEX items_thread ON items(thread_id)")
    db["items"].enable_fts(
        ["text", "author_handle", "author_name"], fts_version="FTS5", create_triggers=True
    )
    db["events"].create(
        {"id": int, "item_id": str, "kind": str, "at": int, "actor": str, "payload": str},
        pk="id",
        not_null={"item_id", "kind", "at", "actor"},
        defaults={"payload": "{}"},
    )
    db.execute("CREATE INDEX events_item ON events(item_id, at)")
    db.execute("CREATE INDEX events_kind ON events(kind, at)")
    db["cursors"].create({"account": str, "stream": str, "value": str}, pk=("account", "stream"))
    db["meta"].create({"key": str, "value": str}, pk="key")


def _v2(db: sqlite_utils.Database) -> None:
    """The outbox (written before any network call) and autosaved drafts."""
    db["outbox"].create(
        {
            "id": int,
            "key": str,
            "item_id": str,
            "account": str,
            "action": str,
            "payload": str,
            "state": str,
            "attempts": int,
            "last_error": str,
            "remote_id": str,
            "created_at": int,
            "next_attempt_at": int,
            "done_at": int,
        },
        pk="id",
        not_null={"key", "item_id", "account", "action", "state", "created_at"},
        defaults={"payload": "{}", "attempts": 0, "state": "queued", "next_attempt_at": 0},
    )
    db.execute("CREATE UNIQUE INDEX outbox_key ON outbox(key)")
    db.execute("CREATE INDEX outbox_pending ON outbox(state, next_attempt_at)")
    db["drafts"].create(
        {"item_id": str, "text": str, "reply_id": str, "template": str, "updated_at": int},
        pk="item_id",
    )


def _v3(db: sqlite_utils.Database) -> None:
    """Indexes for a million items: every view, count and detail-pane read without a scan.

    Partial on `context_only = 0` (what every view filters on), so each view reads one
    index in display order without touching the table: at 1M items, a network's open
    queue 590 -> 150 ms, Done 460 -> 200 ms, the status counts 1.6 s -> 0.2 s, a
    thread's replies (the detail pane, on every cursor move) 350 ms -> 0.1 ms, the
    label picker's counts 585 -> 75 ms.
    """
    live = "WHERE context_only = 0"
    waiting = "WHERE status IN ('new', 'open') AND context_only = 0"
    db.execute("CREATE INDEX items_parent ON items(parent_id)")
    db.execute(f"CREATE INDEX items_live ON items(status, created_at) {live}")
    db.execute(f"CREATE INDEX items_live_all ON items(created_at) {live}")
    db.execute(f"CREATE INDEX items_waiting_network ON items(network, created_at) {waiting}")
    db.execute(f"CREATE INDEX items_waiting_brand ON items(brand, created_at) {waiting}")
    db.execute("CREATE INDEX items_labelled ON items(labels) WHERE labels != '[]'")
    # Every reload wakes snoozed items: 180 ms at 1M through items_status, 0.2 ms here.
    db.execute("CREATE INDEX items_snoozed ON items(status, snooze_until) WHERE status = 'snoozed'")


def _v4(db: sqlite_utils.Database) -> None:
    """The report's one pass: every metric event (the kinds of
    `cmdesk.store.reporting.METRIC_KINDS`), item by item in time order, with all the
    columns the report reads, so each item is summarised without sorting a million rows
    nor a table lookup per event (the summary pass at 1M events: 3.8 -> 3.0 s; the
    store grows by a quarter)."""
    db.execute(
        "CREATE INDEX events_report ON events(item_id, at, kind, actor, payload) "
        "WHERE kind IN ('received', 'reopened', 'replied', 'done', 'hidden', 'spam', 'undone')"
    )


def _v5(db: sqlite_utils.Database) -> None:
    """The waiting queue with what its SLA needs, for "breached first" (`views.view_ids`):
    read from the index alone, not from a million rows (1M store: 3.3 -> 2.5 s, where the
    plain order reads `items_waiting` in 0.3 s). `status` and `context_only` are columns
    too: only then does SQLite read it without the table."""
    db.execute(
        "CREATE INDEX items_waiting_sla ON items(created_at, account, network, brand, "
        "author_handle, received_at, status, context_only) "
        "WHERE status IN ('new', 'open') AND context_only = 0"
    )
    # v3 gained this index after some stores had run it: give it to those.
    db.execute(
        "CREATE INDEX IF NOT EXISTS items_snoozed ON items(status, snooze_until) "
        "WHERE status = 'snoozed'"
    )


def _v6(db: sqlite_utils.Database) -> None:
    """Per-item summaries kept on write (`cmdesk.store.summaries`), so a report reads a
    row per item instead of summarising a million events each time (1M events:
    SQLite's part of a report 2.5 s -> 0.06 s; the migration itself about 4 s); filled
    here from the log so far."""
    summaries.create(db.conn)


MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_v1, _v2, _v3, _v4, _v5, _v6]


def connect(path: Path, *, create: bool = True) -> sqlite_utils.Database:
    """Open (and migrate) the store at `path`, or raise `StoreError` saying why not."""
    if not create and not path.exists():
        raise StoreError(f"no cmdesk database at {path}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, check_same_thread=False, timeout=3.0, factory=_Connection)
        db = sqlite_utils.Database(conn)
        db.execute("PRAGMA busy_timeout = 3000")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        _migrate(db)
    except sqlite3.DatabaseError as exc:
        raise StoreError(describe(exc, path)) from exc
    except OSError as exc:
        raise StoreError(f"cannot open {path}: {exc.strerror or exc}") from exc
    return db


def _migrate(db: sqlite_utils.Database) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise StoreError(f"database schema v{version} is newer than this cmdesk knows")
    for number, migration in enumerate(MIGRATIONS[version:], start=version + 1):
        with db.conn:
            migration(db)
            db.execute(f"PRAGMA user_version = {number}")


def describe(exc: sqlite3.Error, path: Path | None = None) -> str:
    """A one-line explanation of an SQLite failure, naming the file when known."""
    where = f" ({path})" if path else ""
    text = str(exc)
    if "locked" in text or "busy" in text:
        return f"database is locked by another program{where}; close it and retry"
    if "not a database" in text or "malformed" in text:
        return f"database file is corrupt or not a cmdesk database{where}"
    if "disk" in text and ("full" in text or "I/O" in text):
        return f"cannot write the database{where}: {text}"
    return f"database error{where}: {text}"
