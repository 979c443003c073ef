"""`cmdesk demo` as a new user sees it: recorded fixtures, real connectors, one inbox."""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import httpx
import pytest

from cmdesk.connectors.replay import Replay
from cmdesk.demo import DEMO_TOKEN, FirstSync, demo_config, demo_replay
from cmdesk.model import Status
from cmdesk.store import Store
from cmdesk.store.views import ALL
from cmdesk.tui.app import CmdeskApp

from .conftest import FIXTURES
from .tui_helpers import detail_text, list_lines, make_app, screen_lines, settle, status_text

SIZE = (160, 45)
HOSTILE = [
    "[bold]x[/]",
    "[@click=app.quit]boom[/]",
    "[link=https://evil.example]click[/link]",
    "␛[31mred␛[0m",
    "␛]52;c;ZXZpbA==␇",
]


def demo_app(db: Path, fixtures: Path = FIXTURES, replays: list[Replay] | None = None) -> CmdeskApp:
    """The app as `cmdesk demo` builds it; `replays` gets the replay (what was posted)."""

    def transport(store: Store) -> httpx.MockTransport:
        replay = demo_replay(store, fixtures)
        if replays is not None:
            replays.append(replay)
        return replay.transport()

    return make_app(
        db,
        demo_config(fixtures),
        transport_factory=transport,
        tokens=lambda _a: DEMO_TOKEN,
        demo=True,
        library_dir=FIXTURES / "replies",
    )


async def test_demo_merges_three_networks_and_several_brands(tmp_path: Path) -> None:
    app = demo_app(tmp_path / "demo.db")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        status = status_text(app)
        for account in ("brioche-masto", "pixelpost-masto", "nordlys-bsky", "pixelpost-forum"):
            assert f"✓ {account}" in status
        shown = "\n".join(list_lines(app))
        for word in ("mastodon", "bluesky", "discourse", "Brioche & Co", "Nordlys", "PixelPost"):
            assert word in shown
    store = Store(tmp_path / "demo.db")
    items = store.items_by_rowid(list(store.view_ids(ALL)))
    store.close()
    assert len(items) >= 300
    assert {item.lang for item in items.values()} >= {"fr", "en"}


async def test_the_forked_first_sync_lands_in_the_inbox(tmp_path: Path) -> None:
    """The app itself has no way to the fixtures here: all it shows came from the child."""
    config = demo_config(FIXTURES)
    first = FirstSync.start(tmp_path / "demo.db", config, FIXTURES)
    assert first is not None
    app = make_app(tmp_path / "demo.db", config, first_sync=first, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        status = status_text(app)
        assert "Open: 405" in status
        assert status.count("✓") == 5 and "⟳" not in status


async def test_a_first_sync_process_that_dies_is_done_again_in_the_app(tmp_path: Path) -> None:
    """Killed before it reported anything: the app's own pass takes over, nothing is lost."""
    first = FirstSync.start(tmp_path / "demo.db", demo_config(FIXTURES), FIXTURES)
    assert first is not None
    os.kill(first.pid, signal.SIGKILL)
    app = demo_app(tmp_path / "demo.db")
    app.first_sync = first  # as `cmdesk demo` passes it
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        status = status_text(app)
        assert "Open: 405" in status
        assert status.count("✓") == 5


async def test_hostile_text_shows_literally_and_runs_nothing(tmp_path: Path) -> None:
    app = demo_app(tmp_path / "demo.db")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for query in ("evil", "boom", "31mred", "ZXZpbA"):
            await pilot.press("slash", *query, "enter")
            await settle(pilot)
            assert app.is_running, f"searching {query!r} ran an action"
            screen = "\n".join(screen_lines(app))
            assert "Search “" in status_text(app)
            assert "\x1b" not in screen and "\x07" not in screen
            await pilot.press("escape")
            await settle(pilot)
        await pilot.press("slash", *"evil", "enter")
        await settle(pilot)
        detail = detail_text(app)
        assert "[link=https://evil.example]click[/link]" in detail
        assert "␛]52;c;ZXZpbA==␇" in detail
        for query, literal in (("boom", HOSTILE[1]), ("31mred", HOSTILE[3]), ("bold", HOSTILE[0])):
            await pilot.press("escape", "slash", *query, "enter")
            await settle(pilot)
            assert any(literal in text for text in [detail_text(app), *list_lines(app)])
        assert app.is_running


async def test_keeping_the_store_shows_what_was_done(tmp_path: Path) -> None:
    db = tmp_path / "kept.db"
    app = demo_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = app.screen.query_one("#inbox").current_item
        await pilot.press("e")
        await settle(pilot)
    again = demo_app(db)
    async with again.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "Done 1" in status_text(again)
        assert again.screen.query_one("#inbox").current_item.id != first.id
    store = Store(db)
    assert store.item(first.id).status == Status.DONE  # type: ignore[union-attr]
    assert len(store.view_ids(ALL)) == 405
    store.close()


@pytest.fixture
def broken_fixtures(tmp_path: Path) -> Path:
    """A copy of the fixtures where the forum's latest posts come back in the wrong shape."""
    copy = tmp_path / "fixtures"
    shutil.copytree(FIXTURES, copy, ignore=shutil.ignore_patterns("replies", "tools"))
    for path in (copy / "discourse").glob("*.json"):
        exchange = json.loads(path.read_text(encoding="utf-8"))
        if exchange["request"]["url"].endswith("/posts.json"):
            exchange["response"]["body"] = {"latest_posts": [{"id": "not a post"}]}
            path.write_text(json.dumps(exchange), encoding="utf-8")
    return copy


async def test_a_malformed_response_names_the_account_and_others_still_sync(
    tmp_path: Path, broken_fixtures: Path
) -> None:
    app = demo_app(tmp_path / "demo.db", broken_fixtures)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        status = status_text(app)
        assert "✗ pixelpost-forum: unexpected" in status
        assert "✓ brioche-masto" in status and "✓ nordlys-bsky" in status
        assert "discourse" not in "\n".join(list_lines(app))
        assert "mastodon" in "\n".join(list_lines(app))
