"""The suggestions panel: the best canned replies for the highlighted item, and why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Group
from rich.text import Text
from textual.widgets import Static

from cmdesk.model import Item
from cmdesk.replies.compose import fill
from cmdesk.text import one_line

if TYPE_CHECKING:
    from cmdesk.replies.suggest import Suggestion


def render_suggestions(suggestions: list[Suggestion], item: Item, agent: str) -> Group | Text:
    if not suggestions:
        return Text("No suggestion: r writes from scratch.", style="dim")
    lines: list[Text] = [Text("Suggested replies (1-5 starts from one, r the best)", style="bold")]
    for n, suggestion in enumerate(suggestions, 1):
        reply = suggestion.reply
        line = Text(f"{n} ", style="bold reverse")
        line.append(f" {one_line(reply.title)}", style="bold")
        line.append(f"  {suggestion.score:.0f}", style="dim")
        lines.append(line)
        lines.append(Text(f"   {one_line(fill(reply, item, agent))[:90]}", style="dim"))
        lines.append(Text(f"   ↳ {one_line(suggestion.matched)}", style="italic dim"))
    return Group(*lines)


class SuggestionsPanel(Static):
    """Shown under the detail pane; updated off the UI thread by the inbox screen."""

    def show(self, suggestions: list[Suggestion], item: Item, agent: str) -> None:
        # Its height is fixed in CSS: new suggestions repaint the panel, not the screen.
        self.update(render_suggestions(suggestions, item, agent), layout=False)
