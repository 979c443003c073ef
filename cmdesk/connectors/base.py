"""The connector contract: what a connector declares, does and may raise.

A connector knows one platform: it turns the platform's API into `Item`s and,
later, sends replies and moderation actions. It knows nothing of SQLite or
Textual; the only error it lets escape is `ConnectorError` (or a subclass), whose
message is one line a CM can read in the status bar.

Reading a connector's declaration (network, options, capabilities) must stay cheap:
config validation and the UI's start do it. So httpx is only imported when a
connector is built (`cmdesk.connectors.http`).
"""

from __future__ import annotations

import hashlib
import weakref
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from cmdesk.model import Account, Item

if TYPE_CHECKING:
    import httpx


class ConnectorError(Exception):
    """Anything that went wrong talking to a platform, said in one line."""


class AuthError(ConnectorError):
    """The credential is missing, expired or refused."""


class NotFound(ConnectorError):
    """The platform says the thing is gone: a deleted post, parent or account (HTTP 404)."""


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
    #: Undo a hide, delete or spam on the platform (Discourse recover, Reddit approve).
    RESTORE = "restore"
    #: Close the item's thread to new replies (Discourse close topic, Reddit lock).
    LOCK = "lock"
    #: Undo a lock on the platform: the thread takes replies again.
    UNLOCK = "unlock"


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


@contextmanager
def shape_guard(what: str) -> Iterator[None]:
    """Turn a parsing slip on an unexpected payload into one readable error."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError) as exc:
        raise ResponseShapeError(f"unexpected {what} shape ({type(exc).__name__}: {exc})") from exc


def expect_list(value: Any) -> list[Any]:
    """`value`, which the platform's reference says is a list (else a shape error)."""
    if not isinstance(value, list):
        raise TypeError(f"expected a list, got {type(value).__name__}")
    return value


def expect_str(mapping: Any, key: str) -> str:
    """`mapping[key]`, which the platform's reference says is a string (else a shape error)."""
    value = mapping[key]
    if not isinstance(value, str):
        raise TypeError(f"{key} is {type(value).__name__}, not a string")
    return value


def host_of(url: str) -> str:
    """The host of `url`, lower-cased, to compare or show; ValueError if it has none."""
    host = urlsplit(url).hostname
    if not host:
        raise ValueError(f"no host in {url!r}")
    return host


def parse_time_ms(value: str) -> int:
    """ISO 8601 (with `Z` or an offset) to epoch milliseconds, UTC."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without a timezone: {value!r}")
    return int(parsed.timestamp() * 1000)


#: What each account's client keeps between connectors (see `Connector._remember`).
_STATE: weakref.WeakKeyDictionary[httpx.AsyncClient, dict[str, Any]] = weakref.WeakKeyDictionary()


class Connector(ABC):
    """One platform. Subclasses declare what they can do and which options they need.

    Required: `fetch`. Optional, with safe defaults: `reply`, `moderate` (raise a
    `ConnectorError` saying the platform cannot) and `check` (one fetch).
    """

    network: ClassVar[str]
    default_base_url: ClassVar[str | None] = None
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    options: ClassVar[tuple[Option, ...]] = ()

    def __init__(self, account: Account, client: httpx.AsyncClient, token: str | None) -> None:
        from cmdesk.connectors.http import Http  # httpx: only once a connector is built

        self.account = account
        self.token = token
        self.http = Http(client, account=account.name)
        self.http.add_secret(token)

    @property
    def base_url(self) -> str:
        return self.account.base_url.rstrip("/")

    def item_id(self, remote_id: str) -> str:
        return f"{self.account.name}/{remote_id}"

    def _remember(self, key: str, value: Any = None) -> Any:
        """What this account's client keeps between connectors (sessions, access tokens).

        The sync engine keeps one client per account but may build a connector per
        pass: a login kept here is reused, as long as the token is the same.
        With `value`, store it; with `None`, read it (None if absent or another token).
        """
        state = _STATE.setdefault(self.http.client, {})
        token = hashlib.sha256((self.token or "").encode()).hexdigest()
        if value is not None:
            state[key] = (token, value)
            return value
        entry = state.get(key)
        return entry[1] if entry is not None and entry[0] == token else None

    def _forget(self, key: str) -> None:
        _STATE.setdefault(self.http.client, {}).pop(key, None)

    @abstractmethod
    async def fetch(self, cursors: Mapping[str, str]) -> FetchResult:
        """Fetch everything newer than `cursors` (stream -> value), with thread context.

        Pages until the saved cursor is reached, so a pass after a long pause
        still brings every item, and returns the new cursors to save with them.
        """

    async def check(self) -> str:
        """Prove the credential with as few calls as possible; say who we are, in one line.

        `cmdesk accounts test` prints it. The default runs one first-sync fetch;
        connectors override it with a single "who am I" call.
        """
        result = await self.fetch({})
        return f"credential works ({len(result.items)} items readable)"

    async def reply(self, item: Item, text: str, key: str) -> str:
        """Post `text` as a reply to `item` and return the new post's remote id.

        `key` is the outbox row's idempotency key: a retry with the same key must
        never post twice (send it where the platform honours one, else look for
        the reply in the thread before posting). A deleted parent raises `NotFound`.
        """
        raise ConnectorError(f"{self.network} connector cannot reply")

    async def moderate(self, item: Item, action: Capability) -> None:
        """Perform a moderation action on `item` (one of the class's `capabilities`).

        HIDE, SPAM, DELETE and RESTORE act on the item; BLOCK, MUTE and REPORT on
        its author (REPORT with the item as evidence); LOCK and UNLOCK on its thread.
        Doing it twice is harmless.
        """
        raise ConnectorError(f"{self.network} connector cannot {action}")

    def _unsupported(self, action: Capability) -> ConnectorError:
        return ConnectorError(f"{self.network} connector cannot {action}")
