"""The detail pane: the full text, the thread's parent chain, replies, the author's other items.

Everything from the internet goes through `visible()` into Rich `Text` objects,
which are never parsed as markup.
"""

from __future__ import annotations

import time
from datetime import datetime

from rich.console import Group
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from cmdesk.model import Item
from cmdesk.text import one_line, visible
from cmdesk.tui.widgets.inbox_list import age


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


class DetailPane(VerticalScroll):
    """Scrollable pane on the right of the inbox."""

    def compose(self):  # type: ignore[override]
        yield Static(Text("Nothing selected.", style="dim"), id="detail-body")

    def show(self, content: Group | Text) -> None:
        self.query_one("#detail-body", Static).update(content)
        self.scroll_home(animate=False)
