"""How one inbox row looks: its columns, their styles, and the strip drawn from them.

Apart from the list (`inbox_list.py`), which decides which rows to draw and when,
and caches what this makes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from cmdesk.model import Item, Status
from cmdesk.text import one_line

#: A row's SLA badge: its text and whether it is late.
Badged = tuple[str, bool]
#: The badge of a row the SLA does not apply to, in a list that shows the column.
NO_BADGE: Badged = ("", False)
#: Cells the badge column takes when a badge is given (see `cmdesk.tui.widgets.sla_badge`).
BADGE_WIDTH = 8

NETWORK_COLOURS = {
    "mastodon": "#8c8dff",
    "bluesky": "#1185fe",
    "discourse": "#e45735",
    "reddit": "#ff4500",
    "youtube": "#ff3333",
    "facebook": "#4a7cf0",
    "instagram": "#e1306c",
    "x": "#a0a0a0",
}
STATUS_MARKS = {
    Status.NEW: "●",
    Status.OPEN: "○",
    Status.SNOOZED: "z",
    Status.REPLIED: "↩",
    Status.DONE: "✓",
    Status.HIDDEN: "h",
    Status.SPAM: "!",
}


def age(created_at: int, now_ms: int) -> str:
    """Compact waiting time: 45s, 12m, 3h, 5d."""
    seconds = max(0, (now_ms - created_at) // 1000)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def fit(text: str, width: int) -> str:
    """Pad or cut to `width` terminal cells (emoji and CJK take two), marking a cut with …."""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…"
    return set_cell_size(text, width)


@dataclass(slots=True)
class RowLook:
    """A row's styles on one base style (plain, cursor or selected), resolved once per
    base rather than per row: a page down draws every visible row anew."""

    base: Style
    dim: Style
    author: Style
    labels: Style
    sla: Style
    breached: Style
    #: Per network, its colour (networks without one are added when first drawn).
    networks: dict[str, Style]
    blank_badge: Segment

    @classmethod
    def on(cls, base: Style, component: Callable[[str], Style]) -> RowLook:
        """The look on `base`, from the list's component styles (`inbox--dim`, ...)."""
        sla, breached = component("inbox--sla"), component("inbox--breached")
        return cls(
            base=base,
            dim=base + Style(color=component("inbox--dim").color),
            author=base + component("inbox--author"),
            labels=base + Style(color=component("inbox--labels").color),
            sla=base + Style(color=sla.color, bold=sla.bold),
            breached=base + Style(color=breached.color, bold=breached.bold),
            networks={
                network: base + Style(color=colour, bold=True)
                for network, colour in NETWORK_COLOURS.items()
            },
            blank_badge=Segment(" " * (BADGE_WIDTH + 1), base),
        )

    def network(self, name: str) -> Style:
        found = self.networks.get(name)
        if found is None:
            found = self.networks[name] = self.base + Style(color="#bbbbbb", bold=True)
        return found


#: A row's texts fitted to their columns: network, brand, author, labels, text.
RowTexts = tuple[str, str, str, str, str]


def row_texts(item: Item, width: int) -> RowTexts:
    """Made once per item and width: a full repaint (every row moves after
    done-and-next) then costs styles and a strip per row, no more."""
    labels = one_line(" ".join(f"#{label}" for label in item.labels)) + " "
    return (
        fit(item.network, 9) + " ",
        fit(one_line(item.brand), 12) + " ",
        fit(one_line(item.author.label), 16) + " ",
        labels if item.labels else "",
        # Only `width` cells show, and measuring a 4,000-character post costs more than
        # the rest of the row: twice the width in characters fills it (bar zero-width).
        one_line(item.text[: width * 2]),
    )


def draw_row(
    item: Item,
    texts: RowTexts,
    look: RowLook,
    width: int,
    now: int,
    *,
    selected: bool,
    badge: Badged | None,
) -> Strip:
    """One row, exactly `width` cells. `badge` is None for a list without the SLA
    column, else what it shows (`NO_BADGE`: blank)."""
    network_cell, brand_cell, author_cell, labels_cell, text_cell = texts
    base = look.base
    segments = [
        Segment(f"{'▌' if selected else ' '}{STATUS_MARKS[item.status]} ", base),
        Segment(network_cell, look.network(item.network)),
        Segment(brand_cell, look.dim),
        Segment(author_cell, look.author),
        Segment(age(item.created_at, now).rjust(4) + " ", look.dim),
    ]
    if badge is NO_BADGE:
        segments.append(look.blank_badge)
    elif badge is not None:
        text, late = badge
        segments.append(Segment(fit(text, BADGE_WIDTH) + " ", look.breached if late else look.sla))
    if labels_cell:
        segments.append(Segment(labels_cell, look.labels))
    # The text takes the rest of the line, cut or padded here: the strip then knows its
    # length, where `adjust_cell_length` would measure every segment and copy the strip
    # (half the cost of a row, and a page down draws forty).
    room = width - sum(cell_len(segment.text) for segment in segments)
    if room < 0:  # narrower than the fixed columns
        return Strip(segments).adjust_cell_length(width, base)
    segments.append(Segment(set_cell_size(text_cell, room), base))
    return Strip(segments, width)
