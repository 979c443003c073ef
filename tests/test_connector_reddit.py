"""RedditConnector's read path against the recorded fixtures in `fixtures/reddit/`."""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cmdesk.connectors.base import AuthError, ResponseShapeError
from cmdesk.connectors.reddit import RedditConnector
from cmdesk.model import Account, Item, Kind

from .conftest import FIXTURES
from .fake_platform import FakePlatform, form_of

OAUTH = "https://oauth.reddit.com"
AUTH = "https://www.reddit.com/api/v1/access_token"
OPTIONS = {"username": "BriocheEtCo", "subreddit": "BriocheEtCo", "client_id": "Xq3vR8bT2kLm9w"}
ACCOUNT = Account("brioche-reddit", "reddit", "Brioche & Co", OAUTH, {**OPTIONS, "auth_url": AUTH})
INBOX = f"{OAUTH}/message/inbox?limit=100&mark=false&raw_json=1"
ACTIONABLE = 42


class Rig:
    def __init__(self, platform: FakePlatform, connector: RedditConnector) -> None:
        self.platform, self.connector = platform, connector
        self.sleeps: list[float] = []


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    platform = FakePlatform.from_fixtures(FIXTURES / "reddit")
    async with httpx.AsyncClient(transport=platform.transport()) as client:
        made = Rig(platform, RedditConnector(ACCOUNT, client, "refresh-token-abc"))

        async def no_sleep(seconds: float) -> None:
            made.sleeps.append(seconds)

        made.connector.http._sleep = no_sleep
        yield made


def by_text(items: list[Item], fragment: str) -> Item:
    found = [item for item in items if fragment in item.text]
    assert len(found) == 1, f"{len(found)} items contain {fragment!r}"
    return found[0]


async def test_first_sync_trades_the_refresh_token_then_reads_three_streams(rig: Rig) -> None:
    result = await rig.connector.fetch({})
    token = rig.platform.requests[0]
    assert (token.method, str(token.url)) == ("POST", AUTH)
    assert form_of(token) == {"grant_type": "refresh_token", "refresh_token": "refresh-token-abc"}
    basic = base64.b64encode(b"Xq3vR8bT2kLm9w:").decode()
    assert token.headers["authorization"] == f"Basic {basic}"
    paths = [r.url.path for r in rig.platform.requests[1:]]
    assert paths == ["/r/BriocheEtCo/comments", "/message/mentions", "/message/inbox", "/api/info"]
    access = rig.platform.body("POST", AUTH)["access_token"]
    api = rig.platform.requests[1:]
    assert {r.headers["authorization"] for r in api} == {f"bearer {access}"}
    assert all("by /u/BriocheEtCo" in r.headers["user-agent"] for r in api)
    actionable = [item for item in result.items if not item.context_only]
    assert len(actionable) == ACTIONABLE
    assert Counter(item.kind for item in actionable) == {
        Kind.COMMENT: 17, Kind.REPLY: 15, Kind.MENTION: 7, Kind.DM: 3,
    }  # fmt: skip
    assert set(result.cursors) == {"subreddit", "mentions", "inbox"}
    assert {item.network for item in result.items} == {"reddit"}
    assert all(item.id == f"brioche-reddit/{item.remote_id}" for item in result.items)


async def test_threads_replies_mentions_and_messages(rig: Rig) -> None:
    items = (await rig.connector.fetch({})).items
    question = by_text(items, "le secret du flan")
    answer = by_text(items, "Pas de secret : du lait entier")
    thanks = by_text(items, "Une nuit ?! Ok c'est ça mon erreur")
    ama = by_text(items, "posez-nous vos questions sur le calendrier")
    assert question.kind is Kind.REPLY and question.parent_id == ama.id
    assert answer.context_only and answer.author.handle == "BriocheEtCo"
    assert thanks.kind is Kind.REPLY and thanks.parent_id == answer.id
    assert {question.thread_id, answer.thread_id, thanks.thread_id} == {ama.id}
    assert ama.context_only and ama.text.startswith("On est l'équipe Brioche & Co")
    assert question.url is not None and question.url.startswith(
        "https://www.reddit.com/r/BriocheEtCo/comments/"
    )
    mention = by_text(items, "Best pain au chocolat in Lyon")
    assert mention.kind is Kind.MENTION and "u/BriocheEtCo" in mention.text
    lyon = next(item for item in items if item.id == mention.thread_id)
    assert lyon.context_only and mention.parent_id == lyon.id  # from /api/info
    dm = by_text(items, "Voilà : commande BR-448120")
    assert dm.kind is Kind.DM and dm.url and "/message/messages/" in dm.url
    assert by_text(items, "Ancien employé ici").text.startswith("[bold]x[/] Ancien")


async def test_a_second_sync_stops_at_the_cursors(rig: Rig) -> None:
    first = await rig.connector.fetch({})
    rig.platform.requests.clear()
    second = await rig.connector.fetch(first.cursors)
    listings = [r for r in rig.platform.requests if r.url.path != "/api/info"]
    assert len(listings) == 3  # one page per stream, no token trade (still valid)
    assert second.cursors == first.cursors
    known = {item.id for item in first.items}
    assert {item.id for item in second.items} <= known  # same-second things come back, no more


def paged(platform: FakePlatform, url: str, size: int) -> None:
    """Serve the recorded listing at `url` in pages of `size`, following `after`."""
    everything = platform.body("GET", url)["data"]["children"]

    def handle(request: httpx.Request) -> httpx.Response | None:
        if request.url.path != httpx.URL(url).path:
            return None
        after = request.url.params.get("after")
        names = [child["data"]["name"] for child in everything]
        start = names.index(after) + 1 if after else 0
        page = everything[start : start + size]
        more = start + size < len(everything)
        data = {"after": page[-1]["data"]["name"] if more else None, "children": page}
        return httpx.Response(200, json={"kind": "Listing", "data": {**data, "before": None}})

    platform.handlers.append(handle)


async def test_paging_follows_after_and_stops_at_the_cursor(rig: Rig) -> None:
    whole = (await rig.connector.fetch({})).items
    paged(rig.platform, INBOX, 10)
    rig.platform.requests.clear()
    again = await rig.connector.fetch({})
    inbox = [r for r in rig.platform.requests if r.url.path == "/message/inbox"]
    assert [r.url.params.get("after") is None for r in inbox] == [True, False, False]
    assert {item.id for item in again.items} == {item.id for item in whole}
    # A cursor inside page two: page three is never asked for.
    entries = rig.platform.body("GET", INBOX)["data"]["children"]
    cursor = int(entries[14]["data"]["created_utc"] * 1000)
    rig.platform.requests.clear()
    await rig.connector.fetch({"inbox": str(cursor)})
    assert len([r for r in rig.platform.requests if r.url.path == "/message/inbox"]) == 2


REFUSALS = {
    "400 invalid_grant": httpx.Response(400, json={"error": "invalid_grant"}),
    "200 invalid_grant": httpx.Response(200, json={"error": "invalid_grant"}),
}


@pytest.mark.parametrize("answer", REFUSALS.values(), ids=REFUSALS.keys())
async def test_a_revoked_refresh_token_says_what_to_do(rig: Rig, answer: httpx.Response) -> None:
    rig.platform.faults.append(("access_token", answer))
    with pytest.raises(AuthError) as caught:
        await rig.connector.fetch({})
    message = str(caught.value)
    assert message.startswith("brioche-reddit: refresh token refused (")
    assert message.endswith("run `cmdesk accounts add brioche-reddit` again")
    assert "refresh-token-abc" not in message
    assert [r.url.path for r in rig.platform.requests] == ["/api/v1/access_token"]


async def test_an_expired_access_token_is_traded_again_once(rig: Rig) -> None:
    rig.platform.faults.append(("/r/BriocheEtCo/comments", httpx.Response(401)))
    result = await rig.connector.fetch({})
    assert sum(not item.context_only for item in result.items) == ACTIONABLE
    assert len(rig.platform.sent("access_token")) == 2


async def test_the_rate_limit_headers_are_honoured(rig: Rig) -> None:
    used_up = {"x-ratelimit-remaining": "0.0", "x-ratelimit-reset": "37", "x-ratelimit-used": "600"}
    body = rig.platform.body("GET", f"{OAUTH}/r/BriocheEtCo/comments?limit=100&raw_json=1")
    rig.platform.faults.append(
        ("/r/BriocheEtCo/comments", httpx.Response(200, json=body, headers=used_up))
    )
    await rig.connector.fetch({})
    assert rig.sleeps == [pytest.approx(37.0, abs=0.5)]


async def test_missing_context_does_not_lose_items(rig: Rig) -> None:
    for _ in range(4):
        rig.platform.faults.append(("/api/info", httpx.Response(503)))
    result = await rig.connector.fetch({})
    assert sum(not item.context_only for item in result.items) == ACTIONABLE


def _first_child(**changes: Any) -> Any:
    def change(body: dict[str, Any]) -> dict[str, Any]:
        body["data"]["children"][0]["data"].update(changes)
        return body

    return change


WRONG_SHAPES = {
    "not a listing": lambda body: {"kind": "t1", "data": {}},
    "children not a list": lambda body: {"kind": "Listing", "data": {"children": {}}},
    "unknown kind": lambda body: {
        **body,
        "data": {**body["data"], "children": [{"kind": "t9", "data": {}}]},
    },
    "no created_utc": _first_child(created_utc=None),
    "body not a string": _first_child(body=5),
    "after not a string": lambda body: {**body, "data": {**body["data"], "after": 7}},
}


@pytest.mark.parametrize("change", WRONG_SHAPES.values(), ids=WRONG_SHAPES.keys())
async def test_a_wrong_shape_raises_response_shape_error(rig: Rig, change: Any) -> None:
    rig.platform.edit("GET", INBOX, change)
    with pytest.raises(ResponseShapeError, match="unexpected Reddit"):
        await rig.connector.fetch({})


async def test_check_says_who_we_are_and_what_we_may_do(rig: Rig) -> None:
    line = await rig.connector.check()
    assert line == (
        "u/BriocheEtCo; scopes: edit history identity modposts privatemessages read report "
        "submit account; r/BriocheEtCo: moderator"
    )
    me = rig.platform.body("GET", f"{OAUTH}/api/v1/me")
    rig.platform.answer("GET", f"{OAUTH}/api/v1/me", json.dumps({**me, "name": "someone_else"}))
    with pytest.raises(AuthError, match="is for u/someone_else, not u/BriocheEtCo"):
        await rig.connector.check()


async def test_without_a_client_id_nothing_is_sent() -> None:
    platform = FakePlatform.from_fixtures(FIXTURES / "reddit")
    account = Account("r", "reddit", "B", OAUTH, {"username": "BriocheEtCo"})
    async with httpx.AsyncClient(transport=platform.transport()) as client:
        with pytest.raises(AuthError, match="client_id"):
            await RedditConnector(account, client, "tok").fetch({})
    assert platform.requests == []
