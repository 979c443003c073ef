"""`MemorySource`: the report over `Item`s and `Event`s in memory, without a store.

Every item goes through the full fold, event by event: the reference that the
store's summaries (`cmdesk.store.summaries`) must agree with, and tests check they do.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any

from cmdesk.model import Event, Item
from cmdesk.store.reporting import METRIC_KINDS, EventRow, SummaryRow
from cmdesk.store.summaries import KEY_SEP


class MemorySource:
    """A `ReportSource` over items and events in memory, for callers without a store
    and for tests."""

    def __init__(self, items: Iterable[Item], events: Iterable[Event]) -> None:
        self._items = {item.id: item for item in items}
        rows = [row for row in map(_event_row, events) if row[2] >= 0]
        rows.sort(key=itemgetter(0, 1))
        self._events = {item_id: list(group) for item_id, group in groupby(rows, key=itemgetter(0))}

    def summaries(
        self, *, detailed: bool, starts: tuple[int, int] | None = None
    ) -> Iterator[SummaryRow]:
        """Every item goes to the full fold, which checks every start's day: `starts`
        changes nothing."""
        for item in self._items.values():
            if item.context_only or item.id not in self._events:
                continue
            key = KEY_SEP.join((item.account, item.network, item.brand))
            details = (None, None, item.id) if detailed else ()
            yield (key, None, item.author.handle, item.id, -1, 0, -1, -1, -1, None, *details)

    def events_for(self, item_ids: Sequence[str]) -> Iterator[EventRow]:
        for item_id in item_ids:
            yield from self._events.get(item_id, ())


def _event_row(event: Event) -> EventRow:
    """One `Event` reduced as the store's SQL reduces it (see `EventRow`)."""
    kind = str(event.kind)
    payload: Mapping[str, Any] = event.payload or {}
    value: float
    if kind == "replied":
        pers = payload.get("personalisation")
        value = float(pers) if payload.get("reply_id") is not None and pers is not None else -1
    elif kind == "undone":
        value = payload.get("undoes", -1)
    elif kind == "received":
        value = int(payload.get("reopens") is not None)
    else:
        value = payload.get("batch", -1)
    code = METRIC_KINDS.index(kind) if kind in METRIC_KINDS else -1
    return (event.item_id, event.at, code, event.actor, value)
