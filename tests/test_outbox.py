"""The outbox as sync drains it: sent once, retried with backoff, refusals give the text back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from cmdesk.connectors.replay import Replay
from cmdesk.demo import DEMO_TOKEN, demo_config
from cmdesk.model import EventKind, Status
from cmdesk.store import Store
from cmdesk.sync import SyncEngine

from .conftest import FIXTURES


class Scripted:
    """The recorded platform, except that posting a status answers from `script` in turn."""

    def __init__(self, script: list[int]) -> None:
        self.replay = Replay.from_dirs(FIXTURES / "mastodon")
        self.script = script
        self.posts: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == "/api/v1/statuses":
            self.posts.append(request)
            status = self.script.pop(0)
            if status != 200:
                return httpx.Response(status, json={"error": "nope"})
        return self.replay.handle(request)


def run(store: Store, platform: Scripted, clock: list[int]) -> tuple[list[str], list[str]]:
    """One sync pass (to get items), then one outbox drain, at the time in `clock`."""
    accounts = [a for a in demo_config(FIXTURES).accounts if a.name == "brioche-masto"]

    async def go() -> list[str]:
        engine = SyncEngine(
            store,
            accounts,
            lambda _a: DEMO_TOKEN,
            transport_factory=lambda _s: httpx.MockTransport(platform.handle),
            clock=lambda: clock[0],
        )
        try:
            await engine.run_once()
            return await engine.drain_outbox()
        finally:
            await engine.aclose()

    problems = asyncio.run(go())
    return problems, [r.headers.get("idempotency-key", "") for r in platform.posts]


def queue_one(store: Store, now: int) -> str:
    item_id = next(
        r[0]
        for r in store.db.execute(
            "SELECT id FROM items WHERE account = 'brioche-masto' AND context_only = 0 LIMIT 1"
        )
    )
    payload = {"reply_id": None, "template": "", "sent": "Merci !", "personalisation": None}
    store.queue_reply(item_id, "brioche-masto", payload, "cm", now)
    return item_id


def test_a_5xx_is_retried_after_a_backoff_with_the_same_key(tmp_path: Path) -> None:
    store = Store(tmp_path / "o.db")
    clock = [1_900_000_000_000]
    platform = Scripted([503, 503, 503, 503, 200])
    run(store, platform, clock)
    item_id = queue_one(store, clock[0])
    problems, keys = run(store, platform, clock)
    assert len(problems) == 1 and "will retry" in problems[0]
    (entry,) = store.outbox_for(item_id)
    assert entry.state == "queued" and entry.attempts == 1 and "503" in (entry.last_error or "")
    assert run(store, platform, clock)[0] == []  # backoff not over: nothing sent
    clock[0] += 10_000
    problems, keys = run(store, platform, clock)
    assert problems == []
    (entry,) = store.outbox_for(item_id)
    assert entry.state == "sent" and entry.attempts == 2
    assert len(set(keys)) == 1 and keys[0] == entry.key
    replied = [e for e in store.events(item_id) if e.kind == EventKind.REPLIED]
    assert len(replied) == 1
    store.close()


def test_a_refusal_gives_the_text_back_as_a_draft_and_the_item_back_to_the_queue(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "o.db")
    clock = [1_900_000_000_000]
    platform = Scripted([422])
    run(store, platform, clock)
    item_id = queue_one(store, clock[0])
    problems, _ = run(store, platform, clock)
    assert len(problems) == 1 and "gave up; draft kept" in problems[0]
    (entry,) = store.outbox_for(item_id)
    assert entry.state == "failed"
    assert store.item(item_id).status == Status.OPEN  # type: ignore[union-attr]
    assert store.draft(item_id).text == "Merci !"  # type: ignore[union-attr]
    store.close()
