"""Bulk load of generated rows into the real schema, for benchmarks and trying cmdesk at scale.

The one fast path: the store is created (and migrated) as usual, then the items'
secondary indexes and the triggers (FTS, report summaries) are dropped, the items go in
with `executemany` in one transaction, each batch followed by its FTS entries (the
very entries, in the very order, of an FTS `'rebuild'` afterwards, so the index is the
same byte for byte, and ~4x faster than a trigger per row), the indexes are rebuilt,
the events and the report's per-item summaries are copied from the file they were
built in (`cmdesk.store.bulk_events`), and the indexes and triggers are recreated
from the very SQL `sqlite_master` held, so the result is the schema `cmdesk.store.db`
makes, byte for byte.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter
from pathlib import Path

from cmdesk.store.bulk_events import ALIAS, SCRATCH_PRAGMAS, EventsFile
from cmdesk.store.db import StoreError, connect, describe

ITEM_INSERT = "INSERT INTO items ({}) VALUES ({})"
#: The FTS index's columns, and its entry for one item (rowid first): what `'rebuild'`
#: would read from `items`.
FTS_COLUMNS = ("text", "author_handle", "author_name")
FTS_INSERT = f"INSERT INTO items_fts (rowid, {', '.join(FTS_COLUMNS)}) VALUES (?, ?, ?, ?)"
#: The dropped (and recreated) schema: items' indexes and every trigger of both tables.
DROPPED = (
    "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND "
    "((type = 'index' AND tbl_name = 'items') OR (type = 'trigger' AND tbl_name IN "
    "('items', 'events'))) ORDER BY type DESC, rowid"
)
# One writer, a new file: no journal to keep, the OS flushes once at the end. Reads
# through the map, not copies: the index builds read the items table a dozen times.
PRAGMAS = (*SCRATCH_PRAGMAS, "threads = 2", "mmap_size = 2147418112")

Batches = Iterable[tuple[list[tuple], list[tuple]]]


def bulk_load(
    path: Path,
    batches: Batches,
    item_columns: Iterable[str],
    *,
    events: tuple[EventsFile, Callable[[], None]] | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Load `(item rows, event rows)` batches into a new store; return (items, events).

    Item rows follow `item_columns`; event rows are `(item_id, kind, at, actor, payload)`.
    `events`: a file another process fills with the batches' events (which then come
    empty here), and what returns once it is complete; without it, this one does.
    Refuses a store that already holds items or events: this path skips the ingest rules.
    """
    columns = list(item_columns)
    if events is not None:
        return _load(path, (items for items, _ in batches), columns, *events, progress)
    with EventsFile.beside(path, columns) as own:
        return _load(path, _feed(own, batches), columns, own, own.close, progress)


def _feed(events: EventsFile, batches: Batches) -> Iterator[list[tuple]]:
    for items, rows in batches:
        events.add(items, rows)
        yield items


def _load(
    path: Path,
    batches: Iterable[list[tuple]],
    columns: list[str],
    events: EventsFile,
    events_done: Callable[[], None],
    progress: Callable[[int], None] | None,
) -> tuple[int, int]:
    db = connect(path)
    conn = db.conn
    try:
        for table in ("items", "events"):
            if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0]:
                raise StoreError(f"{path} already holds {table}; bulk load needs a new store")
        for pragma in PRAGMAS:
            conn.execute(f"PRAGMA {pragma}")
        schema = conn.execute(DROPPED).fetchall()
        conn.execute(f"ATTACH DATABASE ? AS {ALIAS}", [str(events.path)])  # not in a transaction
        conn.execute("BEGIN")
        for kind, name, _ in schema:
            conn.execute(f'DROP {kind.upper()} "{name}"')
        item_count = _insert_items(conn, batches, columns, progress)
        for kind, _, sql in schema:
            if kind == "index":
                conn.execute(sql)
        events_done()
        event_count = events.copy_into(conn)
        for kind, _, sql in schema:
            if kind == "trigger":
                conn.execute(sql)
        conn.execute("COMMIT")
        conn.execute(f"DETACH DATABASE {ALIAS}")
        conn.execute("PRAGMA journal_mode = WAL")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.rollback()
        raise StoreError(describe(exc, path)) from exc
    finally:
        conn.close()
    return item_count, event_count


def _insert_items(
    conn: sqlite3.Connection,
    batches: Iterable[list[tuple]],
    columns: list[str],
    progress: Callable[[int], None] | None,
) -> int:
    """Insert every batch of items, each followed by its FTS entries; return the count.

    One row per FTS statement, as `'rebuild'` indexes them: a multi-row statement
    (INSERT ... SELECT) would flush FTS5's pending terms at its end, and so lay the
    index out differently. The entries' rowids are the items' (a new table numbers its
    rows 1, 2, ...), checked after every batch.
    """
    insert = ITEM_INSERT.format(", ".join(columns), ", ".join("?" * len(columns)))
    text, handle, name = (itemgetter(columns.index(column)) for column in FTS_COLUMNS)
    count = 0
    for items in batches:
        conn.executemany(insert, items)
        rowids = range(count + 1, count + len(items) + 1)
        count += len(items)
        if conn.execute("SELECT max(rowid) FROM items").fetchone()[0] != count:
            raise StoreError("the new items' rowids do not follow their order")
        values = zip(rowids, map(text, items), map(handle, items), map(name, items), strict=True)
        conn.executemany(FTS_INSERT, values)
        if progress is not None:
            progress(count)
    return count
