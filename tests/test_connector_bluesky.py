"""BlueskyConnector against the recorded fixtures in `fixtures/bluesky/`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from cmdesk.connectors.base import AuthError, ResponseShapeError
from cmdesk.connectors.bluesky import BlueskyConnector
from cmdesk.connectors.replay import Replay
from cmdesk.model import Account, Item, Kind

from .connector_server import Server

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bluesky"
BASE = "https://bsky.social"
ACCOUNT = Account("nordlys-bsky", "bluesky", "Nordlys", BASE, {"handle": "nordlys.bsky.social"})
SESSION = f"{BASE}/xrpc/com.atproto.server.createSession"
FIRST_PAGE = f"{BASE}/xrpc/app.bsky.notification.listNotifications?limit=50"
ACTIONABLE = 112


@dataclass
class Harness:
    server: Server
    connector: BlueskyConnector
    sleeps: list[float]


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    server = Server(Replay.from_dirs(FIXTURES))
    async with httpx.AsyncClient(transport=httpx.MockTransport(server.handle)) as client:
        connector = BlueskyConnector(ACCOUNT, client, "app-password")
        sleeps: list[float] = []

        async def no_sleep(seconds: float) -> None:
            sleeps.append(seconds)

        connector.http._sleep = no_sleep
        yield Harness(server, connector, sleeps)


def by_text(items: list[Item], fragment: str) -> Item:
    found = [item for item in items if fragment in item.text]
    assert len(found) == 1, f"{len(found)} items contain {fragment!r}"
    return found[0]


def recorded_pages(server: Server) -> list[dict[str, Any]]:
    out, params = [], "limit=50"
    while True:
        page = server.body(f"{FIRST_PAGE.split('?')[0]}?{params}")
        out.append(page)
        if "cursor" not in page:
            return out
        params = str(httpx.QueryParams({"limit": 50, "cursor": page["cursor"]}))


async def test_first_sync_logs_in_and_reads_every_page(harness: Harness) -> None:
    result = await harness.connector.fetch({})
    pages = recorded_pages(harness.server)
    session = harness.server.requests[0]
    assert (session.method, str(session.url)) == ("POST", SESSION)
    assert json.loads(session.content) == {
        "identifier": "nordlys.bsky.social",
        "password": "app-password",
    }
    assert len(harness.server.urls("listNotifications")) == len(pages) == 4
    assert pages[-1]["notifications"] == []
    actionable = [item for item in result.items if not item.context_only]
    assert len(actionable) == ACTIONABLE
    assert len({item.id for item in result.items}) == len(result.items)
    assert result.cursors == {"notifications": pages[0]["notifications"][0]["indexedAt"]}


async def test_likes_reposts_and_follows_are_skipped(harness: Harness) -> None:
    result = await harness.connector.fetch({})
    pages = recorded_pages(harness.server)
    reasons = [note["reason"] for page in pages for note in page["notifications"]]
    assert {"like", "repost", "follow"} <= set(reasons)
    kept = sum(reason in {"mention", "reply", "quote"} for reason in reasons)
    assert kept == ACTIONABLE
    assert all("/app.bsky.feed.post/" in item.remote_id for item in result.items)


async def test_a_reply_is_threaded_under_the_brands_post(harness: Harness) -> None:
    items = (await harness.connector.fetch({})).items
    question = by_text(items, "I'm a 42 in Salomon X Ultra")
    post = by_text(items, "Meet the Fjell GTX")
    answer = by_text(items, "The Fjell runs a little narrower")
    again = by_text(items, "Half sizes! Love it.")
    assert question.kind is Kind.REPLY and not question.context_only
    assert question.parent_id == post.id and question.thread_id == post.id
    assert question.author.handle == "ingrid-hikes.bsky.social"
    assert question.author.display_name == "Ingrid ⛰️"
    assert question.author.id.startswith("did:plc:")
    assert question.remote_id.startswith("at://did:plc:")
    assert question.id == f"nordlys-bsky/{question.remote_id}"
    rkey = question.remote_id.rsplit("/", 1)[1]
    assert question.url == f"https://bsky.app/profile/ingrid-hikes.bsky.social/post/{rkey}"
    assert question.lang == "en"
    assert post.context_only and post.kind is Kind.COMMENT and post.parent_id is None
    assert answer.context_only and answer.parent_id == question.id
    assert again.parent_id == answer.id and again.thread_id == post.id


async def test_quotes_and_mentions(harness: Harness) -> None:
    items = (await harness.connector.fetch({})).items
    quote = by_text(items, "Finally a brand that makes half sizes")
    assert quote.kind is Kind.MENTION and quote.parent_id is None and quote.thread_id == quote.id
    mention = by_text(items, "Здравствуйте! Вы доставляете в Финляндию?")
    assert mention.kind is Kind.MENTION and mention.lang == "ru"
    assert mention.text.startswith("@nordlys.bsky.social ")


async def test_a_deleted_parent_ends_the_chain(harness: Harness) -> None:
    items = (await harness.connector.fetch({})).items
    reply = by_text(items, "Their supplier list is public and audited")
    assert reply.kind is Kind.MENTION and reply.parent_id is not None
    assert reply.parent_id not in {item.id for item in items}
    rkey = reply.remote_id.rsplit("/", 1)[1]
    thread = harness.server.body(harness.server.urls(rkey)[0])
    assert thread["thread"]["parent"]["notFound"] is True


async def test_text_is_shown_as_written(harness: Harness) -> None:
    items = (await harness.connector.fetch({})).items
    black_friday = by_text(items, "Black Friday at Nordlys")
    assert "https://nordlys.example/campaigns/black-friday-2026" in black_friday.text
    assert "..." not in black_friday.text
    # Bluesky text is plain: an entity someone typed is not HTML to decode.
    assert "Rain jacket &amp; pants combo" in by_text(items, "Rain jacket").text


async def test_shortened_links_come_from_the_recorded_facets(harness: Harness) -> None:
    await harness.connector.fetch({})
    threads = [harness.server.body(url) for url in harness.server.urls("getPostThread")]
    bodies = json.dumps(threads, ensure_ascii=False)
    assert '"text": "Black Friday at Nordlys' in bodies
    assert "https://nordlys.example/campaigns/black-friday-2026" in bodies  # the facet's uri
    assert 'Free returns until Jan 31 🏔️ nordlys.example/campaigns/b..."' in bodies


async def test_hostile_text_and_names_are_kept_literally(harness: Harness) -> None:
    items = (await harness.connector.fetch({})).items
    boom = by_text(items, "is my favourite trail name")
    assert boom.text.startswith("[@click=app.quit]boom[/] is my")
    assert boom.author.display_name == "[@click=app.quit]boom[/]"
    assert (
        "terminal for a Nordlys discount \x1b]52;c;ZXZpbA==\x07 trust"
        in by_text(items, "paste this").text
    )
    assert "shows \x1b[31mred\x1b[0m text" in by_text(items, "checkout shows").text


async def test_a_second_fetch_reuses_the_session_and_stops_at_the_cursor(
    harness: Harness,
) -> None:
    first = await harness.connector.fetch({})
    asked = len(harness.server.requests)
    second = await harness.connector.fetch(first.cursors)
    assert second.items == []
    assert second.cursors == first.cursors
    assert [str(r.url) for r in harness.server.requests[asked:]] == [FIRST_PAGE]


async def test_a_cursor_inside_page_two_stops_there(harness: Harness) -> None:
    pages = recorded_pages(harness.server)
    cursor = pages[1]["notifications"][20]["indexedAt"]
    newer = pages[0]["notifications"] + pages[1]["notifications"][:20]
    expected = sum(note["reason"] in {"mention", "reply", "quote"} for note in newer)
    result = await harness.connector.fetch({"notifications": cursor})
    assert len(harness.server.urls("listNotifications")) == 2
    assert sum(not item.context_only for item in result.items) == expected


async def test_a_first_sync_stops_after_max_pages(harness: Harness) -> None:
    harness.connector.max_pages = 1  # type: ignore[misc]
    await harness.connector.fetch({})
    assert harness.server.urls("listNotifications") == [FIRST_PAGE]


async def test_requests_carry_the_session_token(harness: Harness) -> None:
    await harness.connector.fetch({})
    jwt = harness.server.body(SESSION, "POST")["accessJwt"]
    gets = [r for r in harness.server.requests if r.method == "GET"]
    assert {r.headers["authorization"] for r in gets} == {f"Bearer {jwt}"}
    assert "authorization" not in harness.server.requests[0].headers


async def test_a_refused_token_forgets_the_session(harness: Harness) -> None:
    refused = httpx.Response(401, json={"error": "AuthenticationRequired"})
    harness.server.faults.append(("listNotifications", refused))
    with pytest.raises(AuthError):
        await harness.connector.fetch({})
    await harness.connector.fetch({})
    assert len(harness.server.urls("createSession")) == 2


async def test_without_an_app_password_nothing_is_sent() -> None:
    server = Server(Replay.from_dirs(FIXTURES))
    async with httpx.AsyncClient(transport=httpx.MockTransport(server.handle)) as client:
        with pytest.raises(AuthError):
            await BlueskyConnector(ACCOUNT, client, None).fetch({})
    assert server.requests == []


def _first(reasons: set[str], /, **changes: Any) -> Callable[[Any], Any]:
    """Change the first notification with one of these reasons."""

    def change(page: dict[str, Any]) -> dict[str, Any]:
        note = next(n for n in page["notifications"] if n["reason"] in reasons)
        for key, value in changes.items():
            if value is None:
                note.pop(key)
            else:
                note[key] = value
        return page

    return change


ANY = {"mention", "reply", "quote", "like", "repost", "follow"}
WRONG_SHAPES: dict[str, Callable[[Any], Any]] = {
    "notifications not a list": lambda page: {"notifications": {"0": {}}},
    "no notifications key": lambda page: {"cursor": "abc"},
    "no indexedAt": _first(ANY, indexedAt=None),
    "no reason": _first(ANY, reason=None),
    "author without did": _first({"mention"}, author={"handle": "x.bsky.social"}),
    "uri not at://": _first({"reply"}, uri="https://bsky.app/post/1"),
    "cursor not a string": lambda page: {**page, "cursor": 12},
}


@pytest.mark.parametrize("change", WRONG_SHAPES.values(), ids=WRONG_SHAPES.keys())
async def test_a_wrong_shape_raises_response_shape_error(
    harness: Harness, change: Callable[[Any], Any]
) -> None:
    harness.server.edit(FIRST_PAGE, change)
    with pytest.raises(ResponseShapeError, match="unexpected Bluesky"):
        await harness.connector.fetch({})


async def test_a_session_without_a_token_raises_response_shape_error(harness: Harness) -> None:
    harness.server.edit(SESSION, lambda body: {"did": body["did"]}, method="POST")
    with pytest.raises(ResponseShapeError, match="Bluesky session"):
        await harness.connector.fetch({})


async def test_a_wrong_thread_shape_raises_response_shape_error(harness: Harness) -> None:
    await harness.connector.fetch({})
    harness.server.edit(harness.server.urls("getPostThread")[0], lambda body: {"thread": "x"})
    with pytest.raises(ResponseShapeError, match="Bluesky thread"):
        await harness.connector.fetch({})


async def test_odd_records_are_read_leniently(harness: Harness) -> None:
    """Records are user data (`unknown` in the lexicon): a bad one must not stop the sync."""

    def spoil(page: dict[str, Any]) -> dict[str, Any]:
        notes = [n for n in page["notifications"] if n["reason"] == "mention"]
        notes[0]["record"]["text"] = 5
        notes[1]["record"]["facets"] = [{"index": {"byteStart": -4, "byteEnd": 999}}, "junk"]
        notes[2]["record"] = "not a record"
        return page

    harness.server.edit(FIRST_PAGE, spoil)
    result = await harness.connector.fetch({})
    assert sum(not item.context_only for item in result.items) == ACTIONABLE


async def test_a_server_error_is_retried(harness: Harness) -> None:
    harness.server.faults.append(("listNotifications", httpx.Response(502)))
    result = await harness.connector.fetch({})
    assert sum(not item.context_only for item in result.items) == ACTIONABLE
    assert len(harness.sleeps) == 1
    assert harness.server.urls("listNotifications")[:2] == [FIRST_PAGE, FIRST_PAGE]


async def test_a_rate_limit_waits_for_retry_after(harness: Harness) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "12"})
    harness.server.faults.append(("getPostThread", limited))
    await harness.connector.fetch({})
    assert harness.sleeps == [12.0]
