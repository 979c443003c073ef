"""The cmdesk Textual app: opens the store, registers themes, syncs in the background."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

import httpx
from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from cmdesk.config import Config
from cmdesk.model import Account, SyncState
from cmdesk.sync import SyncEngine
from cmdesk.tui.backend import Backend
from cmdesk.tui.screens.inbox import InboxScreen
from cmdesk.tui.themes import load_themes, theme_dirs

FALLBACK_THEME = "textual-dark"


class CmdeskApp(App[None]):
    CSS_PATH = "cmdesk.tcss"
    TITLE = "cmdesk"
    BINDINGS = [Binding("ctrl+p", "command_palette", "Commands", show=False)]

    def __init__(
        self,
        db_path: Path,
        config: Config,
        *,
        transport: httpx.AsyncBaseTransport | None,
        tokens: Callable[[Account], str | None],
        demo: bool = False,
        sync_on_start: bool = True,
    ) -> None:
        super().__init__()
        self.config = config
        self.agent = config.agent
        self.demo = demo
        self.backend = Backend(db_path)
        self.engine = SyncEngine(
            self.backend.writer,
            config.accounts,
            tokens,
            transport=transport,
            run=self.backend.write,
        )
        self.sync_on_start = sync_on_start
        self.sub_title = ("demo · " if demo else "") + str(db_path)

    def on_mount(self) -> None:
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
        if self.sync_on_start:
            self.sync_now()
        if not self.demo and self.config.accounts:
            self.set_interval(self.config.sync_interval, self.sync_now)

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

    def sync_now(self) -> None:
        if self.config.accounts:
            self._sync()

    @work(exclusive=True, group="sync")
    async def _sync(self) -> None:
        screen = self._inbox()
        if screen is None:
            return
        screen.status.syncing = {account.name for account in self.config.accounts}
        screen.status.redraw()
        states = await self.engine.run_once()
        self.show_sync(states)

    def show_sync(self, states: list[SyncState]) -> None:
        screen = self._inbox()
        if screen is None:
            return
        screen.status.syncing.clear()
        for state in states:
            screen.status.states[state.account] = state
        screen.status.redraw()
        if any(state.new_items for state in states):
            screen.reload()

    def _inbox(self) -> InboxScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, InboxScreen):
                return screen
        return None

    def report_error(self, message: str) -> None:
        """One line where the user looks; the app keeps running."""
        self.notify(message, severity="error", timeout=8)

    async def on_unmount(self) -> None:
        await self.engine.aclose()
        self.backend.close()
