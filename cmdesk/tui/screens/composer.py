"""The composer: a suggested reply rendered for this item, edited by the CM, then queued.

The search box re-ranks the whole library per keystroke; the length is counted
the way the item's network counts it; banned words warn before sending. Every
change is autosaved as a draft (debounced), so a crash loses nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from cmdesk.model import Item
from cmdesk.replies.compose import fill, personalisation
from cmdesk.replies.library import Reply
from cmdesk.replies.limits import banned_in, counted_length, limit_for
from cmdesk.replies.suggest import Suggestion, SuggestionIndex
from cmdesk.store import Draft, StoreError
from cmdesk.text import one_line, visible

if TYPE_CHECKING:
    from cmdesk.tui.app import CmdeskApp

AUTOSAVE_S = 0.4
#: Above this many characters the length and banned words are counted when typing pauses.
LARGE_TEXT = 5_000


@dataclass(frozen=True, slots=True)
class Queued:
    """What the composer hands back when the CM queued a reply."""

    item_id: str
    key: str


class ComposerScreen(Screen[Queued | None]):
    BINDINGS = [
        Binding("ctrl+s", "queue", "Queue reply", priority=True),
        Binding("escape", "close", "Keep draft & close", priority=True),
        Binding("ctrl+f", "focus_search", "Search replies"),
        Binding("ctrl+e", "focus_editor", "Edit text"),
    ]

    app: CmdeskApp

    def __init__(
        self,
        item: Item,
        *,
        agent: str,
        index: SuggestionIndex | None,
        suggestions: list[Suggestion],
        start: Reply | None,
        draft: Draft | None,
        banned: list[str],
    ) -> None:
        super().__init__()
        self.item = item
        self.agent = agent
        self.index = index
        self.suggestions = suggestions
        self.shown: list[Reply] = [s.reply for s in suggestions]
        self.banned = banned
        self.reply_id: str | None = None
        self.template = ""
        self._confirm_banned = False
        self._autosave: Timer | None = None
        self._status_timer: Timer | None = None
        if draft is not None:
            self.reply_id, self.template, self.initial = draft.reply_id, draft.template, draft.text
        elif start is not None:
            self.reply_id, self.template = start.id, fill(start, item, agent)
            self.initial = self.template
        else:
            self.initial = ""
        self.restored = draft is not None

    def compose(self) -> ComposeResult:
        item = self.item
        with Vertical(id="composer"):
            header = Text()
            header.append(f"Reply to {visible(item.author.label)}", style="bold")
            header.append(
                f"  @{visible(item.author.handle)} · {item.network} · {visible(item.brand)}"
            )
            yield Static(header, id="composer-header")
            yield Static(Text(one_line(item.text)[:400], style="dim"), id="composer-original")
            yield Input(placeholder="Search the reply library (↓ to pick)", id="reply-search")
            yield OptionList(*self._options(self.suggestions), id="reply-results")
            yield TextArea(self.initial, id="reply-text", soft_wrap=True, show_line_numbers=False)
            yield Static("", id="composer-status")
        yield Footer()

    def on_mount(self) -> None:
        editor = self.query_one(TextArea)
        editor.focus()
        editor.move_cursor(editor.document.end)
        self._update_status()
        if self.restored:
            self.notify("Draft restored.", timeout=3)

    # -- library search -----------------------------------------------------

    def _options(self, ranked: list[Suggestion]) -> list[Option]:
        options = []
        for n, suggestion in enumerate(ranked, 1):
            reply = suggestion.reply
            line = Text(f"{n} ", style="bold")
            line.append(one_line(reply.title), style="bold")
            line.append(f"  {one_line(fill(reply, self.item, self.agent))[:70]}", style="dim")
            line.append(f"  · {one_line(suggestion.matched)}", style="italic")
            options.append(Option(line, id=reply.id))
        return options

    @on(Input.Changed, "#reply-search")
    def _search(self, event: Input.Changed) -> None:
        query = event.value.strip()
        if not query or self.index is None:
            ranked = self.suggestions
        else:
            item = self.item
            ranked = self.index.search(
                query, lang=item.lang, network=item.network, brand=item.brand, limit=12
            )
        self.shown = [s.reply for s in ranked]
        results = self.query_one(OptionList)
        results.clear_options()
        results.add_options(self._options(ranked))
        if ranked:
            results.highlighted = 0

    @on(Input.Submitted, "#reply-search")
    def _pick_first(self) -> None:
        if self.shown:
            self.use(self.shown[0])

    @on(OptionList.OptionSelected, "#reply-results")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.use(next(r for r in self.shown if r.id == event.option.id))

    def use(self, reply: Reply) -> None:
        """Put this reply in the editor; Ctrl+Z in the editor brings the previous text back."""
        editor = self.query_one(TextArea)
        self.reply_id, self.template = reply.id, fill(reply, self.item, self.agent)
        editor.replace(self.template, editor.document.start, editor.document.end)
        editor.focus()

    def key_down(self) -> None:
        if self.focused is self.query_one("#reply-search", Input):
            self.query_one(OptionList).focus()

    def action_focus_search(self) -> None:
        self.query_one("#reply-search", Input).focus()

    def action_focus_editor(self) -> None:
        self.query_one(TextArea).focus()

    # -- text, draft, status ------------------------------------------------

    @on(TextArea.Changed)
    def _changed(self) -> None:
        self._confirm_banned = False
        if len(self._text()) < LARGE_TEXT:
            self._update_status()
        else:  # a huge paste: count once typing pauses, not on every key
            if self._status_timer is not None:
                self._status_timer.stop()
            self._status_timer = self.set_timer(AUTOSAVE_S, self._update_status)
        if self._autosave is not None:
            self._autosave.stop()
        self._autosave = self.set_timer(AUTOSAVE_S, self._save_draft)

    def _text(self) -> str:
        return self.query_one(TextArea).text

    def _update_status(self) -> None:
        text = self._text()
        length = counted_length(text, self.item.network)
        limit = limit_for(self.item.network)
        line = Text()
        over = limit is not None and length > limit
        line.append(
            f"{length}" + (f" / {limit}" if limit else ""), style="bold red" if over else ""
        )
        if over:
            line.append(f"  {length - limit} over the {self.item.network} limit", style="bold red")
        banned = banned_in(text, self.banned)
        if banned:
            line.append(
                f"  ⚠ banned for {visible(self.item.brand)}: {', '.join(banned)}",
                style="bold yellow",
            )
        if self.reply_id:
            line.append(f"  · from {self.reply_id}", style="dim")
        self.query_one("#composer-status", Static).update(line)

    def _draft(self) -> Draft:
        return Draft(
            self.item.id, self._text(), self.reply_id, self.template, int(time.time() * 1000)
        )

    @work(group="draft")
    async def _save_draft(self) -> None:
        backend = self.app.backend
        draft = self._draft()
        try:
            if draft.text.strip():
                await backend.write(backend.writer.save_draft, draft)
            else:
                await backend.write(backend.writer.delete_draft, draft.item_id)
        except StoreError as exc:
            self.app.report_error(f"Draft not saved: {exc}")

    async def action_close(self) -> None:
        if self._autosave is not None:
            self._autosave.stop()
        self._save_draft()
        self.dismiss(None)

    # -- queueing -----------------------------------------------------------

    def action_queue(self) -> None:
        text = self._text().strip()
        limit = limit_for(self.item.network)
        if not text:
            self.notify("Nothing to send yet.", severity="warning")
            return
        if limit is not None and counted_length(text, self.item.network) > limit:
            self.notify(
                f"Too long for {self.item.network} ({limit} max): shorten it; the draft is kept.",
                severity="error",
            )
            return
        banned = banned_in(text, self.banned)
        if banned and not self._confirm_banned:
            self._confirm_banned = True
            self.notify(
                f"Contains {', '.join(banned)}: Ctrl+S again to send anyway.", severity="warning"
            )
            return
        self._queue(text)

    @work(group="draft", exclusive=True)
    async def _queue(self, text: str) -> None:
        if self._autosave is not None:
            self._autosave.stop()
        payload = {
            "reply_id": self.reply_id,
            "template": self.template,
            "sent": text,
            "personalisation": personalisation(self.template, text) if self.reply_id else None,
        }
        backend = self.app.backend
        try:
            key = await backend.write(
                backend.writer.queue_reply,
                self.item.id,
                self.item.account,
                payload,
                self.agent,
                int(time.time() * 1000),
            )
        except StoreError as exc:
            self.app.report_error(f"Reply not queued (draft kept): {exc}")
            self._save_draft()
            return
        self.dismiss(Queued(self.item.id, key))
