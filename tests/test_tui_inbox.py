"""The inbox driven by the keyboard, as a CM works the queue."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from cmdesk.model import EventKind, Status, SyncState
from cmdesk.store import Store, View
from cmdesk.tui.screens.help import HelpScreen
from cmdesk.tui.widgets.inbox_list import InboxList

from .conftest import make_item
from .tui_helpers import (
    detail_text,
    list_lines,
    make_app,
    screen_lines,
    settle,
    status_text,
    stored,
)

SIZE = (140, 40)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "inbox.db"
    store = Store(path)
    items = [make_item(n, text=f"question {n} about delivery") for n in range(60)]
    items[1] = make_item(1, text="reply to question 0", parent_id="acct/0", thread_id="acct/0")
    items[5] = make_item(5, network="bluesky", brand="Nordlys", text="Nordlys tent question")
    store.ingest("acct", items, {}, int(time.time() * 1000))
    store.close()
    return path


def cursor_text(app) -> str:  # type: ignore[no-untyped-def]
    inbox = app.screen.query_one(InboxList)
    item = inbox.current_item
    return item.text if item else ""


async def test_moves_with_j_k_arrows_g_and_G(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert cursor_text(app) == "question 0 about delivery"
        await pilot.press("j", "j", "down")
        await settle(pilot)
        assert cursor_text(app) == "question 3 about delivery"
        assert "question 3 about delivery" in detail_text(app)
        await pilot.press("k", "up")
        assert cursor_text(app) == "reply to question 0"
        await pilot.press("G")
        await settle(pilot)
        assert cursor_text(app) == "question 59 about delivery"
        await pilot.press("g")
        await settle(pilot)
        assert cursor_text(app) == "question 0 about delivery"


async def test_enter_opens_with_thread_and_author_context(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "enter")
        await settle(pilot)
        shown = detail_text(app)
        assert "Thread" in shown and "question 0 about delivery" in shown
        assert "More from User 1" in shown
    status, events = stored(db, "acct/1")
    assert status == Status.OPEN and events[-1] == EventKind.OPENED


async def test_e_marks_done_and_moves_to_next_then_u_undoes(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert cursor_text(app) == "reply to question 0"
        assert "Open: 59" in status_text(app) and "Done 1" in status_text(app)
        assert "✓ Done: item (u undoes)" in status_text(app)
        assert stored(db, "acct/0") == (Status.DONE, [EventKind.RECEIVED, EventKind.DONE])
        await pilot.press("u")
        await settle(pilot)
        assert cursor_text(app) == "question 0 about delivery"
        assert "Open: 60" in status_text(app) and "✓ Undone: item" in status_text(app)
    assert stored(db, "acct/0") == (
        Status.NEW,
        [EventKind.RECEIVED, EventKind.DONE, EventKind.UNDONE],
    )


async def test_bulk_select_then_done_then_undo_restores_all(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x", "x", "x")
        assert "3 selected" in status_text(app)
        await pilot.press("e")
        await settle(pilot)
        assert "Open: 57" in status_text(app)
        assert all(stored(db, f"acct/{n}")[0] == Status.DONE for n in range(3))
        await pilot.press("u")
        await settle(pilot)
        assert "Open: 60" in status_text(app)
        assert all(stored(db, f"acct/{n}")[0] == Status.NEW for n in range(3))


async def test_u_shows_the_row_back_before_the_store_confirms(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        writer = app.backend.writer
        undo_last, release = writer.undo_last, threading.Event()

        def slow_undo(*args: Any) -> Any:
            release.wait(10)  # the store is busy: the screen must not wait for it
            return undo_last(*args)

        writer.undo_last = slow_undo  # type: ignore[method-assign]
        await pilot.press("u")
        await pilot.pause()
        assert cursor_text(app) == "question 0 about delivery"
        assert "Undone: item" in status_text(app)
        assert stored(db, "acct/0")[0] == Status.DONE  # not written yet
        release.set()
        await settle(pilot)
        assert cursor_text(app) == "question 0 about delivery"
        assert "Open: 60" in status_text(app)
    assert stored(db, "acct/0") == (
        Status.NEW,
        [EventKind.RECEIVED, EventKind.DONE, EventKind.UNDONE],
    )


async def test_u_shows_what_the_store_undid_when_another_action_came_last(db: Path) -> None:
    """The same agent closed another item elsewhere (a second cmdesk) after our `e`: the
    store undoes that one, and the screen ends up showing the store, not its guess."""
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        elsewhere = Store(db)
        elsewhere.mark_done(["acct/7"], app.agent, int(time.time() * 1000) + 1)
        elsewhere.close()
        await pilot.press("u")
        await settle(pilot)
        await asyncio.sleep(0.1)
        await settle(pilot)
        shown = "\n".join(list_lines(app))
        assert "question 0 about delivery" not in shown
        assert "question 7 about delivery" in shown
    assert stored(db, "acct/0")[0] == Status.DONE
    assert stored(db, "acct/7")[0] == Status.NEW


async def test_s_snoozes_from_the_menu(db: Path) -> None:
    app = make_app(db)
    before = int(time.time() * 1000)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert any("Tomorrow 9:00" in line for line in screen_lines(app))
        await pilot.press("2")
        await settle(pilot)
        assert "Snoozed 1" in status_text(app)
    store = Store(db)
    item = store.item("acct/0")
    store.close()
    assert item is not None and item.status == Status.SNOOZED
    assert item.snooze_until is not None
    assert abs(item.snooze_until - (before + 4 * 3600_000)) < 60_000


async def test_l_labels_and_the_row_shows_it(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        await pilot.press(*"vip", "enter")
        await settle(pilot)
        assert "#vip" in list_lines(app)[0]
    _status, events = stored(db, "acct/0")
    assert events[-1] == EventKind.LABELLED


async def test_slash_searches_full_text_and_escape_returns(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"tent", "enter")
        await settle(pilot)
        assert "Search “tent”: 1" in status_text(app)
        assert cursor_text(app) == "Nordlys tent question"
        await pilot.press("escape")
        await settle(pilot)
        assert "Open: 60" in status_text(app)


async def test_f_switches_views(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e", "f")
        await settle(pilot)
        shown = "\n".join(screen_lines(app))
        assert "Open · bluesky" in shown and "Open · Nordlys" in shown
        await pilot.press("down", "down", "down", "enter")  # Open, Snoozed, Replied, Done
        await settle(pilot)
        assert "Done: 1" in status_text(app)
        assert cursor_text(app) == "question 0 about delivery"


async def test_question_mark_lists_every_binding_and_q_quits(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=(140, 70)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        shown = "\n".join(screen_lines(app))
        for words in ("Snooze", "Undo", "Bottom", "G, end", "Views", "Select", "Hide", "Reply"):
            assert words in shown
        await pilot.press("escape", "q")
        await settle(pilot)
    assert app.return_code == 0


async def test_footer_shows_the_main_bindings(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        footer = screen_lines(app)[-2] + screen_lines(app)[-1]
        for words in ("Done", "Snooze", "Label", "Undo", "Search", "Views", "Help", "Quit"):
            assert words in footer


async def test_command_palette_runs_inbox_actions(db: Path) -> None:
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"done")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert "Done 1" in status_text(app)
    assert stored(db, "acct/0")[0] == Status.DONE


async def test_items_landing_during_a_reload_show_once_it_is_done(db: Path) -> None:
    """The demo's accounts land together while the inbox loads: each landing used to
    restart the load, leaving the list empty until the last one. The load in flight now
    finishes (its rows show) and then runs again for what landed meanwhile."""
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        reader = app.backend.reader
        view_ids, release, reads = reader.view_ids, threading.Event(), []

        def slow_view_ids(*args: Any, **kwargs: Any) -> Any:
            reads.append(kwargs.get("limit"))
            release.wait(10)  # a busy store: the landings arrive meanwhile
            return view_ids(*args, **kwargs)

        reader.view_ids = slow_view_ids  # type: ignore[method-assign]
        app.screen.reload(view=View("Open · bluesky", network="bluesky"))
        await pilot.pause()
        elsewhere = Store(db)
        landed = [make_item(100 + n, network="bluesky", text=f"new {n}") for n in range(3)]
        elsewhere.ingest("acct", landed, {}, int(time.time() * 1000))
        elsewhere.close()
        for _ in range(3):  # three accounts land, one new item each
            app.show_sync([SyncState("acct", ok=True, new_items=1)])
        await pilot.pause()
        release.set()
        await settle(pilot)
        assert reads == [200]  # the load in flight was not restarted
        assert "Open · bluesky: 4" in status_text(app)  # nor the view switch lost
        assert "Open 63 " in status_text(app)
        shown = "\n".join(list_lines(app))
        assert all(f"new {n}" in shown for n in range(3))
        assert "Nordlys tent question" in shown


async def test_the_cursor_follows_the_top_until_the_cm_moves(db: Path) -> None:
    """Items that land before the cursor's row: the queue's new top is shown while the
    CM has not picked a row; once they have (j), their row stays under the cursor."""
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        oldest, long_ago = cursor_text(app), int(time.time() * 1000) - 10**9
        for n, label in ((200, "older 1"), (201, "older 2")):
            older = make_item(n, text=label, created_at=long_ago - n)
            elsewhere = Store(db)
            elsewhere.ingest("acct", [older], {}, int(time.time() * 1000))
            elsewhere.close()
            app.show_sync([SyncState("acct", ok=True, new_items=1)])
            await settle(pilot)
            if n == 200:
                assert cursor_text(app) == "older 1"  # not picked: the new top
                await pilot.press("j", "k")
        assert cursor_text(app) == "older 1"  # picked: it stays, the new top above it
        assert list_lines(app)[0].rstrip().endswith("older 2")
        assert oldest != "older 1"


async def test_e_on_a_row_not_read_yet_waits_for_it(db: Path) -> None:
    """`e` pressed as a landing puts a new row under the cursor, before that row is read
    from the store: the key acts once it is read, it is not dropped."""
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        reader = app.backend.reader
        items_by_rowid, release = reader.items_by_rowid, threading.Event()

        def slow_rows(*args: Any) -> Any:
            release.wait(10)
            return items_by_rowid(*args)

        reader.items_by_rowid = slow_rows  # type: ignore[method-assign]
        elsewhere = Store(db)
        landed = make_item(300, text="landed first", created_at=1)
        elsewhere.ingest("acct", [landed], {}, int(time.time() * 1000))
        elsewhere.close()
        app.show_sync([SyncState("acct", ok=True, new_items=1)])
        for _ in range(50):  # the new order is in; its top row is not read yet
            await pilot.pause(0.02)
            if app.screen.inbox.ids[:1].tolist() != [] and cursor_text(app) == "":
                break
        assert cursor_text(app) == ""
        await pilot.press("e")
        release.set()
        await settle(pilot)
        assert "Done: item" in status_text(app)
    assert stored(db, "acct/300")[0] == Status.DONE
