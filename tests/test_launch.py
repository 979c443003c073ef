"""The console script pauses garbage collection for the start; every path turns it back on."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from cmdesk.cli import main
from cmdesk.model import now_ms
from cmdesk.store import Store

from .conftest import FIXTURES, make_item
from .tui_helpers import make_app, settle


@pytest.fixture
def paused() -> Iterator[None]:
    """Collection off, as `cmdesk.launch` leaves it; back on after the test whatever happens."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def test_a_command_collects_again_as_soon_as_it_is_chosen(tmp_path: Path, paused: None) -> None:
    db = tmp_path / "s.db"
    Store(db).close()
    result = CliRunner().invoke(main, ["export", "items", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert gc.isenabled()


async def test_the_app_collects_again_once_started(tmp_path: Path, paused: None) -> None:
    store = Store(tmp_path / "s.db")
    store.ingest("acct", [make_item(1)], {}, now_ms())
    store.close()
    app = make_app(tmp_path / "s.db", library_dir=FIXTURES / "replies")
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.replies_index is not None  # startup is over
        assert gc.isenabled()
