"""Locking a thread from the inbox, as a CM does: one key, the outbox, the platform, undo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.command import CommandPalette

from cmdesk.connectors.replay import Replay
from cmdesk.model import EventKind, Kind
from cmdesk.store import Store
from cmdesk.tui.screens.confirm import ConfirmScreen
from cmdesk.tui.screens.help import HelpScreen

from .test_demo import SIZE, demo_app
from .tui_helpers import current, notifications, screen_lines, search_to, settle, status_text

FORUM = "https://forum.pixelpost.example"


async def sent_everything(pilot) -> None:  # type: ignore[no-untyped-def]
    """Drain the outbox once more: the drain the key starts may run before its write lands."""
    pilot.app.drain_outbox()
    await settle(pilot)


def status_puts(replay: Replay) -> list[tuple[str, dict[str, str]]]:
    return [
        (request.url.path, json.loads(request.content))
        for request in replay.posted
        if request.url.path.endswith("/status.json")
    ]


async def test_l_locks_the_forum_topic_at_once_and_u_unlocks_it(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    replays: list[Replay] = []
    app = demo_app(db, replays=replays)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await search_to(pilot, "h4x0r")
        item = current(app)
        assert item.network == "discourse"
        topic_id = item.url.rsplit("/", 2)[-2]
        await pilot.press("L")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmScreen)  # the platform can unlock: no question
        assert "Lock: item (u undoes)" in status_text(app)
        assert current(app).id == item.id  # a lock closes the thread, not the item
        await sent_everything(pilot)
        (replay,) = replays
        path = f"/t/{topic_id}/status.json"
        assert status_puts(replay) == [(path, {"status": "closed", "enabled": "true"})]
        await pilot.press("u")
        await settle(pilot)
        await sent_everything(pilot)
        assert "Undone: item" in status_text(app)
        assert status_puts(replay)[1:] == [(path, {"status": "closed", "enabled": "false"})]
        assert "failed" not in notifications(app)
    store = Store(db)
    entries = store.outbox_for(item.id)
    assert [(e.action, e.state) for e in entries] == [("lock", "sent"), ("unlock", "sent")]
    kinds = [event.kind for event in store.events(item.id)]
    assert kinds[-4:] == [
        EventKind.LOCKED,
        EventKind.MODERATED,
        EventKind.UNDONE,
        EventKind.MODERATED,
    ]
    assert [e.payload["action"] for e in store.events(item.id) if e.kind == "moderated"] == [
        "lock",
        "unlock",
    ]
    assert store.item(item.id).status == item.status  # type: ignore[union-attr]
    store.close()


@pytest.mark.parametrize(
    ("query", "where", "said"),
    [
        ("briocheco", ("mastodon", Kind.MENTION), "Lock is not available on mastodon."),
        ("pot de départ", ("reddit", Kind.DM), "Lock is not available on direct messages."),
    ],
)
async def test_l_where_there_is_no_lock_says_so_and_queues_nothing(
    tmp_path: Path, query: str, where: tuple[str, Kind], said: str
) -> None:
    db = tmp_path / "d.db"
    app = demo_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await search_to(pilot, query)
        item = current(app)
        assert item is not None and (item.network, item.kind) == where
        await pilot.press("L")
        await settle(pilot)
        assert said in notifications(app)
        assert not isinstance(app.screen, ConfirmScreen)
    store = Store(db)
    assert store.outbox_for(item.id) == []
    assert EventKind.LOCKED not in [event.kind for event in store.events(item.id)]
    store.close()


async def test_undo_before_the_lock_is_sent_cancels_it(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    replays: list[Replay] = []
    app = demo_app(db, replays=replays)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await search_to(pilot, "h4x0r")
        item = current(app)
        app.drain_outbox = lambda: None  # type: ignore[method-assign]  # offline: nothing sent
        await pilot.press("L")
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert "Undone: item" in status_text(app)
    assert not any(path.endswith("/status.json") for path, _ in status_puts(replays[0]))
    store = Store(db)
    assert [(e.action, e.state) for e in store.outbox_for(item.id)] == [("lock", "cancelled")]
    assert store.item(item.id).status == item.status  # type: ignore[union-attr]
    store.close()


async def test_lock_is_in_the_help_screen_and_the_command_palette(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    app = demo_app(db)
    async with app.run_test(size=(140, 70)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert any("L" in line and "Lock thread" in line for line in screen_lines(app))
        await pilot.press("escape")
        await settle(pilot)
        await search_to(pilot, "h4x0r")
        item = current(app)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"lock thread")
        await pilot.pause(0.3)
        assert "Inbox action (key: L)" in "\n".join(screen_lines(app))
        await pilot.press("enter")
        await settle(pilot)
        assert "Lock: item (u undoes)" in status_text(app)
    store = Store(db)
    assert [e.action for e in store.outbox_for(item.id)] == ["lock"]
    store.close()
