"""Mastodon: mentions, replies and DMs from the notifications API, with thread context.

Follows docs.joinmastodon.org: `GET /api/v1/accounts/verify_credentials`,
`GET /api/v1/notifications` (paged by its `Link` header), `GET /api/v1/statuses/:id/context`,
and the Notification, Status and Account entities. Writes: `POST /api/v1/statuses` (with an
`Idempotency-Key`, which Mastodon honours for an hour), `DELETE /api/v1/statuses/:id`,
`POST /api/v1/accounts/:id/block|mute` and `POST /api/v1/reports`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import suppress
from typing import TYPE_CHECKING, Any, ClassVar

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

if TYPE_CHECKING:
    import httpx

STREAM = "notifications"


class MastodonConnector(Connector):
    """One Mastodon account on one instance; ids are only unique per instance."""

    network = "mastodon"
    options = (Option("handle", "Your username on the instance, e.g. `briocheco`", required=True),)
    #: No HIDE: Mastodon lets an author delete their own posts, not hide others' replies.
    capabilities = frozenset(
        {
            Capability.REPLY,
            Capability.DM,
            Capability.DELETE,
            Capability.BLOCK,
            Capability.MUTE,
            Capability.REPORT,
            Capability.SPAM,
        }
    )
    page_size: ClassVar[int] = 40
    #: Pages read on a first sync (no cursor): recent history, not the account's whole life.
    max_pages: ClassVar[int] = 5
    #: Pages read to catch up to a saved cursor, a bound against a server that never ends.
    catch_up_pages: ClassVar[int] = 50

    @property
    def _own_id(self) -> str | None:
        """Our account id, kept on the account's client across sync passes."""
        return self._remember("mastodon.own_id")

    @_own_id.setter
    def _own_id(self, value: str) -> None:
        self._remember("mastodon.own_id", value)

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
                own_id, acct = expect_str(body, "id"), expect_str(body, "acct")
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
                page = [_notification(note) for note in expect_list(body)]
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
        try:
            host = host_of(url)
        except ValueError:
            raise ResponseShapeError(f"unreadable pagination link: {url!r}") from None
        if host != host_of(self.base_url):
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
            ancestors = expect_list(body["ancestors"])
            if not ancestors:
                return None
            root = self.item_id(expect_str(ancestors[0], "id"))
            for ancestor in ancestors:
                item = self._item(ancestor, own_id, root, actionable=False)
                items.setdefault(item.id, item)
        return root

    def _item(
        self, status: dict[str, Any], own_id: str, thread_id: str | None, *, actionable: bool
    ) -> Item:
        account = status["account"]
        author_id = expect_str(account, "id")
        text = html_to_text(expect_str(status, "content"))
        if status.get("spoiler_text"):
            text = f"CW: {expect_str(status, 'spoiler_text')}\n\n{text}"
        parent = status.get("in_reply_to_id")
        return Item(
            id=self.item_id(expect_str(status, "id")),
            account=self.account.name,
            network=self.network,
            brand=self.account.brand,
            kind=_kind(status, own_id, actionable),
            remote_id=status["id"],
            author=Author(
                id=author_id,
                handle=expect_str(account, "acct"),
                display_name=account.get("display_name") or "",
            ),
            text=text,
            created_at=parse_time_ms(expect_str(status, "created_at")),
            thread_id=thread_id,
            parent_id=self.item_id(str(parent)) if parent is not None else None,
            lang=status.get("language") or None,
            url=status.get("url") or expect_str(status, "uri"),
            context_only=not actionable or author_id == own_id,
        )

    # -- write path -------------------------------------------------------------------------

    async def check(self) -> str:
        body = await self.http.get_json(
            f"{self.base_url}/api/v1/accounts/verify_credentials", headers=self._headers
        )
        with shape_guard("Mastodon account"):
            acct, followers = expect_str(body, "acct"), body.get("followers_count")
            role = (body.get("role") or {}).get("name") or ""
        handle = str(self.account.options.get("handle", "")).lstrip("@").split("@")[0]
        if handle and handle.lower() != acct.split("@")[0].lower():
            raise AuthError(f"the token is for @{acct}, not @{handle}")
        extra = f", role {role}" if role else ""
        return (
            f"@{acct} on {host_of(self.base_url)}, {followers} followers{extra}; "
            "may reply, delete own posts, block, mute and report"
        )

    async def reply(self, item: Item, text: str, key: str) -> str:
        """Reply in the parent's visibility (a DM stays direct), mentioning its author.

        The `Idempotency-Key` header makes a retry with the same key return the
        status already posted instead of a second one.
        """
        own_id = await self._own_account()
        parent = await self._status(item)
        with shape_guard("Mastodon status"):
            visibility = expect_str(parent, "visibility")
            author_id, acct = (
                expect_str(parent["account"], "id"),
                expect_str(parent["account"], "acct"),
            )
        if author_id != own_id and not _mentions(text, acct):
            text = f"@{acct} {text}"
        body, _ = await self.http.request_json(
            "POST",
            f"{self.base_url}/api/v1/statuses",
            json_body={"status": text, "in_reply_to_id": item.remote_id, "visibility": visibility},
            headers={**self._headers, "Idempotency-Key": key},
        )
        with shape_guard("Mastodon status"):
            return expect_str(body, "id")

    async def moderate(self, item: Item, action: Capability) -> None:
        own_id = await self._own_account()
        headers = self._headers
        if action is Capability.DELETE:
            if item.author.id != own_id:
                raise ConnectorError("Mastodon only lets you delete your own posts")
            url = f"{self.base_url}/api/v1/statuses/{item.remote_id}"
            with suppress(NotFound):  # already deleted: the goal is reached
                await self.http.request_json("DELETE", url, headers=headers)
            return
        if item.author.id == own_id:
            raise ConnectorError(f"cannot {action} your own account")
        if action in (Capability.BLOCK, Capability.MUTE):
            url = f"{self.base_url}/api/v1/accounts/{item.author.id}/{action.value}"
            await self.http.request_json("POST", url, headers=headers)
        elif action in (Capability.REPORT, Capability.SPAM):
            remote = "@" in item.author.handle  # let the author's own instance see it too
            report = {
                "account_id": item.author.id,
                "status_ids": [item.remote_id],
                "category": "spam" if action is Capability.SPAM else "other",
                "comment": f"Reported from cmdesk by {self.account.brand}",
                "forward": remote,
            }
            url = f"{self.base_url}/api/v1/reports"
            await self.http.request_json("POST", url, json_body=report, headers=headers)
        else:
            raise self._unsupported(action)

    async def _status(self, item: Item) -> dict[str, Any]:
        """The status `item` stands for, as the instance sees it now."""
        try:
            body = await self.http.get_json(
                f"{self.base_url}/api/v1/statuses/{item.remote_id}", headers=self._headers
            )
        except NotFound as exc:
            raise NotFound(
                f"the post by @{item.author.handle} was deleted (or is no longer visible to "
                "this account): nothing to reply to"
            ) from exc
        if not isinstance(body, dict):
            raise ResponseShapeError(f"unexpected Mastodon status shape ({type(body).__name__})")
        return body


def _mentions(text: str, acct: str) -> bool:
    """Does `text` already mention `acct` exactly (`@user` local, `@user@instance` remote)?"""
    pattern = rf"(?<![\w@])@{re.escape(acct)}(?![\w@-]|\.[\w-])"
    return re.search(pattern, text, re.IGNORECASE) is not None


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
    int(expect_str(note, "id"))
    if not isinstance(note["status"], dict):
        raise TypeError("mention notification without a status")
    expect_str(note["status"], "id")
    return note


def _cursor(value: str | None) -> int | None:
    """A saved notification id; an unreadable one counts as none (a first sync)."""
    try:
        return int(value) if value else None
    except ValueError:
        return None
