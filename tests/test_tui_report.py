"""The report screen driven by the keyboard, on the demo plus a few replies, a done and a hide.

Expected figures are counted here from the items and the instants the test chose, not
read back from `cmdesk.metrics`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from cmdesk.config import load_config
from cmdesk.model import Item, Status
from cmdesk.store import Store
from cmdesk.text import one_line
from cmdesk.tui.period import last_days, parse_custom
from cmdesk.tui.screens.drill import DrillScreen
from cmdesk.tui.screens.inbox import InboxScreen
from cmdesk.tui.screens.report import ReportScreen
from cmdesk.tui.widgets.inbox_list import InboxList
from cmdesk.tui.widgets.sla_badge import time_left

from .conftest import make_item
from .report_helpers import (
    DAY,
    HOUR,
    MIN,
    SYNCED,
    WAITS,
    add_actions,
    build_demo_store,
    copy_store,
    items,
    report_app,
)
from .tui_helpers import list_lines, make_app, notifications, screen_lines, settle

SIZE = (170, 45)
TODAY = dt.date(2026, 3, 4)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "demo.db"
    build_demo_store(path)
    return path


@pytest.fixture
def db(demo_db: Path, tmp_path: Path) -> tuple[Path, list[Item]]:
    """The demo, with three Nordlys replies, one done and one spam; and the replied."""
    path = copy_store(demo_db, tmp_path / "demo.db")
    return path, add_actions(path)


def received_by(path: Path, key: str, since: dt.date, until: dt.date) -> Counter[str]:
    """Items received in [since, until] (UTC dates: every receipt here is at 09:00 UTC,
    the same date in Paris and Oslo), counted by network or brand."""
    store = Store(path)
    try:
        return Counter(
            getattr(i, key)
            for i in items(store)
            if since <= dt.datetime.fromtimestamp(i.received_at / 1000, dt.UTC).date() <= until
        )
    finally:
        store.close()


def table(app) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """The report table as {first cell: {column title: cell}}."""
    shown = app.screen.query_one("#report-table", DataTable)
    titles = [str(column.label) for column in shown.columns.values()]
    rows = {}
    for index in range(shown.row_count):
        cells = [str(cell) for cell in shown.get_row_at(index)]
        rows[cells[0]] = dict(zip(titles, cells, strict=True))
    return rows


def screen_text(app) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(screen_lines(app))


async def test_r_opens_the_report_with_its_mode_and_figures(db: tuple[Path, list[Item]]) -> None:
    path, _ = db
    app = report_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert isinstance(app.screen, ReportScreen)
        shown = screen_text(app)
        assert "Response times by network · 7 days (2026-02-26 – 2026-03-04)" in shown
        assert "mode: mixed: open hours for brands that set business hours" in shown
        rows = table(app)
        week = received_by(path, "network", TODAY - dt.timedelta(days=6), TODAY)
        for network in ("bluesky", "discourse", "mastodon", "reddit"):
            assert rows[network]["received"] == str(week[network])
        assert rows["total"]["received"] == str(sum(week.values()))
        bluesky = rows["bluesky"]
        answered = 3 / (week["bluesky"] - 1)  # the spam is left out of the ratio
        assert bluesky["answered"] == f"{answered * 100:.0f}%"
        assert (bluesky["1st reply p50"], bluesky["p90"], bluesky["done p50"]) == (
            "20m",
            "50m",
            "40m",
        )
        waiting = week["bluesky"] - 5
        assert bluesky["waiting"] == str(waiting)
        # Nordlys answers within 60 min: at NOW (3 h later) every waiting message is late.
        assert bluesky["SLA breaches"] == f"{waiting}/{week['bluesky'] - 1}"
        assert bluesky["closed w/o reply"] == "1"
        assert (bluesky["personal. p50"], bluesky["unedited"]) == ("0.0", "100%")
        assert (bluesky["mode"], rows["reddit"]["mode"], rows["mastodon"]["mode"]) == (
            "wall",
            "hours",
            "mixed",
        )
        assert "First responses (3, " in shown and "Received vs replied, per day" in shown
        await pilot.press("h")
        await settle(pilot)
        assert "mode: wall-clock: every hour counts (forced with h)" in screen_text(app)
        assert table(app)["reddit"]["mode"] == "wall"


async def test_period_keys_change_the_days_counted(db: tuple[Path, list[Item]]) -> None:
    path, _ = db
    app = report_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        for keys, since, label in (
            (("1",), TODAY, "today (2026-03-04)"),
            (("m",), TODAY - dt.timedelta(days=29), "30 days (2026-02-03 – 2026-03-04)"),
            (("t",), TODAY, "today (2026-03-04)"),
            (("2",), TODAY - dt.timedelta(days=6), "7 days (2026-02-26 – 2026-03-04)"),
        ):
            await pilot.press(*keys)
            await settle(pilot)
            expected = received_by(path, "network", since, TODAY)
            assert label in screen_text(app)
            assert table(app)["bluesky"]["received"] == str(expected["bluesky"])
            assert table(app)["total"]["received"] == str(sum(expected.values()))
        counts = [received_by(path, "network", TODAY - dt.timedelta(days=d), TODAY) for d in (0, 6)]
        assert counts[0]["bluesky"] < counts[1]["bluesky"]  # the periods really differ
        await pilot.press("c")
        dates = app.screen.query_one("#report-dates", Input)
        assert dates.has_focus and dates.value == "2026-02-26..2026-03-04"
        await pilot.press("end", "ctrl+u", *"2026-02-12..2026-02-12", "enter")
        await settle(pilot)
        assert "Response times by network · 2026-02-12" in screen_text(app)
        rows = table(app)
        assert (rows["bluesky"]["received"], rows["mastodon"]["received"]) == ("1", "0")
        await pilot.press("c", "end", "ctrl+u", *"2026-13-01", "enter")
        await settle(pilot)
        assert "type dates as YYYY-MM-DD..YYYY-MM-DD" in notifications(app)
        await pilot.press("escape")
        assert not dates.display and isinstance(app.screen, ReportScreen)


async def test_g_changes_the_grouping_and_G_picks_several(db: tuple[Path, list[Item]]) -> None:
    path, _ = db
    app = report_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("R", "1")
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        brands = received_by(path, "brand", TODAY, TODAY)
        rows = table(app)
        assert "Response times by brand" in screen_text(app)
        assert {name: int(rows[name]["received"]) for name in brands} == dict(brands)
        assert rows["Brioche & Co"]["mode"] == "hours"
        await pilot.press("g")
        await settle(pilot)
        shown = app.screen.query_one("#report-table", DataTable)
        pairs = {
            (str(r[0]), str(r[1])): str(r[2]) for r in map(shown.get_row_at, range(shown.row_count))
        }
        both = Counter((i.network, i.brand) for i in _items(path) if i.received_at == SYNCED)
        assert pairs[("mastodon", "PixelPost")] == str(both["mastodon", "PixelPost"])
        assert pairs[("mastodon", "Brioche & Co")] == str(both["mastodon", "Brioche & Co"])
        # G on (network, brand): untick both, tick agent then network, in that order.
        await pilot.press("G")
        await settle(pilot)
        await pilot.press("space", "down", "space", "down", "down", "space", "up", "up", "up")
        await pilot.press("space", "enter")
        await settle(pilot)
        assert "Response times by agent, network" in screen_text(app)
        shown = app.screen.query_one("#report-table", DataTable)
        pairs = {
            (str(r[0]), str(r[1])): int(str(r[2]))
            for r in map(shown.get_row_at, range(shown.row_count - 1))
        }
        assert pairs[("Camille", "bluesky")] == 5  # three replies, one done, one spam
        today = received_by(path, "network", TODAY, TODAY)
        assert pairs[("—", "bluesky")] == today["bluesky"] - 5
        assert pairs[("—", "mastodon")] == today["mastodon"]


def _items(path: Path) -> list[Item]:
    store = Store(path)
    try:
        return items(store)
    finally:
        store.close()


async def test_enter_drills_down_to_the_items_and_on_to_the_inbox(
    db: tuple[Path, list[Item]],
) -> None:
    path, replied = db
    app = report_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        rows = list(table(app))
        column = ["network", "received", "answered", "1st reply p50"].index("1st reply p50")
        await pilot.press(*["down"] * rows.index("bluesky"), *["right"] * column, "enter")
        await settle(pilot)
        assert isinstance(app.screen, DrillScreen)
        shown = screen_text(app)
        assert "1st reply p50 · network=bluesky · 7 days" in shown
        assert "3 opportunities" in shown
        drill = app.screen.query_one(DataTable)
        listed = [[str(cell) for cell in drill.get_row_at(r)] for r in range(drill.row_count)]
        by_wait = sorted(zip(WAITS, replied, strict=True), key=lambda pair: -pair[0])
        assert [(row[0], row[5]) for row in listed] == [
            (one_line(item.author.label)[:24], f"{wait}m") for wait, item in by_wait
        ]
        assert all(row[1] == "bluesky" and row[4] == "replied" for row in listed)
        await pilot.press("escape")
        assert isinstance(app.screen, ReportScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DrillScreen)
        await pilot.press("enter")  # the longest wait: a replied item, not in the Open view
        await settle(pilot)
        assert isinstance(app.screen, InboxScreen)
        inbox = app.screen.query_one(InboxList)
        assert inbox.current_item is not None and inbox.current_item.id == by_wait[0][1].id
        assert "shown in All" in notifications(app)
        await pilot.press("R")
        await settle(pilot)
        await pilot.press("escape")
        assert isinstance(app.screen, InboxScreen)


async def test_breaches_drill_down_to_the_late_ones_only(db: tuple[Path, list[Item]]) -> None:
    path, replied = db
    app = report_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("R", "1")
        await settle(pilot)
        rows = list(table(app))
        titles = list(table(app)["bluesky"])
        await pilot.press(
            *["down"] * rows.index("bluesky"), *["right"] * titles.index("SLA breaches"), "enter"
        )
        await settle(pilot)
        drill = app.screen.query_one(DataTable)
        listed = [[str(cell) for cell in drill.get_row_at(r)] for r in range(drill.row_count)]
        late = received_by(path, "network", TODAY, TODAY)["bluesky"] - 5
        assert len(listed) == late
        assert {row[7] for row in listed} == {"breached"} and {row[4] for row in listed} == {
            "waiting"
        }
        assert {row[6] for row in listed} == {"3h 00m"}  # received at SYNCED, now is 3 h later
        ids = {str(key.value).split(":", 1)[1] for key in drill.rows}
        waiting = {
            i.id
            for i in _items(path)
            if i.network == "bluesky" and i.received_at == SYNCED and i.status == Status.NEW
        }
        assert ids == waiting and not ids & {item.id for item in replied}


# The SLA badge in the inbox ----------------------------------------------------------


SLA_CONFIG = """\
agent = "cm"

[[account]]
name = "acct"
network = "mastodon"
brand = "Brioche & Co"
base_url = "https://piaille.fr"
handle = "briocheco"

[[account]]
name = "other"
network = "mastodon"
brand = "Nordlys"
base_url = "https://piaille.fr"
handle = "nordlys"

[brand."Brioche & Co"]
sla_minutes = 60
"""


async def test_rows_show_time_left_or_breached_only_where_a_brand_has_an_sla(
    tmp_path: Path,
) -> None:
    """And breached items come first; the rest keep the longest-waiting-first order."""
    config_path = tmp_path / "config.toml"
    config_path.write_text(SLA_CONFIG, encoding="utf-8")
    config = load_config(config_path)
    now = 1_800_000_000_000
    db = tmp_path / "sla.db"
    store = Store(db)
    store.ingest(
        "acct", [make_item(1, text="old question", created_at=now - 3 * HOUR)], {}, now - 2 * HOUR
    )
    store.ingest(
        "acct", [make_item(2, text="fresh question", created_at=now - HOUR)], {}, now - 10 * MIN
    )
    store.ingest(
        "acct",
        [make_item(3, text="reopened question", created_at=now - 2 * HOUR)],
        {},
        now - 2 * HOUR,
    )
    store.mark_done(["acct/3"], "cm", now - 90 * MIN)
    store.reopen(["acct/3"], "cm", now - 5 * MIN)  # its clock starts again here
    other = make_item(4, id="other/4", account="other", brand="Nordlys", text="no sla question")
    store.ingest("other", [other], {}, now - 2 * DAY)
    assert store.item("acct/3").status == Status.OPEN  # type: ignore[union-attr]
    store.close()
    app = make_app(db, config, clock=lambda: now, sync_on_start=False)
    async with app.run_test(size=(140, 20)) as pilot:
        await settle(pilot)
        shown = list_lines(app)
        lines = {
            text: line
            for line in shown
            for text in ("old", "fresh", "reopened", "no sla")
            if f"{text} question" in line
        }
        # Created first to last: no sla (2 days), old (3 h), reopened (2 h), fresh (1 h).
        assert shown[: len(lines)] == [lines[t] for t in ("old", "no sla", "reopened", "fresh")]
        assert "BREACHED" in lines["old"]
        assert "⏱ 50m" in lines["fresh"] and "BREACHED" not in lines["fresh"]
        assert "⏱ 55m" in lines["reopened"]
        assert "⏱" not in lines["no sla"] and "BREACHED" not in lines["no sla"]


# What the CM types, and how the badge words time ------------------------------------


def test_custom_dates_parse_open_ends_and_refuse_nonsense() -> None:
    march = parse_custom("2026-03-01..2026-03-04")
    assert (march.since, march.until) == (dt.date(2026, 3, 1), dt.date(2026, 3, 4))
    assert parse_custom(" 2026-03-01 .. ").until is None
    assert parse_custom("..2026-03-04").since is None
    one = parse_custom("2026-03-04")
    assert (one.since, one.until, one.label) == (TODAY, TODAY, "2026-03-04")
    for wrong in ("yesterday", "2026-03-04..2026-03-01", "2026-02-30..", ""):
        with pytest.raises(ValueError):
            parse_custom(wrong)
    assert last_days("30 days", TODAY).label == "30 days (2026-02-03 – 2026-03-04)"


def test_badge_says_time_left_without_rounding_up() -> None:
    assert [time_left(ms) for ms in (0, 59_000, 12 * MIN, 119 * MIN, 25 * HOUR, -MIN)] == [
        "<1m",
        "<1m",
        "12m",
        "1h59",
        "1d01h",
        "<1m",
    ]
