"""The composer: a suggested reply rendered for this item, edited by the CM, then queued.

The search box re-ranks the whole library per keystroke, and the new ranking is
on screen in the frame that echoes the key: the search runs on the keystroke
(off the UI thread for a library too large for that), and the list redraws only
its own rows (see `cmdesk.tui.widgets.reply_results`). The length is counted the
way the item's network counts it; banned words warn before sending. Every change
is autosaved as a draft (debounced), so a crash loses nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static, TextArea
from textual.worker import get_current_worker

from cmdesk.model import Item
from cmdesk.replies.compose import fill, personalisation
from cmdesk.replies.library import Reply
from cmdesk.replies.limits import banned_in, counted_length, limit_for
from cmdesk.replies.suggest import Suggestion, SuggestionIndex
from cmdesk.store import Draft, StoreError
from cmdesk.text import one_line, visible
from cmdesk.tui.widgets.reply_results import ReplyResults, ResultRow
from cmdesk.tui.widgets.search_box import SearchBox

if TYPE_CHECKING:
    from cmdesk.tui.app import CmdeskApp

AUTOSAVE_S = 0.4
#: Above this many characters the length and banned words are counted when typing pauses.
LARGE_TEXT = 5_000
#: Replies the search box lists.
SEARCH_LIMIT = 12
#: Up to this many replies the search runs on the keystroke, so the key and its ranking
#: show in the same frame: its slowest query (a one-letter prefix) takes 3-6 ms at 1,000
#: replies, 8-15 ms at 2,000 on two cores. A larger library is searched in a thread (a
#: short prefix costs 60-90 ms at 10,000): the box echoes each key at once and the
#: ranking follows a frame or more later.
INLINE_SEARCH = 2_000
#: Characters of a reply's rendered text shown after its title.
PREVIEW = 70
#: Rankings the composer keeps, by query (a few hundred bytes each).
RANKINGS_KEPT = 256


@dataclass(frozen=True, slots=True)
class Queued:
    """What the composer hands back when the CM queued a reply."""

    item_id: str
    key: str


class ComposerScreen(Screen[Queued | None]):
    class Ranked(Message):
        """A search run in a thread finished: `ranked` is the library ranked for `query`."""

        def __init__(self, query: str, ranked: list[Suggestion]) -> None:
            super().__init__()
            self.query = query
            self.ranked = ranked

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
        typed: Callable[[], list[events.Key]] | None = None,
    ) -> None:
        super().__init__()
        #: The keys typed while this screen opened (`InboxList.release_keys`).
        self._typed = typed
        self.item = item
        self.agent = agent
        self.index = index
        self.suggestions = suggestions
        #: The replies the list shows, best first, and the search they answer.
        self.shown: list[Reply] = [s.reply for s in suggestions]
        self.shown_for = ""
        #: What the search box holds (stripped): the ranking the list must catch up with.
        self.wanted = ""
        #: Per reply id: its text rendered for this item, on one line, cut for the list.
        self._previews: dict[str, str] = {}
        #: Rankings already made, per query (touched on the UI thread only).
        self._ranked: dict[str, list[Suggestion]] = {}
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
            yield SearchBox(placeholder="Search the reply library (↓ to pick)", id="reply-search")
            yield ReplyResults(
                self._rows(self.suggestions), empty=self._empty(""), id="reply-results"
            )
            yield TextArea(self.initial, id="reply-text", soft_wrap=True, show_line_numbers=False)
            yield Static("", id="composer-status")
        yield Footer()

    def on_mount(self) -> None:
        # A watcher, not `Input.Changed`: that message reaches the screen after the
        # frame echoing the key is painted, and the ranking a frame (16 ms) later.
        self.watch(self.query_one("#reply-search", Input), "value", self._search, init=False)
        editor = self.query_one(TextArea)
        editor.focus()
        editor.move_cursor(editor.document.end)
        for key in self._typed() if self._typed else ():
            editor.post_message(events.Key(key.key, key.character))
        self._update_status()
        if self.restored:
            self.notify("Draft restored.", timeout=3)

    # -- library search -----------------------------------------------------

    def _rows(self, ranked: list[Suggestion]) -> list[ResultRow]:
        rows = []
        for suggestion in ranked:
            reply = suggestion.reply
            title, why = one_line(reply.title), one_line(suggestion.matched)
            rows.append(ResultRow(reply.id, title, self._preview(reply), why))
        return rows

    def _preview(self, reply: Reply) -> str:
        """The reply as this item would get it, rendered once per composer, not per key."""
        preview = self._previews.get(reply.id)
        if preview is None:
            text = one_line(fill(reply, self.item, self.agent))
            preview = self._previews[reply.id] = text[:PREVIEW]
        return preview

    def _empty(self, query: str) -> str:
        if self.index is None:
            return "No reply library loaded: write the reply from scratch."
        if query:
            return "No reply in the library matches this search."
        return "No suggestion for this message: type to search the library."

    def _rank(self, query: str) -> list[Suggestion]:
        """The library ranked for `query`, each query searched once per composer."""
        if not query or self.index is None:
            return self.suggestions
        ranked = self._ranked.get(query)
        if ranked is None:
            ranked = self._search_library(self.index, query)
            self._remember(query, ranked)
        return ranked

    def _search_library(self, index: SuggestionIndex, query: str) -> list[Suggestion]:
        """Pure, so a thread can run it: the index is swapped whole, never edited."""
        item = self.item
        return index.search(
            query, lang=item.lang, network=item.network, brand=item.brand, limit=SEARCH_LIMIT
        )

    def _remember(self, query: str, ranked: list[Suggestion]) -> None:
        """Keep a ranking: erasing a word goes back through the ones typing it made."""
        if len(self._ranked) >= RANKINGS_KEPT:
            self._ranked.clear()
        self._ranked[query] = ranked

    def _show(self, query: str, ranked: list[Suggestion]) -> None:
        self.shown = [s.reply for s in ranked]
        self.shown_for = query
        self.query_one(ReplyResults).show(self._rows(ranked), empty=self._empty(query))

    def _search(self, value: str) -> None:
        """Watches the box's value: runs as the key changes it, before the next frame."""
        self.wanted = query = value.strip()
        index = self.index
        if query and index is not None and len(index) > INLINE_SEARCH and query not in self._ranked:
            self._rank_in_thread(index, query)
        else:
            self._show(query, self._rank(query))

    @work(thread=True, exclusive=True, group="reply-search")
    def _rank_in_thread(self, index: SuggestionIndex, query: str) -> None:
        ranked = self._search_library(index, query)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Ranked(query, ranked))

    @on(Ranked)
    def _thread_ranked(self, message: Ranked) -> None:
        self._remember(message.query, message.ranked)
        if message.query == self.wanted:  # else a later key's search is on its way
            self._show(message.query, message.ranked)

    @on(Input.Submitted, "#reply-search")
    def _pick_first(self) -> None:
        if self.shown_for != self.wanted:  # Enter before a thread's ranking came back
            self._show(self.wanted, self._rank(self.wanted))
        if self.shown:
            self.use(self.shown[0])

    @on(ReplyResults.Chosen, "#reply-results")
    def _picked(self, event: ReplyResults.Chosen) -> None:
        self.use(next(r for r in self.shown if r.id == event.reply_id))

    def use(self, reply: Reply) -> None:
        """Put this reply in the editor; Ctrl+Z in the editor brings the previous text back."""
        editor = self.query_one(TextArea)
        self.reply_id, self.template = reply.id, fill(reply, self.item, self.agent)
        editor.replace(self.template, editor.document.start, editor.document.end)
        editor.focus()

    def key_down(self) -> None:
        if self.focused is self.query_one("#reply-search", Input):
            self.query_one(ReplyResults).focus()

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
