"""Snapshots of the report screen (pytest-textual-snapshot; Textual is pinned).

Deterministic by construction: the demo is synced at a fixed instant, the CM's
actions are written at fixed instants, and the app's clock is stopped (`NOW`), so
no figure, date or plot moves with the wall clock. After an intended change of
the screen: `pytest tests/test_snapshots.py --snapshot-update`, then look at the SVGs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from .report_helpers import add_actions, build_demo_store, copy_store, report_app
from .tui_helpers import settle

SIZE = (150, 40)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("snapshots") / "demo.db"
    build_demo_store(path)
    return path


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> Path:
    path = copy_store(demo_db, tmp_path / "demo.db")
    add_actions(path)
    return path


def keys(*pressed: str):  # type: ignore[no-untyped-def]
    """Press `pressed` from the inbox, letting every fold finish after each key."""

    async def run_before(pilot: Pilot) -> None:
        await settle(pilot)
        for key in pressed:
            await pilot.press(key)
            await settle(pilot)

    return run_before


def test_report_by_network_last_7_days(snap_compare, db: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(report_app(db), terminal_size=SIZE, run_before=keys("R"))


def test_report_by_brand_today(snap_compare, db: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(report_app(db), terminal_size=SIZE, run_before=keys("R", "t", "g"))


def test_report_30_days_wall_clock(snap_compare, db: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(report_app(db), terminal_size=SIZE, run_before=keys("R", "3", "h"))
