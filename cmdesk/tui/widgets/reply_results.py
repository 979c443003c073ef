"""The composer's list of library replies: one line per reply, drawn with the Line API.

The search box re-ranks the library per keystroke, so this list is redrawn per
keystroke. It mounts no widget per reply and never changes its height (the
`OptionList` it replaces, of auto height, was cleared and refilled per key, and
Textual laid out the whole screen again each time). It redraws only the lines a
new ranking changes, each a `Strip` of plain strings, so a reply's text is never
read as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget


@dataclass(frozen=True, slots=True)
class ResultRow:
    """One reply as the list shows it, every text already on one line."""

    reply_id: str
    title: str
    preview: str
    why: str


class ReplyResults(Widget, can_focus=True):
    """Ranked replies with a cursor; Enter or a click picks one."""

    BINDINGS = [
        Binding("down", "cursor(1)", "Down", show=False),
        Binding("up", "cursor(-1)", "Up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("home", "edge(0)", "First", show=False),
        Binding("end", "edge(1)", "Last", show=False),
        Binding("enter", "choose", "Use reply", show=False),
    ]

    COMPONENT_CLASSES = {"reply-results--cursor", "reply-results--scrollbar"}

    # The look of the OptionList this replaces. The height is fixed on purpose (see above).
    DEFAULT_CSS = """
    ReplyResults {
        height: 8;
        border: tall $border-blurred;
        padding: 0 1;
        background: $surface;
        color: $foreground;
        &:focus {
            border: tall $border;
            background-tint: $foreground 5%;
        }
        & > .reply-results--cursor {
            color: $block-cursor-blurred-foreground;
            background: $block-cursor-blurred-background;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .reply-results--cursor {
            color: $block-cursor-foreground;
            background: $block-cursor-background;
            text-style: $block-cursor-text-style;
        }
        & > .reply-results--scrollbar {
            color: $scrollbar;
            background: $scrollbar-background;
        }
    }
    """

    class Chosen(Message):
        """The CM picked a reply (Enter on the list, or a click)."""

        def __init__(self, results: ReplyResults, reply_id: str) -> None:
            super().__init__()
            self.results = results
            self.reply_id = reply_id

        @property
        def control(self) -> ReplyResults:
            """The list it came from (what `@on(..., selector)` matches)."""
            return self.results

    def __init__(
        self, rows: Sequence[ResultRow] = (), *, empty: str = "", id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.rows: tuple[ResultRow, ...] = tuple(rows)
        #: Shown, dimmed, when there is no row.
        self.empty = empty
        self.cursor = 0
        #: Index of the row on the first visible line.
        self.top = 0
        self._styles: dict[str, Style] | None = None

    def show(self, rows: Sequence[ResultRow], *, empty: str = "") -> None:
        """Swap in a new ranking, the cursor on its first row.

        Only the lines that differ are redrawn: while a word is typed out, most keys
        leave the top rows where they were.
        """
        before = self._lines()
        self.rows, self.empty = tuple(rows), empty
        self.cursor = self.top = 0
        after = self._lines()
        if len(before) != len(after):
            self.refresh()
            return
        width = self.size.width
        for y, (old, new) in enumerate(zip(before, after, strict=True)):
            if old != new:
                self.refresh(Region(0, y, width, 1))

    @property
    def highlighted(self) -> ResultRow | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    # -- movement -----------------------------------------------------------

    def move_to(self, index: int) -> None:
        if not self.rows:
            return
        index = max(0, min(index, len(self.rows) - 1))
        if index == self.cursor:
            return
        old, top = self.cursor, self.top
        self.cursor = index
        self._scroll_to_cursor()
        if self.top != top:
            self.refresh()
        else:
            self._refresh_row(old)
            self._refresh_row(index)

    def action_cursor(self, delta: int) -> None:
        self.move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.move_to(self.cursor + direction * max(1, self.size.height - 1))

    def action_edge(self, end: int) -> None:
        self.move_to(len(self.rows) - 1 if end else 0)

    def action_choose(self) -> None:
        row = self.highlighted
        if row is not None:
            self.post_message(self.Chosen(self, row.reply_id))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or not 0 <= self.top + offset.y < len(self.rows):
            return
        self.move_to(self.top + offset.y)
        self.action_choose()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self._scroll(1)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self._scroll(-1)

    def _scroll(self, delta: int) -> None:
        top = max(0, min(self.top + delta, len(self.rows) - self.size.height))
        if top != self.top:
            self.top = top
            self.refresh()

    def _scroll_to_cursor(self) -> None:
        height = max(1, self.size.height)
        if self.cursor < self.top:
            self.top = self.cursor
        elif self.cursor >= self.top + height:
            self.top = self.cursor - height + 1

    def _refresh_row(self, index: int) -> None:
        y = index - self.top
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def on_resize(self) -> None:
        self._scroll_to_cursor()
        self.top = max(0, min(self.top, len(self.rows) - self.size.height))

    # -- rendering ----------------------------------------------------------

    def notify_style_update(self) -> None:
        self._styles = None
        super().notify_style_update()

    def _style(self, name: str) -> Style:
        """Rich styles for the rows, computed once until the widget's styles change."""
        if self._styles is None:
            base = self.rich_style
            cursor = base + self.get_component_rich_style("reply-results--cursor")
            bar = self.get_component_rich_style("reply-results--scrollbar")
            bold, dim, italic = Style(bold=True), Style(dim=True), Style(italic=True)
            self._styles = {
                "base": base,
                "base bold": base + bold,
                "base dim": base + dim,
                "base italic": base + italic,
                "cursor": cursor,
                "cursor bold": cursor + bold,
                "cursor dim": cursor + dim,
                "cursor italic": cursor + italic,
                "thumb": Style(color=bar.color, bgcolor=bar.color),
                "track": Style(bgcolor=bar.bgcolor),
            }
        return self._styles[name]

    def _lines(self) -> list[tuple[object, ...]]:
        """What each visible line shows, to compare before and after a change."""
        height = self.size.height
        if not self.rows:
            return [("empty", self.empty if y == 0 else "") for y in range(height)]
        overflow = len(self.rows) > height
        lines: list[tuple[object, ...]] = []
        for y in range(height):
            index = self.top + y
            row = self.rows[index] if index < len(self.rows) else None
            thumb = self._thumb(y) if overflow else None
            lines.append((index, row, index == self.cursor, thumb))
        return lines

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self._style("base")
        if not self.rows:
            if y == 0 and self.empty:
                return Strip([Segment(self.empty, self._style("base dim"))]).adjust_cell_length(
                    width, base
                )
            return Strip.blank(width, base)
        overflow = len(self.rows) > self.size.height
        text_width = width - 1 if overflow else width
        index = self.top + y
        if index < len(self.rows):
            look = "cursor" if index == self.cursor else "base"
            strip = self._row(index + 1, self.rows[index], look, text_width)
        else:
            strip = Strip.blank(text_width, base)
        if overflow:
            look = self._style("thumb" if self._thumb(y) else "track")
            strip = Strip([*strip, Segment(" ", look)])
        return strip

    def _row(self, number: int, row: ResultRow, look: str, width: int) -> Strip:
        bold = self._style(f"{look} bold")
        segments = [
            Segment(f"{number} ", bold),
            Segment(row.title, bold),
            Segment(f"  {row.preview}", self._style(f"{look} dim")),
        ]
        if row.why:
            segments.append(Segment(f"  · {row.why}", self._style(f"{look} italic")))
        return Strip(segments).adjust_cell_length(width, self._style(look))

    def _thumb(self, y: int) -> bool:
        """Whether line `y` of the one-cell scrollbar is on its thumb (the visible rows)."""
        height, total = self.size.height, len(self.rows)
        start = self.top * height // total
        end = max(start + 1, -(-(self.top + height) * height // total))
        return start <= y < end
