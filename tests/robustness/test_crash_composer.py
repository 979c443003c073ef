"""Killed while typing or right after queueing: the draft is back, the reply goes out once."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from pathlib import Path

from textual.widgets import TextArea

from cmdesk.store import Store
from cmdesk.tui.screens.composer import ComposerScreen

from ..conftest import REPO
from ..test_demo import SIZE, demo_app
from ..tui_helpers import settle


def run_until_ready_then_kill(db: Path, scenario: str) -> None:
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.robustness.crash_child", str(db), scenario],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert child.stdout is not None
        ready, _, _ = select.select([child.stdout], [], [], 90)
        line = child.stdout.readline() if ready else "(nothing within 90 s)"
        assert line.strip() == "READY", f"child said {line!r}"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)


async def test_a_draft_survives_a_kill_while_typing(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    run_until_ready_then_kill(db, "typing")
    store = Store(db)
    (item_id,) = [r[0] for r in store.db.execute("SELECT item_id FROM drafts")]
    assert store.draft(item_id).text.endswith("-- typed before the crash")  # type: ignore[union-attr]
    store.close()
    app = demo_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press(*["down"] * 8, "enter")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ComposerScreen)
        assert app.screen.item.id == item_id
        assert app.screen.query_one(TextArea).text.endswith("-- typed before the crash")


async def test_a_reply_queued_then_killed_is_sent_exactly_once_on_restart(tmp_path: Path) -> None:
    db = tmp_path / "crash.db"
    run_until_ready_then_kill(db, "queued")
    store = Store(db)
    (entry,) = store.outbox_due(2**62)
    assert entry.payload["sent"].endswith("-- typed before the crash")
    store.close()
    app = demo_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
    store = Store(db)
    (sent,) = store.outbox_for(entry.item_id)
    replied = [e for e in store.events(entry.item_id) if e.kind == "replied"]
    store.close()
    assert sent.state == "sent" and len(replied) == 1
    assert replied[0].payload["key"] == entry.key


async def test_killed_after_the_post_left_the_retry_reuses_the_idempotency_key(
    tmp_path: Path,
) -> None:
    db = tmp_path / "crash.db"
    run_until_ready_then_kill(db, "sent-unrecorded")
    (first_post,) = db.with_suffix(".posted").read_text().splitlines()
    store = Store(db)
    (entry,) = store.outbox_due(2**62)
    assert entry.state == "sending" and entry.attempts == 1
    store.close()
    assert first_post.endswith(entry.key)
    app = demo_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
    store = Store(db)
    (sent,) = store.outbox_for(entry.item_id)
    store.close()
    assert sent.state == "sent" and sent.attempts == 2 and sent.key == entry.key
