"""Reddit: comment replies, mentions and private messages, and a moderated subreddit's comments.

Follows Reddit's API reference (reddit.com/dev/api). Listings come from
`/message/inbox`, `/message/mentions` and `/r/{subreddit}/comments`; thread context
from `/api/info`. Writes are form-encoded: `/api/comment`, `/api/remove`,
`/api/approve`, `/api/del`, `/api/block_user`, `/api/report`, `/api/lock` and
`/api/unlock` (scope `modposts`). The OAuth2 session is the base class
(`reddit_session`); the listings' JSON is read in `reddit_listings`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from cmdesk.connectors import reddit_listings as listings
from cmdesk.connectors.base import (
    AuthError,
    Capability,
    ConnectorError,
    FetchResult,
    NotFound,
    Option,
    RateLimited,
    ResponseShapeError,
    expect_str,
    shape_guard,
)
from cmdesk.connectors.reddit_session import AUTH_URL, RedditSession
from cmdesk.model import Author, Item, Kind

WEB = "https://www.reddit.com"
INBOX, MENTIONS, SUBREDDIT = "inbox", "mentions", "subreddit"
#: `/api/comment` errors that mean the thing answered is gone.
_GONE = {"DELETED_COMMENT", "DELETED_LINK", "NO_THING_ID", "DELETED_THING"}
_INBOX_KINDS = {
    "comment_reply": Kind.REPLY,
    "post_reply": Kind.REPLY,
    "username_mention": Kind.MENTION,
}


class RedditConnector(RedditSession):
    """One Reddit account (a refresh token), and optionally a subreddit it moderates."""

    network = "reddit"
    default_base_url = "https://oauth.reddit.com"
    options = (
        Option("username", "Your Reddit username, without `u/`", required=True),
        Option("client_id", "The client id of your Reddit app (installed app)", required=True),
        Option("subreddit", "A subreddit you moderate, without `r/`: its new comments too"),
        Option("auth_url", "Where refresh tokens are traded for access tokens", default=AUTH_URL),
    )
    #: HIDE, SPAM, RESTORE, LOCK and UNLOCK (remove, remove as spam, approve, lock and
    #: unlock the submission) need moderator rights in the item's subreddit; DELETE is for
    #: our own comments. No MUTE: Reddit's mute is modmail only.
    capabilities = frozenset(
        {
            Capability.REPLY,
            Capability.DM,
            Capability.HIDE,
            Capability.SPAM,
            Capability.RESTORE,
            Capability.DELETE,
            Capability.BLOCK,
            Capability.REPORT,
            Capability.LOCK,
            Capability.UNLOCK,
        }
    )
    page_size: ClassVar[int] = 100
    #: Pages read per stream on a first sync (no cursor), and to catch up to a saved one.
    max_pages: ClassVar[int] = 5
    catch_up_pages: ClassVar[int] = 20
    #: `/api/info` takes at most 100 fullnames.
    info_chunk: ClassVar[int] = 100

    @property
    def _subreddit(self) -> str:
        return str(self.account.options.get("subreddit") or "").removeprefix("r/").strip("/")

    # -- read path ----------------------------------------------------------------------------

    def _streams(self) -> list[tuple[str, str]]:
        streams = [(SUBREDDIT, f"/r/{self._subreddit}/comments")] if self._subreddit else []
        return [*streams, (MENTIONS, "/message/mentions"), (INBOX, "/message/inbox")]

    async def fetch(self, cursors: Mapping[str, str]) -> FetchResult:
        found: list[tuple[str, dict[str, Any]]] = []
        new_cursors: dict[str, str] = {}
        for stream, path in self._streams():
            since = listings.cursor(cursors.get(stream))
            things, newest = await self._listing(path, since)
            found += [(stream, thing) for thing in things]
            cursor = newest if newest is not None else since
            if cursor is not None:
                new_cursors[stream] = str(cursor)
        known = {thing["data"]["name"] for _, thing in found}
        wanted: set[str] = set()
        for _, thing in found:
            if thing["kind"] == "t1":
                wanted.update(
                    name
                    for name in (listings.parent_of(thing), listings.link_of(thing["data"]))
                    if name and name not in known
                )
        context = await self._info(sorted(wanted))
        items: dict[str, Item] = {}
        for thing in context.values():
            with shape_guard("Reddit context"):
                item = self._item(thing, kind=None, actionable=False)
            items[item.id] = item
        for stream, thing in found:  # the inbox comes last: its kinds are the most precise
            with shape_guard("Reddit listing"):
                item = self._item(thing, kind=self._kind(stream, thing, context), actionable=True)
            items[item.id] = item
        return FetchResult(items=list(items.values()), cursors=new_cursors)

    async def _listing(
        self, path: str, since: int | None
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Things created at or after `since` (ms), newest first, following `after`."""
        params: dict[str, Any] = {"limit": self.page_size, "raw_json": 1}
        if path.startswith("/message/"):
            params["mark"] = "false"  # reading in cmdesk must not mark things read on Reddit
        found: list[dict[str, Any]] = []
        newest: int | None = None
        for _ in range(self.max_pages if since is None else self.catch_up_pages):
            body = await self._call("GET", path, params=params)
            with shape_guard("Reddit listing"):
                page = [listings.thing(child) for child in listings.children(body)]
                after = body["data"].get("after")
                if after is not None and not isinstance(after, str):
                    raise TypeError("after is not a string")
            # Same-second things may straddle the cursor: take them again (upserts are idempotent).
            fresh = [t for t in page if since is None or listings.created_ms(t["data"]) >= since]
            found.extend(fresh)
            for thing in fresh:
                created = listings.created_ms(thing["data"])
                newest = created if newest is None else max(newest, created)
            if not page or len(fresh) < len(page) or not after:
                break
            params = {**params, "after": after}
        return found, newest

    async def _info(self, names: list[str]) -> dict[str, dict[str, Any]]:
        """The parents and submissions of new comments, as context (best effort)."""
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(names), self.info_chunk):
            chunk = names[start : start + self.info_chunk]
            try:
                body = await self._call(
                    "GET", "/api/info", params={"id": ",".join(chunk), "raw_json": 1}
                )
            except (AuthError, RateLimited, ResponseShapeError):
                raise
            except ConnectorError:
                continue  # deleted or private: the new comments still matter
            with shape_guard("Reddit info"):
                for child in listings.children(body):
                    thing = listings.thing(child)
                    out[thing["data"]["name"]] = thing
        return out

    def _kind(self, stream: str, thing: dict[str, Any], context: dict[str, Any]) -> Kind:
        data = thing["data"]
        if thing["kind"] == "t4":
            return Kind.DM
        if stream == MENTIONS:
            return Kind.MENTION
        if stream == INBOX:
            return _INBOX_KINDS.get(str(data.get("type")), Kind.REPLY)
        parent = context.get(listings.parent_of(thing) or "")
        if parent and str(parent["data"].get("author", "")).lower() == self._username.lower():
            return Kind.REPLY
        return Kind.COMMENT

    def _item(self, thing: dict[str, Any], *, kind: Kind | None, actionable: bool) -> Item:
        data = thing["data"]
        name = expect_str(data, "name")
        author = data.get("author") or "[deleted]"
        if not isinstance(author, str):
            raise TypeError("author is not a string")
        if thing["kind"] == "t3":
            text = expect_str(data, "title")
            if data.get("selftext"):
                text += "\n\n" + expect_str(data, "selftext")
        else:
            text = expect_str(data, "body")
        parent = data.get("parent_id") if thing["kind"] != "t3" else None
        if thing["kind"] == "t4":
            thread = data.get("first_message_name") or name
            url = f"{WEB}/message/messages/{expect_str(data, 'id')}"
        else:
            thread = listings.link_of(data) or name
            path = data.get("permalink") or str(data.get("context") or "").split("?")[0]
            url = f"{WEB}{path}" if path else None
        return Item(
            id=self.item_id(name),
            account=self.account.name,
            network=self.network,
            brand=self.account.brand,
            kind=kind or (Kind.COMMENT if thing["kind"] != "t4" else Kind.DM),
            remote_id=name,
            author=Author(id=str(data.get("author_fullname") or author), handle=author),
            text=text,
            created_at=listings.created_ms(data),
            thread_id=self.item_id(str(thread)),
            parent_id=self.item_id(parent) if isinstance(parent, str) and parent else None,
            url=url,
            context_only=not actionable or author.lower() == self._username.lower(),
        )

    # -- write path ---------------------------------------------------------------------------

    async def check(self) -> str:
        self._access = None
        me = await self._call("GET", "/api/v1/me")
        with shape_guard("Reddit account"):
            name = expect_str(me, "name")
        if name.lower() != self._username.lower():
            raise AuthError(f"the refresh token is for u/{name}, not u/{self._username}")
        scopes = self._access[2] if self._access else ""
        line = f"u/{name}; scopes: {scopes or 'unknown'}"
        if self._subreddit:
            about = await self._call("GET", f"/r/{self._subreddit}/about")
            with shape_guard("Reddit subreddit"):
                moderator = bool(about["data"].get("user_is_moderator"))
            role = "moderator" if moderator else "not a moderator: cannot remove or approve"
            line += f"; r/{self._subreddit}: {role}"
        return line

    async def reply(self, item: Item, text: str, key: str) -> str:
        """Comment under `item` (or answer its message); a retry first looks for the reply.

        Reddit has no idempotency key: our latest comments (or sent messages) are
        searched for the same text under the same parent before posting.
        """
        existing = await self._already_replied(item, text)
        if existing is not None:
            return existing
        body = await self._call(
            "POST",
            "/api/comment",
            data={"api_type": "json", "thing_id": item.remote_id, "text": text},
            idempotent=False,
        )
        self._raise_api_errors(body, item)
        with shape_guard("Reddit comment answer"):
            thing = body["json"]["data"]["things"][0]
            return expect_str(thing["data"], "name")

    async def moderate(self, item: Item, action: Capability) -> None:
        own = item.author.handle.lower() == self._username.lower()
        if action in (Capability.HIDE, Capability.SPAM):
            spam = "true" if action is Capability.SPAM else "false"
            data = {"id": item.remote_id, "spam": spam}
            await self._call("POST", "/api/remove", data=data, idempotent=True)
        elif action is Capability.RESTORE:
            await self._call("POST", "/api/approve", data={"id": item.remote_id}, idempotent=True)
        elif action is Capability.DELETE:
            if not own:
                raise ConnectorError("Reddit only lets you delete your own comments: remove it")
            await self._call("POST", "/api/del", data={"id": item.remote_id}, idempotent=True)
        elif action is Capability.BLOCK:
            if own:
                raise ConnectorError("cannot block your own account")
            by_id = item.author.id.startswith("t2_")
            target = {"account_id": item.author.id} if by_id else {"name": item.author.handle}
            await self._call("POST", "/api/block_user", data=target, idempotent=True)
        elif action is Capability.REPORT:
            body = await self._call(
                "POST",
                "/api/report",
                data={
                    "api_type": "json",
                    "thing_id": item.remote_id,
                    "reason": f"Reported from cmdesk by {self.account.brand}",
                },
            )
            self._raise_api_errors(body, item)
        elif action in (Capability.LOCK, Capability.UNLOCK):
            path = "/api/lock" if action is Capability.LOCK else "/api/unlock"
            data = {"id": self._thread_fullname(item)}
            await self._call("POST", path, data=data, idempotent=True)
        else:
            raise self._unsupported(action)

    def _thread_fullname(self, item: Item) -> str:
        """The submission (`t3_`) a comment belongs to: what locking its thread locks."""
        if item.remote_id.startswith("t4_"):
            raise ConnectorError("a private message has no thread to lock")
        thread = (item.thread_id or "").removeprefix(f"{self.account.name}/")
        return thread if thread.startswith(("t3_", "t1_")) else item.remote_id

    async def _already_replied(self, item: Item, text: str) -> str | None:
        """Our comment (or message) with exactly `text` under `item`, among the latest 25."""
        if item.remote_id.startswith("t4_"):
            body = await self._call("GET", "/message/sent", params={"limit": 25, "raw_json": 1})
        else:
            path = f"/user/{self._username}/comments"
            body = await self._call("GET", path, params={"limit": 25, "sort": "new", "raw_json": 1})
        with shape_guard("Reddit listing"):
            for child in listings.children(body):
                data = listings.thing(child)["data"]
                under = item.remote_id in (data.get("parent_id"), data.get("first_message_name"))
                if under and str(data.get("body", "")).strip() == text.strip():
                    return expect_str(data, "name")
        return None

    def _raise_api_errors(self, body: Any, item: Item) -> None:
        """Reddit answers 200 with `{"json": {"errors": [[CODE, message, field]]}}`."""
        with shape_guard("Reddit answer"):
            errors = body.get("json", {}).get("errors") or [] if isinstance(body, dict) else []
            codes = [(str(error[0]), str(error[1])) for error in errors]
        if not codes:
            return
        code, message = codes[0]
        if code in _GONE:
            raise NotFound(f"the {_noun(item)} by u/{item.author.handle} was deleted: {message}")
        if code == "RATELIMIT":
            raise RateLimited(f"Reddit: {message}")
        raise ConnectorError(f"Reddit refused: {code}: {message}")


def _noun(item: Item) -> str:
    return {"t4_": "message", "t3_": "post"}.get(item.remote_id[:3], "comment")
