"""Discourse: new forum posts from `/posts.json`, threaded with `/t/{id}.json`.

Follows the Discourse API reference (docs.discourse.org): "List latest posts
across topics" (`GET /posts.json` → `latest_posts`, newest id first; `before`
returns posts whose id is at most that value) and "Get a single topic"
(`GET /t/{id}.json` → `post_stream.posts`, the topic's first chunk of posts).
Writes: "Create a topic, post, or private message" (`POST /posts.json` with `topic_id`
and `reply_to_post_number`), `DELETE /posts/{id}`, `PUT /posts/{id}/recover`,
`POST /post_actions` (flags), "Update the status of a topic" (`PUT /t/{id}/status.json`
with `status=closed` and `enabled` "true" or "false": close or reopen it), and
`GET /session/current.json` to check the key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import suppress
from typing import Any, ClassVar

from cmdesk.connectors.base import (
    AuthError,
    Capability,
    Connector,
    ConnectorError,
    FetchResult,
    NotFound,
    Option,
    RateLimited,
    ResponseShapeError,
    expect_list,
    expect_str,
    host_of,
    parse_time_ms,
    shape_guard,
)
from cmdesk.connectors.html_text import html_to_text
from cmdesk.model import Author, Item, Kind

STREAM = "posts"
_REGULAR = 1  # post_type: moderator actions, small actions and whispers are not questions
#: `post_action_type_id`s of flags (PostActionType): inappropriate, spam.
_FLAG_INAPPROPRIATE, _FLAG_SPAM = 4, 8
_POST_URL = re.compile(r"/t/[^/]+/(\d+)/(\d+)$")


class DiscourseConnector(Connector):
    """One Discourse forum, read as an API user (its posts are the brand's own)."""

    network = "discourse"
    options = (Option("username", "The API user, sent as `Api-Username`", required=True),)
    #: HIDE, DELETE, RESTORE, SPAM, LOCK and UNLOCK (close and reopen the topic) need a
    #: moderator API user. No DM (personal messages are not read) and no BLOCK or MUTE
    #: (silencing a user is an admin action).
    capabilities = frozenset(
        {
            Capability.REPLY,
            Capability.HIDE,
            Capability.DELETE,
            Capability.RESTORE,
            Capability.SPAM,
            Capability.REPORT,
            Capability.LOCK,
            Capability.UNLOCK,
        }
    )
    #: Pages read on a first sync (no cursor), and to catch up to a saved one.
    max_pages: ClassVar[int] = 5
    catch_up_pages: ClassVar[int] = 50

    async def fetch(self, cursors: Mapping[str, str]) -> FetchResult:
        since = _cursor(cursors.get(STREAM))
        posts = await self._latest(since)
        by_topic: dict[int, list[dict[str, Any]]] = {}
        for post in reversed(posts):  # oldest first
            if post.get("post_type", _REGULAR) == _REGULAR and not post.get("deleted_at"):
                by_topic.setdefault(post["topic_id"], []).append(post)
        items: dict[str, Item] = {}
        for topic_id, new_posts in by_topic.items():
            topic = await self._topic(topic_id)
            with shape_guard("Discourse topic"):
                self._collect(topic, new_posts, items)
        newest = max((post["id"] for post in posts), default=since)
        return FetchResult(
            items=list(items.values()),
            cursors={STREAM: str(newest)} if newest is not None else {},
        )

    @property
    def _username(self) -> str:
        return str(self.account.options.get("username") or "")

    @property
    def _headers(self) -> dict[str, str]:
        if not self.token or not self._username:
            raise AuthError(f"{self.account.name}: a Discourse API key and username are needed")
        return {"Api-Key": self.token, "Api-Username": self._username}

    async def _latest(self, since: int | None) -> list[dict[str, Any]]:
        """Posts with an id above `since`, newest first, paging down with `before`."""
        params: dict[str, int] | None = None
        found: list[dict[str, Any]] = []
        for _ in range(self.max_pages if since is None else self.catch_up_pages):
            body = await self.http.get_json(
                f"{self.base_url}/posts.json", params=params, headers=self._headers
            )
            with shape_guard("Discourse latest posts"):
                page = [_post(post) for post in expect_list(body["latest_posts"])]
            fresh = [post for post in page if since is None or post["id"] > since]
            found.extend(fresh)
            lowest = min((post["id"] for post in page), default=0)
            if not page or len(fresh) < len(page) or lowest <= 1:
                break
            params = {"before": lowest - 1}
        return found

    async def _topic(self, topic_id: int) -> dict[str, Any] | None:
        try:
            body = await self.http.get_json(
                f"{self.base_url}/t/{topic_id}.json", headers=self._headers
            )
        except (AuthError, RateLimited, ResponseShapeError):
            raise
        except ConnectorError:
            return None  # a topic deleted or made private since: its posts still matter
        if not isinstance(body, dict):
            raise ResponseShapeError(f"unexpected Discourse topic shape ({type(body).__name__})")
        return body

    def _collect(
        self, topic: dict[str, Any] | None, new_posts: list[dict[str, Any]], items: dict[str, Item]
    ) -> None:
        """Add a topic's new posts, their reply chain and the topic's first post as context."""
        known: dict[int, dict[str, Any]] = {}
        if topic is not None:
            for post in expect_list(topic["post_stream"]["posts"]):
                known[_post(post)["post_number"]] = post
        for post in new_posts:
            known[post["post_number"]] = post
        root = known.get(1)
        thread = self.item_id(str(root["id"])) if root else None
        slug = topic["slug"] if topic else None
        for post in new_posts:
            item = self._item(post, known, thread, slug, actionable=True)
            items[item.id] = item  # the actionable copy wins over a context one
            number, seen = _parent_number(post), set()
            while number in known and number not in seen:
                seen.add(number)
                ancestor = known[number]
                if ancestor.get("post_type", _REGULAR) == _REGULAR:
                    context = self._item(ancestor, known, thread, slug, actionable=False)
                    items.setdefault(context.id, context)
                number = _parent_number(ancestor)
        if root is not None:
            context = self._item(root, known, thread, slug, actionable=False)
            items.setdefault(context.id, context)

    def _item(
        self,
        post: dict[str, Any],
        known: dict[int, dict[str, Any]],
        thread: str | None,
        slug: str | None,
        *,
        actionable: bool,
    ) -> Item:
        above = _parent_number(post)
        parent = known.get(above) if above is not None else None
        username = expect_str(post, "username")
        number = post["post_number"]
        return Item(
            id=self.item_id(str(post["id"])),
            account=self.account.name,
            network=self.network,
            brand=self.account.brand,
            kind=Kind.COMMENT if number == 1 else Kind.REPLY,
            remote_id=str(post["id"]),
            author=Author(
                id=str(post["user_id"]), handle=username, display_name=post.get("name") or ""
            ),
            text=html_to_text(expect_str(post, "cooked")),
            created_at=parse_time_ms(expect_str(post, "created_at")),
            thread_id=thread,
            parent_id=self.item_id(str(parent["id"])) if parent else None,
            url=f"{self.base_url}/t/{post.get('topic_slug') or slug}/{post['topic_id']}/{number}",
            context_only=not actionable or username.lower() == self._username.lower(),
        )

    # -- write path -------------------------------------------------------------------------

    async def check(self) -> str:
        body = await self.http.get_json(
            f"{self.base_url}/session/current.json", headers=self._headers
        )
        with shape_guard("Discourse current user"):
            user = body["current_user"]
            username = expect_str(user, "username")
            staff = "admin" if user.get("admin") else "moderator" if user.get("moderator") else ""
            level = user.get("trust_level")
        if username.lower() != self._username.lower():
            raise AuthError(f"the API key acts as @{username}, not @{self._username}")
        host = host_of(self.base_url)
        if staff:
            return (
                f"@{username} on {host} ({staff}); "
                "may reply, hide, delete, recover, flag and lock topics"
            )
        return f"@{username} on {host} (trust level {level}); may reply and flag, not moderate"

    async def reply(self, item: Item, text: str, key: str) -> str:
        """Reply in the item's topic, under the item.

        Discourse has no idempotency key: before posting, the latest posts are
        searched for the same text by us, in that topic, under that post (a retry
        after a lost answer finds it there and returns its id).
        """
        topic_id, number = await self._locate(item)
        existing = await self._already_posted(topic_id, number, text)
        if existing is not None:
            return existing
        try:
            body, _ = await self.http.request_json(
                "POST",
                f"{self.base_url}/posts.json",
                json_body={"topic_id": topic_id, "raw": text, "reply_to_post_number": number},
                headers=self._headers,
            )
        except NotFound as exc:
            raise NotFound(f"topic {topic_id} was deleted: nothing to reply to") from exc
        with shape_guard("Discourse post"):
            return str(_post(body)["id"])

    async def moderate(self, item: Item, action: Capability) -> None:
        url = f"{self.base_url}/posts/{item.remote_id}"
        if action in (Capability.HIDE, Capability.DELETE):
            with suppress(NotFound):  # already gone: the goal is reached
                await self.http.request_json("DELETE", url, headers=self._headers)
        elif action is Capability.RESTORE:
            await self.http.request_json("PUT", f"{url}/recover", headers=self._headers)
        elif action in (Capability.SPAM, Capability.REPORT):
            flag = _FLAG_SPAM if action is Capability.SPAM else _FLAG_INAPPROPRIATE
            body = {"id": int(item.remote_id), "post_action_type_id": flag, "flag_topic": False}
            await self.http.request_json(
                "POST", f"{self.base_url}/post_actions", json_body=body, headers=self._headers
            )
        elif action in (Capability.LOCK, Capability.UNLOCK):
            # Lock = close the post's topic: nobody but staff may reply until it is reopened.
            topic_id, _ = await self._locate(item, why="no topic to close")
            enabled = "true" if action is Capability.LOCK else "false"  # a string enum here
            await self.http.request_json(
                "PUT",
                f"{self.base_url}/t/{topic_id}/status.json",
                json_body={"status": "closed", "enabled": enabled},
                headers=self._headers,
            )
        else:
            raise self._unsupported(action)

    async def _locate(self, item: Item, why: str = "nothing to reply to") -> tuple[int, int]:
        """(topic id, post number) of `item`: from its URL, else from `GET /posts/{id}.json`."""
        match = _POST_URL.search(item.url or "")
        if match:
            return int(match.group(1)), int(match.group(2))
        try:
            body = await self.http.get_json(
                f"{self.base_url}/posts/{item.remote_id}.json", headers=self._headers
            )
        except NotFound as exc:
            raise NotFound(f"post {item.remote_id} was deleted: {why}") from exc
        with shape_guard("Discourse post"):
            post = _post(body)
            return post["topic_id"], post["post_number"]

    async def _already_posted(self, topic_id: int, number: int, text: str) -> str | None:
        """The id of our post with exactly `text` under post `number`, among the latest."""
        body = await self.http.get_json(f"{self.base_url}/posts.json", headers=self._headers)
        with shape_guard("Discourse latest posts"):
            for post in expect_list(body["latest_posts"]):
                _post(post)
                answered = post.get("reply_to_post_number")
                under = answered == number or (answered is None and number == 1)
                ours = str(post.get("username", "")).lower() == self._username.lower()
                same = str(post.get("raw", "")).strip() == text.strip()
                alive = not post.get("deleted_at")
                if ours and same and under and alive and post["topic_id"] == topic_id:
                    return str(post["id"])
        return None


def _parent_number(post: dict[str, Any]) -> int | None:
    """The post this one answers: `reply_to_post_number`, else the topic's first post."""
    number = post.get("reply_to_post_number")
    if isinstance(number, int):
        return number
    return 1 if post["post_number"] > 1 else None


def _post(post: Any) -> dict[str, Any]:
    """Check the numeric fields paging and threading rely on, so a bad payload fails here."""
    for key in ("id", "topic_id", "post_number"):
        if not isinstance(post[key], int) or isinstance(post[key], bool):
            raise TypeError(f"{key} is {type(post[key]).__name__}, not an integer")
    return post


def _cursor(value: str | None) -> int | None:
    """A saved post id; an unreadable one counts as none (a first sync)."""
    try:
        return int(value) if value else None
    except ValueError:
        return None
