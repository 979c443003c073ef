"""Reads for `cmdesk report`, and the event archive: export, idempotent import.

The metrics fold a million events in one pass, so rows come out as plain tuples
with the JSON payload already reduced (in SQLite) to the one number each kind
needs; building an `Event` per row would cost more than the whole fold.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import sqlite_utils

from cmdesk.store.summaries import (
    FOLLOW_UP_SQL,
    KINDS_SQL,
    METRIC_KINDS,
    PERSONALISATION_SQL,
)

#: `(segment key, author, author handle, item_id if the item needs the full fold else
#: None, start, follow-up, first reply, first done, first hide or spam before any reply,
#: replies)`, then when detailed `(repliers, agent, item_id)`. The author is the handle
#: as `cmdesk.config.normalise_handle` makes it when it is ASCII, else None and the
#: handle is given as stored (None otherwise). Times are epoch ms, -1 for none; the rest
#: only means something for the items not folded. Start is the receipt; follow-up is 1
#: when the sync marked it as following up a closed conversation, else 0. Replies are
#: each reply's personalisation, "value,value,..." (see `EventRow`), or None; repliers
#: who sent each, "\x1e" between them. The agent is who first replied, else who closed
#: it (hid, spammed or marked it done).
SummaryRow = tuple[Any, ...]
#: `(item_id, at, code, actor, value)`; value depends on the kind:
#: received: 1 if it follows up a replied/done conversation (payload `reopens`) else 0;
#: replied: personalisation of a library reply, -1 for one typed from scratch;
#: undone: the batch it undoes; reopened, done, hidden, spam: their batch (-1 if none).
EventRow = tuple[str, int, int, str, float]

_CODE = " ".join(f"WHEN '{kind}' THEN {code}" for code, kind in enumerate(METRIC_KINDS))
_VALUE = f"""CASE kind
    WHEN 'replied' THEN {PERSONALISATION_SQL}
    WHEN 'undone' THEN coalesce(json_extract(payload, '$.undoes'), -1)
    WHEN 'received' THEN coalesce({FOLLOW_UP_SQL}, 0)
    ELSE coalesce(json_extract(payload, '$.batch'), -1)
  END"""
#: One row per item from the summaries kept on write (`cmdesk.store.summaries`): one
#: scan of a table of a few hundred thousand short rows, no join, no sort. Most items
#: (received once, never reopened nor undone, nothing before their receipt) are fully
#: described by their row; the others are flagged, and their events folded one by one
#: (`ReportReader.events_for`). SQLite also settles what needs no config: a hide or
#: spam after the first reply does not un-answer it, and who the agent is.
_SUMMARY_SQL = """
SELECT segment, author, iif(author IS NULL, author_handle, NULL),
  iif(starts = 1 AND first & 2 = 0, NULL, item_id), first >> 2, first & 1,
  coalesce(replied, -1), coalesce(done, -1),
  iif(closed < coalesce(replied, closed + 1), closed, -1), replies{details}
FROM item_metrics WHERE context_only = 0{period}
"""
_DETAILS = """, repliers, CASE
    WHEN closed < coalesce(replied, closed + 1) THEN substr(moderator, 17)
    WHEN replied IS NOT NULL THEN substr(replier, 16)
    WHEN done IS NOT NULL THEN substr(closer, 16)
  END, item_id"""
#: Keeps only items with a receipt or a reopen (where opportunities start) in [?, ?).
_PERIOD = " AND last_start >= ? AND first_start < ?"


class ReportReader:
    """What `cmdesk.metrics.compute_report` reads: a summary per item, then the events
    of the items that need the full fold. Only valid while the store's lock is held."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def summaries(
        self, *, detailed: bool, starts: tuple[int, int] | None = None
    ) -> Iterator[SummaryRow]:
        """One row per actionable item with metric events (see `SummaryRow`), streamed.

        With `starts` (epoch ms, end excluded), only the items with a `received` or
        `reopened` event in that window: the only ones with an opportunity starting in it.
        """
        sql = self.summary_sql(detailed=detailed, period=bool(starts))
        return self.db.execute(sql, starts or ())

    @staticmethod
    def summary_sql(*, detailed: bool, period: bool) -> str:
        """The query behind `summaries`; with `period`, it takes the window's two bounds."""
        return _SUMMARY_SQL.format(
            details=_DETAILS if detailed else "", period=_PERIOD if period else ""
        )

    def events_for(self, item_ids: Sequence[str]) -> Iterator[EventRow]:
        """The metric events of these items, grouped by item (in time order within one)."""
        yield from self.db.execute(
            f"SELECT item_id, at, CASE kind {_CODE} END, actor, {_VALUE} FROM events "
            f"WHERE kind IN ({KINDS_SQL}) AND item_id IN (SELECT value FROM json_each(?)) "
            "ORDER BY item_id, at",
            [json.dumps(list(item_ids))],
        )


def baseline_first_response_median(db: sqlite_utils.Database) -> dict[str, int]:
    """Benchmark baseline: median (lower) time from received to first reply, per network.

    One query, none of the report's rules (undo, reopen, exclusions, SLA): the
    cheapest honest SQL answer to "how fast do we answer" from the event log, to compare
    speed with. It reads the covering index of the metric events (`events_report`,
    which the second `kind IN` lets it use; the summaries the report reads are built
    from it): left to choose, SQLite may walk `events_item` with a table lookup per
    event (it does in an ANALYZEd store, 2.7x slower at 1M events), a handicap that
    would flatter the report. It reads the log itself, not the summaries the report
    keeps on write (`cmdesk.store.summaries`): the yardstick is what one query does
    from the log.
    """
    sql = f"""
    WITH first AS (
      SELECT item_id,
             min(CASE WHEN kind = 'received' THEN at END) AS received,
             min(CASE WHEN kind = 'replied' THEN at END) AS replied
      FROM events INDEXED BY events_report
      WHERE kind IN ('received', 'replied') AND kind IN ({KINDS_SQL})
      GROUP BY item_id
    ), waits AS (
      SELECT i.network, f.replied - f.received AS wait,
             row_number() OVER (PARTITION BY i.network ORDER BY f.replied - f.received) AS n,
             count(*) OVER (PARTITION BY i.network) AS total
      FROM first f JOIN items i ON i.id = f.item_id
      WHERE f.replied >= f.received
    )
    SELECT network, wait FROM waits WHERE n = (total + 1) / 2
    """
    return dict(db.execute(sql).fetchall())


#: The columns of `cmdesk export events`, one JSON object per line.
EVENT_COLUMNS = ("id", "item_id", "kind", "at", "actor", "payload")


def export_events(db: sqlite_utils.Database) -> Iterator[dict[str, Any]]:
    """Every event, oldest first, with its payload decoded."""
    cursor = db.execute(f"SELECT {', '.join(EVENT_COLUMNS)} FROM events ORDER BY id")
    for row in cursor:
        entry = dict(zip(EVENT_COLUMNS, row, strict=True))
        entry["payload"] = json.loads(entry["payload"] or "{}")
        yield entry


def _event_key(entry: Mapping[str, Any]) -> tuple[str, str, int, str, str]:
    payload = json.dumps(entry["payload"], ensure_ascii=False, sort_keys=True)
    return entry["item_id"], entry["kind"], entry["at"], entry["actor"], payload


def import_events(
    db: sqlite_utils.Database, entries: Iterable[Mapping[str, Any]]
) -> tuple[int, int]:
    """Add events from an export; return (added, already present).

    Idempotent: an event is the same event when item, kind, time, actor and
    payload match, and each one is added only as many times as the file holds
    it beyond what the store already has. The file's `id` is kept when that id
    is free (an archive restores exactly); otherwise the event gets a new id.
    """
    wanted: Counter[tuple[str, str, int, str, str]] = Counter()
    ids: dict[tuple[str, str, int, str, str], list[int]] = {}
    for entry in entries:
        key = _event_key(entry)
        wanted[key] += 1
        if entry.get("id") is not None:
            ids.setdefault(key, []).append(int(entry["id"]))
    added = present = 0
    with db.conn:
        for key, count in wanted.items():
            have = _count_event(db, key)
            missing = max(0, count - have)
            present += count - missing
            for event_id in ids.get(key, [])[have:][:missing]:
                if _insert_event(db, key, event_id):
                    missing -= 1
                    added += 1
            for _ in range(missing):
                _insert_event(db, key, None)
                added += 1
    return added, present


def _count_event(db: sqlite_utils.Database, key: tuple[str, str, int, str, str]) -> int:
    item_id, kind, at, actor, payload = key
    rows = db.execute(
        "SELECT payload FROM events WHERE item_id = ? AND at = ? AND kind = ? AND actor = ?",
        [item_id, at, kind, actor],
    ).fetchall()
    return sum(1 for (text,) in rows if _canonical(text) == payload)


def _canonical(text: str | None) -> str:
    return json.dumps(json.loads(text or "{}"), ensure_ascii=False, sort_keys=True)


def _insert_event(
    db: sqlite_utils.Database, key: tuple[str, str, int, str, str], event_id: int | None
) -> bool:
    item_id, kind, at, actor, payload = key
    cursor = db.conn.execute(
        "INSERT OR IGNORE INTO events (id, item_id, kind, at, actor, payload) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [event_id, item_id, kind, at, actor, payload],
    )
    return cursor.rowcount == 1


def import_items(db: sqlite_utils.Database, rows: Iterable[Mapping[str, Any]]) -> tuple[int, int]:
    """Add items from an export; return (added, already present).

    An item already in the store is left as it is (its triage state belongs to
    this store's CMs); importing the same file twice changes nothing.
    """
    added = present = 0
    with db.conn:
        for row in rows:
            values = dict(row)
            values["labels"] = json.dumps(list(values.get("labels") or []), ensure_ascii=False)
            values["context_only"] = int(bool(values.get("context_only")))
            columns = list(values)
            cursor = db.conn.execute(
                f"INSERT OR IGNORE INTO items ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                [values[c] for c in columns],
            )
            if cursor.rowcount == 1:
                added += 1
            else:
                present += 1
    return added, present


def clock_starts(db: sqlite_utils.Database, item_ids: Sequence[str]) -> dict[str, int]:
    """When each item's SLA clock last started: its `received`, or a later `reopened` of
    a closed item (replied, done, hidden, spam before it) that was not undone."""
    if not item_ids:
        return {}
    marks = ",".join("?" * len(item_ids))
    sql = f"""
    SELECT item_id, max(at) FROM events AS e
    WHERE item_id IN ({marks}) AND (kind = 'received' OR (
      kind = 'reopened'
      AND json_extract(payload, '$.before.status') IN ('replied', 'done', 'hidden', 'spam')
      AND NOT EXISTS (
        SELECT 1 FROM events AS u WHERE u.item_id = e.item_id AND u.kind = 'undone'
        AND json_extract(u.payload, '$.undoes') = json_extract(e.payload, '$.batch'))))
    GROUP BY item_id
    """
    return dict(db.execute(sql, list(item_ids)).fetchall())
