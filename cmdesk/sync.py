"""Sync: every account's connector concurrently, results written with their cursors.

One failing account never stops the others; its error comes back as a
`SyncState` for the status bar. SQLite work runs off the event loop through
`run`, so the UI never waits on it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import httpx

from cmdesk.connectors.base import (
    AuthError,
    Capability,
    Connector,
    ConnectorError,
    NotFound,
    RateLimited,
    ResponseShapeError,
)
from cmdesk.connectors.registry import ConnectorLoadError, connector_class
from cmdesk.model import Account, SyncState, now_ms
from cmdesk.store import Store, StoreError

T = TypeVar("T")
#: Runs a blocking store call off the event loop and awaits its result.
Runner = Callable[..., Awaitable[Any]]
TokenSource = Callable[[Account], str | None]
#: Builds the HTTP transport on first use (the demo's replay), off the UI thread.
TransportFactory = Callable[[Store], httpx.AsyncBaseTransport]

USER_AGENT = "cmdesk/0.1 (+community manager inbox)"


async def in_thread(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return await asyncio.to_thread(fn, *args, **kwargs)


async def inline(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Where nothing else waits on the loop (the CLI, a sync process): call the store directly."""
    return fn(*args, **kwargs)


class SyncEngine:
    """Keeps one `httpx.AsyncClient` and connector per account across passes."""

    def __init__(
        self,
        store: Store,
        accounts: Sequence[Account],
        tokens: TokenSource,
        *,
        transport_factory: TransportFactory | None = None,
        run: Runner = in_thread,
        clock: Callable[[], int] = now_ms,
    ) -> None:
        self.store = store
        self.accounts = list(accounts)
        self._tokens = tokens
        self._transport_factory = transport_factory
        self._transport: httpx.AsyncBaseTransport | None = None
        self._run = run
        self._clock = clock
        self._clients: dict[str, httpx.AsyncClient] = {}
        #: One drain at a time: two would both pick the same queued row.
        self._drain_lock = asyncio.Lock()

    def _connector(self, account: Account) -> Connector:
        client = self._clients.get(account.name)
        if client is None and self._transport is None and self._transport_factory is not None:
            self._transport = self._transport_factory(self.store)
        if client is None:
            client = httpx.AsyncClient(
                transport=self._transport,
                timeout=httpx.Timeout(20.0, connect=10.0),
                headers={"User-Agent": USER_AGENT},
                follow_redirects=True,
            )
            self._clients[account.name] = client
        return connector_class(account.network)(account, client, self._tokens(account))

    async def sync_account(self, account: Account) -> SyncState:
        connector: Connector | None = None
        try:
            connector = self._connector(account)
            cursors = await self._run(self.store.cursors, account.name)
            result = await connector.fetch(cursors)
            new_ids = await self._run(
                self.store.ingest, account.name, result.items, result.cursors, self._clock()
            )
        except (ConnectorError, ConnectorLoadError, StoreError) as exc:
            message = _secret_free(_one_line(exc), connector)
            return SyncState(account.name, ok=False, message=message, at=self._clock())
        except Exception as exc:  # a connector bug must not stop the other accounts
            message = _secret_free(f"unexpected {type(exc).__name__}: {_one_line(exc)}", connector)
            return SyncState(account.name, ok=False, message=message, at=self._clock())
        return SyncState(account.name, ok=True, new_items=len(new_ids), at=self._clock())

    async def run_once(
        self, on_state: Callable[[SyncState], None] | None = None
    ) -> list[SyncState]:
        """One pass over every account, concurrently; one state per account, in config order.

        `on_state` hears of each account as it lands, so the inbox can show the
        first account's items without waiting for the slowest one.
        """

        async def one(account: Account) -> SyncState:
            state = await self.sync_account(account)
            if on_state is not None:
                on_state(state)
            return state

        return list(await asyncio.gather(*(one(a) for a in self.accounts)))

    async def drain_outbox(self) -> list[str]:
        """Send what is due in the outbox; return one line per failure for the status bar.

        Each row is marked `sending` before the network call, so a crash after it
        retries with the same idempotency key instead of posting twice.
        """
        async with self._drain_lock:
            return await self._drain()

    async def _drain(self) -> list[str]:
        problems: list[str] = []
        accounts = {account.name: account for account in self.accounts}
        for entry in await self._run(self.store.outbox_due, self._clock()):
            account = accounts.get(entry.account)
            item = await self._run(self.store.item, entry.item_id)
            if account is None or item is None:
                why = f"account {entry.account} is not configured" if item else "item is gone"
                await self._run(self.store.outbox_failed, entry, why, self._clock(), retry=False)
                problems.append(f"{entry.account}: {why}")
                continue
            connector = self._connector(account)
            needed = Capability.REPLY if entry.action == "reply" else Capability(entry.action)
            if needed not in connector.capabilities:
                why = f"{account.network} account cannot {needed}"
                await self._run(self.store.outbox_failed, entry, why, self._clock(), retry=False)
                problems.append(f"{account.name}: {why}; draft kept")
                continue
            await self._run(self.store.outbox_sending, entry.id, self._clock())
            try:
                if entry.action == "reply":
                    remote_id = await connector.reply(item, entry.payload["sent"], entry.key)
                else:
                    await connector.moderate(item, Capability(entry.action))
                    remote_id = ""
            except Exception as exc:  # every failure is recorded on the row, never lost
                message = _secret_free(_one_line(exc), connector)
                retry = _worth_retrying(exc)
                await self._run(
                    self.store.outbox_failed, entry, message, self._clock(), retry=retry
                )
                verb = "will retry" if retry else "gave up; draft kept"
                problems.append(f"{account.name}: {entry.action} failed ({verb}): {message}")
                continue
            await self._run(self.store.outbox_sent, entry, remote_id, self._clock())
        return problems

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()


_CLIENT_ERROR = re.compile(r"HTTP 4(?!29)\d\d")


def _worth_retrying(exc: BaseException) -> bool:
    """Network trouble, 5xx, rate limits and credentials can recover; a refusal cannot."""
    if isinstance(exc, (AuthError, RateLimited)):
        return True
    if isinstance(exc, (ResponseShapeError, NotFound)) or not isinstance(exc, ConnectorError):
        return False  # a deleted parent will not come back
    return not _CLIENT_ERROR.search(str(exc))


def _secret_free(message: str, connector: Connector | None) -> str:
    """A failure as shown and stored: a connector bug may have put the token in its message."""
    return connector.http.redact(message) if connector is not None else message


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] or type(exc).__name__
