"""A cmdesk session that a crash test kills with SIGKILL at a chosen point.

    python -m tests.robustness.crash_child DB SCENARIO

Scenarios: `typing` types a draft and waits for the autosave; `queued` queues a
reply whose send hangs forever; `sent-unrecorded` queues a reply whose POST
reaches the platform but whose answer never comes back. Each prints READY once
the point is reached, then waits to be killed.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx
from textual.widgets import TextArea

from cmdesk.connectors.replay import Replay, request_key
from cmdesk.demo import DEMO_TOKEN, demo_config, demo_replay

from ..conftest import FIXTURES
from ..tui_helpers import make_app, settle


class Hanging(httpx.AsyncBaseTransport):
    """The demo replay, except that a Mastodon reply never gets an answer (optionally after
    arriving, which `log` records with its idempotency key)."""

    def __init__(self, replay: Replay, log: Path | None) -> None:
        self.replay = replay
        self.log = log

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/api/v1/statuses"):  # only the reply hangs
            return self.replay.handle(request)
        if self.log is not None:
            await request.aread()
            key = request.headers.get("idempotency-key", "")
            with self.log.open("a", encoding="utf-8") as out:
                out.write(f"{request_key(request.method, request.url)} {key}\n")
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")


async def main(db: Path, scenario: str) -> None:
    def transport(store):  # type: ignore[no-untyped-def]
        replay = demo_replay(store, FIXTURES)
        if scenario == "typing":
            return replay.transport()
        log = db.with_suffix(".posted") if scenario == "sent-unrecorded" else None
        return Hanging(replay, log)

    app = make_app(
        db,
        demo_config(FIXTURES),
        transport_factory=transport,
        tokens=lambda _a: DEMO_TOKEN,
        demo=True,
        library_dir=FIXTURES / "replies",
    )
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press(*["down"] * 8, "enter")  # Open · mastodon
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        app.screen.query_one(TextArea).load_text("Merci pour votre message !")
        await pilot.press("end", *" -- typed before the crash")
        if scenario == "typing":
            await pilot.pause(1.0)  # past the autosave debounce
        else:
            await pilot.press("ctrl+s")
            await pilot.pause(1.0)
        print("READY", flush=True)
        await asyncio.sleep(3600)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), sys.argv[2]))
