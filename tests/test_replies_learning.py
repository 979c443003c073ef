"""Replies the CM chose more often rank higher among those that fit, explained, resettable."""

from __future__ import annotations

import time
from pathlib import Path

from click.testing import CliRunner

from cmdesk.cli import main
from cmdesk.model import EventKind
from cmdesk.replies.learning import MAX_BOOST, learned_boost, rerank
from cmdesk.replies.library import load_library
from cmdesk.replies.suggest import SuggestionIndex
from cmdesk.store import Store
from cmdesk.store.events import append_events

from .conftest import FIXTURES, make_item

QUESTION = "ma commande n'est toujours pas arrivée, c'est normal ?"


def ranked() -> list:  # type: ignore[type-arg]
    library = load_library(FIXTURES / "replies")
    index = SuggestionIndex.build(library.replies)
    return index.suggest(QUESTION, lang="fr", network="mastodon", brand="Brioche & Co", limit=15)


def test_boost_grows_with_use_and_is_capped() -> None:
    assert learned_boost(0) == 0
    assert learned_boost(1) < learned_boost(3) < learned_boost(7) == MAX_BOOST
    assert learned_boost(1000) == MAX_BOOST


def test_a_reply_chosen_often_moves_up_and_says_why_but_never_buries_a_clear_fit() -> None:
    suggestions = ranked()
    best, second, third = (s.reply.id for s in suggestions[:3])
    assert suggestions[0].score - suggestions[2].score > MAX_BOOST  # a clear fit leads
    reordered = rerank(suggestions, {third: 7}, limit=5)
    assert [s.reply.id for s in reordered[:3]] == [best, third, second]
    assert "chosen 7× before" in reordered[1].matched
    unrelated = rerank(suggestions, {"no-such-reply": 50}, limit=5)
    assert [s.reply.id for s in unrelated] == [s.reply.id for s in suggestions[:5]]


def test_usage_is_counted_from_sent_replies_and_forgotten_on_reset(tmp_path: Path) -> None:
    db = tmp_path / "u.db"
    store = Store(db)
    store.ingest("acct", [make_item(1), make_item(2)], {}, 1000)
    now = int(time.time() * 1000) - 10_000
    append_events(
        store.db,
        [
            ("acct/1", EventKind.REPLIED, {"reply_id": "order-tracking-fr"}),
            ("acct/2", EventKind.REPLIED, {"reply_id": "order-tracking-fr"}),
            ("acct/2", EventKind.REPLIED, {"reply_id": None}),
        ],
        now,
        "cm",
    )
    store.db.conn.commit()
    assert store.reply_usage() == {"order-tracking-fr": 2}
    store.close()
    result = CliRunner().invoke(main, ["replies", "forget-usage", "--db", str(db)])
    assert result.exit_code == 0 and "Forgot 2 past uses of 1 replies" in result.output
    store = Store(db)
    assert store.reply_usage() == {}
    store.close()
