"""Bluesky: mentions, replies and quotes from the notifications API, with the parent chain.

Follows the atproto lexicons: `com.atproto.server.createSession`,
`app.bsky.notification.listNotifications`, `app.bsky.feed.getPostThread`
(`app.bsky.feed.defs#threadViewPost`, `#notFoundPost`, `#blockedPost`) and the
`app.bsky.feed.post` record. Records are user-written data the lexicon types as
`unknown`, so their fields are read leniently; the envelope around them is not.

Writes: `com.atproto.repo.createRecord` (posts with `reply` strong refs and facets,
`app.bsky.graph.block`), `com.atproto.repo.getRecord` / `deleteRecord`,
`com.atproto.identity.resolveHandle`, `app.bsky.graph.muteActor` and
`com.atproto.moderation.createReport`.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Mapping
from contextlib import suppress
from datetime import UTC, datetime
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
from cmdesk.model import Author, Item, Kind

STREAM = "notifications"
#: Notification reasons a CM answers; likes, reposts and follows are not questions.
KINDS = {"mention": Kind.MENTION, "reply": Kind.REPLY, "quote": Kind.MENTION}
_LINK = "app.bsky.richtext.facet#link"
_POST = "app.bsky.feed.post"
_BLOCK = "app.bsky.graph.block"
#: Bluesky's moderation service: reports go to it through the PDS (`atproto-proxy`).
MODERATION_SERVICE = "did:plc:ar7c4by46qjdydhdevvrndac#atproto_labeler"
_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"
# Rich-text detection, as the Bluesky docs ("Links, mentions, and rich text") describe it.
_MENTION = re.compile(
    r"(?:^|[^\w@])(@((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+"
    r"[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?))"
)
_URL = re.compile(r"(?:^|\W)(https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'])")
_TAG = re.compile(r"(?:^|\s)(#([^\d\s#][^\s#]{0,63}))")


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
        notes, newest = await self._notifications(jwt, _cursor_ms(saved))
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
                page = [(_stamp(note), note) for note in expect_list(body["notifications"])]
                cursor = body.get("cursor")
                if cursor is not None and not isinstance(cursor, str):
                    raise TypeError("cursor is not a string")
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
            node = body["thread"].get("parent")
            while isinstance(node, dict) and "post" in node:  # not #notFoundPost / #blockedPost
                parent = self._item(node["post"], did, kind=None, actionable=False)
                items.setdefault(parent.id, parent)
                node = node.get("parent")

    def _item(self, view: dict[str, Any], did: str, *, kind: Kind | None, actionable: bool) -> Item:
        """An Item from a notification or a `postView`: both carry uri, author, record."""
        uri = expect_str(view, "uri")
        if not uri.startswith("at://"):
            raise ValueError(f"not an at:// uri: {uri!r}")
        author = view["author"]
        author_did, handle = expect_str(author, "did"), expect_str(author, "handle")
        record = view["record"] if isinstance(view.get("record"), dict) else {}
        refs = _reply_refs(record)
        return Item(
            id=self.item_id(uri),
            account=self.account.name,
            network=self.network,
            brand=self.account.brand,
            kind=kind or (Kind.REPLY if refs else Kind.COMMENT),
            remote_id=uri,
            author=Author(id=author_did, handle=handle, display_name=_opt(author, "displayName")),
            text=_expand_links(_opt(record, "text"), record.get("facets")),
            # When the AppView saw it: the record's own createdAt is whatever the client says.
            created_at=parse_time_ms(expect_str(view, "indexedAt")),
            thread_id=self.item_id(refs[0] if refs else uri),
            parent_id=self.item_id(refs[1]) if refs else None,
            lang=_lang(record),
            url=f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}",
            context_only=not actionable or author_did == did,
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
        rkey = record_key(key, item.created_at)
        existing = await self._existing(jwt, did, _POST, rkey)
        if existing:
            return existing
        post = await self._post_view(item, jwt)
        with shape_guard("Bluesky thread"):
            parent = {"uri": expect_str(post, "uri"), "cid": expect_str(post, "cid")}
            record = post["record"] if isinstance(post.get("record"), dict) else {}
        reply = record.get("reply")
        root = _strong_ref(reply.get("root") if isinstance(reply, dict) else None) or parent
        new: dict[str, Any] = {
            "$type": _POST,
            "text": text,
            "createdAt": _now_iso(),
            "reply": {"root": root, "parent": parent},
        }
        facets = await self._facets(text, jwt)
        if facets:
            new["facets"] = facets
        return await self._create(jwt, did, _POST, rkey, new)

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
            body = {"repo": did, "collection": _POST, "rkey": item.remote_id.rsplit("/", 1)[-1]}
            await self._xrpc_post("com.atproto.repo.deleteRecord", body, jwt)
            return
        if item.author.id == did:
            raise ConnectorError(f"cannot {action} your own account")
        if action is Capability.MUTE:
            await self._xrpc_post("app.bsky.graph.muteActor", {"actor": item.author.id}, jwt)
        elif action is Capability.BLOCK:
            rkey = record_key(f"block:{item.author.id}", item.created_at)
            if not await self._existing(jwt, did, _BLOCK, rkey):
                block = {"$type": _BLOCK, "subject": item.author.id, "createdAt": _now_iso()}
                await self._create(jwt, did, _BLOCK, rkey, block)
        elif action in (Capability.REPORT, Capability.SPAM):
            post = await self._post_view(item, jwt)
            with shape_guard("Bluesky thread"):
                subject = {
                    "$type": "com.atproto.repo.strongRef",
                    "uri": expect_str(post, "uri"),
                    "cid": expect_str(post, "cid"),
                }
            reason = "reasonSpam" if action is Capability.SPAM else "reasonOther"
            report = {
                "reasonType": f"com.atproto.moderation.defs#{reason}",
                "reason": f"Reported from cmdesk by {self.account.brand}",
                "subject": subject,
            }
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

    async def _facets(self, text: str, jwt: str) -> list[dict[str, Any]]:
        """Mention, link and tag facets for `text`, indexed in UTF-8 bytes."""
        facets: list[dict[str, Any]] = []
        for match in _MENTION.finditer(text):
            did = await self._resolve(match.group(2), jwt)
            if did is not None:
                feature = {"$type": "app.bsky.richtext.facet#mention", "did": did}
                facets.append(_facet(text, match.start(1), match.end(1), feature))
        for match in _URL.finditer(text):
            feature = {"$type": _LINK, "uri": match.group(1)}
            facets.append(_facet(text, match.start(1), match.end(1), feature))
        for match in _TAG.finditer(text):
            feature = {"$type": "app.bsky.richtext.facet#tag", "tag": match.group(2)}
            facets.append(_facet(text, match.start(1), match.end(1), feature))
        return sorted(facets, key=lambda facet: facet["index"]["byteStart"])

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


def record_key(seed: str, created_ms: int) -> str:
    """A TID-shaped record key, the same for the same seed: a retry writes the same record.

    TIDs are 64 bits in base32-sortable: microseconds since the epoch (53 bits) and a
    clock id (10 bits). The time is the parent's creation time plus up to a second,
    and the rest comes from a hash of the seed, so distinct replies never collide.
    """
    digest = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    micros = max(created_ms, 0) * 1000 + digest % 1_000_000
    value = (micros << 10) | ((digest >> 20) & 0x3FF)
    value &= (1 << 63) - 1
    return "".join(_SORTABLE[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def _facet(text: str, start: int, end: int, feature: dict[str, Any]) -> dict[str, Any]:
    byte_start = len(text[:start].encode())
    return {
        "index": {"byteStart": byte_start, "byteEnd": byte_start + len(text[start:end].encode())},
        "features": [feature],
    }


def _strong_ref(value: Any) -> dict[str, str] | None:
    if isinstance(value, dict):
        uri, cid = value.get("uri"), value.get("cid")
        if isinstance(uri, str) and isinstance(cid, str):
            return {"uri": uri, "cid": cid}
    return None


def _now_iso() -> str:
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def _expand_links(text: str, facets: Any) -> str:
    """Put back the full URL of links the app shortened for display (`example.com/pa...`).

    Facets index UTF-8 bytes. A link whose visible text is not a shortening of its
    target keeps its visible text: we show what the author showed. Bad facets are
    skipped, since anyone can write any record.
    """
    data = text.encode()
    spans: list[tuple[int, int, str]] = []
    for facet in facets if isinstance(facets, list) else []:
        try:
            start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]
            uri = next(f["uri"] for f in facet["features"] if f.get("$type") == _LINK)
        except (KeyError, TypeError, AttributeError, StopIteration):
            continue
        numbers = isinstance(start, int) and isinstance(end, int)
        if numbers and isinstance(uri, str) and 0 <= start < end <= len(data):
            spans.append((start, end, uri))
    out, position = [], 0
    for start, end, uri in sorted(spans):
        if start < position:
            continue
        shown = data[start:end].decode(errors="replace")
        stem = shown.removesuffix("...").removesuffix("…")
        full = uri if stem and stem in uri.split("://", 1)[-1] else shown
        out += [data[position:start], full.encode()]
        position = end
    out.append(data[position:])
    return b"".join(out).decode(errors="replace")


def _reply_refs(record: dict[str, Any]) -> tuple[str, str] | None:
    """(root uri, parent uri) of a reply record, or None for a top-level post."""
    try:
        root, parent = record["reply"]["root"]["uri"], record["reply"]["parent"]["uri"]
    except (KeyError, TypeError):
        return None
    return (root, parent) if isinstance(root, str) and isinstance(parent, str) else None


def _lang(record: dict[str, Any]) -> str | None:
    langs = record.get("langs")
    if isinstance(langs, list) and langs and isinstance(langs[0], str):
        return langs[0]
    return None


def _stamp(note: Any) -> int:
    """A notification's `indexedAt` in ms, after checking the fields paging relies on."""
    expect_str(note, "reason")
    return parse_time_ms(expect_str(note, "indexedAt"))


def _cursor_ms(value: str | None) -> int | None:
    """A saved `indexedAt`; an unreadable one counts as none (a first sync)."""
    try:
        return parse_time_ms(value) if value else None
    except ValueError:
        return None


def _bearer(jwt: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt}"}


def _opt(mapping: dict[str, Any], key: str) -> str:
    value = mapping.get(key)
    return value if isinstance(value, str) else ""
