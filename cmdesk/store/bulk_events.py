"""A bulk load's events, their indexes and the report's summaries, built in a file of their own.

`cmdesk bench-data` generates rows in a child process that would sit idle while the
loader builds the items' indexes. So the child writes each batch's events here as it
generates them (with the few item columns the summaries read), then, while the loader
indexes the items, indexes the events and fills `item_metrics` with the very SQL every
store uses (`summaries.rebuild`). The loader then copies both tables in with
`INSERT INTO t SELECT * FROM bulk_events.t`, which SQLite runs as a transfer: records
and index entries copied as stored, nothing sorted nor evaluated again (1M items:
about 5 s, where indexing and summarising the events take some 30 s).

The tables are created from the SQL a new store holds, so the copy is that transfer and
gives the rows the loader would have written itself: event ids in insertion order, the
same summaries.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path

from cmdesk.store import summaries
from cmdesk.store.db import StoreError, connect
from cmdesk.store.events import EVENT_INSERT

#: The copied tables, in the order their SQL is compared and copied.
TABLES = ("events", "item_metrics")
#: What `summaries` reads of an item (its `_ITEM_COLUMNS`, joined on `id`).
_ITEMS_SQL = (
    "CREATE TABLE items (id TEXT PRIMARY KEY, account TEXT, network TEXT, brand TEXT, "
    "author_handle TEXT, context_only INTEGER)"
)
_ITEMS = ("id", "account", "network", "brand", "author_handle", "context_only")
_ITEMS_INSERT = f"INSERT INTO items VALUES ({', '.join('?' * len(_ITEMS))})"
#: Lists the copied tables' SQL (tables, then indexes) in a store, attached as `{schema}`.
_SCHEMA = (
    "SELECT type, sql FROM {schema}.sqlite_master WHERE tbl_name IN ('events', 'item_metrics') "
    "AND type IN ('table', 'index') AND sql IS NOT NULL ORDER BY type DESC, tbl_name, name"
)
ALIAS = "bulk_events"
#: A file with one writer, made to be thrown away or copied: no journal, no flush.
SCRATCH_PRAGMAS = (
    "journal_mode = OFF", "synchronous = OFF", "cache_size = -262144", "temp_store = MEMORY",
)  # fmt: skip


class EventsFile:
    """The file: created here, filled by `add` and `close` (in whichever process
    generates the rows), copied by `copy_into` once `close` has returned."""

    def __init__(self, path: Path, item_columns: Iterable[str]) -> None:
        columns = list(item_columns)
        self.path = path
        self._pick = itemgetter(*(columns.index(name) for name in _ITEMS))
        self._conn: sqlite3.Connection | None = None
        self._indexes = _create(path)

    @classmethod
    @contextmanager
    def beside(cls, store: Path, item_columns: Iterable[str]) -> Iterator[EventsFile]:
        """A new file in the store's folder (the disk the user chose for it), removed on exit."""
        store.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(".events", f".{store.name}.", store.parent)
        os.close(handle)
        try:
            yield cls(Path(name), item_columns)
        finally:
            Path(name).unlink(missing_ok=True)

    def add(self, items: list[tuple], events: list[tuple]) -> None:
        """Write one batch: its events, and its items' columns that the summaries read."""
        if self._conn is None:
            self._conn = _open(self.path)
        self._conn.executemany(_ITEMS_INSERT, map(self._pick, items))
        self._conn.executemany(EVENT_INSERT, events)

    def close(self) -> None:
        """Index the events and summarise them, as the store's own SQL does."""
        conn = self._conn or _open(self.path)
        self._conn = None
        try:
            for sql in self._indexes:
                conn.execute(sql)
            summaries.rebuild(conn)
            conn.execute("COMMIT")
        finally:
            conn.close()

    def copy_into(self, conn: sqlite3.Connection) -> int:
        """Copy the events and summaries into `conn`'s store, which holds neither and has
        this file attached as `ALIAS`, without their triggers; return the events' count."""
        ours, theirs = (conn.execute(_SCHEMA.format(schema=s)).fetchall() for s in (ALIAS, "main"))
        if ours != theirs:
            raise StoreError("the store's events tables differ from this cmdesk's; use a new store")
        copied = [conn.execute(f"INSERT INTO {t} SELECT * FROM {ALIAS}.{t}") for t in TABLES]
        return copied[0].rowcount


def _create(path: Path) -> list[str]:
    """Create the copied tables from a new store's SQL; return their indexes' SQL."""
    model = connect(Path(":memory:")).conn
    try:
        schema = model.execute(_SCHEMA.format(schema="main")).fetchall()
    finally:
        model.close()
    conn = sqlite3.connect(path)
    try:
        for sql in [_ITEMS_SQL, *(sql for kind, sql in schema if kind == "table")]:
            conn.execute(sql)
        conn.commit()
    finally:
        conn.close()
    return [sql for kind, sql in schema if kind == "index"]


def _open(path: Path) -> sqlite3.Connection:
    # One transaction to the end.
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in SCRATCH_PRAGMAS:
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("BEGIN")
    return conn
