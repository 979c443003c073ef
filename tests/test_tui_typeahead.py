"""Keys typed ahead: a terminal hands over a burst of keys at once (a fast typist, a
paste, a slow SSH link). Those typed after `/` or `r` belong to the search box or the
reply, never to the inbox's own bindings (`x` selects, `e` closes an item)."""

from __future__ import annotations

from pathlib import Path

from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from cmdesk.model import EventKind, Status
from cmdesk.tui.screens.composer import ComposerScreen

from .test_demo import SIZE, demo_app
from .tui_helpers import current, settle, status_text, stored

NAMES = {"/": "slash", "\r": "enter", " ": "space"}


async def burst(pilot: Pilot, text: str) -> None:
    """`text` as the terminal driver hands it over in one read: every key queued at once."""
    for char in text:
        pilot.app.post_message(events.Key(NAMES.get(char, char), char))
    await settle(pilot)


async def test_a_search_typed_in_one_burst_searches_for_every_word(tmp_path: Path) -> None:
    app = demo_app(tmp_path / "d.db")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await burst(pilot, "/nordlys\r")
        assert "Search “nordlys”" in status_text(app)
        assert "selected" not in status_text(app)


async def test_a_reply_typed_in_one_burst_goes_into_the_composer(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    app = demo_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        item = current(app)
        await burst(pilot, "rxe Merci")
        assert isinstance(app.screen, ComposerScreen)
        assert app.screen.item.id == item.id  # the item under the cursor at `r`
        assert app.screen.query_one(TextArea).text.endswith("xe Merci")
        await pilot.press("escape")
        await settle(pilot)
        assert "selected" not in status_text(app)
        assert current(app).id == item.id
    assert EventKind.DONE not in stored(db, item.id)[1]


async def test_r_slash_and_digits_type_into_the_search_box(tmp_path: Path) -> None:
    app = demo_app(tmp_path / "d.db")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", "r", "slash", "2")
        assert app.screen.query_one("#search", Input).value == "r/2"
        assert not isinstance(app.screen, ComposerScreen)


async def test_s_then_1_in_one_burst_still_snoozes_for_an_hour(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    app = demo_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        item = current(app)
        await burst(pilot, "s1")
        assert not isinstance(app.screen, ComposerScreen)
        assert "Snoozed: item" in status_text(app)
    assert stored(db, item.id) == (Status.SNOOZED, [EventKind.RECEIVED, EventKind.SNOOZED])
