"""Inbox views: a filter and an order, turned into a compact array of row ids.

A million row ids are 8 MB in an `array('q')`; the list widget renders only
what is visible and fetches those rows by id.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from cmdesk.model import WAITING, Status
from cmdesk.store.reporting import clock_starts

#: "Goes first": asked of each row of a waiting view with its account, network, brand,
#: author handle and the time its SLA clock started (the inbox: "is it breached?").
FirstTest = Callable[[str, str, str, str, int], bool]
SLA_COLUMNS = "rowid, account, network, brand, author_handle, received_at"

#: Search results are capped: the newest matches are the ones a CM is after.
SEARCH_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class View:
    """What the inbox shows. `statuses=None` means every status."""

    title: str
    statuses: tuple[Status, ...] | None = WAITING
    network: str | None = None
    brand: str | None = None
    search: str | None = None

    def matches(self, status: Status, network: str, brand: str) -> bool:
        """Whether an item with these fields still belongs here (after a triage action)."""
        if self.search is not None:
            return True
        return (
            (self.statuses is None or status in self.statuses)
            and (self.network is None or network == self.network)
            and (self.brand is None or brand == self.brand)
        )


OPEN = View("Open")
SNOOZED = View("Snoozed", (Status.SNOOZED,))
REPLIED = View("Replied", (Status.REPLIED,))
DONE = View("Done", (Status.DONE,))
HIDDEN = View("Hidden & spam", (Status.HIDDEN, Status.SPAM))
ALL = View("All", None)
BASE_VIEWS = (OPEN, SNOOZED, REPLIED, DONE, HIDDEN, ALL)


def available_views(db: sqlite_utils.Database) -> list[View]:
    """The fixed views, then the open queue of each network and of each brand."""
    networks = _distinct(db, "network")
    brands = _distinct(db, "brand")
    return [
        *BASE_VIEWS,
        *(View(f"Open · {network}", network=network) for network in networks),
        *(View(f"Open · {brand}", brand=brand) for brand in brands),
    ]


def _distinct(db: sqlite_utils.Database, column: str) -> list[str]:
    """The column's distinct values in order, one index seek each (a DISTINCT reads 1M rows)."""
    values: list[str] = []
    value = db.execute(f"SELECT min({column}) FROM items").fetchone()[0]
    while value is not None:
        values.append(value)
        value = db.execute(
            f"SELECT min({column}) FROM items WHERE {column} > ?", [value]
        ).fetchone()[0]
    return values


def view_ids(
    db: sqlite_utils.Database,
    view: View,
    *,
    limit: int | None = None,
    first: FirstTest | None = None,
) -> array:
    """Row ids of `view` in display order: longest waiting first, search newest first;
    in a view of waiting items, the rows `first` picks come before the others.

    `limit` keeps the first ones only: a view's first screens read in a millisecond, where
    its million ids take a second. A search returns at most its `SEARCH_LIMIT` newest
    matches (FTS5 walks its index newest first: the top 200 of a common word in
    milliseconds, where a sort by rank takes 360 ms).
    """
    if view.search is not None:
        sql = (
            "SELECT f.rowid FROM items_fts f JOIN items i ON i.rowid = f.rowid "
            "WHERE items_fts MATCH ? AND i.context_only = 0 ORDER BY f.rowid DESC LIMIT ?"
        )
        params: list[Any] = [fts_query(view.search), min(limit or SEARCH_LIMIT, SEARCH_LIMIT)]
    else:
        where, params = ["context_only = 0"], []
        if view.statuses is not None:
            # Literal statuses (enum values, never user text) let SQLite pick the partial index.
            where.append(f"status IN ({','.join(repr(str(s)) for s in view.statuses)})")
        for column in ("network", "brand"):
            value = getattr(view, column)
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        # The waiting queue reads its partial index in order: no sort at a million rows.
        source = "items"
        if where == _WAITING_WHERE:  # the SLA's columns are in its own index: no row lookups
            source += " INDEXED BY items_waiting" + ("" if first is None else "_sla")
        columns = "rowid" if first is None else SLA_COLUMNS
        sql = f"SELECT {columns} FROM {source} WHERE {' AND '.join(where)} "
        sql += "ORDER BY created_at, rowid"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        if first is not None:
            return _first_then_rest(db, db.execute(sql, params), first)
    ids = array("q")
    cursor = db.execute(sql, params)
    while rows := cursor.fetchmany(10_000):
        ids.extend(row[0] for row in rows)
    return ids


_WAITING_WHERE = ["context_only = 0", "status IN ('new','open')"]


def fts_query(text: str) -> str:
    """User words to an FTS5 query: every word must match, the last one as a prefix."""
    words = re.findall(r"\w+", text)
    if not words:
        return '""'
    quoted = [f'"{word}"' for word in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def status_counts(db: sqlite_utils.Database) -> dict[Status, int]:
    rows = db.execute(
        "SELECT status, count(*) FROM items WHERE context_only = 0 GROUP BY status"
    ).fetchall()
    return {Status(status): count for status, count in rows}


def _first_then_rest(db: sqlite_utils.Database, cursor: Any, first: FirstTest) -> array:
    """The rows `first` picks, then the rest, each part in the query's order.

    The clock starts when the item was received, or when it was last reopened: those
    few items are looked up once (`clock_starts`), not per row.
    """
    reopened = [
        r[0] for r in db.execute("SELECT DISTINCT item_id FROM events WHERE kind = ?", ["reopened"])
    ]
    restarts: dict[int, int] = {}
    for at in range(0, len(reopened), 10_000):  # SQLite takes 32,766 parameters at most
        starts = clock_starts(db, reopened[at : at + 10_000])
        marks = ",".join("?" * len(starts))
        for item_id, rowid in db.execute(
            f"SELECT id, rowid FROM items WHERE id IN ({marks})", list(starts)
        ):
            restarts[rowid] = starts[item_id]
    front, back = array("q"), array("q")
    while rows := cursor.fetchmany(10_000):
        for rowid, account, network, brand, handle, received in rows:
            start = restarts.get(rowid, received)
            (front if first(account, network, brand, handle, start) else back).append(rowid)
    front.extend(back)
    return front
