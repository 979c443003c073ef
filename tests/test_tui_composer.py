"""Replying as a CM does: suggestions, the composer, drafts, and the outbox."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Input, OptionList, TextArea

from cmdesk.connectors.replay import Replay
from cmdesk.model import EventKind, Status
from cmdesk.store import Store
from cmdesk.tui.screens.composer import ComposerScreen
from cmdesk.tui.widgets.inbox_list import InboxList

from .test_demo import SIZE, demo_app
from .tui_helpers import notifications, screen_lines, settle


def current(app):  # type: ignore[no-untyped-def]
    return app.screen.query_one(InboxList).current_item


async def search_to(pilot, query: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("slash", *query, "enter")
    await settle(pilot)


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


async def test_composer_search_reranks_per_keystroke(tmp_path: Path) -> None:
    app = demo_app(tmp_path / "d.db")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await search_to(pilot, "remboursement")
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("ctrl+f", *"mot de pass")
        results = app.screen.query_one(OptionList)
        top = app.screen.shown[0]
        assert "password" in top.id or "mot de passe" in top.title.lower()
        assert results.option_count >= 1
        await pilot.press("enter")
        editor = app.screen.query_one(TextArea)
        assert app.screen.reply_id == top.id
        assert editor.text.startswith("Bonjour")


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
