"""Reading the inbox list's rows: by id, a page at a time, in async workers, into a
bounded cache. A mixin of `InboxList`, which draws what this has read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from cmdesk.model import Item

if TYPE_CHECKING:
    from cmdesk.tui.widgets.inbox_list import InboxList

PAGE = 100
CACHE_SIZE = 5_000
Loader = Callable[[Sequence[int]], Awaitable[dict[int, Item]]]


class RowReading:
    """`render_line` never waits on a read: a row not read yet asks for its page here."""

    async def fill(self: InboxList) -> None:
        """Read the visible rows now: before a long read (a million ids) queues up on the
        store, whose reads run one at a time, so the first rows never wait behind it."""
        top = round(self.scroll_offset.y)
        for page in range(top // PAGE, (top + max(1, self.size.height)) // PAGE + 1):
            rowids = list(self.ids[page * PAGE : (page + 1) * PAGE])
            if rowids and page not in self._pending:
                self._pending.add(page)
                await self._fetch(page, rowids)

    def _request(self: InboxList, index: int) -> None:
        page = index // PAGE
        if page in self._pending:
            return
        self._pending.add(page)
        rowids = list(self.ids[page * PAGE : (page + 1) * PAGE])
        self.run_worker(self._fetch(page, rowids), group="rows")

    async def load(self: InboxList, rowids: list[int]) -> None:
        """Read these rows now if the list has not yet: a key acting on a row not drawn
        yet (right after a reload) waits for it instead of being dropped."""
        missing = [rowid for rowid in rowids if rowid not in self._cache]
        if missing:
            self._keep(await self._loader(missing))

    async def _fetch(self: InboxList, page: int, rowids: list[int]) -> None:
        try:
            rows = await self._loader(rowids)
        finally:
            self._pending.discard(page)
        self._keep(rows)

    def _keep(self: InboxList, rows: dict[int, Item]) -> None:
        for rowid, item in rows.items():
            self._cache[rowid] = item
            self._cache.move_to_end(rowid)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        self.refresh()
        if self.current_rowid in rows:
            self._announce(force=True)
