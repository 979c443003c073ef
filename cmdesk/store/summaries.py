"""`item_metrics`: one summary per item with metric events, kept up to date on write.

`cmdesk report` used to summarise every item from the event log on each run (a GROUP
BY over a million events, 2.5 s); the summaries now live in a table that SQLite
triggers keep equal to that GROUP BY, so every writer (sync, triage, undo, import)
keeps it right without knowing it exists, and a report reads one row per item.

A row holds what the report reads of the item (copied from `items`, NULL until the
item exists: an archive's events may be imported before its items): its `segment`
(account, network and brand joined by `KEY_SEP`, the one key the report groups and
looks rules up by), `author_handle`, `author` (the handle as
`cmdesk.config.normalise_handle` compares it, for an ASCII handle; NULL for any other,
which the report normalises itself) and `context_only`; then what its metric events
say, each an aggregate that a new event updates in place:

- `first`: the first metric event packed as its time * 4 plus 0 for a receipt, 1 for
  a follow-up receipt (payload `reopens`), 2 for any other kind (at the same instant a
  receipt comes first, as in the fold); `starts`: receipts, reopens and undos. With
  exactly one start and a receipt first, the item is the common simple case, counted
  from this row alone; the others are folded event by event.
- `replied`, `done`, `closed`: the first reply, done, hide or spam (epoch ms).
- `replies`: each reply's personalisation ("12.5,-1,..."; -1 when typed, see
  `EventRow`), `repliers`: who sent each, in the same order ("\\x1e" between them).
  The order is the order written (the backfill's is the index's): no figure depends
  on it.
- `replier`, `closer`, `moderator`: who sent the first reply, done, hide or spam,
  packed as a 15-digit time, one more digit for the moderator (1: spam, so a hide
  wins a tie), then the name: the smallest string is the first event.
- `first_start`, `last_start`: the first and last receipt or reopen, for a period.

The event log is append-only and items are never deleted, so inserts into `events`
and inserts and content updates of `items` are all the triggers need to follow. The
price is on writes: a trigger on `events` makes SQLite keep a statement journal for
every insert there, about 30 us more per event on this machine (a sync page of 200
items pays some 6 ms); bulk writers drop the triggers and `rebuild` once instead.

Migration v6 (`cmdesk.store.db`) stored this SQL in every store it ran on: a change to
the table, the triggers or `_FIELDS` needs a new migration that recreates them.
"""

from __future__ import annotations

import sqlite3

#: Event kinds the metrics read; a row's code is the index here, which is also the
#: order in which events of one item at the same instant are applied. The partial
#: index `events_report` (`cmdesk.store.db._v4`) holds exactly these kinds.
METRIC_KINDS = ("received", "reopened", "replied", "done", "hidden", "spam", "undone")
KINDS_SQL = ", ".join(f"'{kind}'" for kind in METRIC_KINDS)

#: A reply's personalisation (library replies), -1 for one typed from scratch.
PERSONALISATION_SQL = (
    "coalesce(iif(json_extract(payload, '$.reply_id') IS NULL, NULL, "
    "json_extract(payload, '$.personalisation')), -1)"
)
#: A receipt the sync marked as following up a replied or done conversation.
FOLLOW_UP_SQL = "payload != '{}' AND json_extract(payload, '$.reopens') IS NOT NULL"

#: Separates the parts of a segment: account, network, brand.
KEY_SEP = "\x1f"
#: What `item_metrics` copies from `items`, from a row aliased `{row}`.
_ITEM_COLUMNS = {
    "segment": "{row}.account || char(31) || {row}.network || char(31) || {row}.brand",
    "author_handle": "{row}.author_handle",
    # Exactly `normalise_handle` for ASCII (as many characters as UTF-8 bytes), whatever
    # SQLite's build: lower() lower-cases ASCII alike with or without ICU.
    "author": "iif(length(coalesce({row}.author_handle, '')) = "
    "length(CAST(coalesce({row}.author_handle, '') AS BLOB)), "
    "lower(ltrim(trim(coalesce({row}.author_handle, ''), ' '), '@')), NULL)",
    "context_only": "{row}.context_only",
}

#: Each summary column: how events combine into it (`min`, `max`, `count`, or `concat`
#: with a separator), the value an event gives, and which events give one (None: all).
#: Expressions read an event's `kind`, `at`, `actor` and `payload`. The backfill
#: aggregates them over the log; the trigger computes them for the one new event and
#: merges that into the row: the same expressions either way.
_FIELDS: tuple[tuple[str, str, str, str | None], ...] = (
    (
        "first",
        "min",
        f"at * 4 + CASE WHEN kind != 'received' THEN 2 WHEN {FOLLOW_UP_SQL} THEN 1 ELSE 0 END",
        None,
    ),
    ("starts", "count", "1", "kind IN ('received', 'reopened', 'undone')"),
    ("replied", "min", "at", "kind = 'replied'"),
    ("done", "min", "at", "kind = 'done'"),
    ("closed", "min", "at", "kind IN ('hidden', 'spam')"),
    ("replies", "concat ','", PERSONALISATION_SQL, "kind = 'replied'"),
    ("repliers", "concat char(30)", "actor", "kind = 'replied'"),
    ("replier", "min", "printf('%015d', at) || actor", "kind = 'replied'"),
    ("closer", "min", "printf('%015d', at) || actor", "kind = 'done'"),
    (
        "moderator",
        "min",
        "printf('%015d%d', at, kind = 'spam') || actor",
        "kind IN ('hidden', 'spam')",
    ),
    ("first_start", "min", "at", "kind IN ('received', 'reopened')"),
    ("last_start", "max", "at", "kind IN ('received', 'reopened')"),
)

TABLE_SQL = """
CREATE TABLE item_metrics (
  item_id TEXT PRIMARY KEY,
  segment TEXT, author_handle TEXT, author TEXT, context_only INTEGER,
  first INTEGER NOT NULL, starts INTEGER NOT NULL,
  replied INTEGER, done INTEGER, closed INTEGER,
  replies TEXT, repliers TEXT, replier TEXT, closer TEXT, moderator TEXT,
  first_start INTEGER, last_start INTEGER
) WITHOUT ROWID
"""


def _aggregate(how: str, expr: str, where: str | None) -> str:
    """A column over all of an item's events (the backfill)."""
    keep = f" FILTER (WHERE {where})" if where else ""
    if how == "count":
        return f"count(*){keep}"
    if how.startswith("concat"):
        return f"group_concat({expr}, {how.split(' ', 1)[1]}){keep}"
    return f"{how}({expr}){keep}"


def _single(how: str, expr: str, where: str | None) -> str:
    """A column for one event (the trigger)."""
    if how == "count":
        return f"({where})"
    return f"iif({where}, {expr}, NULL)" if where else expr


def _merge(name: str, how: str) -> str:
    """A column of the row merged with the new event's (`excluded`)."""
    if how == "count":
        return f"{name} = {name} + excluded.{name}"
    if how.startswith("concat"):
        joined = f"{name} || {how.split(' ', 1)[1]} || excluded.{name}"
    else:
        joined = f"{how}({name}, excluded.{name})"
    return f"{name} = coalesce({joined}, {name}, excluded.{name})"  # None: nothing yet


_COLUMNS = ", ".join(["item_id", *_ITEM_COLUMNS, *(field[0] for field in _FIELDS)])
_SEP = ",\n    "


def _summarise(per_item: str) -> str:
    """INSERT the rows `per_item` selects (item_id, then every field by name), with the
    items' columns looked up once per row."""
    return f"""
INSERT INTO item_metrics ({_COLUMNS})
SELECT p.item_id, {_SEP.join(sql.format(row="i") for sql in _ITEM_COLUMNS.values())},
  {", ".join(f"p.{field[0]}" for field in _FIELDS)}
FROM ({per_item}) AS p LEFT JOIN items AS i ON i.id = p.item_id WHERE true"""


#: Every item's summary from the whole log, in one ordered pass over `events_report`.
_BACKFILL = _summarise(f"""
  SELECT item_id,
    {_SEP.join(f"{_aggregate(*field[1:])} AS {field[0]}" for field in _FIELDS)}
  FROM events INDEXED BY events_report WHERE kind IN ({KINDS_SQL}) GROUP BY item_id
""")
#: The new event's summary, merged into its item's row (`excluded`: the new event's).
_ON_EVENT = (
    _summarise(f"""
  SELECT item_id,
    {_SEP.join(f"{_single(*field[1:])} AS {field[0]}" for field in _FIELDS)}
  FROM (SELECT NEW.item_id AS item_id, NEW.kind AS kind, NEW.at AS at, NEW.actor AS actor,
    NEW.payload AS payload)
""")
    + f"""
ON CONFLICT (item_id) DO UPDATE SET
    {_SEP.join(_merge(name, how) for name, how, _, _ in _FIELDS)}"""
)
_COPY_ITEM = (
    "UPDATE item_metrics SET "
    + ", ".join(f"{name} = {sql.format(row='NEW')}" for name, sql in _ITEM_COLUMNS.items())
    + " WHERE item_id = NEW.id;"
)
TRIGGERS_SQL = (
    f"""
CREATE TRIGGER events_item_metrics AFTER INSERT ON events
WHEN NEW.kind IN ({KINDS_SQL}) BEGIN
{_ON_EVENT.strip()};
END
""",
    f"""
CREATE TRIGGER items_item_metrics_insert AFTER INSERT ON items BEGIN
  {_COPY_ITEM}
END
""",
    f"""
CREATE TRIGGER items_item_metrics_update
AFTER UPDATE OF account, network, brand, author_handle, context_only ON items
BEGIN
  {_COPY_ITEM}
END
""",
)


def create(conn: sqlite3.Connection) -> None:
    """The table, its triggers, and every item's summary from the log so far."""
    conn.execute(TABLE_SQL)
    for sql in TRIGGERS_SQL:
        conn.execute(sql)
    rebuild(conn)


def rebuild(conn: sqlite3.Connection) -> None:
    """Recompute every summary from the log: what the triggers would have written, for
    a store filled without them."""
    conn.execute("DELETE FROM item_metrics")
    conn.execute(_BACKFILL)
