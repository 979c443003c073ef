"""MastodonConnector against the recorded fixtures in `fixtures/mastodon/`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from cmdesk.connectors.base import AuthError, ConnectorError, ResponseShapeError
from cmdesk.connectors.mastodon import MastodonConnector
from cmdesk.connectors.replay import Replay, request_key
from cmdesk.model import Account, Item, Kind

from .connector_server import Server

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "mastodon"
BASE = "https://piaille.fr"
ACCOUNT = Account("brioche-masto", "mastodon", "Brioche & Co", BASE, {"handle": "briocheco"})
FIRST_PAGE = f"{BASE}/api/v1/notifications?limit=40&types%5B%5D=mention"
DELETE = object()


@dataclass
class Harness:
    server: Server
    connector: MastodonConnector
    sleeps: list[float]


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    server = Server(Replay.from_dirs(FIXTURES))
    async with httpx.AsyncClient(transport=httpx.MockTransport(server.handle)) as client:
        connector = MastodonConnector(ACCOUNT, client, "token-123")
        sleeps: list[float] = []

        async def no_sleep(seconds: float) -> None:
            sleeps.append(seconds)

        connector.http._sleep = no_sleep
        yield Harness(server, connector, sleeps)


def by_text(items: list[Item], fragment: str) -> Item:
    found = [item for item in items if fragment in item.text]
    assert len(found) == 1, f"{len(found)} items contain {fragment!r}"
    return found[0]


def pages(server: Server) -> list[list[dict[str, Any]]]:
    """Every recorded notifications page, following the Link headers like a client."""
    out, url = [], FIRST_PAGE
    while url:
        out.append(server.body(url))
        recorded = server.replay.exchanges[request_key("GET", url)]
        links = httpx.Response(200, headers=recorded.headers).links
        url = links.get("next", {}).get("url")
    return out


async def test_first_sync_reads_every_page_and_keeps_the_newest_id(harness: Harness) -> None:
    result = await harness.connector.fetch({})
    recorded = pages(harness.server)
    actionable = [item for item in result.items if not item.context_only]
    assert len(recorded) == 3
    assert len(harness.server.urls("/api/v1/notifications")) == 3
    assert len(actionable) == sum(len(page) for page in recorded) == 95
    assert len({item.id for item in result.items}) == len(result.items)
    assert result.cursors == {"notifications": recorded[0][0]["id"]}
    assert all(item.id == f"brioche-masto/{item.remote_id}" for item in result.items)
    assert {item.brand for item in result.items} == {"Brioche & Co"}
    assert {item.network for item in result.items} == {"mastodon"}


async def test_a_reply_to_the_brands_post_is_threaded_under_it(harness: Harness) -> None:
    items = (await harness.connector.fetch({})).items
    question = by_text(items, "Il y a une version sans gluten cette année ?")
    post = by_text(items, "Le calendrier de l'Avent Brioche & Co est de retour")
    assert question.kind is Kind.REPLY
    assert not question.context_only
    assert (question.author.handle, question.author.display_name) == ("lucie_mrt", "Lucie 🥐")
    assert question.parent_id == post.id
    assert question.thread_id == post.id
    assert question.lang == "fr"
    assert question.url is not None and question.url.startswith("https://piaille.fr/@lucie_mrt/")
    assert post.context_only and post.kind is Kind.COMMENT and post.author.handle == "briocheco"
    assert post.thread_id == post.id and post.parent_id is None


async def test_three_deep_threads_and_mentions_between_people(harness: Harness) -> None:
    items = (await harness.connector.fetch({})).items
    post = by_text(items, "Le calendrier de l'Avent Brioche & Co est de retour")
    first = by_text(items, "Il y a une version sans gluten")
    answer = by_text(items, "Pas de version sans gluten cette année")
    again = by_text(items, "Dommage… mais merci pour la réponse rapide")
    assert answer.context_only and answer.parent_id == first.id
    assert again.kind is Kind.REPLY and again.parent_id == answer.id
    assert {first.thread_id, answer.thread_id, again.thread_id} == {post.id}
    # Marie answers Fred, not the brand: a mention, still in the brand's thread.
    fred = by_text(items, "ok parfait je prends le retrait alors")
    marie = by_text(items, "Le retrait marche très bien")
    assert marie.kind is Kind.MENTION and marie.parent_id == fred.id and marie.thread_id == post.id


async def test_direct_messages_are_dms_in_their_thread(harness: Harness) -> None:
    items = (await harness.connector.fetch({})).items
    ask = by_text(items, "Commande BR-418203 toujours pas livrée")
    dm = by_text(items, "Voilà : BR-418203, 44000 Nantes")
    assert dm.kind is Kind.DM and not dm.context_only
    assert dm.thread_id == ask.id
    assert sum(item.kind is Kind.DM and not item.context_only for item in items) >= 5


async def test_html_becomes_plain_text_with_entities_decoded(harness: Harness) -> None:
    items = (await harness.connector.fetch({})).items
    raw = json.dumps([harness.server.body(url) for url in harness.server.urls()])
    assert "&#39;" in raw and "&lt;3" in raw and "Brioche &amp; Co" in raw
    assert "<" not in by_text(items, "Il y a une version sans gluten").text
    assert by_text(items, "je reviendrai quand même").text.endswith("quand même <3")
    horaires = by_text(items, "jusqu'à Noël, nos boutiques sont ouvertes")
    assert "https://www.briocheco.fr/boutiques/horaires-des-fetes-2026" in horaires.text
    letter = by_text(items, "Madame, Monsieur,")
    assert len(letter.text) > 1000 and "\n\nJe suis revenu le lundi." in letter.text
    assert by_text(items, "クロワッサン").lang == "ja"
    assert by_text(items, "بدون غلوتين").lang == "ar"


async def test_hostile_text_is_kept_literally(harness: Harness) -> None:
    items = (await harness.connector.fetch({})).items
    troll = by_text(items, "pain de mie industriel")
    assert troll.text.startswith("@briocheco [bold]x[/] lol")
    assert "quand je paye : \x1b[31mred\x1b[0m puis" in by_text(items, "page blanche").text


async def test_a_second_fetch_with_the_cursor_stops_at_page_one(harness: Harness) -> None:
    first = await harness.connector.fetch({})
    asked = len(harness.server.requests)
    second = await harness.connector.fetch(first.cursors)
    later = [str(r.url) for r in harness.server.requests[asked:]]
    assert second.items == []
    assert second.cursors == first.cursors
    assert later == [FIRST_PAGE]


async def test_a_cursor_inside_page_two_stops_there(harness: Harness) -> None:
    recorded = pages(harness.server)
    cursor = recorded[1][10]["id"]
    newer = len(recorded[0]) + 10
    result = await harness.connector.fetch({"notifications": cursor})
    assert len(harness.server.urls("/api/v1/notifications")) == 2
    assert sum(not item.context_only for item in result.items) == newer
    assert result.cursors == {"notifications": recorded[0][0]["id"]}


async def test_a_first_sync_stops_after_max_pages(harness: Harness) -> None:
    harness.connector.max_pages = 2  # type: ignore[misc]
    result = await harness.connector.fetch({})
    assert len(harness.server.urls("/api/v1/notifications")) == 2
    assert sum(not item.context_only for item in result.items) == 80


async def test_context_is_fetched_only_for_threads_not_already_known(harness: Harness) -> None:
    result = await harness.connector.fetch({})
    contexts = harness.server.urls("/context")
    replies = [item for item in result.items if not item.context_only and item.parent_id]
    assert 0 < len(contexts) < len(replies)
    assert len(set(contexts)) == len(contexts)
    assert len(harness.server.urls("verify_credentials")) == 1


async def test_every_request_carries_the_bearer_token(harness: Harness) -> None:
    await harness.connector.fetch({})
    assert {r.headers["authorization"] for r in harness.server.requests} == {"Bearer token-123"}


async def test_without_a_token_nothing_is_sent() -> None:
    server = Server(Replay.from_dirs(FIXTURES))
    async with httpx.AsyncClient(transport=httpx.MockTransport(server.handle)) as client:
        with pytest.raises(AuthError):
            await MastodonConnector(ACCOUNT, client, None).fetch({})
    assert server.requests == []


async def test_a_token_for_another_account_is_refused() -> None:
    other = Account("x", "mastodon", "X", BASE, {"handle": "someone_else"})
    server = Server(Replay.from_dirs(FIXTURES))
    async with httpx.AsyncClient(transport=httpx.MockTransport(server.handle)) as client:
        with pytest.raises(AuthError, match="@briocheco"):
            await MastodonConnector(other, client, "token").fetch({})


def _patch(target: dict[str, Any], **changes: Any) -> None:
    for key, value in changes.items():
        if value is DELETE:
            del target[key]
        else:
            target[key] = value


def _note(**changes: Any) -> Callable[[Any], Any]:
    return lambda page: _patch(page[0], **changes) or page


def _status(**changes: Any) -> Callable[[Any], Any]:
    return lambda page: _patch(page[0]["status"], **changes) or page


WRONG_SHAPES: dict[str, Callable[[Any], Any]] = {
    "page is an object": lambda page: {"error": "nope"},
    "notification without status": _note(status=DELETE),
    "id not a number": _note(id="abc"),
    "status without account": _status(account=None),
    "status without in_reply_to_id": _status(in_reply_to_id=DELETE),
    "content not a string": _status(content=42),
    "bad timestamp": _status(created_at="yesterday"),
}


@pytest.mark.parametrize("change", WRONG_SHAPES.values(), ids=WRONG_SHAPES.keys())
async def test_a_wrong_shape_raises_response_shape_error(
    harness: Harness, change: Callable[[Any], Any]
) -> None:
    harness.server.edit(FIRST_PAGE, change)
    with pytest.raises(ResponseShapeError, match=r"unexpected Mastodon \w+ (page )?shape"):
        await harness.connector.fetch({})


async def test_a_wrong_context_shape_raises_response_shape_error(harness: Harness) -> None:
    await harness.connector.fetch({})
    context_url = harness.server.urls("/context")[0]
    harness.server.edit(context_url, lambda body: {"ancestors": "none"})
    with pytest.raises(ResponseShapeError, match="Mastodon context"):
        await harness.connector.fetch({})


async def test_an_html_error_page_raises_response_shape_error(harness: Harness) -> None:
    page = httpx.Response(200, headers={"content-type": "text/html"}, text="<html>Oops</html>")
    harness.server.faults.append(("verify_credentials", page))
    with pytest.raises(ResponseShapeError, match="HTML page"):
        await harness.connector.fetch({})


async def test_a_pagination_link_off_the_instance_is_refused(harness: Harness) -> None:
    recorded = harness.server.replay.exchanges[request_key("GET", FIRST_PAGE)]
    recorded.headers["link"] = '<https://evil.example/api/v1/notifications?max_id=1>; rel="next"'
    with pytest.raises(ResponseShapeError, match="off the instance"):
        await harness.connector.fetch({})
    assert not harness.server.urls("evil.example")


async def test_a_missing_ancestor_does_not_lose_the_mention(harness: Harness) -> None:
    await harness.connector.fetch({})
    for _ in harness.server.urls("/context"):
        harness.server.faults.append(("/context", httpx.Response(404, json={"error": "gone"})))
    items = (await MastodonConnector(ACCOUNT, harness.connector.http.client, "t").fetch({})).items
    assert sum(not item.context_only for item in items) == 95
    assert not any(item.context_only and item.author.handle != "briocheco" for item in items)
    assert any(item.parent_id and item.thread_id is None for item in items)


async def test_a_server_error_is_retried(harness: Harness) -> None:
    harness.server.faults.append(("/api/v1/notifications", httpx.Response(503)))
    result = await harness.connector.fetch({})
    assert sum(not item.context_only for item in result.items) == 95
    assert len(harness.sleeps) == 1
    assert harness.server.urls("/api/v1/notifications")[:2] == [FIRST_PAGE, FIRST_PAGE]


async def test_a_rate_limit_waits_for_retry_after(harness: Harness) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "7"})
    harness.server.faults.append(("/api/v1/notifications", limited))
    await harness.connector.fetch({})
    assert harness.sleeps == [7.0]


async def test_errors_that_persist_surface_as_connector_errors(harness: Harness) -> None:
    for _ in range(4):
        harness.server.faults.append(("/api/v1/notifications", httpx.Response(502)))
    with pytest.raises(ConnectorError, match="HTTP 502"):
        await harness.connector.fetch({})
