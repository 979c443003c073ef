"""DiscourseConnector against the recorded fixtures in `fixtures/discourse/`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from cmdesk.connectors.base import AuthError, ResponseShapeError
from cmdesk.connectors.discourse import DiscourseConnector
from cmdesk.connectors.replay import Replay
from cmdesk.model import Account, Item, Kind

from .connector_server import Server

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "discourse"
BASE = "https://forum.pixelpost.example"
ACCOUNT = Account("pixelpost-forum", "discourse", "PixelPost", BASE, {"username": "pixelpost_team"})
LATEST = f"{BASE}/posts.json"


@dataclass
class Harness:
    server: Server
    connector: DiscourseConnector
    sleeps: list[float]


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    server = Server(Replay.from_dirs(FIXTURES))
    async with httpx.AsyncClient(transport=httpx.MockTransport(server.handle)) as client:
        connector = DiscourseConnector(ACCOUNT, client, "api-key-1")
        sleeps: list[float] = []

        async def no_sleep(seconds: float) -> None:
            sleeps.append(seconds)

        connector.http._sleep = no_sleep
        yield Harness(server, connector, sleeps)


def by_text(items: list[Item], fragment: str) -> Item:
    found = [item for item in items if fragment in item.text]
    assert len(found) == 1, f"{len(found)} items contain {fragment!r}"
    return found[0]


def recorded_pages(server: Server) -> list[list[dict[str, Any]]]:
    out, url = [], LATEST
    while True:
        page = server.body(url)["latest_posts"]
        out.append(page)
        if not page:
            return out
        url = f"{LATEST}?before={min(post['id'] for post in page) - 1}"


def topic_of(item: Item) -> tuple[int, int]:
    """(topic id, post number) from an item's `{base}/t/{slug}/{id}/{number}` url."""
    assert item.url is not None
    topic_id, number = item.url.rsplit("/", 2)[1:]
    return int(topic_id), int(number)


async def test_first_sync_pages_down_with_before_until_an_empty_page(harness: Harness) -> None:
    result = await harness.connector.fetch({})
    pages = recorded_pages(harness.server)
    posts = [post for page in pages for post in page]
    assert [len(page) for page in pages] == [50, 50, len(pages[2]), 0]
    assert harness.server.urls("/posts.json") == [
        LATEST,
        *(f"{LATEST}?before={min(p['id'] for p in page) - 1}" for page in pages[:-1]),
    ]
    mine = [post for post in posts if post["username"] == "pixelpost_team"]
    actionable = [item for item in result.items if not item.context_only]
    assert len(actionable) == len(posts) - len(mine) == 111
    assert len({item.id for item in result.items}) == len(result.items)
    assert result.cursors == {"posts": str(pages[0][0]["id"])}


async def test_each_topic_with_new_posts_is_read_once(harness: Harness) -> None:
    await harness.connector.fetch({})
    posts = [post for page in recorded_pages(harness.server) for post in page]
    topics = harness.server.urls("/t/")
    assert len(topics) == len(set(topics)) == len({post["topic_id"] for post in posts})


async def test_a_topic_and_its_reply_chain(harness: Harness) -> None:
    items = (await harness.connector.fetch({})).items
    report = by_text(items, "Since updating to 4.8 on Sunday")
    team = by_text(items, "That log is exactly what we needed")
    greg = by_text(items, "Reprint is fine but the wedding was last weekend")
    topic_id, number = topic_of(report)
    assert report.kind is Kind.COMMENT and number == 1
    assert report.url == f"{BASE}/t/prints-look-blurry-since-the-4-8-update/{topic_id}/1"
    assert report.thread_id == report.id and report.parent_id is None
    assert len(report.text) > 1000
    assert "What I did:\n\n- Ordered 24 prints in 13x18" in report.text
    assert (report.author.handle, report.author.display_name) == ("marco_photo", "Marco Bellini")
    assert team.context_only and team.author.handle == "pixelpost_team"
    assert greg.kind is Kind.REPLY and greg.parent_id == team.id
    assert greg.thread_id == report.id
    assert greg.text.startswith(
        "pixelpost_team:\n\n> Every affected order will be reprinted for free\n\nReprint is fine"
    )


async def test_posts_past_the_first_chunk_still_find_their_thread(harness: Harness) -> None:
    items = (await harness.connector.fetch({})).items
    report = by_text(items, "Since updating to 4.8 on Sunday")
    topic_id, _ = topic_of(report)
    topic = harness.server.body(f"{BASE}/t/{topic_id}.json")
    assert len(topic["post_stream"]["stream"]) > len(topic["post_stream"]["posts"]) == 20
    late = [
        item for item in items if topic_of(item) > (topic_id, 20) and topic_of(item)[0] == topic_id
    ]
    assert late
    assert all(item.thread_id == report.id and item.parent_id == report.id for item in late)


async def test_a_topic_started_by_the_brand_is_context(harness: Harness) -> None:
    items = (await harness.connector.fetch({})).items
    root = by_text(items, "Made a 2027 calendar with PixelPost?")
    reply = by_text(items, "March is my dog in the snow")
    assert root.context_only and root.kind is Kind.COMMENT
    assert reply.kind is Kind.REPLY and not reply.context_only
    assert reply.parent_id == root.id and reply.thread_id == root.id
    assert all(item.context_only for item in items if item.author.handle == "pixelpost_team")


async def test_small_action_posts_are_not_items(harness: Harness) -> None:
    items = (await harness.connector.fetch({})).items
    root = by_text(items, "Made a 2027 calendar with PixelPost?")
    topic = harness.server.body(f"{BASE}/t/{topic_of(root)[0]}.json")
    actions = [post for post in topic["post_stream"]["posts"] if post["post_type"] == 3]
    assert actions
    assert {f"pixelpost-forum/{post['id']}" for post in actions}.isdisjoint(i.id for i in items)


async def test_cooked_html_becomes_readable_text(harness: Harness) -> None:
    items = (await harness.connector.fetch({})).items
    raw = json.dumps([harness.server.body(url) for url in harness.server.urls()])
    assert 'class=\\"emoji\\" alt=\\":sweat_smile:\\"' in raw
    assert "I thought my eyes were going :sweat_smile:" in by_text(items, "eyes were going").text
    onebox = by_text(items, "Even a cheap calibrator")
    assert "here:\n\nwww.example.org\n\nMonitor calibration for print\n\n" in onebox.text
    assert "IMG_2044.jpg 6.2MB -> \x1b[31mred\x1b[0m resized" in by_text(items, "Upload log").text
    assert topic_of(by_text(items, "Планируется ли русский интерфейс"))[1] == 1
    russian = by_text(items, "Планируется ли русский интерфейс")
    assert russian.url is not None and "/t/topic/" in russian.url


async def test_hostile_text_is_kept_literally(harness: Harness) -> None:
    items = (await harness.connector.fetch({})).items
    spam = by_text(items, "get PixelPost premium for free")
    assert spam.text.startswith("[link=https://evil.example]click[/link] and get PixelPost")
    assert "[bold]x[/] 100% working" in spam.text
    assert spam.text.endswith("Paste this in a terminal first: \x1b]52;c;ZXZpbA==\x07")
    assert spam.author.display_name == ""


async def test_requests_carry_the_api_key_and_username(harness: Harness) -> None:
    await harness.connector.fetch({})
    sent = {(r.headers["api-key"], r.headers["api-username"]) for r in harness.server.requests}
    assert sent == {("api-key-1", "pixelpost_team")}


async def test_a_second_fetch_stops_at_the_cursor(harness: Harness) -> None:
    first = await harness.connector.fetch({})
    asked = len(harness.server.requests)
    second = await harness.connector.fetch(first.cursors)
    assert second.items == []
    assert second.cursors == first.cursors
    assert [str(r.url) for r in harness.server.requests[asked:]] == [LATEST]


async def test_a_cursor_inside_page_two_stops_there(harness: Harness) -> None:
    pages = recorded_pages(harness.server)
    newer = pages[0] + pages[1][:10]
    expected = sum(post["username"] != "pixelpost_team" for post in newer)
    result = await harness.connector.fetch({"posts": str(pages[1][10]["id"])})
    assert len(harness.server.urls("/posts.json")) == 2
    assert sum(not item.context_only for item in result.items) == expected
    assert result.cursors == {"posts": str(pages[0][0]["id"])}


async def test_a_first_sync_stops_after_max_pages(harness: Harness) -> None:
    harness.connector.max_pages = 2  # type: ignore[misc]
    await harness.connector.fetch({})
    assert len(harness.server.urls("/posts.json")) == 2


async def test_without_an_api_key_nothing_is_sent() -> None:
    server = Server(Replay.from_dirs(FIXTURES))
    async with httpx.AsyncClient(transport=httpx.MockTransport(server.handle)) as client:
        with pytest.raises(AuthError):
            await DiscourseConnector(ACCOUNT, client, "").fetch({})
    assert server.requests == []


def _post(**changes: Any) -> Callable[[Any], Any]:
    def change(body: dict[str, Any]) -> dict[str, Any]:
        body["latest_posts"][0].update(changes)
        return body

    return change


WRONG_SHAPES: dict[str, Callable[[Any], Any]] = {
    "no latest_posts": lambda body: {"posts": body["latest_posts"]},
    "latest_posts not a list": lambda body: {"latest_posts": "none"},
    "id as a string": _post(id="1486"),
    "post_number missing": lambda body: body["latest_posts"][0].pop("post_number") and body,
    "cooked not a string": _post(cooked=None),
    "bad created_at": _post(created_at="2026-13-45"),
}


@pytest.mark.parametrize("change", WRONG_SHAPES.values(), ids=WRONG_SHAPES.keys())
async def test_a_wrong_shape_raises_response_shape_error(
    harness: Harness, change: Callable[[Any], Any]
) -> None:
    harness.server.edit(LATEST, change)
    with pytest.raises(ResponseShapeError, match="unexpected Discourse"):
        await harness.connector.fetch({})


@pytest.mark.parametrize(
    "change",
    [
        lambda topic: [topic],
        lambda topic: {"id": topic["id"]},
        lambda topic: {**topic, "post_stream": {"posts": "none"}},
    ],
    ids=["a list", "no post_stream", "posts not a list"],
)
async def test_a_wrong_topic_shape_raises_response_shape_error(
    harness: Harness, change: Callable[[Any], Any]
) -> None:
    await harness.connector.fetch({})
    harness.server.edit(harness.server.urls("/t/")[0], change)
    with pytest.raises(ResponseShapeError, match="Discourse topic"):
        await harness.connector.fetch({})


async def test_a_vanished_topic_keeps_its_new_posts(harness: Harness) -> None:
    await harness.connector.fetch({})
    for _ in harness.server.urls("/t/"):
        harness.server.faults.append(("/t/", httpx.Response(404, json={"errors": ["not found"]})))
    result = await DiscourseConnector(ACCOUNT, harness.connector.http.client, "k").fetch({})
    items = result.items
    assert sum(not item.context_only for item in items) == 111
    # Threads still come together from the new posts themselves.
    report = by_text(items, "Since updating to 4.8 on Sunday")
    greg = by_text(items, "Reprint is fine but the wedding was last weekend")
    assert greg.parent_id == by_text(items, "That log is exactly what we needed").id
    assert greg.thread_id == report.id


async def test_a_server_error_is_retried(harness: Harness) -> None:
    harness.server.faults.append(("/posts.json", httpx.Response(500)))
    result = await harness.connector.fetch({})
    assert sum(not item.context_only for item in result.items) == 111
    assert len(harness.sleeps) == 1
    assert harness.server.urls("/posts.json")[:2] == [LATEST, LATEST]


async def test_a_rate_limit_waits_for_retry_after(harness: Harness) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "30"})
    harness.server.faults.append(("/t/", limited))
    await harness.connector.fetch({})
    assert harness.sleeps == [30.0]
