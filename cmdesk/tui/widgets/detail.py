"""The detail pane: the full text, the thread's parent chain, replies, the author's other items.

Everything from the internet goes through `visible()` into Rich `Text` objects,
which are never parsed as markup.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from rich.console import Group, RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from cmdesk.model import Item
from cmdesk.text import one_line, visible
from cmdesk.tui.widgets.inbox_row import age
from cmdesk.tui.widgets.scrolling import set_virtual_size


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M")


#: A message longer than this shows its start only: wrapping a megabyte froze the UI for seconds.
SHOWN_CHARS = 20_000


def _header(item: Item) -> Text:
    text = Text()
    text.append(one_line(item.author.label), style="bold")
    text.append(f"  @{one_line(item.author.handle)}", style="dim")
    text.append(f"  · {item.network} · {visible(item.brand)} · {item.kind}", style="dim")
    return text


def _brief(item: Item, prefix: str) -> Text:
    text = Text(prefix, style="dim")
    text.append(one_line(item.author.label), style="bold")
    text.append(": ")
    text.append(one_line(item.text[:1_000])[:200])
    return text


def render_detail(
    item: Item, parents: list[Item], replies: list[Item], others: list[Item]
) -> Group:
    """The pane's content for one item and its context."""
    now = int(time.time() * 1000)
    parts: list[Text] = []
    if parents:
        parts.append(Text("Thread", style="bold underline"))
        for depth, parent in enumerate(parents):
            parts.append(_brief(parent, "  " * depth + "↳ " if depth else ""))
        parts.append(Text(""))
    parts.append(_header(item))
    meta = f"{_when(item.created_at)} · waiting {age(item.created_at, now)} · {item.status}"
    if item.labels:
        meta += " · " + " ".join(f"#{label}" for label in item.labels)
    parts.append(Text(visible(meta), style="dim"))
    parts.append(Text(""))
    parts.append(Text(visible(item.text[:SHOWN_CHARS])))
    if len(item.text) > SHOWN_CHARS:
        more = f"… {len(item.text) - SHOWN_CHARS:,} more characters (`cmdesk export items`)"
        parts.append(Text(more, style="dim italic"))
    if item.url:
        parts.append(Text(visible(item.url), style="dim underline"))
    if replies:
        parts.append(Text(""))
        parts.append(Text(f"Replies ({len(replies)})", style="bold underline"))
        parts.extend(_brief(reply, "  ↳ ") for reply in replies)
    if others:
        parts.append(Text(""))
        parts.append(Text(f"More from {one_line(item.author.label)}", style="bold underline"))
        parts.extend(_brief(other, f"  {age(other.created_at, now):>4} ") for other in others)
    return Group(*parts)


class DetailPane(ScrollView, can_focus=True):
    """Scrollable pane on the right of the inbox, drawn line by line.

    Its content is wrapped to lines once per item (and per width or style), and
    it never changes its own size: showing the next item repaints the pane alone.
    A `Static` in a scroll container made every item a layout of the whole screen
    (20-40 ms at 120x40), which a key pressed meanwhile had to wait for.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.content: RenderableType = Text("Nothing selected.", style="dim")
        self._lines: list[Strip] = []
        self._drawn_for: tuple[int, object] | None = None

    async def show(self, content: RenderableType) -> None:
        """Show `content`, wrapped in a thread: a long post takes tens of ms to wrap,
        which the keys pressed meanwhile would otherwise wait for."""
        width, style = self.scrollable_content_region.width, self.rich_style
        lines = await asyncio.to_thread(self._wrapped, content, width, style)
        self.content = content
        self._set_lines(lines, width, style)
        self.scroll_to(0, 0, animate=False)

    def on_resize(self) -> None:
        self._rewrap()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self.is_mounted:
            self._rewrap()  # focus changes the background: wrap again with it

    def _rewrap(self) -> None:
        width, style = self.scrollable_content_region.width, self.rich_style
        if self._drawn_for != (width, style):
            self._set_lines(self._wrapped(self.content, width, style), width, style)

    def _wrapped(self, content: RenderableType, width: int, style: Style) -> list[Strip]:
        if width <= 0:
            return []
        console = self.app.console
        options = console.options.update_width(width)
        lines = console.render_lines(content, options, style=style, pad=True)
        return [Strip(line, width) for line in lines]

    def _set_lines(self, lines: list[Strip], width: int, style: Style) -> None:
        self._lines = lines
        self._drawn_for = (width, style)
        set_virtual_size(self, Size(width, len(lines)))
        self.refresh()

    def render_line(self, y: int) -> Strip:
        lines = self._lines
        index = round(self.scroll_offset.y) + y
        if index < len(lines):
            return lines[index]
        width = self.scrollable_content_region.width
        return Strip([Segment(" " * width, self.rich_style)], width)
