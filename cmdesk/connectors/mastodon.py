"""Mastodon: mentions, replies and DMs from the notifications API, with thread context.

Follows docs.joinmastodon.org: `GET /api/v1/accounts/verify_credentials`,
`GET /api/v1/notifications` (paged by its `Link` header), `GET /api/v1/statuses/:id/context`,
and the Notification, Status and Account entities.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import httpx

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
from cmdesk.connectors.html_text import html_to_text
from cmdesk.model import Author, Item, Kind

STREAM = "notifications"


class MastodonConnector(Connector):
    """One Mastodon account on one instance; ids are only unique per instance."""

    network = "mastodon"
    options = (Option("handle", "Your username on the instance, e.g. `briocheco`", required=True),)
    page_size: ClassVar[int] = 40
    #: Pages read on a first sync (no cursor): recent history, not the account's whole life.
    max_pages: ClassVar[int] = 5
    #: Pages read to catch up to a saved cursor, a bound against a server that never ends.
    catch_up_pages: ClassVar[int] = 50

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._own_id: str | None = None

    async def fetch(self, cursors: Mapping[str, str]) -> FetchResult:
        own_id = await self._own_account()
        since = _cursor(cursors.get(STREAM))
        notes = await self._notifications(since)
        items: dict[str, Item] = {}
        for note in reversed(notes):  # oldest first, so a reply's parent is already known
            await self._collect(note["status"], own_id, items)
        newest = max((int(note["id"]) for note in notes), default=since)
        return FetchResult(
            items=list(items.values()),
            cursors={STREAM: str(newest)} if newest is not None else {},
        )

    @property
    def _headers(self) -> dict[str, str]:
        if not self.token:
            raise AuthError(f"{self.account.name}: no Mastodon access token")
        return {"Authorization": f"Bearer {self.token}"}

    async def _own_account(self) -> str:
        """Our account id (to tell replies to us from other mentions), checked against `handle`."""
        if self._own_id is None:
            body = await self.http.get_json(
                f"{self.base_url}/api/v1/accounts/verify_credentials", headers=self._headers
            )
            with shape_guard("Mastodon account"):
                own_id, acct = _str(body, "id"), _str(body, "acct")
            handle = str(self.account.options.get("handle", "")).lstrip("@").split("@")[0]
            if handle and handle.lower() != acct.split("@")[0].lower():
                raise AuthError(f"the token is for @{acct}, not @{handle}")
            self._own_id = own_id
        return self._own_id

    async def _notifications(self, since: int | None) -> list[dict[str, Any]]:
        """Mention notifications newer than `since`, newest first, following `Link: rel=next`."""
        url: str = f"{self.base_url}/api/v1/notifications"
        params: list[tuple[str, Any]] | None = [("limit", self.page_size), ("types[]", "mention")]
        found: list[dict[str, Any]] = []
        for _ in range(self.max_pages if since is None else self.catch_up_pages):
            body, response = await self.http.request_json(
                "GET", url, params=params, headers=self._headers
            )
            with shape_guard("Mastodon notifications page"):
                page = [_notification(note) for note in _list(body)]
            fresh = [note for note in page if since is None or int(note["id"]) > since]
            found.extend(fresh)
            next_url = self._next_page(response)
            if not page or len(fresh) < len(page) or next_url is None:
                break
            url, params = next_url, None
        return found

    def _next_page(self, response: httpx.Response) -> str | None:
        """The `rel="next"` link, refused if it leaves the instance (it would carry our token)."""
        url = response.links.get("next", {}).get("url")
        if url is None:
            return None
        if httpx.URL(url).host != httpx.URL(self.base_url).host:
            raise ResponseShapeError(f"pagination link points off the instance: {url}")
        return url

    async def _collect(self, status: dict[str, Any], own_id: str, items: dict[str, Item]) -> None:
        """Add one mentioned status, and its ancestors when its parent is not known yet."""
        with shape_guard("Mastodon status"):
            parent = status["in_reply_to_id"]
        thread_id: str | None = self.item_id(status["id"])
        if parent is not None:
            known = items.get(self.item_id(parent))
            thread_id = known.thread_id if known else await self._ancestors(status, own_id, items)
        with shape_guard("Mastodon status"):
            item = self._item(status, own_id, thread_id, actionable=True)
        items[item.id] = item  # the actionable copy wins over a context one

    async def _ancestors(
        self, status: dict[str, Any], own_id: str, items: dict[str, Item]
    ) -> str | None:
        """Fetch the thread above `status` as context items; return the thread root's id."""
        url = f"{self.base_url}/api/v1/statuses/{status['id']}/context"
        try:
            body = await self.http.get_json(url, headers=self._headers)
        except (AuthError, RateLimited, ResponseShapeError):
            raise
        except ConnectorError:
            return None  # a deleted or hidden ancestor: the mention itself still matters
        with shape_guard("Mastodon context"):
            ancestors = _list(body["ancestors"])
            if not ancestors:
                return None
            root = self.item_id(_str(ancestors[0], "id"))
            for ancestor in ancestors:
                item = self._item(ancestor, own_id, root, actionable=False)
                items.setdefault(item.id, item)
        return root

    def _item(
        self, status: dict[str, Any], own_id: str, thread_id: str | None, *, actionable: bool
    ) -> Item:
        account = status["account"]
        author_id = _str(account, "id")
        text = html_to_text(_str(status, "content"))
        if status.get("spoiler_text"):
            text = f"CW: {_str(status, 'spoiler_text')}\n\n{text}"
        parent = status.get("in_reply_to_id")
        return Item(
            id=self.item_id(_str(status, "id")),
            account=self.account.name,
            network=self.network,
            brand=self.account.brand,
            kind=_kind(status, own_id, actionable),
            remote_id=status["id"],
            author=Author(
                id=author_id,
                handle=_str(account, "acct"),
                display_name=account.get("display_name") or "",
            ),
            text=text,
            created_at=parse_time_ms(_str(status, "created_at")),
            thread_id=thread_id,
            parent_id=self.item_id(str(parent)) if parent is not None else None,
            lang=status.get("language") or None,
            url=status.get("url") or _str(status, "uri"),
            context_only=not actionable or author_id == own_id,
        )


def _kind(status: dict[str, Any], own_id: str, actionable: bool) -> Kind:
    if status.get("visibility") == "direct":
        return Kind.DM
    if status.get("in_reply_to_account_id") == own_id:
        return Kind.REPLY
    if actionable:
        return Kind.MENTION
    return Kind.REPLY if status.get("in_reply_to_id") else Kind.COMMENT


def _notification(note: Any) -> dict[str, Any]:
    """Check the fields paging and parsing rely on, so a bad payload fails here, named."""
    int(_str(note, "id"))
    if not isinstance(note["status"], dict):
        raise TypeError("mention notification without a status")
    _str(note["status"], "id")
    return note


def _cursor(value: str | None) -> int | None:
    """A saved notification id; an unreadable one counts as none (a first sync)."""
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def _str(mapping: Any, key: str) -> str:
    value = mapping[key]
    if not isinstance(value, str):
        raise TypeError(f"{key} is {type(value).__name__}, not a string")
    return value
