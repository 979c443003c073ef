"""Replying as a CM does: suggestions, the composer, drafts, and the outbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual import events
from textual.widgets import Input, TextArea

from cmdesk.connectors.replay import Replay
from cmdesk.model import EventKind, Status
from cmdesk.replies.library import Reply
from cmdesk.replies.suggest import SuggestionIndex
from cmdesk.store import Store
from cmdesk.text import one_line
from cmdesk.tui.screens import composer
from cmdesk.tui.screens.composer import ComposerScreen
from cmdesk.tui.widgets.reply_results import ReplyResults
from cmdesk.tui.widgets.search_box import SearchBox

from .test_demo import SIZE, demo_app
from .tui_helpers import current, notifications, screen_lines, search_to, settle


async def test_suggestions_panel_shows_the_best_replies_with_why(tmp_path: Path) -> None:
    app = demo_app(tmp_path / "d.db")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await search_to(pilot, "remboursement")
        shown = "\n".join(screen_lines(app))
        assert "Suggested replies" in shown
        assert "1  Remboursement" in shown
        assert "words: remboursement" in shown or "“" in shown


async def test_r_opens_the_best_reply_rendered_and_ctrl_s_sends_it(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    replays: list[Replay] = []
    app = demo_app(db, replays=replays)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await search_to(pilot, "remboursement")
        item = current(app)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen)
        editor = app.screen.query_one(TextArea)
        first = item.author.label.split()[0]
        assert editor.text.startswith(f"Bonjour {first}")
        assert "{first_name}" not in editor.text and "Camille" in editor.text
        assert app.screen.reply_id == "refund-fr"
        await pilot.press("end", *" Merci !")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, ComposerScreen)
        assert current(app).id != item.id
    store = Store(db)
    (entry,) = store.outbox_for(item.id)
    assert entry.payload["reply_id"] == "refund-fr"
    assert entry.payload["sent"].endswith("Merci !")
    assert entry.payload["template"] and entry.payload["sent"] != entry.payload["template"]
    assert 0 < entry.payload["personalisation"] < 10
    assert store.draft(item.id) is None
    assert entry.state == "sent"
    assert store.item(item.id).status == Status.REPLIED  # type: ignore[union-attr]
    (replied,) = [e for e in store.events(item.id) if e.kind == EventKind.REPLIED]
    assert replied.payload["reply_id"] == "refund-fr"
    assert replied.payload["sent"] == entry.payload["sent"]
    assert replied.payload["template"] == entry.payload["template"]
    assert replied.payload["personalisation"] == entry.payload["personalisation"]
    store.close()
    (posted,) = [r for r in replays[0].posted if r.url.path == "/posts.json"]
    body = json.loads(posted.content)
    assert body["raw"] == entry.payload["sent"]
    *_, topic_id, post_number = item.url.split("/")  # …/t/<slug>/<topic id>/<post number>
    assert (body["topic_id"], body["reply_to_post_number"]) == (int(topic_id), int(post_number))


async def test_digit_starts_from_that_suggestion(tmp_path: Path) -> None:
    app = demo_app(tmp_path / "d.db")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await search_to(pilot, "remboursement")
        ranked = app.screen.suggested[1]
        await pilot.press("2")
        await settle(pilot)
        assert app.screen.reply_id == ranked[1].reply.id


def shown_rows(app) -> list[str]:  # type: ignore[no-untyped-def]
    """The reply list as drawn: one line per visible row."""
    results = app.screen.query_one(ReplyResults)
    return [results.render_line(y).text.rstrip() for y in range(results.size.height)]


def expected_rows(screen: ComposerScreen, typed: str) -> list[str]:
    """What the list must show for `typed`: the library's ranking, numbered, best first."""
    item = screen.item
    assert screen.index is not None
    ranked = screen.index.search(
        typed.strip(), lang=item.lang, network=item.network, brand=item.brand, limit=12
    )
    return [f"{n} {one_line(s.reply.title)}" for n, s in enumerate(ranked, 1)]


def assert_ranked_for(app, typed: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The list shows the library ranked for `typed`; returns its visible lines."""
    rows = shown_rows(app)
    expected = expected_rows(app.screen, typed)
    assert expected, typed
    for line, title in zip(rows, expected, strict=False):
        assert line.startswith(title[: len(line)]), (typed, line, title)
    assert all(not line for line in rows[len(expected) :]), (typed, rows)
    return rows


async def open_composer(pilot) -> ComposerScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await search_to(pilot, "remboursement")
    await pilot.press("r")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ComposerScreen)
    return pilot.app.screen


async def test_composer_search_reranks_per_keystroke(tmp_path: Path) -> None:
    app = demo_app(tmp_path / "d.db")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_composer(pilot)
        results = screen.query_one(ReplyResults)
        height = results.size.height
        assert shown_rows(app)[0].startswith("1 ")  # the item's suggestions before a search
        await pilot.press("ctrl+f")
        seen = []
        query = "mot de pass"
        for typed in (query[:n] for n in range(1, len(query) + 1)):
            await pilot.press(typed[-1])  # no settle: the ranking is there when the key is
            rows = assert_ranked_for(app, typed)
            assert results.size.height == height  # no relayout of the screen per key
            seen.append(tuple(rows))
        assert len(set(seen)) >= 3  # the list did re-rank while typing
        top = screen.shown[0]
        assert "password" in top.id or "mot de passe" in top.title.lower()
        await pilot.press("enter")
        editor = screen.query_one(TextArea)
        assert screen.reply_id == top.id
        assert editor.text.startswith("Bonjour")


async def test_composer_search_without_a_match_says_so_and_keeps_the_height(
    tmp_path: Path,
) -> None:
    app = demo_app(tmp_path / "d.db")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_composer(pilot)
        height = screen.query_one(ReplyResults).size.height
        await pilot.press("ctrl+f", *"zqxw")
        assert shown_rows(app)[0] == "No reply in the library matches this search."
        assert screen.shown == []
        await pilot.press("enter")  # nothing to pick: the editor keeps its text
        assert isinstance(app.screen, ComposerScreen) and screen.reply_id == "refund-fr"
        await pilot.press(*["backspace"] * 4)
        assert shown_rows(app)[0].startswith("1 ")  # the suggestions are back
        assert screen.query_one(ReplyResults).size.height == height


async def test_down_picks_from_the_list_with_the_keyboard(tmp_path: Path) -> None:
    app = demo_app(tmp_path / "d.db")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_composer(pilot)
        await pilot.press("ctrl+f", *"mo", "down")  # ↓ lands on the list, one row down
        results = screen.query_one(ReplyResults)
        assert screen.focused is results
        assert results.highlighted is not None
        assert results.highlighted.reply_id == screen.shown[1].id
        await pilot.press("down", "down", "up")
        assert results.highlighted.reply_id == screen.shown[2].id
        await pilot.press("enter")
        assert screen.reply_id == screen.shown[2].id
        assert screen.focused is screen.query_one(TextArea)


async def test_a_click_picks_a_reply_and_the_wheel_scrolls_the_list(tmp_path: Path) -> None:
    app = demo_app(tmp_path / "d.db")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_composer(pilot)
        await pilot.press("ctrl+f", "m")
        results = screen.query_one(ReplyResults)
        assert len(results.rows) > results.size.height  # more than fit: it scrolls
        results.post_message(events.MouseScrollDown(results, 3, 2, 0, 1, 0, False, False, False))
        await pilot.pause()
        assert results.top == 1 and shown_rows(app)[0].startswith("2 ")
        await pilot.click(ReplyResults, offset=(3, 2))  # under the top border: 2nd visible row
        assert screen.reply_id == screen.shown[2].id
        assert screen.query_one(TextArea).text == screen.template  # that reply, rendered


async def test_the_search_box_scrolls_only_once_its_text_overflows(tmp_path: Path) -> None:
    app = demo_app(tmp_path / "d.db")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_composer(pilot)
        box = screen.query_one(SearchBox)
        width = box.scrollable_content_region.width
        await pilot.press("ctrl+f", *"mot")
        assert box.virtual_size.width == width  # typing changes no size: no relayout
        box.value = "mot de passe " * 20  # longer than the box
        box.cursor_position = len(box.value)
        await pilot.pause()
        assert box.virtual_size.width > width
        assert box.scroll_offset.x > 0  # the cursor, at the end, stays in view
        assert screen.shown[0].id == "password-reset-fr"


async def test_reply_texts_are_shown_literally_never_as_markup(tmp_path: Path) -> None:
    hostile = "[bold]x[/] [@click=app.quit]boom[/] \x1b]52;c;ZXZpbA==\x07"
    replies = [
        Reply(id=f"r{n}", title=f"{hostile} {n}", body=f"Bonjour {hostile}", lang="fr")
        for n in range(3)
    ]
    index = SuggestionIndex.build(replies)
    app = demo_app(tmp_path / "d.db")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        item = current(app)
        ranked = index.search("boom", limit=12)
        screen = ComposerScreen(
            item, agent="cm", index=index, suggestions=ranked, start=None, draft=None, banned=[]
        )
        await app.push_screen(screen)
        await settle(pilot)
        shown = "\n".join(shown_rows(app))
        assert f"1 {one_line(hostile)} " in shown and "[@click=app.quit]boom[/]" in shown
        assert "\x1b" not in shown and "␛]52" in shown
        await pilot.press("ctrl+f", *"bold")
        assert shown_rows(app)[0].startswith(f"1 {one_line(hostile)}")
        assert app.is_running and app.screen is screen


async def test_a_large_library_is_searched_in_a_thread_and_still_reranks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(composer, "INLINE_SEARCH", 0)  # the demo library counts as large
    app = demo_app(tmp_path / "d.db")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_composer(pilot)
        await pilot.press("ctrl+f")
        for typed in ("m", "mo", "mot"):
            await pilot.press(typed[-1])
            await settle(pilot)
            assert screen.shown_for == typed
            assert_ranked_for(app, typed)
        await pilot.press(*" de pass", "enter")  # Enter without waiting for the thread
        assert screen.reply_id == "password-reset-fr"


async def test_escape_keeps_the_draft_and_reopening_restores_it(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    app = demo_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await search_to(pilot, "remboursement")
        item = current(app)
        await pilot.press("r")
        await settle(pilot)
        editor = app.screen.query_one(TextArea)
        editor.clear()
        await pilot.press(*"Je regarde ça tout de suite")
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert app.screen.query_one(TextArea).text == "Je regarde ça tout de suite"
    store = Store(db)
    draft = store.draft(item.id)
    assert draft is not None and draft.text == "Je regarde ça tout de suite"
    assert store.item(item.id).status != Status.REPLIED  # type: ignore[union-attr]
    store.close()


async def test_too_long_for_the_network_is_blocked_and_the_draft_kept(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    app = demo_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press(*["down"] * 6, "enter")  # Open · bluesky (300 graphemes)
        await settle(pilot)
        item = current(app)
        assert item.network == "bluesky"
        await pilot.press("r")
        await settle(pilot)
        app.screen.query_one(TextArea).load_text("👨‍👩‍👧 " * 151)
        await pilot.pause(0.6)
        status = "\n".join(screen_lines(app))
        assert "302 / 300" in status and "2 over the bluesky limit" in status
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen)
    store = Store(db)
    assert store.outbox_for(item.id) == []
    assert store.draft(item.id).text.startswith("👨‍👩‍👧")  # type: ignore[union-attr]
    store.close()


async def test_empty_search_box_submit_picks_nothing_harmful(tmp_path: Path) -> None:
    app = demo_app(tmp_path / "d.db")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        app.screen.query_one(Input).focus()
        await pilot.press("enter")
        assert isinstance(app.screen, ComposerScreen)


async def test_moderation_keys_hide_spam_and_refuse_what_a_network_cannot(
    tmp_path: Path,
) -> None:
    db = tmp_path / "d.db"
    app = demo_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await search_to(pilot, "h4x0r")
        spammer = current(app)
        assert spammer.network == "discourse"
        await pilot.press("exclamation_mark")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await search_to(pilot, "briocheco")
        mastodon_item = current(app)
        await pilot.press("H")
        await settle(pilot)
        assert "Hide is not available on mastodon" in notifications(app)
    store = Store(db)
    assert store.item(spammer.id).status == Status.SPAM  # type: ignore[union-attr]
    (entry,) = store.outbox_for(spammer.id)
    assert entry.action == "spam"
    assert store.item(mastodon_item.id).status != Status.HIDDEN  # type: ignore[union-attr]
    store.close()


async def test_a_huge_paste_is_kept_as_a_draft_and_blocked_with_a_clear_message(
    tmp_path: Path,
) -> None:
    db = tmp_path / "d.db"
    app = demo_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        item = current(app)
        await pilot.press("r")
        await settle(pilot)
        app.screen.query_one(TextArea).load_text("spam " * 200_000)  # 1 MB
        await pilot.pause(1.0)
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen)
        assert f"Too long for {item.network}" in notifications(app)
    store = Store(db)
    assert len(store.draft(item.id).text) == 1_000_000  # type: ignore[union-attr]
    assert store.outbox_for(item.id) == []
    store.close()


async def test_without_a_library_r_opens_an_empty_composer(tmp_path: Path) -> None:
    app = demo_app(tmp_path / "d.db")
    app.library_dir = tmp_path / "no-library"
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "No reply library at" in notifications(app)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen)
        assert app.screen.query_one(TextArea).text == ""
