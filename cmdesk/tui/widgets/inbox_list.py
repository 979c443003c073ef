"""The inbox list: a Line-API `ScrollView` over an array of row ids.

No widget per row: `render_line` draws only what is visible, from a cache of
items fetched by id in pages by async workers. A row not yet in the cache is
drawn as a placeholder and fetched; `render_line` never waits on a read.
"""

from __future__ import annotations

import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Collection

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from cmdesk.model import Item
from cmdesk.tui.widgets.inbox_reading import CACHE_SIZE, Loader, RowReading
from cmdesk.tui.widgets.inbox_row import (
    NO_BADGE,
    Badged,
    RowLook,
    RowTexts,
    draw_row,
    row_texts,
)
from cmdesk.tui.widgets.scrolling import set_virtual_size

#: Removals remembered for an in-place undo.
UNDO_DEPTH = 100
#: A row's SLA badge: its text and whether it is late, or None for no badge.
Badge = Callable[[Item], "Badged | None"]


class InboxList(RowReading, ScrollView, can_focus=True):
    """The queue. Keeps the cursor on the same item when its ids are swapped."""

    BINDINGS = [
        Binding("j,down", "cursor(1)", "Down", show=False),
        Binding("k,up", "cursor(-1)", "Up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("g,home", "edge(0)", "Top", show=False),
        Binding("G,end", "edge(1)", "Bottom", show=False),
    ]

    COMPONENT_CLASSES = {
        "inbox--cursor",
        "inbox--selected",
        "inbox--dim",
        "inbox--labels",
        "inbox--author",
        "inbox--sla",
        "inbox--breached",
    }

    DEFAULT_CSS = """
    InboxList { overflow-x: hidden; overflow-y: scroll; }
    InboxList > .inbox--cursor { background: $accent 40%; text-style: bold; }
    InboxList:focus > .inbox--cursor { background: $accent 70%; }
    InboxList > .inbox--selected { background: $secondary 30%; }
    InboxList > .inbox--dim { color: $text-muted; }
    InboxList > .inbox--labels { color: $warning; }
    InboxList > .inbox--author { color: $text; text-style: bold; }
    InboxList > .inbox--sla { color: $text-muted; }
    InboxList > .inbox--breached { color: $error; text-style: bold; }
    """

    class Highlighted(Message):
        """The cursor rests on another item (or on none)."""

        def __init__(self, item: Item | None) -> None:
            super().__init__()
            self.item = item

    def __init__(
        self, loader: Loader, *, id: str | None = None, badge: Badge | None = None
    ) -> None:
        super().__init__(id=id)
        self._loader = loader
        #: With a badge, every row keeps a column for it (blank where none applies).
        self._badge = badge
        self.ids = array("q")
        self.cursor = 0
        #: Whether the CM put the cursor where it is (moved there, or opened the row).
        #: Until then it stays at the top of the queue as the view loads and syncs land.
        self.chosen = False
        #: Keys that reached the list while the composer opens (`hold_keys`).
        self._held: list[events.Key] | None = None
        #: Selected row ids, in the order the CM picked them.
        self.selected: dict[int, None] = {}
        self._cache: OrderedDict[int, Item] = OrderedDict()
        self._pending: set[int] = set()
        self._announced: int | None = None
        self._style: Style | None = None
        self._looks: dict[Style, RowLook] = {}
        #: Per row id: the item and width its texts were fitted for, and the texts.
        self._cells: dict[int, tuple[Item, int, RowTexts]] = {}
        #: Per row id: what its last strip was drawn from, and the strip. After
        #: done-and-next every row moves up a line: all but one are drawn already.
        self._strips: dict[int, tuple[tuple[object, ...], Strip]] = {}
        #: What each recent `remove` took out, and where from, for `restore`.
        self._removals: list[tuple[set[int], list[tuple[int, int]]]] = []

    # -- data ---------------------------------------------------------------

    def set_ids(self, ids: array, keep: int | None = None) -> None:
        """Swap in a new order; keep the cursor on row `keep` if it is still there."""
        self.ids = ids
        self._pending.clear()
        self._removals.clear()
        if keep is not None:
            try:
                self.cursor = ids.index(keep)
            except ValueError:
                self.cursor = min(self.cursor, max(0, len(ids) - 1))
        else:
            self.cursor = 0
            self.chosen = False
        if self.selected:
            present = set(ids)
            self.selected = {rowid: None for rowid in self.selected if rowid in present}
        self._resize_virtual()
        self._scroll_to_cursor()
        self.refresh()
        self._announce(force=True)

    def remove(self, rowids: set[int]) -> None:
        """Drop rows that left the view; the cursor lands on the next remaining row.

        A few rows (the usual case) are found with C-speed scans and deleted in
        place, so done-and-next stays instant on a million-row array.
        """
        if not rowids:
            return
        if len(rowids) <= 256:
            positions = sorted(self._position(rowid) for rowid in rowids)
            positions = [p for p in positions if p >= 0]
            removed_before = sum(1 for p in positions if p < self.cursor)
            self._removals.append((set(rowids), [(p, self.ids[p]) for p in positions]))
            del self._removals[:-UNDO_DEPTH]
            for position in reversed(positions):
                del self.ids[position]
        else:
            self._removals.clear()
            removed_before = sum(1 for r in self.ids[: self.cursor] if r in rowids)
            self.ids = array("q", (rowid for rowid in self.ids if rowid not in rowids))
        for rowid in rowids:
            self.selected.pop(rowid, None)
        self.cursor = min(self.cursor - removed_before, max(0, len(self.ids) - 1))
        self._scroll_to_cursor()
        self.refresh()
        # A new virtual height means a layout of the whole screen (tens of ms with the
        # detail pane to measure): the rows go first, the scrollbar a frame later.
        self.call_after_refresh(self._resize_virtual)
        self._announce(force=True)

    def restore(self, rowids: Collection[int]) -> bool:
        """Undo of the latest `remove`: its rows go back where they were, the cursor on
        the topmost. False (nothing done) when they are not what it removed, or the
        order was swapped since: then only a reload of the view can place them.
        """
        if not rowids or not self._removals or self._removals[-1][0] != set(rowids):
            return False
        _, positions = self._removals.pop()
        for position, rowid in positions:  # ascending: each lands where it was
            self.ids.insert(position, rowid)
            self._cache.pop(rowid, None)
        self.cursor = positions[0][0]
        if self.cursor >= self.virtual_size.height - self.size.height:
            self._resize_virtual()  # near the end, scrolling to the cursor needs the new height
        else:
            self.call_after_refresh(self._resize_virtual)
        self._scroll_to_cursor()
        self.refresh()
        self._announce(force=True)
        return True

    def _position(self, rowid: int) -> int:
        """Index of `rowid`, looking near the cursor first (where actions happen)."""
        start = max(0, self.cursor - 512)
        try:
            return self.ids.index(rowid, start, start + 1024)
        except ValueError:
            try:
                return self.ids.index(rowid)
            except ValueError:
                return -1

    def forget(self, rowids: set[int]) -> None:
        """Cached rows that changed in the store: fetch them again. Only rows on screen
        are redrawn, and the detail pane is told only when the current row changed: after
        done-and-next the rows forgotten are the ones that left, and redrawing the list
        and the pane for them was a second frame and a second detail read per key."""
        for rowid in rowids:
            self._cache.pop(rowid, None)
        top = round(self.scroll_offset.y)
        if not rowids.isdisjoint(self.ids[top : top + max(1, self.size.height)]):
            self.refresh()
        if self.current_rowid in rowids:
            self._announce(force=True)

    def forget_all(self) -> None:
        self._cache.clear()
        self.refresh()

    @property
    def current_rowid(self) -> int | None:
        return self.ids[self.cursor] if 0 <= self.cursor < len(self.ids) else None

    @property
    def current_item(self) -> Item | None:
        rowid = self.current_rowid
        return self._cache.get(rowid) if rowid is not None else None

    def cached(self, rowid: int) -> Item | None:
        return self._cache.get(rowid)

    def targets(self) -> list[int]:
        """The selection when there is one, else the row under the cursor."""
        if self.selected:
            return list(self.selected)
        rowid = self.current_rowid
        return [] if rowid is None else [rowid]

    # -- keys typed ahead ---------------------------------------------------

    def hold_keys(self) -> None:
        """Keep the keys that reach the list from now on, for `release_keys`: typed right
        after `r` (one burst from the terminal, or over SSH), they are the reply's first
        words, not the list's bindings (`x` would select, `e` close an item)."""
        self._held = []

    @property
    def holding_keys(self) -> bool:
        return self._held is not None

    def release_keys(self) -> list[events.Key]:
        """The keys held since `hold_keys`; the list takes its keys again."""
        held, self._held = self._held or [], None
        return held

    def on_key(self, event: events.Key) -> None:
        if self._held is not None:
            event.stop()  # before it bubbles up to where the bindings are checked
            event.prevent_default()
            self._held.append(event)
        elif self.screen is not self.app.screen and self.app.focused is not None:
            # Still queued here when the composer came up: the rest of the same burst.
            event.stop()
            event.prevent_default()
            self.app.focused.post_message(events.Key(event.key, event.character))

    # -- movement -----------------------------------------------------------

    def move_to(self, index: int) -> None:
        if not self.ids:
            return
        self.chosen = True
        index = max(0, min(index, len(self.ids) - 1))
        if index == self.cursor:
            return
        old = self.cursor
        self.cursor = index
        self._scroll_to_cursor()
        self._refresh_row(old)
        self._refresh_row(index)
        self._announce()

    def action_cursor(self, delta: int) -> None:
        self.move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.move_to(self.cursor + direction * max(1, self.size.height - 1))
        self.call_after_refresh(self._draw_ahead, direction)

    def action_edge(self, end: int) -> None:
        self.move_to(len(self.ids) - 1 if end else 0)

    def toggle_selected(self) -> None:
        rowid = self.current_rowid
        if rowid is None:
            return
        if rowid in self.selected:
            del self.selected[rowid]
        else:
            self.selected[rowid] = None
        self._refresh_row(self.cursor)

    def clear_selection(self) -> None:
        self.selected.clear()
        self.refresh()

    def _scroll_to_cursor(self) -> None:
        height = max(1, self.size.height)
        top = round(self.scroll_offset.y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def _refresh_row(self, index: int) -> None:
        y = index - round(self.scroll_offset.y)
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _resize_virtual(self) -> None:
        set_virtual_size(self, Size(self.size.width, len(self.ids)))

    def on_resize(self) -> None:
        self._resize_virtual()

    def _announce(self, *, force: bool = False) -> None:
        rowid = self.current_rowid
        if force or rowid != self._announced:
            self._announced = rowid
            self.post_message(self.Highlighted(self.current_item))

    # -- rendering ----------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_offset.y) + y
        width = self.size.width
        if index >= len(self.ids):
            return Strip.blank(width, self._base_style())
        rowid = self.ids[index]
        item = self._cache.get(rowid)
        if item is None:
            self._request(index)
            return Strip(
                [Segment("  …", self.get_component_rich_style("inbox--dim"))]
            ).adjust_cell_length(width, self._base_style())
        base = self._base_style()
        if index == self.cursor:
            base = base + self.get_component_rich_style("inbox--cursor")
        elif rowid in self.selected:
            base = base + self.get_component_rich_style("inbox--selected")
        return self._row(item, rowid, base, width)

    def _draw_ahead(self, direction: int) -> None:
        """Once a page move is on screen, read and draw the next page in its direction:
        a held page down then finds its rows ready instead of drawing placeholders (1M
        items: rows in place p50 23 -> 15 ms, p99 61-65 -> 27-29 ms)."""
        height, width = max(1, self.size.height), self.size.width
        top = round(self.scroll_offset.y) + direction * height
        base = self._base_style()
        for index in range(max(0, top), min(len(self.ids), top + height)):
            rowid = self.ids[index]
            item = self._cache.get(rowid)
            if item is None:
                self._request(index)
            elif rowid not in self.selected:
                self._row(item, rowid, base, width)

    def _base_style(self) -> Style:
        """`rich_style` (a walk up the DOM), computed once until the styles change."""
        if self._style is None:
            self._style = self.rich_style
        return self._style

    def notify_style_update(self) -> None:
        self._style = None
        self._looks.clear()
        self._strips.clear()
        super().notify_style_update()

    def _row(self, item: Item, rowid: int, base: Style, width: int) -> Strip:
        """The row's strip, drawn again only when what it shows may differ (ages and
        SLA badges move by the minute)."""
        now = int(time.time() * 1000)
        key = (item, width, base, rowid in self.selected, now // 60_000)
        drawn = self._strips.get(rowid)
        if drawn is not None and drawn[0] == key:
            return drawn[1]
        if len(self._strips) > 2 * CACHE_SIZE:
            self._strips.clear()
        cells = self._cells.get(rowid)
        if cells is None or cells[0] is not item or cells[1] != width:
            if len(self._cells) > 2 * CACHE_SIZE:
                self._cells.clear()
            cells = self._cells[rowid] = (item, width, row_texts(item, width))
        look = self._looks.get(base)
        if look is None:
            look = self._looks[base] = RowLook.on(base, self.get_component_rich_style)
        badge = None if self._badge is None else self._badge(item) or NO_BADGE
        strip = draw_row(
            item, cells[2], look, width, now, selected=rowid in self.selected, badge=badge
        )
        self._strips[rowid] = (key, strip)
        return strip
