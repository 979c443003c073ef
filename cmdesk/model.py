"""Domain dataclasses shared by every layer.

The store returns these, connectors produce them, the TUI shows them: nobody
outside `cmdesk/store/` ever sees a database row.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


def now_ms() -> int:
    """Now as every time in the store is kept: epoch milliseconds, UTC."""
    return int(time.time() * 1000)


class Status(StrEnum):
    """Where an item stands in the CM's queue."""

    NEW = "new"
    OPEN = "open"
    SNOOZED = "snoozed"
    REPLIED = "replied"
    #: A moderation action the platform confirmed (payload: action, key).
    MODERATED = "moderated"
    DONE = "done"
    HIDDEN = "hidden"
    SPAM = "spam"


#: Statuses that still wait for the CM (the default queue).
WAITING = (Status.NEW, Status.OPEN)


class Kind(StrEnum):
    """What brought the item in."""

    COMMENT = "comment"
    MENTION = "mention"
    REPLY = "reply"
    DM = "dm"


class EventKind(StrEnum):
    """Steps of the append-only event log; response times are computed from them."""

    RECEIVED = "received"
    OPENED = "opened"
    QUEUED = "queued"
    REPLIED = "replied"
    #: A moderation action the platform confirmed (payload: action, key).
    MODERATED = "moderated"
    DONE = "done"
    SNOOZED = "snoozed"
    WOKEN = "woken"
    LABELLED = "labelled"
    UNLABELLED = "unlabelled"
    HIDDEN = "hidden"
    SPAM = "spam"
    DELETED = "deleted"
    BLOCKED = "blocked"
    MUTED = "muted"
    REPORTED = "reported"
    LOCKED = "locked"
    REOPENED = "reopened"
    UNDONE = "undone"


@dataclass(frozen=True, slots=True)
class Author:
    id: str
    handle: str
    display_name: str = ""

    @property
    def label(self) -> str:
        """The name a CM recognises: display name when there is one, else the handle."""
        return self.display_name or self.handle


@dataclass(frozen=True, slots=True)
class Item:
    """One message (comment, mention, reply, DM) from one account's point of view.

    `id` is `account/remote_id`: remote ids are only unique per instance or forum,
    and a post that mentions two brands owes each brand its own answer.
    """

    id: str
    account: str
    network: str
    brand: str
    kind: Kind
    remote_id: str
    author: Author
    text: str
    created_at: int
    thread_id: str | None = None
    parent_id: str | None = None
    lang: str | None = None
    url: str | None = None
    received_at: int = 0
    status: Status = Status.NEW
    snooze_until: int | None = None
    labels: tuple[str, ...] = ()
    assignee: str | None = None
    #: Fetched only to show a thread (the brand's own post, an ancestor): never queued.
    context_only: bool = False


@dataclass(frozen=True, slots=True)
class Event:
    item_id: str
    kind: EventKind
    at: int
    actor: str = "system"
    payload: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Account:
    """A configured account: which connector, which brand, where, and its own options."""

    name: str
    network: str
    brand: str
    base_url: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SyncState:
    """What the status bar shows for one account after a sync pass."""

    account: str
    ok: bool
    new_items: int = 0
    message: str = ""
    at: int = 0
