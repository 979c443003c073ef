"""Bluesky: mentions, replies and quotes from the notifications API, with the parent chain.

Follows the atproto lexicons: `com.atproto.server.createSession`,
`app.bsky.notification.listNotifications`, `app.bsky.feed.getPostThread`
(`app.bsky.feed.defs#threadViewPost`, `#notFoundPost`, `#blockedPost`) and the
`app.bsky.feed.post` record. Records are user-written data the lexicon types as
`unknown`, so their fields are read leniently; the envelope around them is not.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, ClassVar

from cmdesk.connectors.base import (
    AuthError,
    Connector,
    ConnectorError,
    FetchResult,
    Option,
    RateLimited,
    ResponseShapeError,
    parse_time_ms,
    shape_guard,
)
from cmdesk.model import Author, Item, Kind

STREAM = "notifications"
#: Notification reasons a CM answers; likes, reposts and follows are not questions.
KINDS = {"mention": Kind.MENTION, "reply": Kind.REPLY, "quote": Kind.MENTION}
_LINK = "app.bsky.richtext.facet#link"


class BlueskyConnector(Connector):
    """One Bluesky account, logged in with an app password (the account's token)."""

    network = "bluesky"
    default_base_url = "https://bsky.social"
    options = (Option("handle", "Your handle, e.g. `nordlys.bsky.social`", required=True),)
    page_size: ClassVar[int] = 50
    #: Pages read on a first sync (no cursor), and to catch up to a saved one.
    max_pages: ClassVar[int] = 5
    catch_up_pages: ClassVar[int] = 50
    #: Reuse a session this long; access tokens live about two hours and logins are rate limited.
    session_ttl: ClassVar[float] = 3600.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._session: tuple[str, str, float] | None = None  # (access jwt, did, since)

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
        body, _ = await self.http.request_json(
            "POST",
            f"{self.base_url}/xrpc/com.atproto.server.createSession",
            json_body={"identifier": handle, "password": self.token},
        )
        with shape_guard("Bluesky session"):
            jwt, did = _str(body, "accessJwt"), _str(body, "did")
        self._session = (jwt, did, time.monotonic())
        return jwt, did

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
                page = [(_stamp(note), note) for note in _list(body["notifications"])]
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
        uri = _str(view, "uri")
        if not uri.startswith("at://"):
            raise ValueError(f"not an at:// uri: {uri!r}")
        author = view["author"]
        author_did, handle = _str(author, "did"), _str(author, "handle")
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
            created_at=parse_time_ms(_str(view, "indexedAt")),
            thread_id=self.item_id(refs[0] if refs else uri),
            parent_id=self.item_id(refs[1]) if refs else None,
            lang=_lang(record),
            url=f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}",
            context_only=not actionable or author_did == did,
        )


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
    _str(note, "reason")
    return parse_time_ms(_str(note, "indexedAt"))


def _cursor_ms(value: str | None) -> int | None:
    """A saved `indexedAt`; an unreadable one counts as none (a first sync)."""
    try:
        return parse_time_ms(value) if value else None
    except ValueError:
        return None


def _bearer(jwt: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {jwt}"}


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def _str(mapping: Any, key: str) -> str:
    value = mapping[key]
    if not isinstance(value, str):
        raise TypeError(f"{key} is {type(value).__name__}, not a string")
    return value


def _opt(mapping: dict[str, Any], key: str) -> str:
    value = mapping.get(key)
    return value if isinstance(value, str) else ""
