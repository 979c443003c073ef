"""Bluesky: mentions, replies and quotes from the notifications API, with the parent chain.

The connector: its session and XRPC calls (`listNotifications`, `getPostThread`;
`createRecord`, `getRecord`, `deleteRecord`, `resolveHandle`, `muteActor`,
`createReport`). The JSON they carry (posts, threads, facets, record keys) is read
and written in `bluesky_records`, apart so that it can be read without the calls.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextlib import suppress
from typing import Any, ClassVar

from cmdesk.connectors import bluesky_records as records
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
    expect_str,
    host_of,
    shape_guard,
)
from cmdesk.model import Item, Kind

STREAM = "notifications"
#: Notification reasons a CM answers; likes, reposts and follows are not questions.
KINDS = {"mention": Kind.MENTION, "reply": Kind.REPLY, "quote": Kind.MENTION}
#: Bluesky's moderation service: reports go to it through the PDS (`atproto-proxy`).
MODERATION_SERVICE = "did:plc:ar7c4by46qjdydhdevvrndac#atproto_labeler"


class BlueskyConnector(Connector):
    """One Bluesky account, logged in with an app password (the account's token)."""

    network = "bluesky"
    default_base_url = "https://bsky.social"
    options = (Option("handle", "Your handle, e.g. `nordlys.bsky.social`", required=True),)
    #: No DM (chats live on a separate service, chat.bsky) and no HIDE yet (threadgates).
    capabilities = frozenset(
        {
            Capability.REPLY,
            Capability.DELETE,
            Capability.MUTE,
            Capability.BLOCK,
            Capability.REPORT,
            Capability.SPAM,
        }
    )
    page_size: ClassVar[int] = 50
    #: Pages read on a first sync (no cursor), and to catch up to a saved one.
    max_pages: ClassVar[int] = 5
    catch_up_pages: ClassVar[int] = 50
    #: Reuse a session this long; access tokens live about two hours and logins are rate limited.
    session_ttl: ClassVar[float] = 3600.0

    @property
    def _session(self) -> tuple[str, str, float] | None:
        """(access jwt, did, since), kept on the account's client across sync passes."""
        return self._remember("bluesky.session")

    @_session.setter
    def _session(self, value: tuple[str, str, float] | None) -> None:
        if value is None:
            self._forget("bluesky.session")
        else:
            self._remember("bluesky.session", value)

    async def fetch(self, cursors: Mapping[str, str]) -> FetchResult:
        try:
            return await self._fetch(cursors)
        except AuthError:
            self._session = None  # log in afresh next time
            raise

    async def _fetch(self, cursors: Mapping[str, str]) -> FetchResult:
        jwt, did = await self._login()
        saved = cursors.get(STREAM)
        notes, newest = await self._notifications(jwt, records.cursor_ms(saved))
        items: dict[str, Item] = {}
        for note in reversed(notes):  # oldest first, so a reply's parent is already known
            if note["reason"] in KINDS:
                await self._collect(note, jwt, did, items)
        cursor = newest or saved
        return FetchResult(items=list(items.values()), cursors={STREAM: cursor} if cursor else {})

    async def _login(self) -> tuple[str, str]:
        if self._session and time.monotonic() - self._session[2] < self.session_ttl:
            return self._session[0], self._session[1]
        handle = self.account.options.get("handle")
        if not self.token or not handle:
            raise AuthError(f"{self.account.name}: a Bluesky handle and app password are needed")
        body = await self._create_session(handle)
        with shape_guard("Bluesky session"):
            jwt, did = expect_str(body, "accessJwt"), expect_str(body, "did")
        self.http.add_secret(jwt)
        self._session = (jwt, did, time.monotonic())
        return jwt, did

    async def _create_session(self, handle: str) -> Any:
        body, _ = await self.http.request_json(
            "POST",
            f"{self.base_url}/xrpc/com.atproto.server.createSession",
            json_body={"identifier": handle, "password": self.token},
            idempotent=True,  # a login twice is still one login
        )
        return body

    async def _notifications(
        self, jwt: str, since: int | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Notifications newer than `since` (newest first) and the newest `indexedAt` seen."""
        url = f"{self.base_url}/xrpc/app.bsky.notification.listNotifications"
        params: dict[str, Any] = {"limit": self.page_size}
        found: list[dict[str, Any]] = []
        newest: tuple[int, str] | None = None
        for _ in range(self.max_pages if since is None else self.catch_up_pages):
            body = await self.http.get_json(url, params=params, headers=_bearer(jwt))
            with shape_guard("Bluesky notifications page"):
                page, cursor = records.notifications_page(body)
            fresh = [(ms, note) for ms, note in page if since is None or ms > since]
            found.extend(note for _, note in fresh)
            for ms, note in fresh:
                if newest is None or ms > newest[0]:
                    newest = (ms, note["indexedAt"])
            if not page or len(fresh) < len(page) or not cursor:
                break
            params = {"limit": self.page_size, "cursor": cursor}
        return found, newest[1] if newest else None

    async def _collect(
        self, note: dict[str, Any], jwt: str, did: str, items: dict[str, Item]
    ) -> None:
        """Add one notification's post, and its ancestors when its parent is not known yet."""
        with shape_guard("Bluesky notification"):
            item = self._item(note, did, kind=KINDS[note["reason"]], actionable=True)
        if item.parent_id is not None and item.parent_id not in items:
            await self._ancestors(item.remote_id, jwt, did, items)
        items[item.id] = item  # the actionable copy wins over a context one

    async def _ancestors(self, uri: str, jwt: str, did: str, items: dict[str, Item]) -> None:
        """Fetch the parent chain of `uri` (up to 20 posts) as context items."""
        try:
            body = await self.http.get_json(
                f"{self.base_url}/xrpc/app.bsky.feed.getPostThread",
                params={"uri": uri, "depth": 0, "parentHeight": 20},
                headers=_bearer(jwt),
            )
        except (AuthError, RateLimited, ResponseShapeError):
            raise
        except ConnectorError:
            return  # a deleted post: the notification itself still matters
        with shape_guard("Bluesky thread"):
            for post in records.thread_parents(body["thread"]):
                parent = self._item(post, did, kind=None, actionable=False)
                items.setdefault(parent.id, parent)

    def _item(self, view: dict[str, Any], did: str, *, kind: Kind | None, actionable: bool) -> Item:
        """An Item from a notification or a `postView`."""
        post = records.read_post(view)
        return Item(
            id=self.item_id(post.uri),
            account=self.account.name,
            network=self.network,
            brand=self.account.brand,
            kind=kind or (Kind.REPLY if post.refs else Kind.COMMENT),
            remote_id=post.uri,
            author=post.author,
            text=post.text,
            created_at=post.indexed_at,
            thread_id=self.item_id(post.refs[0] if post.refs else post.uri),
            parent_id=self.item_id(post.refs[1]) if post.refs else None,
            lang=post.lang,
            url=post.url,
            context_only=not actionable or post.author.id == did,
        )

    # -- write path -------------------------------------------------------------------------

    async def check(self) -> str:
        handle = self.account.options.get("handle")
        if not self.token or not handle:
            raise AuthError(f"{self.account.name}: a Bluesky handle and app password are needed")
        self._session = None
        body = await self._create_session(str(handle))
        with shape_guard("Bluesky session"):
            did, shown = expect_str(body, "did"), expect_str(body, "handle")
            self.http.add_secret(expect_str(body, "accessJwt"))
        return (
            f"@{shown} ({did}) on {host_of(self.base_url)}; "
            "may reply, delete own posts, mute, block and report"
        )

    async def reply(self, item: Item, text: str, key: str) -> str:
        """Post a reply under a record key derived from `key`: a retry finds it and stops.

        The parent's and the root's strong refs (uri + cid) come from a
        `getPostThread` call; mentions and links become facets (UTF-8 byte offsets).
        """
        try:
            return await self._reply(item, text, key)
        except AuthError:
            self._session = None
            raise

    async def _reply(self, item: Item, text: str, key: str) -> str:
        jwt, did = await self._login()
        rkey = records.record_key(key, item.created_at)
        existing = await self._existing(jwt, did, records.POST, rkey)
        if existing:
            return existing
        post = await self._post_view(item, jwt)
        with shape_guard("Bluesky thread"):
            new = records.reply_record(post, text)
        found = await records.facets(text, lambda handle: self._resolve(handle, jwt))
        if found:
            new["facets"] = found
        return await self._create(jwt, did, records.POST, rkey, new)

    async def moderate(self, item: Item, action: Capability) -> None:
        try:
            await self._moderate(item, action)
        except AuthError:
            self._session = None
            raise

    async def _moderate(self, item: Item, action: Capability) -> None:
        jwt, did = await self._login()
        if action is Capability.DELETE:
            if item.author.id != did:
                raise ConnectorError("Bluesky only lets you delete your own posts")
            rkey = records.rkey_of(item.remote_id)
            body = {"repo": did, "collection": records.POST, "rkey": rkey}
            await self._xrpc_post("com.atproto.repo.deleteRecord", body, jwt)
            return
        if item.author.id == did:
            raise ConnectorError(f"cannot {action} your own account")
        if action is Capability.MUTE:
            await self._xrpc_post("app.bsky.graph.muteActor", {"actor": item.author.id}, jwt)
        elif action is Capability.BLOCK:
            rkey = records.record_key(f"block:{item.author.id}", item.created_at)
            if not await self._existing(jwt, did, records.BLOCK, rkey):
                block = records.block_record(item.author.id)
                await self._create(jwt, did, records.BLOCK, rkey, block)
        elif action in (Capability.REPORT, Capability.SPAM):
            post = await self._post_view(item, jwt)
            reason = f"Reported from cmdesk by {self.account.brand}"
            with shape_guard("Bluesky thread"):
                report = records.report(post, spam=action is Capability.SPAM, reason=reason)
            headers = {**_bearer(jwt), "atproto-proxy": MODERATION_SERVICE}
            await self.http.request_json(
                "POST",
                f"{self.base_url}/xrpc/com.atproto.moderation.createReport",
                json_body=report,
                headers=headers,
            )
        else:
            raise self._unsupported(action)

    async def _xrpc_post(self, method: str, body: dict[str, Any], jwt: str) -> Any:
        """An XRPC procedure that is safe to repeat (mute, delete)."""
        answer, _ = await self.http.request_json(
            "POST",
            f"{self.base_url}/xrpc/{method}",
            json_body=body,
            headers=_bearer(jwt),
            idempotent=True,
        )
        return answer

    async def _post_view(self, item: Item, jwt: str) -> dict[str, Any]:
        """The post `item` stands for (its cid and record), or `NotFound` if deleted."""
        gone = NotFound(f"the post by @{item.author.handle} was deleted: nothing to reply to")
        try:
            body = await self.http.get_json(
                f"{self.base_url}/xrpc/app.bsky.feed.getPostThread",
                params={"uri": item.remote_id, "depth": 0, "parentHeight": 20},
                headers=_bearer(jwt),
            )
        except NotFound as exc:
            raise gone from exc
        with shape_guard("Bluesky thread"):
            thread = body["thread"]
            if thread.get("notFound"):
                raise gone
            if thread.get("blocked"):
                raise ConnectorError(
                    f"@{item.author.handle} blocks this account, or you block them"
                )
            post = thread["post"]
            expect_str(post, "cid")
        return post

    async def _existing(self, jwt: str, did: str, collection: str, rkey: str) -> str | None:
        """The uri of our record at `rkey`, if a previous attempt already wrote it."""
        try:
            body = await self.http.get_json(
                f"{self.base_url}/xrpc/com.atproto.repo.getRecord",
                params={"repo": did, "collection": collection, "rkey": rkey},
                headers=_bearer(jwt),
            )
        except NotFound:
            return None
        with shape_guard("Bluesky record"):
            return expect_str(body, "uri")

    async def _create(
        self, jwt: str, did: str, collection: str, rkey: str, record: dict[str, Any]
    ) -> str:
        """createRecord at a fixed `rkey`; "already exists" (a retry) counts as success."""
        body = {"repo": did, "collection": collection, "rkey": rkey, "record": record}
        try:
            answer, _ = await self.http.request_json(
                "POST",
                f"{self.base_url}/xrpc/com.atproto.repo.createRecord",
                json_body=body,
                headers=_bearer(jwt),
                idempotent=True,  # the fixed rkey makes a second write fail, not duplicate
            )
        except (AuthError, RateLimited):
            raise
        except ConnectorError:
            # A PDS answers a taken rkey with an error (a 500 on some versions): if the
            # record is there, an earlier attempt wrote it.
            existing = await self._existing(jwt, did, collection, rkey)
            if existing:
                return existing
            raise
        with shape_guard("Bluesky createRecord answer"):
            return expect_str(answer, "uri")

    async def _resolve(self, handle: str, jwt: str) -> str | None:
        """A handle's DID; an unknown handle stays plain text rather than failing the reply."""
        with suppress(NotFound, ResponseShapeError):
            body = await self.http.get_json(
                f"{self.base_url}/xrpc/com.atproto.identity.resolveHandle",
                params={"handle": handle.lower()},
                headers=_bearer(jwt),
            )
            did = body.get("did") if isinstance(body, dict) else None
            if isinstance(did, str) and did.startswith("did:"):
                return did
        return None


def _bearer(jwt: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt}"}
