"""Replies and moderation, per connector, against the recorded platforms.

Each test asserts the exact request a platform would receive (method, path, body,
idempotency header or record key), and that a retry with the same key posts once.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from cmdesk.connectors.base import AuthError, Capability, Connector, ConnectorError, NotFound
from cmdesk.connectors.bluesky import BlueskyConnector
from cmdesk.connectors.bluesky_records import record_key
from cmdesk.connectors.discourse import DiscourseConnector
from cmdesk.connectors.mastodon import MastodonConnector
from cmdesk.connectors.reddit import RedditConnector
from cmdesk.model import Account, Item

from .conftest import FIXTURES
from .fake_platform import FakePlatform, form_of, json_of

MASTODON = Account("brioche-masto", "mastodon", "Brioche & Co", "https://piaille.fr",
                   {"handle": "briocheco"})  # fmt: skip
BLUESKY = Account("nordlys-bsky", "bluesky", "Nordlys", "https://bsky.social",
                  {"handle": "nordlys.bsky.social"})  # fmt: skip
DISCOURSE = Account("pixelpost-forum", "discourse", "PixelPost", "https://forum.pixelpost.example",
                    {"username": "pixelpost_team"})  # fmt: skip
REDDIT = Account(
    "brioche-reddit", "reddit", "Brioche & Co", "https://oauth.reddit.com",
    {"username": "BriocheEtCo", "subreddit": "BriocheEtCo", "client_id": "Xq3vR8bT2kLm9w",
     "auth_url": "https://www.reddit.com/api/v1/access_token"},
)  # fmt: skip
CLASSES: dict[str, type[Connector]] = {
    "mastodon": MastodonConnector,
    "bluesky": BlueskyConnector,
    "discourse": DiscourseConnector,
    "reddit": RedditConnector,
}


class Rig:
    def __init__(self, platform: FakePlatform, connector: Any, items: list[Item]) -> None:
        self.platform, self.connector, self.items = platform, connector, items
        self.sleeps: list[float] = []

    def item(self, fragment: str) -> Item:
        found = [item for item in self.items if fragment in item.text]
        assert len(found) == 1, f"{len(found)} items contain {fragment!r}"
        return found[0]


async def make_rig(account: Account, token: str = "token-123") -> AsyncIterator[Rig]:
    platform = FakePlatform.from_fixtures(FIXTURES / account.network)
    async with httpx.AsyncClient(transport=platform.transport()) as client:
        connector = CLASSES[account.network](account, client, token)
        items = (await connector.fetch({})).items
        rig = Rig(platform, connector, items)

        async def no_sleep(seconds: float) -> None:
            rig.sleeps.append(seconds)

        connector.http._sleep = no_sleep
        platform.requests.clear()
        yield rig


@pytest.fixture
async def masto() -> AsyncIterator[Rig]:
    async for rig in make_rig(MASTODON):
        yield rig


@pytest.fixture
async def bsky() -> AsyncIterator[Rig]:
    async for rig in make_rig(BLUESKY):
        yield rig


@pytest.fixture
async def forum() -> AsyncIterator[Rig]:
    async for rig in make_rig(DISCOURSE):
        yield rig


@pytest.fixture
async def reddit() -> AsyncIterator[Rig]:
    async for rig in make_rig(REDDIT):
        yield rig


# -- Mastodon ---------------------------------------------------------------------------------

MASTO_STATUSES = "https://piaille.fr/api/v1/statuses"


async def test_mastodon_reply_mentions_the_author_in_the_parents_visibility(masto: Rig) -> None:
    item = masto.item("Il y a une version sans gluten")
    remote = await masto.connector.reply(item, "Bonjour ! Pas cette année 😔", "key-1")
    (post,) = masto.platform.sent("/api/v1/statuses", "POST")
    assert (post.method, post.url.path) == ("POST", "/api/v1/statuses")
    assert json_of(post) == {
        "status": "@lucie_mrt Bonjour ! Pas cette année 😔",
        "in_reply_to_id": item.remote_id,
        "visibility": "public",
    }
    assert post.headers["idempotency-key"] == "key-1"
    assert post.headers["authorization"] == "Bearer token-123"
    assert remote == masto.platform.body("POST", MASTO_STATUSES)["id"]


async def test_mastodon_a_dm_is_answered_in_a_dm(masto: Rig) -> None:
    item = masto.item("Voilà : BR-418203, 44000 Nantes")
    await masto.connector.reply(item, "@marie_dupuis merci, c'est parti !", "key-2")
    (post,) = masto.platform.sent("/api/v1/statuses", "POST")
    body = json_of(post)
    assert body["visibility"] == "direct"
    assert body["status"] == "@marie_dupuis merci, c'est parti !"  # already mentioned


async def test_mastodon_a_remote_author_is_mentioned_with_their_instance(masto: Rig) -> None:
    item = masto.item("ok parfait je prends le retrait alors")
    await masto.connector.reply(item, "Parfait !", "key-3")
    assert json_of(masto.platform.sent("/api/v1/statuses", "POST")[0])["status"] == (
        "@papa_ours@mamot.fr Parfait !"
    )


async def test_mastodon_a_retry_sends_the_same_idempotency_key(masto: Rig) -> None:
    item = masto.item("Il y a une version sans gluten")
    masto.platform.faults.append(("/api/v1/statuses", httpx.Response(502)))  # the GET
    masto.platform.faults.append(("/api/v1/statuses", httpx.Response(502)))
    first = await masto.connector.reply(item, "Merci !", "key-4")
    again = await masto.connector.reply(item, "Merci !", "key-4")  # the outbox retrying
    posts = masto.platform.sent("/api/v1/statuses", "POST")
    assert {post.headers["idempotency-key"] for post in posts} == {"key-4"}
    assert first == again  # Mastodon answers a known key with the status it already made


async def test_mastodon_a_deleted_parent_is_one_clear_line_and_nothing_is_posted(
    masto: Rig,
) -> None:
    item = masto.item("Il y a une version sans gluten")
    gone = httpx.Response(404, json={"error": "Record not found"})
    masto.platform.faults.append((f"/api/v1/statuses/{item.remote_id}", gone))
    with pytest.raises(NotFound) as caught:
        await masto.connector.reply(item, "Merci !", "key-5")
    assert str(caught.value) == (
        "the post by @lucie_mrt was deleted (or is no longer visible to this account): "
        "nothing to reply to"
    )
    assert masto.platform.writes() == []


async def test_mastodon_block_mute_report_and_delete(masto: Rig) -> None:
    troll = masto.item("pain de mie industriel")
    own = next(item for item in masto.items if item.author.handle == "briocheco")
    base = "https://piaille.fr/api/v1"
    relationship = {"id": troll.author.id, "blocking": True, "muting": True}
    for action in ("block", "mute"):
        masto.platform.answer("POST", f"{base}/accounts/{troll.author.id}/{action}", relationship)
    masto.platform.answer("DELETE", f"{base}/statuses/{own.remote_id}", {"id": own.remote_id})
    for action in (Capability.BLOCK, Capability.MUTE, Capability.SPAM, Capability.DELETE):
        await masto.connector.moderate(own if action is Capability.DELETE else troll, action)
    assert masto.platform.writes() == [
        ("POST", f"/api/v1/accounts/{troll.author.id}/block"),
        ("POST", f"/api/v1/accounts/{troll.author.id}/mute"),
        ("POST", "/api/v1/reports"),
        ("DELETE", f"/api/v1/statuses/{own.remote_id}"),
    ]
    report = json_of(masto.platform.sent("/api/v1/reports")[0])
    assert report == {
        "account_id": troll.author.id,
        "status_ids": [troll.remote_id],
        "category": "spam",
        "comment": "Reported from cmdesk by Brioche & Co",
        "forward": True,  # le_vrai_boulanger is on mastodon.social: his admins see it too
    }


async def test_mastodon_refuses_what_the_platform_does_not_offer(masto: Rig) -> None:
    troll = masto.item("pain de mie industriel")
    with pytest.raises(ConnectorError, match="only lets you delete your own posts"):
        await masto.connector.moderate(troll, Capability.DELETE)
    with pytest.raises(ConnectorError, match="mastodon connector cannot hide"):
        await masto.connector.moderate(troll, Capability.HIDE)
    assert masto.platform.writes() == []
    assert Capability.HIDE not in MastodonConnector.capabilities


async def test_mastodon_and_bluesky_have_no_thread_lock(masto: Rig, bsky: Rig) -> None:
    for rig, cls in ((masto, MastodonConnector), (bsky, BlueskyConnector)):
        assert not {Capability.LOCK, Capability.UNLOCK} & cls.capabilities
        item = next(i for i in rig.items if not i.context_only)
        with pytest.raises(ConnectorError, match=f"{cls.network} connector cannot lock"):
            await rig.connector.moderate(item, Capability.LOCK)
        assert rig.platform.writes() == []


# -- Bluesky ----------------------------------------------------------------------------------

XRPC = "https://bsky.social/xrpc"


def fake_pds(rig: Rig, *, lose_first_answer: bool = False) -> dict[str, dict[str, Any]]:
    """getRecord / createRecord with state, as a PDS has: a taken rkey is an error (a 500)."""
    records: dict[str, dict[str, Any]] = {}
    did = rig.platform.body("POST", f"{XRPC}/com.atproto.server.createSession")["did"]
    lost = [lose_first_answer]

    def handle(request: httpx.Request) -> httpx.Response | None:
        if request.url.path.endswith("com.atproto.repo.getRecord"):
            rkey = request.url.params["rkey"]
            if rkey not in records:
                return httpx.Response(400, json={"error": "RecordNotFound", "message": "nope"})
            return httpx.Response(200, json=records[rkey])
        if request.url.path.endswith("com.atproto.repo.createRecord"):
            body = json_of(request)
            if body["rkey"] in records:
                return httpx.Response(500, json={"error": "InternalServerError"})
            uri = f"at://{did}/{body['collection']}/{body['rkey']}"
            records[body["rkey"]] = {"uri": uri, "cid": "bafyreinew", "value": body["record"]}
            if lost[0]:
                lost[0] = False
                return httpx.Response(502)  # written, but the answer never arrives
            return httpx.Response(200, json={"uri": uri, "cid": "bafyreinew"})
        return None

    rig.platform.handlers.append(handle)
    return records


async def test_bluesky_reply_has_strong_refs_facets_and_a_key_derived_rkey(bsky: Rig) -> None:
    records = fake_pds(bsky)
    item = next(i for i in bsky.items if i.parent_id and not i.context_only)
    text = "Merci 🙏 voir https://nordlys.example/aide #repair"
    uri = await bsky.connector.reply(item, text, "key-1")
    (create,) = bsky.platform.sent("createRecord")
    body = json_of(create)
    rkey = record_key("key-1", item.created_at)
    assert uri.endswith(f"/app.bsky.feed.post/{rkey}") and list(records) == [rkey]
    assert (body["collection"], body["rkey"]) == ("app.bsky.feed.post", rkey)
    thread = bsky.platform.body(
        "GET",
        f"{XRPC}/app.bsky.feed.getPostThread?uri={item.remote_id}&depth=0&parentHeight=20",
    )["thread"]
    record = body["record"]
    assert record["reply"] == {
        "root": thread["post"]["record"]["reply"]["root"],
        "parent": {"uri": thread["post"]["uri"], "cid": thread["post"]["cid"]},
    }
    assert record["text"] == text and record["$type"] == "app.bsky.feed.post"
    link_start = len("Merci 🙏 voir ".encode())
    assert record["facets"] == [
        {
            "index": {"byteStart": link_start, "byteEnd": link_start + 28},
            "features": [{"$type": "app.bsky.richtext.facet#link",
                          "uri": "https://nordlys.example/aide"}],
        },
        {
            "index": {"byteStart": link_start + 29, "byteEnd": link_start + 36},
            "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "repair"}],
        },
    ]  # fmt: skip


async def test_bluesky_mentions_are_resolved_to_dids(bsky: Rig) -> None:
    fake_pds(bsky)
    did = "did:plc:ingridingridingridingrid"
    bsky.platform.answer(
        "GET", f"{XRPC}/com.atproto.identity.resolveHandle?handle=ingrid-hikes.bsky.social",
        {"did": did},
    )  # fmt: skip
    item = next(i for i in bsky.items if i.parent_id and not i.context_only)
    await bsky.connector.reply(item, "Hej @ingrid-hikes.bsky.social, @nobody.example !", "k")
    facets = json_of(bsky.platform.sent("createRecord")[0])["record"]["facets"]
    assert facets == [
        {
            "index": {"byteStart": 4, "byteEnd": 29},
            "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}],
        }
    ]  # an unknown handle stays plain text


async def test_bluesky_a_retry_with_the_same_key_posts_once(bsky: Rig) -> None:
    records = fake_pds(bsky, lose_first_answer=True)
    item = next(i for i in bsky.items if i.parent_id and not i.context_only)
    first = await bsky.connector.reply(item, "Merci !", "key-7")
    # The lost answer was retried into "already exists", which counts as success.
    tries = bsky.platform.sent("createRecord")
    assert len(tries) == 4 and {json_of(c)["rkey"] for c in tries} == set(records)
    again = await bsky.connector.reply(item, "Merci !", "key-7")  # the outbox retrying
    assert first == again and len(records) == 1
    assert len(bsky.platform.sent("createRecord")) == 4  # found by getRecord: not posted again


async def test_bluesky_a_deleted_parent_is_one_clear_line(bsky: Rig) -> None:
    fake_pds(bsky)
    item = next(i for i in bsky.items if i.parent_id and not i.context_only)
    gone = httpx.Response(400, json={"error": "NotFound", "message": "Post not found"})
    bsky.platform.faults.append(("getPostThread", gone))
    with pytest.raises(NotFound, match=rf"the post by @{item.author.handle} was deleted"):
        await bsky.connector.reply(item, "Merci !", "key-8")
    assert not bsky.platform.sent("createRecord")


async def test_bluesky_mute_block_report_delete(bsky: Rig) -> None:
    records = fake_pds(bsky)
    person = next(i for i in bsky.items if i.parent_id and not i.context_only)
    session = bsky.platform.body("POST", f"{XRPC}/com.atproto.server.createSession")
    own = next(i for i in bsky.items if i.author.id == session["did"])
    bsky.platform.answer("POST", f"{XRPC}/com.atproto.moderation.createReport", {"id": 1})
    await bsky.connector.moderate(person, Capability.MUTE)
    await bsky.connector.moderate(person, Capability.BLOCK)
    await bsky.connector.moderate(person, Capability.BLOCK)  # twice: one block record
    await bsky.connector.moderate(person, Capability.SPAM)
    await bsky.connector.moderate(own, Capability.DELETE)
    mute = json_of(bsky.platform.sent("muteActor")[0])
    assert mute == {"actor": person.author.id}
    (block,) = [json_of(r) for r in bsky.platform.sent("createRecord")]
    assert block["collection"] == "app.bsky.graph.block"
    assert block["record"]["subject"] == person.author.id and len(records) == 1
    report_request = bsky.platform.sent("createReport")[0]
    assert report_request.headers["atproto-proxy"] == (
        "did:plc:ar7c4by46qjdydhdevvrndac#atproto_labeler"
    )
    report = json_of(report_request)
    assert report["reasonType"] == "com.atproto.moderation.defs#reasonSpam"
    assert report["subject"]["$type"] == "com.atproto.repo.strongRef"
    assert report["subject"]["uri"] == person.remote_id
    delete = json_of(bsky.platform.sent("deleteRecord")[0])
    assert delete == {
        "repo": session["did"],
        "collection": "app.bsky.feed.post",
        "rkey": own.remote_id.rsplit("/", 1)[-1],
    }


# -- Discourse --------------------------------------------------------------------------------

FORUM = "https://forum.pixelpost.example"


async def test_discourse_reply_goes_under_the_post_in_its_topic(forum: Rig) -> None:
    item = next(i for i in forum.items if not i.context_only and i.kind.value == "reply")
    topic_id, number = (int(part) for part in item.url.rsplit("/", 2)[-2:])  # type: ignore[union-attr]
    remote = await forum.connector.reply(item, "Thanks, we're on it!", "key-1")
    assert forum.platform.writes() == [("POST", "/posts.json")]
    post = forum.platform.sent("/posts.json", "POST")[0]
    assert json_of(post) == {
        "topic_id": topic_id,
        "raw": "Thanks, we're on it!",
        "reply_to_post_number": number,
    }
    assert post.headers["api-key"] == "token-123"
    assert post.headers["api-username"] == "pixelpost_team"
    assert remote == str(forum.platform.body("POST", f"{FORUM}/posts.json")["id"])


async def test_discourse_a_retry_finds_the_reply_and_posts_once(forum: Rig) -> None:
    item = next(i for i in forum.items if not i.context_only and i.kind.value == "reply")
    topic_id, number = (int(part) for part in item.url.rsplit("/", 2)[-2:])  # type: ignore[union-attr]
    forum.platform.faults.append(
        (f"{FORUM}/posts.json", httpx.Response(200, json={"latest_posts": []}))
    )
    forum.platform.faults.append((f"{FORUM}/posts.json", httpx.Response(502)))
    with pytest.raises(ConnectorError, match="not retried: it may have gone through"):
        await forum.connector.reply(item, "Thanks, we're on it!", "key-2")
    assert len(forum.platform.sent("/posts.json", "POST")) == 1

    def went_through(body: dict[str, Any]) -> dict[str, Any]:
        mine = {**body["latest_posts"][0], "id": 99999, "username": "pixelpost_team"}
        mine |= {"topic_id": topic_id, "reply_to_post_number": number}
        mine |= {"raw": "Thanks, we're on it!\n", "deleted_at": None}
        return {"latest_posts": [mine, *body["latest_posts"]]}

    forum.platform.edit("GET", f"{FORUM}/posts.json", went_through)
    assert await forum.connector.reply(item, "Thanks, we're on it!", "key-2") == "99999"
    assert len(forum.platform.sent("/posts.json", "POST")) == 1


async def test_discourse_a_deleted_topic_is_one_clear_line(forum: Rig) -> None:
    item = next(i for i in forum.items if not i.context_only)
    topic_id = item.url.rsplit("/", 2)[-2]  # type: ignore[union-attr]
    gone = httpx.Response(
        404, json={"errors": ["The requested URL or resource could not be found."]}
    )
    forum.platform.handlers.append(lambda request: gone if request.method == "POST" else None)
    with pytest.raises(NotFound, match=f"topic {topic_id} was deleted: nothing to reply to"):
        await forum.connector.reply(item, "Hello", "key-3")


async def test_discourse_moderation(forum: Rig) -> None:
    item = next(i for i in forum.items if not i.context_only)
    post = f"{FORUM}/posts/{item.remote_id}"
    forum.platform.answer("DELETE", post, "")
    forum.platform.answer("PUT", f"{post}/recover", "")
    for action in (Capability.HIDE, Capability.RESTORE, Capability.SPAM, Capability.DELETE):
        await forum.connector.moderate(item, action)
    assert forum.platform.writes() == [
        ("DELETE", f"/posts/{item.remote_id}"),
        ("PUT", f"/posts/{item.remote_id}/recover"),
        ("POST", "/post_actions"),
        ("DELETE", f"/posts/{item.remote_id}"),
    ]
    flag = json_of(forum.platform.sent("/post_actions")[0])
    assert flag == {"id": int(item.remote_id), "post_action_type_id": 8, "flag_topic": False}
    with pytest.raises(ConnectorError, match="discourse connector cannot block"):
        await forum.connector.moderate(item, Capability.BLOCK)


async def test_discourse_lock_closes_the_topic_and_unlock_reopens_it(forum: Rig) -> None:
    item = next(i for i in forum.items if not i.context_only and i.kind.value == "reply")
    topic_id = int(item.url.rsplit("/", 2)[-2])  # type: ignore[union-attr]
    await forum.connector.moderate(item, Capability.LOCK)
    await forum.connector.moderate(item, Capability.UNLOCK)
    path = f"/t/{topic_id}/status.json"
    assert forum.platform.writes() == [("PUT", path), ("PUT", path)]
    lock, unlock = forum.platform.sent(path)
    assert json_of(lock) == {"status": "closed", "enabled": "true"}
    assert json_of(unlock) == {"status": "closed", "enabled": "false"}
    assert lock.headers["api-key"] == "token-123"
    assert lock.headers["api-username"] == "pixelpost_team"
    assert forum.platform.body("PUT", f"{FORUM}{path}") == {
        "success": "OK",
        "topic_status_update": None,
    }


async def test_discourse_lock_finds_the_topic_of_a_post_without_a_link(forum: Rig) -> None:
    item = next(i for i in forum.items if not i.context_only and i.kind.value == "reply")
    topic_id, number = (int(part) for part in item.url.rsplit("/", 2)[-2:])  # type: ignore[union-attr]
    post = {"id": int(item.remote_id), "topic_id": topic_id, "post_number": number}
    forum.platform.answer("GET", f"{FORUM}/posts/{item.remote_id}.json", post)
    await forum.connector.moderate(replace(item, url=None), Capability.LOCK)
    assert forum.platform.writes() == [("PUT", f"/t/{topic_id}/status.json")]


async def test_discourse_lock_by_a_user_who_is_not_staff_is_one_clear_line(forum: Rig) -> None:
    item = next(i for i in forum.items if not i.context_only)
    refused = httpx.Response(
        403, json={"errors": ["You are not permitted to view the requested resource."]}
    )
    forum.platform.faults.append(("/status.json", refused))
    topic_id = item.url.rsplit("/", 2)[-2]  # type: ignore[union-attr]
    with pytest.raises(AuthError) as caught:
        await forum.connector.moderate(item, Capability.LOCK)
    assert str(caught.value).startswith(
        f"pixelpost-forum: refused (HTTP 403 on PUT /t/{topic_id}/status.json: "
        "You are not permitted to view the requested resource.): the account lacks this "
        "permission"
    )


# -- Reddit -----------------------------------------------------------------------------------

OAUTH = "https://oauth.reddit.com"


async def test_reddit_reply_is_a_form_post_after_looking_for_it(reddit: Rig) -> None:
    item = reddit.item("le code promo BIENVENUE10 ne passe pas")
    remote = await reddit.connector.reply(item, "Il est valable jusqu'au 30/11 !", "key-1")
    assert [r.url.path for r in reddit.platform.requests] == [
        "/user/BriocheEtCo/comments",
        "/api/comment",
    ]
    post = reddit.platform.sent("/api/comment")[0]
    assert post.headers["content-type"] == "application/x-www-form-urlencoded"
    assert form_of(post) == {
        "api_type": "json",
        "thing_id": item.remote_id,
        "text": "Il est valable jusqu'au 30/11 !",
    }
    assert post.headers["authorization"].startswith("bearer ")
    answer = reddit.platform.body("POST", f"{OAUTH}/api/comment")
    assert remote == answer["json"]["data"]["things"][0]["data"]["name"]


async def test_reddit_a_retry_finds_the_reply_and_posts_once(reddit: Rig) -> None:
    item = reddit.item("le code promo BIENVENUE10 ne passe pas")
    query = f"{OAUTH}/user/BriocheEtCo/comments?limit=25&raw_json=1&sort=new"

    def went_through(body: dict[str, Any]) -> dict[str, Any]:
        mine = json.loads(json.dumps(body["data"]["children"][0]))
        mine["data"] |= {"name": "t1_zzzzzzz", "parent_id": item.remote_id, "body": "Oui !"}
        body["data"]["children"].insert(0, mine)
        return body

    reddit.platform.edit("GET", query, went_through)
    assert await reddit.connector.reply(item, "Oui !", "key-2") == "t1_zzzzzzz"
    assert not reddit.platform.sent("/api/comment")


async def test_reddit_a_deleted_parent_is_one_clear_line(reddit: Rig) -> None:
    item = reddit.item("le code promo BIENVENUE10 ne passe pas")
    errors = {"json": {"errors": [["DELETED_COMMENT", "that comment has been deleted", "parent"]]}}
    reddit.platform.answer("POST", f"{OAUTH}/api/comment", errors)
    with pytest.raises(NotFound) as caught:
        await reddit.connector.reply(item, "Oui !", "key-3")
    assert str(caught.value) == (
        f"the comment by u/{item.author.handle} was deleted: that comment has been deleted"
    )


async def test_reddit_a_dm_is_answered_in_its_conversation(reddit: Rig) -> None:
    item = next(i for i in reddit.items if i.remote_id.startswith("t4_") and not i.context_only)
    await reddit.connector.reply(item, "Merci, c'est noté !", "key-4")
    assert [r.url.path for r in reddit.platform.requests] == ["/message/sent", "/api/comment"]
    assert form_of(reddit.platform.sent("/api/comment")[0])["thing_id"] == item.remote_id


async def test_reddit_moderation(reddit: Rig) -> None:
    item = reddit.item("le code promo BIENVENUE10 ne passe pas")
    for action in (Capability.HIDE, Capability.SPAM, Capability.RESTORE, Capability.BLOCK,
                   Capability.REPORT):  # fmt: skip
        await reddit.connector.moderate(item, action)
    sent = [(r.url.path, form_of(r)) for r in reddit.platform.requests if r.method == "POST"]
    assert sent == [
        ("/api/remove", {"id": item.remote_id, "spam": "false"}),
        ("/api/remove", {"id": item.remote_id, "spam": "true"}),
        ("/api/approve", {"id": item.remote_id}),
        ("/api/block_user", {"account_id": item.author.id}),
        ("/api/report", {"api_type": "json", "thing_id": item.remote_id,
                         "reason": "Reported from cmdesk by Brioche & Co"}),
    ]  # fmt: skip
    with pytest.raises(ConnectorError, match="only lets you delete your own comments"):
        await reddit.connector.moderate(item, Capability.DELETE)
    with pytest.raises(ConnectorError, match="reddit connector cannot mute"):
        await reddit.connector.moderate(item, Capability.MUTE)


async def test_reddit_lock_and_unlock_the_comments_submission(reddit: Rig) -> None:
    item = reddit.item("le code promo BIENVENUE10 ne passe pas")
    submission = item.thread_id.removeprefix("brioche-reddit/")  # type: ignore[union-attr]
    assert submission.startswith("t3_") and submission != item.remote_id
    await reddit.connector.moderate(item, Capability.LOCK)
    await reddit.connector.moderate(item, Capability.UNLOCK)
    sent = [(r.url.path, form_of(r)) for r in reddit.platform.requests if r.method == "POST"]
    assert sent == [("/api/lock", {"id": submission}), ("/api/unlock", {"id": submission})]
    lock = reddit.platform.sent("/api/lock")[0]
    assert lock.headers["content-type"] == "application/x-www-form-urlencoded"
    assert lock.headers["authorization"].startswith("bearer ")
    assert reddit.platform.body("POST", f"{OAUTH}/api/lock") == {}


async def test_reddit_a_private_message_has_no_thread_to_lock(reddit: Rig) -> None:
    item = next(i for i in reddit.items if i.remote_id.startswith("t4_") and not i.context_only)
    with pytest.raises(ConnectorError, match="a private message has no thread to lock"):
        await reddit.connector.moderate(item, Capability.LOCK)
    assert reddit.platform.writes() == []


def test_capabilities_are_declared_per_connector() -> None:
    assert Capability.DM in MastodonConnector.capabilities
    assert Capability.DM not in BlueskyConnector.capabilities
    assert {Capability.HIDE, Capability.RESTORE} <= DiscourseConnector.capabilities
    assert {Capability.HIDE, Capability.SPAM, Capability.RESTORE} <= RedditConnector.capabilities
    for cls in (DiscourseConnector, RedditConnector):
        assert {Capability.LOCK, Capability.UNLOCK} <= cls.capabilities
    for cls in CLASSES.values():
        assert Capability.REPLY in cls.capabilities


async def test_logins_outlive_the_connector_but_not_a_new_token() -> None:
    """The engine builds a connector per pass on the account's client: no login per pass."""
    platform = FakePlatform.from_fixtures(FIXTURES / "bluesky", FIXTURES / "reddit")
    async with httpx.AsyncClient(transport=platform.transport()) as client:
        for token in ("app-password", "app-password", "new-app-password"):
            await BlueskyConnector(BLUESKY, client, token).fetch({})
            await RedditConnector(REDDIT, client, token).fetch({})
    assert len(platform.sent("createSession")) == 2
    assert len(platform.sent("access_token")) == 2
