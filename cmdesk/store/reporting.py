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

#: Event kinds the metrics read; a row's code is the index here, which is also the
#: order in which events of one item at the same instant are applied. The partial
#: index `events_report` (`cmdesk.store.db._v4`) holds exactly these kinds.
METRIC_KINDS = ("received", "reopened", "replied", "done", "hidden", "spam", "undone")

#: Separates the parts of a segment key: account, network, brand.
KEY_SEP = "\x1f"
#: `(segment key, author handle as stored, item_id if the item needs the full fold
#: else None, received, follow-up, first reply, first done, first hidden or spam,
#: replies)`, then with actors `(first replier, first closer, first moderator)`, then
#: with ids `(item id,)`. Times are epoch ms or None; the rest only means something for
#: the items not folded. Follow-up is 1 when the sync marked the receipt as following
#: up a closed thread, else 0. Replies is
#: "value,value,..." (see `EventRow`), or with actors "actor\x1fvalue\x1e...". The
#: actors are each a 15-digit time, one more digit for the moderator (1: spam), then
#: the name.
SummaryRow = tuple[Any, ...]
#: `(item_id, at, code, actor, value)`; value depends on the kind:
#: received: 1 if it follows up a replied/done conversation (payload `reopens`) else 0;
#: replied: personalisation of a library reply, -1 for one typed from scratch;
#: undone: the batch it undoes; reopened, done, hidden, spam: their batch (-1 if none).
EventRow = tuple[str, int, int, str, float]

_KINDS = ", ".join(f"'{kind}'" for kind in METRIC_KINDS)
_CODE = " ".join(f"WHEN '{kind}' THEN {code}" for code, kind in enumerate(METRIC_KINDS))
_PERSONALISATION = (
    "coalesce(iif(json_extract(payload, '$.reply_id') IS NULL, NULL, "
    "json_extract(payload, '$.personalisation')), -1)"
)
_FOLLOW_UP = "payload != '{}' AND json_extract(payload, '$.reopens') IS NOT NULL"
_VALUE = f"""CASE kind
    WHEN 'replied' THEN {_PERSONALISATION}
    WHEN 'undone' THEN coalesce(json_extract(payload, '$.undoes'), -1)
    WHEN 'received' THEN coalesce({_FOLLOW_UP}, 0)
    ELSE coalesce(json_extract(payload, '$.batch'), -1)
  END"""
#: One row per item, from one ordered scan of the index `events_report` (no sort, no
#: table lookup). Most items (received once, never reopened nor undone, nothing before
#: their receipt) are fully described by a few minima; the others are flagged, and
#: their events folded one by one (`ReportReader.events_for`).
#:
#: Every aggregate is computed for every event, so there are few: `first` packs the
#: item's first metric event into one number, its time * 4 plus 0 for a receipt, 1 for
#: a follow-up receipt, 2 for any other kind (at the same instant a receipt comes first,
#: as in the fold); with `starts` (receipts, reopens and undos) it says whether the item
#: is that simple one: exactly one receipt, first, nothing to undo or reopen.
#: The plan is pinned: without statistics (a store is never ANALYZEd) SQLite would
#: rather read `events_kind` and sort, and with a plain JOIN it would write every
#: summary to a temporary table first; CROSS JOIN keeps the scan the outer loop, so
#: rows stream as they are summarised.
_SUMMARY_SQL = """
WITH per_item AS (
  SELECT item_id,
    min(at * 4 + CASE WHEN kind != 'received' THEN 2 WHEN {follow_up} THEN 1 ELSE 0 END)
      AS first,
    count(*) FILTER (WHERE kind IN ('received', 'reopened', 'undone')) AS starts,
    min(at) FILTER (WHERE kind = 'replied') AS replied,
    min(at) FILTER (WHERE kind = 'done') AS done,
    min(at) FILTER (WHERE kind IN ('hidden', 'spam')) AS closed,
    {replies} FILTER (WHERE kind = 'replied') AS replies{actors}
  FROM events INDEXED BY events_report WHERE kind IN ({kinds}) GROUP BY item_id{period}
)
SELECT
  i.account || char(31) || i.network || char(31) || i.brand, i.author_handle,
  iif(p.starts = 1 AND p.first & 2 = 0, NULL, p.item_id), p.first >> 2, p.first & 1,
  p.replied, p.done, p.closed, p.replies{picked}
FROM per_item AS p CROSS JOIN items AS i ON i.id = p.item_id
WHERE i.context_only = 0
"""
_ACTORS = """,
    min(printf('%015d', at) || actor) FILTER (WHERE kind = 'replied') AS replier,
    min(printf('%015d', at) || actor) FILTER (WHERE kind = 'done') AS closer,
    min(printf('%015d%d', at, kind = 'spam') || actor)
      FILTER (WHERE kind IN ('hidden', 'spam')) AS moderator"""
#: Keeps only items with a receipt or a reopen (where opportunities start) in [?, ?).
_PERIOD = """
  HAVING max(at) FILTER (WHERE kind IN ('received', 'reopened')) >= ?
    AND min(at) FILTER (WHERE kind IN ('received', 'reopened')) < ?"""


class ReportReader:
    """What `cmdesk.metrics.compute_report` reads: a summary per item, then the events
    of the items that need the full fold. Only valid while the store's lock is held."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db

    def summaries(
        self,
        *,
        with_actors: bool,
        with_ids: bool = False,
        starts: tuple[int, int] | None = None,
    ) -> Iterator[SummaryRow]:
        """One row per actionable item with metric events (see `SummaryRow`), streamed.

        With `starts` (epoch ms, end excluded), only the items with a `received` or
        `reopened` event in that window: the only ones with an opportunity starting in it.
        """
        sql = self.summary_sql(with_actors=with_actors, with_ids=with_ids, period=bool(starts))
        yield from self.db.execute(sql, starts or ())

    @staticmethod
    def summary_sql(*, with_actors: bool, with_ids: bool, period: bool) -> str:
        """The query behind `summaries`; with `period`, it takes the window's two bounds."""
        if with_actors:
            replies = f"group_concat(actor || char(31) || {_PERSONALISATION}, char(30))"
        else:
            replies = f"group_concat({_PERSONALISATION})"
        return _SUMMARY_SQL.format(
            follow_up=_FOLLOW_UP,
            kinds=_KINDS,
            replies=replies,
            actors=_ACTORS if with_actors else "",
            period=_PERIOD if period else "",
            picked=(", p.replier, p.closer, p.moderator" if with_actors else "")
            + (", p.item_id" if with_ids else ""),
        )

    def events_for(self, item_ids: Sequence[str]) -> Iterator[EventRow]:
        """The metric events of these items, grouped by item (in time order within one)."""
        yield from self.db.execute(
            f"SELECT item_id, at, CASE kind {_CODE} END, actor, {_VALUE} FROM events "
            f"WHERE kind IN ({_KINDS}) AND item_id IN (SELECT value FROM json_each(?)) "
            "ORDER BY item_id, at",
            [json.dumps(list(item_ids))],
        )


def baseline_first_response_median(db: sqlite_utils.Database) -> dict[str, int]:
    """Benchmark baseline: median (lower) time from received to first reply, per network.

    One query, none of the report's rules (undo, reopen, exclusions, SLA): the
    cheapest honest SQL answer to "how fast do we answer", to compare speed with. It
    reads the report's own index (`events_report`, which the second `kind IN` lets it
    use): left to choose, SQLite may walk `events_item` with a table lookup per event
    (it does in an ANALYZEd store, 2.7x slower at 1M events), a handicap that would
    flatter the report.
    """
    sql = f"""
    WITH first AS (
      SELECT item_id,
             min(CASE WHEN kind = 'received' THEN at END) AS received,
             min(CASE WHEN kind = 'replied' THEN at END) AS replied
      FROM events INDEXED BY events_report
      WHERE kind IN ('received', 'replied') AND kind IN ({_KINDS})
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
