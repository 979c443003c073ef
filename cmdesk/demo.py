"""The offline demo: the demo config's accounts, synced by the real connectors from `fixtures/`."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx

from cmdesk.config import Config, ConfigError, load_config
from cmdesk.connectors.replay import Replay
from cmdesk.store import Store

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
    anchor = store.meta(_ANCHOR_KEY)
    if anchor is None:
        anchor = str(int(time.time() * 1000) - 5 * 60 * 1000)
        store.set_meta(_ANCHOR_KEY, anchor)
    networks = [
        p for p in sorted(fixtures.iterdir()) if p.is_dir() and p.name not in {"replies", "tools"}
    ]
    return Replay.from_dirs(*networks, anchor_ms=int(anchor))
