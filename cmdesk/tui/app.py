"""The cmdesk Textual app: opens the store, registers themes, syncs in the background."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import os
import signal
import threading
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen

from cmdesk.config import Config
from cmdesk.model import Account, SyncState, now_ms
from cmdesk.store import StoreError
from cmdesk.tui.backend import Backend, LoopThread
from cmdesk.tui.screens.inbox import InboxScreen
from cmdesk.tui.themes import load_themes, theme_dirs

if TYPE_CHECKING:
    from cmdesk.demo import FirstSync
    from cmdesk.replies.library import Library
    from cmdesk.replies.suggest import SuggestionIndex
    from cmdesk.sync import SyncEngine, TransportFactory

FALLBACK_THEME = "textual-dark"
#: Loaded in a thread once the inbox is up, so their first use has nothing to import;
#: importing them before the first paint cost the cold start 0.1-0.2 s.
WARM_UP_MODULES = (
    "cmdesk.sync",
    "cmdesk.tui.screens.composer",
    "cmdesk.tui.screens.report",
)
WARM_UP_AFTER_S = 1.0
#: Seconds a `kill` (SIGTERM) gives the app to quit as `q` does before it ends the
#: process as the signal would have: with its terminal gone, the app cannot finish.
STOP_GRACE_S = 3.0


def _library_and_index(folder: Path) -> tuple[Library, SuggestionIndex]:
    """Run in a thread: rapidfuzz and the library's modules load there, not on the UI's."""
    from cmdesk.replies.library import load_library
    from cmdesk.replies.suggest import SuggestionIndex

    library = load_library(folder)
    return library, SuggestionIndex.build(library.replies)


def _settle_garbage() -> None:
    """Move what startup built (modules, widgets, the reply index) out of the garbage
    collector's sight: a full collection walking it landed on a key now and then
    (60-110 ms; p99 of page down at 1M items 75-89 ms -> 26 ms). No collection first:
    that would be the very pause this avoids. Then collect again, if the console
    script paused it for the start (`cmdesk.launch`)."""
    gc.freeze()
    gc.enable()


class CmdeskApp(App[None]):
    CSS_PATH = "cmdesk.tcss"
    TITLE = "cmdesk"
    BINDINGS = [Binding("ctrl+p", "command_palette", "Commands", show=False)]

    def __init__(
        self,
        db_path: Path,
        config: Config,
        *,
        transport_factory: TransportFactory | None,
        tokens: Callable[[Account], str | None],
        demo: bool = False,
        sync_on_start: bool = True,
        first_sync: FirstSync | None = None,
        library_dir: Path | None = None,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        super().__init__()
        self.config = config
        #: Now, in epoch ms, for what the screens show (SLA badges, report periods);
        #: tests and snapshots pass a fixed one.
        self.clock = clock
        self.library_dir = library_dir
        #: Built in a worker and swapped in whole; None until then.
        self.replies_index: SuggestionIndex | None = None
        #: Replies sent per library reply id, for the learned ranking.
        self.reply_usage: dict[str, int] = {}
        self.agent = config.agent
        self.demo = demo
        self.backend = Backend(db_path)
        self._tokens = tokens
        self._transport_factory = transport_factory
        self._engine: SyncEngine | None = None
        self.sync_loop = LoopThread("cmdesk-sync")
        self.sync_on_start = sync_on_start
        #: The demo's first pass, already running in another process (`cmdesk.demo`).
        self.first_sync = first_sync
        self.sub_title = ("demo · " if demo else "") + str(db_path)

    def on_mount(self) -> None:
        # A `kill` quits as `q` does: the terminal is restored and the demo's temporary
        # store removed. A closed terminal (SIGHUP) still ends the process at once:
        # there is nothing left to draw on, and exiting through it would hang.
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, self._terminated)
        themes, problems = load_themes(theme_dirs())
        for theme in themes:
            self.register_theme(theme)
        wanted = self.config.theme
        self.theme = wanted if wanted in self.available_themes else FALLBACK_THEME
        if problems:
            self.notify("Themes not loaded: " + "; ".join(problems), severity="warning")
        if wanted not in self.available_themes:
            self.notify(f"Theme {wanted!r} not found; using {FALLBACK_THEME}.", severity="warning")
        self.push_screen(InboxScreen())
        if not self.config.accounts:
            self.notify(
                "No accounts configured: add one to your config (see README), "
                "or try `cmdesk demo`.",
                timeout=10,
            )
        # After the first frame: building the index is CPU work the first paint need not share.
        self.call_after_refresh(self.load_replies)
        if self.first_sync is not None:
            self._await_first_sync(self.first_sync)
        else:
            self.drain_outbox()
            if self.sync_on_start:
                self.sync_now()
        if not self.demo and self.config.accounts:
            self.set_interval(self.config.sync_interval, self.sync_now)
        self.set_timer(WARM_UP_AFTER_S, self._warm_up)

    async def engine(self) -> SyncEngine:
        """The sync engine, built on first use: httpx and the connectors load in a thread."""
        if self._engine is None:
            sync = await asyncio.to_thread(importlib.import_module, "cmdesk.sync")
            if self._engine is None:  # another worker may have built it meanwhile
                self._engine = sync.SyncEngine(
                    self.backend.writer,
                    self.config.accounts,
                    self._tokens,
                    transport_factory=self._transport_factory,
                    run=self.backend.write,
                )
        return self._engine

    @work(group="warm-up")
    async def _warm_up(self) -> None:
        try:
            for module in WARM_UP_MODULES:
                await asyncio.to_thread(importlib.import_module, module)
        finally:  # collection comes back on whatever happened (`cmdesk.launch`)
            _settle_garbage()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette offers every inbox action by name, beside Textual's own commands."""
        yield from super().get_system_commands(screen)
        if isinstance(screen, InboxScreen):
            for binding in screen.BINDINGS:
                if isinstance(binding, Binding) and binding.description:
                    key = binding.key.split(",")[0]
                    yield SystemCommand(
                        binding.description,
                        f"Inbox action (key: {key})",
                        partial(screen.run_action, binding.action),
                    )

    @work(group="library", exclusive=True)
    async def load_replies(self) -> None:
        """Load the reply library and build its index off the UI thread, then swap it in."""
        if self.library_dir is None:
            return
        try:
            library, index = await asyncio.to_thread(_library_and_index, self.library_dir)
        except (FileNotFoundError, NotADirectoryError):
            self.notify(f"No reply library at {self.library_dir}.", severity="warning")
            return
        try:
            self.reply_usage = await self.backend.read_bulk(self.backend.bulk.reply_usage)
        except StoreError as exc:
            self.report_error(str(exc))
        self.replies_index = index
        _settle_garbage()
        if library.problems:
            first = library.problems[0]
            more = f" (+{len(library.problems) - 1} more: cmdesk replies check)"
            self.notify(f"Reply library: {first}{more}", severity="warning", timeout=10)
        screen = self._inbox()
        if screen is not None:
            screen.refresh_detail()

    def sync_now(self) -> None:
        if self.config.accounts:
            self._sync()

    @work(group="outbox", exclusive=False)
    async def drain_outbox(self) -> None:
        """Send what the outbox holds; failures show in the status bar and stay queued."""
        engine = await self.engine()
        problems = await self.sync_loop.run(engine.drain_outbox())
        try:
            self.reply_usage = await self.backend.read_bulk(self.backend.bulk.reply_usage)
        except StoreError as exc:
            problems.append(str(exc))
        screen = self._inbox()
        if screen is None:
            return
        screen.status.outbox_problem = problems[-1] if problems else ""
        screen.refresh_counts()
        for problem in problems:
            self.report_error(problem)

    @work(exclusive=True, group="sync")
    async def _sync(self) -> None:
        screen = self._inbox()
        if screen is None:
            return
        screen.status.syncing = {account.name for account in self.config.accounts}
        screen.status.redraw()
        engine = await self.engine()
        await self.sync_loop.run(engine.run_once(self._landed))
        self.drain_outbox()

    @work(exclusive=True, group="sync")
    async def _await_first_sync(self, first: FirstSync) -> None:
        """Show the forked first pass as it lands; sync here whatever it did not report."""
        screen = self._inbox()
        if screen is not None:
            screen.status.syncing = {account.name for account in self.config.accounts}
            screen.status.redraw()
        states = await asyncio.to_thread(first.wait, self._landed)
        self.first_sync = None
        if len(states) < first.accounts:
            self.sync_now()  # the child died: the usual in-process pass takes over
        else:
            self.drain_outbox()

    class Landed(Message):
        """An account's sync pass ended (posted from the sync thread, which never waits)."""

        def __init__(self, state: SyncState) -> None:
            super().__init__()
            self.state = state

    def _landed(self, state: SyncState) -> None:
        self.post_message(self.Landed(state))

    def on_cmdesk_app_landed(self, message: Landed) -> None:
        self.show_sync([message.state])

    def show_sync(self, states: list[SyncState]) -> None:
        screen = self._inbox()
        if screen is None:
            return
        for state in states:
            screen.status.syncing.discard(state.account)
            screen.status.states[state.account] = state
        screen.status.redraw()
        if any(state.new_items for state in states):
            screen.items_landed()

    def banned_words(self, brand: str) -> list[str]:
        """The brand's banned words from config, checked live in the composer."""
        settings = self.config.brands.get(brand)
        return list(settings.banned_words) if settings else []

    def _inbox(self) -> InboxScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, InboxScreen):
                return screen
        return None

    def report_error(self, message: str) -> None:
        """One line where the user looks; the app keeps running."""
        self.notify(message, severity="error", timeout=8)

    def _terminated(self) -> None:
        timer = threading.Timer(STOP_GRACE_S, os._exit, (128 + signal.SIGTERM,))
        timer.daemon = True
        timer.start()
        self.exit()

    async def on_unmount(self) -> None:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGTERM)
        if self.first_sync is not None:
            self.first_sync.stop()
        if self._engine is not None:
            await self.sync_loop.run(self._engine.aclose())
        self.sync_loop.stop()
        self.backend.close()
