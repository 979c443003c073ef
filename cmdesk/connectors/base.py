"""The connector contract, and the HTTP helper every connector shares.

A connector knows one platform: it turns the platform's API into `Item`s and,
later, sends replies and moderation actions. It knows nothing of SQLite or
Textual; the only error it lets escape is `ConnectorError` (or a subclass), whose
message is one line a CM can read in the status bar.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

import httpx

from cmdesk.model import Account, Item


class ConnectorError(Exception):
    """Anything that went wrong talking to a platform, said in one line."""


class AuthError(ConnectorError):
    """The credential is missing, expired or refused."""


class RateLimited(ConnectorError):
    """The platform asked us to wait longer than we are willing to."""


class ResponseShapeError(ConnectorError):
    """The platform answered, but not in the shape its API reference documents."""


class Capability(StrEnum):
    REPLY = "reply"
    HIDE = "hide"
    DELETE = "delete"
    BLOCK = "block"
    MUTE = "mute"
    SPAM = "spam"
    REPORT = "report"
    DM = "dm"


@dataclass(frozen=True, slots=True)
class Option:
    """An account option a connector needs, declared once for validation and prompts."""

    name: str
    help: str
    required: bool = False
    default: str | None = None


@dataclass(slots=True)
class FetchResult:
    """Items from one pass, and the cursors to save in the same transaction."""

    items: list[Item] = field(default_factory=list)
    cursors: dict[str, str] = field(default_factory=dict)


Sleep = Callable[[float], Awaitable[None]]


@contextmanager
def shape_guard(what: str) -> Iterator[None]:
    """Turn a parsing slip on an unexpected payload into one readable error."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ResponseShapeError(f"unexpected {what} shape ({type(exc).__name__}: {exc})") from exc


def parse_time_ms(value: str) -> int:
    """ISO 8601 (with `Z` or an offset) to epoch milliseconds, UTC."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without a timezone: {value!r}")
    return int(parsed.timestamp() * 1000)


def retry_after_seconds(response: httpx.Response, now: float | None = None) -> float | None:
    """How long the platform asks us to wait, from `Retry-After` or a reset header."""
    header = response.headers.get("retry-after")
    if header:
        if header.strip().isdigit():
            return float(header)
        try:
            when = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(0.0, when.timestamp() - (now or time.time()))
    for name in ("x-ratelimit-reset", "ratelimit-reset"):
        value = response.headers.get(name)
        if not value:
            continue
        try:
            number = float(value)
        except ValueError:
            try:
                return max(0.0, parse_time_ms(value) / 1000 - (now or time.time()))
            except ValueError:
                continue
        # Epoch seconds when large, else seconds to wait (Reddit, Bluesky send both styles).
        return max(0.0, number - (now or time.time())) if number > 1e9 else number
    return None


class Http:
    """JSON over one shared `httpx.AsyncClient`, with retries, backoff and rate limits.

    Retries network errors and 5xx with exponential backoff and jitter; on 429
    waits what the platform asks, up to `max_wait`, and otherwise gives up with
    `RateLimited` so one slow platform never stalls the others.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        attempts: int = 4,
        base_delay: float = 0.5,
        max_wait: float = 60.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.client = client
        self.attempts = attempts
        self.base_delay = base_delay
        self.max_wait = max_wait
        self._sleep = sleep

    async def request_json(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[Any, httpx.Response]:
        """Send a request and decode its JSON body; raise `ConnectorError` otherwise."""
        last = "no attempt made"
        for attempt in range(self.attempts):
            try:
                response = await self.client.request(
                    method, url, params=params, json=json_body, headers=headers
                )
            except httpx.TimeoutException:
                last = f"timed out on {method} {_path(url)}"
            except httpx.TransportError as exc:
                last = f"network error on {method} {_path(url)}: {type(exc).__name__}"
            else:
                if response.status_code == 429:
                    wait = retry_after_seconds(response)
                    if wait is None:
                        wait = self._backoff(attempt)
                    if wait > self.max_wait:
                        raise RateLimited(f"rate limited for {wait:.0f}s on {_path(url)}")
                    last = f"rate limited on {_path(url)}"
                    await self._sleep(wait)
                    continue
                if response.status_code >= 500:
                    last = f"HTTP {response.status_code} on {method} {_path(url)}"
                elif response.status_code in (401, 403):
                    raise AuthError(f"HTTP {response.status_code}: credential refused")
                elif response.status_code >= 400:
                    raise ConnectorError(f"HTTP {response.status_code} on {method} {_path(url)}")
                else:
                    return _decode(response, url), response
            if attempt + 1 < self.attempts:
                await self._sleep(self._backoff(attempt))
        raise ConnectorError(f"{last} (after {self.attempts} attempts)")

    async def get_json(self, url: str, **kwargs: Any) -> Any:
        body, _ = await self.request_json("GET", url, **kwargs)
        return body

    def _backoff(self, attempt: int) -> float:
        return self.base_delay * (2**attempt) * (0.5 + random.random())


def _path(url: str) -> str:
    return httpx.URL(url).path or url


def _decode(response: httpx.Response, url: str) -> Any:
    content_type = response.headers.get("content-type", "")
    if "json" not in content_type and response.content.lstrip()[:1] == b"<":
        raise ResponseShapeError(f"got an HTML page instead of JSON from {_path(url)}")
    try:
        return json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResponseShapeError(f"invalid JSON from {_path(url)}: {exc.msg}") from exc


class Connector(ABC):
    """One platform. Subclasses declare what they can do and which options they need."""

    network: ClassVar[str]
    default_base_url: ClassVar[str | None] = None
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    options: ClassVar[tuple[Option, ...]] = ()

    def __init__(self, account: Account, client: httpx.AsyncClient, token: str | None) -> None:
        self.account = account
        self.token = token
        self.http = Http(client)

    @property
    def base_url(self) -> str:
        return self.account.base_url.rstrip("/")

    def item_id(self, remote_id: str) -> str:
        return f"{self.account.name}/{remote_id}"

    @abstractmethod
    async def fetch(self, cursors: Mapping[str, str]) -> FetchResult:
        """Fetch everything newer than `cursors` (stream -> value), with thread context.

        Pages until the saved cursor is reached, so a pass after a long pause
        still brings every item, and returns the new cursors to save with them.
        """

    async def reply(self, item: Item, text: str, key: str) -> str:
        """Post `text` as a reply to `item` and return the new post's remote id.

        `key` is the outbox row's idempotency key: a retry with the same key must
        never post twice (send it where the platform honours one, else look for
        the reply in the thread before posting).
        """
        raise ConnectorError(f"{self.network} connector cannot reply")

    async def moderate(self, item: Item, action: Capability) -> None:
        """Perform a moderation action (hide, spam, delete, block, mute, report) on `item`."""
        raise ConnectorError(f"{self.network} connector cannot {action}")
