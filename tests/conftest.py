"""Shared fixtures: keep the developer's own config, keyring and data out of every test."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.core
import pytest

from cmdesk.model import Author, Item, Kind, Status
from cmdesk.store import Store

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    for name in ("CMDESK_CONFIG", "CMDESK_DB", "CMDESK_FIXTURES"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[tuple[str, str], str]]:
    """An in-memory keyring, chosen the way a user chooses one (`PYTHON_KEYRING_BACKEND`)."""
    from .keyring_memory import MemoryKeyring

    MemoryKeyring.store.clear()
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.keyring_memory.MemoryKeyring")
    keyring.core.init_backend()
    yield MemoryKeyring.store
    MemoryKeyring.store.clear()
    keyring.core.set_keyring(keyring.backends.fail.Keyring())


def make_item(n: int, **changes: object) -> Item:
    """A plain mention; `changes` override any field."""
    now = int(time.time() * 1000)
    fields: dict[str, object] = {
        "id": f"acct/{n}",
        "account": "acct",
        "network": "mastodon",
        "brand": "Brioche & Co",
        "kind": Kind.MENTION,
        "remote_id": str(n),
        "author": Author(f"u{n % 5}", f"user{n % 5}", f"User {n % 5}"),
        "text": f"message number {n}",
        "created_at": now - (1000 - n) * 60_000,
        "status": Status.NEW,
    }
    fields.update(changes)
    return Item(**fields)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store(tmp_path / "test.db")
    yield opened
    opened.close()
