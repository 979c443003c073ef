"""A demo store at fixed instants, and CM actions written through the store API.

The report screen's tests and snapshots need figures that do not move with the
wall clock: the demo is synced by the real connectors at `SYNCED`, its recorded
times anchored there, and the app's clock is `NOW`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from pathlib import Path

from cmdesk.config import Config
from cmdesk.demo import DEMO_TOKEN, demo_config, demo_transport
from cmdesk.model import Item
from cmdesk.store import Store
from cmdesk.store.views import ALL
from cmdesk.sync import SyncEngine

from .conftest import FIXTURES, make_item
from .tui_helpers import make_app

MIN = 60_000
HOUR = 60 * MIN
DAY = 24 * HOUR
#: A Wednesday, 10:00 in Paris: the bakery (business hours) is open.
SYNCED = int(dt.datetime(2026, 3, 4, 9, 0, tzinfo=dt.UTC).timestamp() * 1000)
NOW = SYNCED + 3 * HOUR
CONFIG: Config = demo_config(FIXTURES)


async def _sync(path: Path) -> None:
    store = Store(path)
    store.set_meta("demo_anchor_ms", str(SYNCED - 5 * MIN))
    engine = SyncEngine(
        store,
        CONFIG.accounts,
        lambda _account: DEMO_TOKEN,
        transport_factory=lambda s: demo_transport(s, FIXTURES),
        clock=lambda: SYNCED,
    )
    try:
        await engine.run_once()
    finally:
        await engine.aclose()
        store.close()


def build_demo_store(path: Path) -> None:
    """The demo synced at `SYNCED`, plus three Nordlys messages received earlier (3 days
    and 20 days before), so that today, 7 days and 30 days differ."""
    asyncio.run(_sync(path))
    store = Store(path)
    try:
        for n, days in ((1, 3), (2, 3), (3, 20)):
            old = make_item(
                n,
                id=f"nordlys-bsky:old-{n}",
                account="nordlys-bsky",
                network="bluesky",
                brand="Nordlys",
                remote_id=f"old-{n}",
                text=f"older question {n}",
                created_at=SYNCED - days * DAY - MIN,
            )
            store.ingest("nordlys-bsky", [old], {}, SYNCED - days * DAY)
    finally:
        store.close()


def copy_store(source: Path, target: Path) -> Path:
    shutil.copyfile(source, target)
    return target


def items(store: Store) -> list[Item]:
    """Every actionable item, oldest first (as the All view orders them)."""
    found = store.items_by_rowid(list(store.view_ids(ALL)))
    return [found[rowid] for rowid in store.view_ids(ALL)]


def reply(store: Store, item: Item, after_ms: int, actor: str = "Camille") -> None:
    """A library reply queued at once and accepted by the platform `after_ms` after receipt."""
    payload = {
        "reply_id": "thanks",
        "template": "Merci !",
        "sent": "Merci !",
        "personalisation": 0.0,
    }
    store.queue_reply(item.id, item.account, payload, actor, item.received_at or SYNCED)
    (entry,) = store.outbox_for(item.id)
    store.outbox_sent(entry, f"remote-{item.remote_id}", (item.received_at or SYNCED) + after_ms)


#: First responses of the three replied Nordlys messages, in minutes.
WAITS = (10, 50, 20)


def add_actions(path: Path) -> list[Item]:
    """Three Nordlys replies (`WAITS`), one done at 40 min, one spam at 5 min, all by
    Camille and written as the app writes them; returns the replied items."""
    store = Store(path)
    try:
        nordlys = [i for i in items(store) if i.brand == "Nordlys" and i.received_at == SYNCED]
        for item, wait in zip(nordlys[:3], WAITS, strict=True):
            reply(store, item, wait * MIN)
        store.mark_done([nordlys[3].id], "Camille", SYNCED + 40 * MIN)
        spam_at = SYNCED + 5 * MIN
        store.moderate([(nordlys[4].id, nordlys[4].account)], "spam", "Camille", spam_at)
        for entry in store.outbox_due(NOW):  # the platform took it: nothing left to send
            store.outbox_sent(entry, "remote-spam", spam_at)
    finally:
        store.close()
    return nordlys[:3]


def report_app(db: Path, **options: object):  # type: ignore[no-untyped-def]
    """The app on `db` with the demo config, no sync, and the clock stopped at `NOW`."""
    options.setdefault("sync_on_start", False)
    return make_app(db, CONFIG, clock=lambda: NOW, **options)
