"""The offline demo: the demo config's accounts, synced by the real connectors from `fixtures/`.

The first sync of a demo runs in a forked process (`FirstSync`): parsing 400
recorded responses is CPU work, and on its own core it is done by the time the
UI has started, instead of after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cmdesk.config import Config, ConfigError, load_config
from cmdesk.model import SyncState
from cmdesk.store import Store

if TYPE_CHECKING:
    import httpx

    from cmdesk.connectors.replay import Replay

#: Every demo account gets this placeholder token; the replay never checks it.
DEMO_TOKEN = "demo-token"
_ANCHOR_KEY = "demo_anchor_ms"


def fixtures_dir() -> Path:
    """`CMDESK_FIXTURES`, else the `fixtures/` folder of the source tree cmdesk runs from."""
    env = os.environ.get("CMDESK_FIXTURES")
    path = Path(env) if env else Path(__file__).resolve().parent.parent / "fixtures"
    if not (path / "demo.toml").is_file():
        raise ConfigError(
            f"{path}: demo fixtures not found (install cmdesk from its source tree, "
            "or set CMDESK_FIXTURES)"
        )
    return path


def demo_config(fixtures: Path) -> Config:
    return load_config(fixtures / "demo.toml", missing_ok=False)


def demo_transport(store: Store, fixtures: Path) -> httpx.MockTransport:
    return demo_replay(store, fixtures).transport()


def demo_replay(store: Store, fixtures: Path) -> Replay:
    """The replay of every network's fixtures, anchored to the store's first demo run.

    Shifting recorded times to the anchor keeps waiting times realistic, and the
    same anchor on later runs of a kept store (`--db`) keeps cursors consistent.
    """
    from cmdesk.connectors.replay import Replay  # httpx: not on the UI's start path

    anchor = store.meta(_ANCHOR_KEY)
    if anchor is None:
        anchor = str(int(time.time() * 1000) - 5 * 60 * 1000)
        store.set_meta(_ANCHOR_KEY, anchor)
    networks = [
        p for p in sorted(fixtures.iterdir()) if p.is_dir() and p.name not in {"replies", "tools"}
    ]
    return Replay.from_dirs(*networks, anchor_ms=int(anchor))


class FirstSync:
    """The demo's first sync pass, in a child process that reports each account as it lands.

    The child gets a store already migrated (one migrator, no race) and writes
    one JSON `SyncState` per line to a pipe; the app reads them in a thread.
    """

    def __init__(self, pid: int, fd: int, accounts: int) -> None:
        self.pid = pid
        self._fd = fd
        self.accounts = accounts

    @classmethod
    def start(cls, path: Path, config: Config, fixtures: Path) -> FirstSync | None:
        """Fork the sync; None where there is no fork (the app then syncs in a thread).

        Call it before any thread exists (before the UI): a fork copies one thread only.
        """
        if not hasattr(os, "fork") or sys.platform == "darwin":  # macOS: fork is unsafe
            return None
        Store(path).close()
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: sync, report, and leave without running the parent's exit code
            os.close(read_fd)
            quiet = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):  # the terminal is the UI's: a stray warning would scar it
                os.dup2(quiet, fd)
            code = 1
            try:
                code = _sync_child(path, config, fixtures, write_fd)
            finally:
                os._exit(code)
        os.close(write_fd)
        return cls(pid, read_fd, len(config.accounts))

    def wait(self, on_state: Callable[[SyncState], None]) -> list[SyncState]:
        """Blocking: call `on_state` for each account as it lands; every state at the end."""
        states: list[SyncState] = []
        with os.fdopen(self._fd, encoding="utf-8") as lines:
            for line in lines:
                try:
                    state = SyncState(**json.loads(line))
                except (ValueError, TypeError):
                    continue  # a torn line from a killed child: that account syncs again
                states.append(state)
                on_state(state)
        self._reap()
        return states

    def stop(self) -> None:
        """Quitting before the child is done: stop it (its writes are transactions)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        self._reap()

    def _reap(self) -> None:
        with contextlib.suppress(ChildProcessError):  # reaped already
            os.waitpid(self.pid, 0)


def _sync_child(path: Path, config: Config, fixtures: Path, fd: int) -> int:
    from cmdesk.sync import SyncEngine, inline

    store = Store(path)
    with os.fdopen(fd, "w", encoding="utf-8") as out:

        def landed(state: SyncState) -> None:
            out.write(json.dumps(dataclasses.asdict(state)) + "\n")
            out.flush()

        async def one_pass() -> None:
            engine = SyncEngine(
                store,
                config.accounts,
                lambda _a: DEMO_TOKEN,
                transport_factory=lambda s: demo_transport(s, fixtures),
                run=inline,
            )
            try:
                await engine.run_once(landed)
            finally:
                await engine.aclose()

        asyncio.run(one_pass())
    store.close()
    return 0
