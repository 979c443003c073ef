"""Response-time metrics, one rule at a time, on hand-computed cases (docs/metrics.md).

Every case runs twice: through the store (SQL summaries plus the fold for reopened or
undone items) and through `MemorySource` (the fold for every item); both must agree.
"""

from __future__ import annotations

import datetime as dt
import itertools
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cmdesk.config import Config, load_config, normalise_handle
from cmdesk.metrics.compute import compute_report
from cmdesk.metrics.figures import Report, counted_percentile, percentile
from cmdesk.metrics.memory import MemorySource
from cmdesk.metrics.render import to_table
from cmdesk.metrics.report import report_from_store
from cmdesk.metrics.rules import BUSINESS_HOURS, MIXED, WALL_CLOCK, Rules
from cmdesk.metrics.sla import sla_deadline, sla_state
from cmdesk.model import Author, Event, EventKind, Item, Kind, Status
from cmdesk.store import Store
from cmdesk.store.reporting import ReportReader

MIN = 60_000
HOUR = 60 * MIN
DAY = 24 * HOUR
PARIS = ZoneInfo("Europe/Paris")


def at(text: str, tz: ZoneInfo | dt.timezone = dt.UTC) -> int:
    """Epoch ms of a local "YYYY-MM-DD HH:MM" in `tz`."""
    moment = dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=tz)
    return int(moment.timestamp() * 1000)


T0 = at("2026-03-02 10:00")  # a Monday
NOW = T0 + 30 * DAY

ACCOUNTS = """\
[[account]]
name = "brioche-masto"
network = "mastodon"
brand = "Brioche & Co"
base_url = "https://piaille.fr"
handle = "briocheco"

[[account]]
name = "pixelpost-forum"
network = "discourse"
brand = "PixelPost"
base_url = "https://forum.pixelpost.example"
username = "pixelpost_team"
"""
WHERE = {
    "brioche-masto": ("mastodon", "Brioche & Co"),
    "pixelpost-forum": ("discourse", "PixelPost"),
}


def config(tmp_path: Path, text: str = "", top: str = "") -> Config:
    """The two accounts, then `text` (brand tables); `top` goes before them (top-level keys)."""
    path = tmp_path / "config.toml"
    path.write_text(top + ACCOUNTS + "\n" + text, encoding="utf-8")
    return load_config(path)


def item(n: int, account: str = "brioche-masto", author: str = "customer", **changes: Any) -> Item:
    network, brand = WHERE[account]
    fields: dict[str, Any] = {
        "id": f"{account}/{n}",
        "account": account,
        "network": network,
        "brand": brand,
        "kind": Kind.MENTION,
        "remote_id": str(n),
        "author": Author(f"id-{author}", author, author.title()),
        "text": f"question {n}",
        "created_at": T0 - HOUR,
        "received_at": T0,
        "status": Status.OPEN,
    }
    fields.update(changes)
    return Item(**fields)


def ev(target: Item, kind: str, when: int, actor: str = "camille", **payload: Any) -> Event:
    return Event(target.id, EventKind(kind), when, actor, payload)


def received(target: Item, when: int = T0) -> Event:
    return ev(target, "received", when, "sync")


def replied(
    target: Item, when: int, actor: str = "camille", personalisation: float | None = 0.0
) -> Event:
    """A reply from the library (`personalisation` from its template), or typed (None)."""
    if personalisation is None:
        payload = {"reply_id": None, "template": "", "sent": "typed", "personalisation": 100.0}
    else:
        payload = {"reply_id": "thanks", "template": "Thanks!", "sent": "Thanks!"}
        payload["personalisation"] = personalisation
    return Event(target.id, EventKind.REPLIED, when, actor, payload)


def triage(target: Item, kind: str, when: int, batch: int, actor: str = "camille") -> Event:
    before = {"status": "open", "snooze_until": None, "labels": []}
    return ev(target, kind, when, actor, batch=batch, before=before)


def undone(target: Item, when: int, batch: int, actor: str = "camille") -> Event:
    return ev(target, "undone", when, actor, undoes=batch)


_stores = itertools.count()


def fill(store: Store, items: Sequence[Item], events: Sequence[Event]) -> None:
    store.import_items([_item_row(i) for i in items])
    store.import_events(
        [
            {
                "item_id": e.item_id,
                "kind": str(e.kind),
                "at": e.at,
                "actor": e.actor,
                "payload": e.payload,
            }
            for e in events
        ]
    )


def _item_row(target: Item) -> dict[str, Any]:
    from cmdesk.store.items import item_to_row

    row = item_to_row(target)
    row["labels"] = list(target.labels)
    return row


def run(
    where: Path,
    items: Sequence[Item],
    events: Sequence[Event],
    settings_: Config,
    **options: Any,
) -> Report:
    """The report through the store and through the memory fold; they must agree."""
    options.setdefault("now", NOW)
    store = Store(where / f"metrics-{next(_stores)}.db")
    try:
        fill(store, items, events)
        via_store = report_from_store(store, settings_, **options)
    finally:
        store.close()
    rules = Rules(settings_, wall_clock=options.pop("wall_clock", False))
    via_memory = compute_report(MemorySource(items, events), rules, **options)
    assert via_store == via_memory
    return via_store


def only(report: Report) -> Any:
    (group,) = [g for g in report.groups if g.received or g.replies]
    return group


# Percentiles ---------------------------------------------------------------------------


def test_percentiles_are_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert (percentile([7], 50), percentile([7], 90)) == (7, 7)
    assert (percentile([10, 20], 50), percentile([10, 20], 90)) == (10, 20)
    ten = list(range(1, 11))
    assert (percentile(ten, 50), percentile(ten, 90), percentile(ten, 100)) == (5, 9, 10)
    eleven = list(range(1, 12))
    assert (percentile(eleven, 50), percentile(eleven, 90)) == (6, 10)


# Opportunities -------------------------------------------------------------------------


def test_first_response_time_to_done_and_answered_ratio(tmp_path: Path) -> None:
    a, b, c = item(1), item(2), item(3)
    events = [
        received(a), replied(a, T0 + 10 * MIN), triage(a, "done", T0 + 30 * MIN, 1),
        received(b, T0 + 5 * MIN), replied(b, T0 + 45 * MIN, "samir"),
        received(c, T0 + 20 * MIN), triage(c, "done", T0 + 25 * MIN, 2),
    ]  # fmt: skip
    group = only(run(tmp_path, [a, b, c], events, config(tmp_path)))
    assert (group.received, group.replied, group.done_without_reply, group.waiting) == (3, 2, 1, 0)
    assert group.answered_ratio == round(2 / 3, 4)
    assert group.first_response_ms_median == 10 * MIN  # of [10, 40]: the lower one
    assert group.first_response_ms_p90 == 40 * MIN
    assert group.done_ms_median == 5 * MIN  # of [5, 30]
    assert group.mode == WALL_CLOCK


def test_spam_and_hidden_before_a_reply_are_counted_apart(tmp_path: Path) -> None:
    a, b, c, d = item(1), item(2), item(3), item(4)
    events = [
        received(a), triage(a, "hidden", T0 + 5 * MIN, 1),
        received(b), triage(b, "spam", T0 + 1 * MIN, 2), replied(b, T0 + 2 * MIN),
        received(c), replied(c, T0 + 3 * MIN), triage(c, "hidden", T0 + 4 * MIN, 3),
        received(d),
    ]  # fmt: skip
    group = only(run(tmp_path, [a, b, c, d], events, config(tmp_path)))
    assert (group.received, group.closed_without_reply, group.replied, group.waiting) == (
        4,
        2,
        1,
        1,
    )
    assert group.answered_ratio == 0.5  # 1 replied of the 2 that were not spam or hidden
    assert group.first_response_ms_median == 3 * MIN


def test_undone_events_are_as_if_never_written(tmp_path: Path) -> None:
    a, b = item(1), item(2)
    events = [
        received(a), triage(a, "done", T0 + 5 * MIN, 7), undone(a, T0 + 6 * MIN, 7),
        replied(a, T0 + 20 * MIN),
        received(b), triage(b, "hidden", T0 + 1 * MIN, 9), undone(b, T0 + 2 * MIN, 9),
        replied(b, T0 + 30 * MIN),
    ]  # fmt: skip
    group = only(run(tmp_path, [a, b], events, config(tmp_path)))
    assert (group.replied, group.closed_without_reply, group.done_without_reply) == (2, 0, 0)
    assert group.first_response_ms_median == 20 * MIN
    assert group.done_ms_median is None  # the only done was undone: empty, not 0


def test_a_reopen_after_an_answer_is_a_new_opportunity(tmp_path: Path) -> None:
    a = item(1)
    events = [
        received(a), replied(a, T0 + 10 * MIN), triage(a, "done", T0 + 20 * MIN, 5),
        triage(a, "reopened", T0 + 100 * MIN, 6), replied(a, T0 + 130 * MIN),
    ]  # fmt: skip
    group = only(run(tmp_path, [a], events, config(tmp_path)))
    assert (group.received, group.reopened, group.replied) == (2, 1, 2)
    assert (group.first_response_ms_median, group.first_response_ms_p90) == (10 * MIN, 30 * MIN)
    assert group.done_ms_median == 20 * MIN


def test_a_reopen_while_waiting_or_undone_changes_nothing(tmp_path: Path) -> None:
    a, b = item(1), item(2)
    events = [
        received(a), triage(a, "reopened", T0 + 5 * MIN, 3), replied(a, T0 + 20 * MIN),
        received(b), replied(b, T0 + 10 * MIN), triage(b, "reopened", T0 + 50 * MIN, 4),
        undone(b, T0 + 51 * MIN, 4),
    ]  # fmt: skip
    group = only(run(tmp_path, [a, b], events, config(tmp_path)))
    assert (group.received, group.reopened, group.replied) == (2, 0, 2)
    assert (group.first_response_ms_median, group.first_response_ms_p90) == (10 * MIN, 20 * MIN)


def test_a_follow_up_in_an_answered_thread_is_marked_by_the_sync(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    store = Store(tmp_path / "sync.db")
    first = item(1, thread_id="brioche-masto/1", created_at=T0 - HOUR)
    other = item(5, thread_id="brioche-masto/5", created_at=T0 - HOUR)
    store.ingest("brioche-masto", [first, other], {}, T0)
    store.mark_done([first.id], "camille", T0 + 10 * MIN)
    follow_up = item(2, thread_id=first.id, parent_id=first.id, created_at=T0 + 50 * MIN)
    still_open = item(6, thread_id=other.id, parent_id=other.id, created_at=T0 + 50 * MIN)
    store.ingest("brioche-masto", [follow_up, still_open], {}, T0 + HOUR)
    assert store.events(follow_up.id)[0].payload == {"reopens": first.id}
    assert store.events(still_open.id)[0].payload == {}
    assert store.item(first.id).status == Status.DONE  # the earlier message is left alone
    report = report_from_store(store, cfg, now=NOW)
    store.close()
    group = only(report)
    assert (group.received, group.reopened, group.done_without_reply, group.waiting) == (4, 1, 1, 3)


# Who counts ----------------------------------------------------------------------------


def test_own_posts_bots_and_context_items_are_left_out(tmp_path: Path) -> None:
    brand = '[brand."Brioche & Co"]\nsla_minutes = 60\nbots = ["zapier"]\n'
    cfg = config(tmp_path, brand, top='bots = ["SpamBot"]\n')
    counted = [item(1), item(2, author="briocheco@other.example")]
    ignored = [
        item(3, author="briocheco"),
        item(4, author="@SpamBot"),
        item(5, author="Zapier"),
        item(6, context_only=True),
    ]
    events = [e for i in counted + ignored for e in (received(i), replied(i, T0 + MIN))]
    group = only(run(tmp_path, counted + ignored, events, cfg))
    assert (group.received, group.replied, group.replies) == (2, 2, 2)
    assert sla_state(ignored[1], T0, cfg) is None
    assert sla_state(counted[0], T0, cfg) is not None


def test_bots_of_one_brand_count_for_another(tmp_path: Path) -> None:
    cfg = config(tmp_path, '[brand.PixelPost]\nbots = ["helper"]\n')
    a = item(1, author="helper")
    b = item(2, "pixelpost-forum", author="helper")
    groups = run(tmp_path, [a, b], [received(a), received(b)], cfg).groups
    assert {g.key: g.received for g in groups} == {("mastodon",): 1, ("discourse",): 0}


def test_snoozed_time_counts_as_waiting(tmp_path: Path) -> None:
    a = item(1)
    events = [
        received(a),
        ev(a, "snoozed", T0 + 5 * MIN, batch=1, until=T0 + 65 * MIN),
        ev(a, "woken", T0 + 65 * MIN, "system"),
        replied(a, T0 + 70 * MIN),
    ]
    assert only(run(tmp_path, [a], events, config(tmp_path))).first_response_ms_median == 70 * MIN


# Business hours ------------------------------------------------------------------------

PARIS_HOURS = """\
[brand."Brioche & Co"]
sla_minutes = 60
timezone = "Europe/Paris"
business_hours = { days = ["mon", "tue", "wed", "thu", "fri"], open = "09:00", close = "18:00" }
holidays = ["2026-03-09"]
"""


def test_business_hours_skip_nights_weekends_and_holidays(tmp_path: Path) -> None:
    cfg = config(tmp_path, PARIS_HOURS)
    friday, saturday, tuesday = item(1), item(2), item(3)
    events = [
        # Friday 17:30 -> Tuesday 09:15: 30 min on Friday, the weekend and Monday's
        # holiday skipped, 15 min on Tuesday.
        received(friday, at("2026-03-06 17:30", PARIS)),
        replied(friday, at("2026-03-10 09:15", PARIS)),
        # Saturday -> Monday noon, a holiday: no open time at all.
        received(saturday, at("2026-03-07 10:00", PARIS)),
        replied(saturday, at("2026-03-09 12:00", PARIS)),
        # Before opening -> 09:30: the clock starts at 09:00.
        received(tuesday, at("2026-03-10 08:00", PARIS)),
        replied(tuesday, at("2026-03-10 09:30", PARIS)),
    ]
    group = only(run(tmp_path, [friday, saturday, tuesday], events, cfg))
    assert group.mode == BUSINESS_HOURS
    assert group.first_response_ms_median == 30 * MIN  # of [0, 30, 45]
    assert group.first_response_ms_p90 == 45 * MIN
    assert (group.sla_applicable, group.sla_breaches) == (3, 0)
    wall = only(run(tmp_path, [friday, saturday, tuesday], events, cfg, wall_clock=True))
    assert wall.mode == WALL_CLOCK
    assert wall.first_response_ms_p90 == 3 * DAY + 15 * HOUR + 45 * MIN
    assert wall.sla_breaches == 3


def test_overnight_hours_belong_to_the_day_they_open(tmp_path: Path) -> None:
    cfg = config(
        tmp_path,
        '[brand.PixelPost]\ntimezone = "UTC"\nholidays = ["2026-03-13"]\n'
        'business_hours = { days = ["mon", "tue", "wed", "thu", "fri"], '
        'open = "22:00", close = "06:00" }\n',
    )
    a, b = item(1, "pixelpost-forum"), item(2, "pixelpost-forum")
    events = [
        # Saturday 05:00 is in Friday's window (until 06:00): 1 h, then Monday 22:00-23:00.
        received(a, at("2026-03-07 05:00")),
        replied(a, at("2026-03-09 23:00")),
        # Friday the 13th is a holiday: its window (to Saturday 06:00) never opens.
        received(b, at("2026-03-13 23:00")),
        replied(b, at("2026-03-14 07:00")),
    ]
    group = only(run(tmp_path, [a, b], events, cfg))
    assert (group.first_response_ms_median, group.first_response_ms_p90) == (0, 2 * HOUR)


def test_business_hours_count_real_time_across_a_clock_change(tmp_path: Path) -> None:
    every_day = '["mon", "tue", "wed", "thu", "fri", "sat", "sun"]'
    cfg = config(
        tmp_path,
        f'[brand."Brioche & Co"]\ntimezone = "Europe/Paris"\n'
        f'business_hours = {{ days = {every_day}, open = "22:00", close = "06:00" }}\n',
    )
    a = item(1)
    # Paris springs forward on 2026-03-29 at 02:00: Saturday 22:00 to Sunday 06:00 is 7 h.
    events = [received(a, at("2026-03-28 21:00", PARIS)), replied(a, at("2026-03-29 07:00", PARIS))]
    assert only(run(tmp_path, [a], events, cfg)).first_response_ms_median == 7 * HOUR


def test_mode_is_mixed_when_only_some_brands_keep_hours(tmp_path: Path) -> None:
    cfg = config(tmp_path, PARIS_HOURS)
    a, b = item(1), item(2, "pixelpost-forum")
    events = [received(a), replied(a, T0 + MIN), received(b), replied(b, T0 + MIN)]
    report = run(tmp_path, [a, b], events, cfg, by=("brand",))
    assert report.mode == MIXED
    assert [g.mode for g in report.groups] == [BUSINESS_HOURS, WALL_CLOCK]
    assert run(tmp_path, [a, b], events, cfg, by=("network",), wall_clock=True).mode == WALL_CLOCK


# SLA -----------------------------------------------------------------------------------


def test_sla_breaches_count_answers_later_than_the_sla_and_waits_past_it(tmp_path: Path) -> None:
    cfg = config(tmp_path, '[brand."Brioche & Co"]\nsla_minutes = 60\n')
    items = [item(n) for n in range(1, 7)]
    on_time, late, waiting, closed, spam, exact = items
    events = [received(i) for i in items] + [
        replied(on_time, T0 + 59 * MIN),
        replied(late, T0 + 61 * MIN),
        triage(closed, "done", T0 + 30 * MIN, 1),
        triage(spam, "spam", T0 + 90 * MIN, 2),
        replied(exact, T0 + 60 * MIN),
    ]
    group = only(run(tmp_path, items, events, cfg, now=T0 + 2 * HOUR))
    assert (group.sla_applicable, group.sla_breaches) == (5, 2)  # late, and waiting at now
    assert waiting.id and group.waiting == 1


def test_sla_per_network_overrides_the_brand_sla(tmp_path: Path) -> None:
    cfg = config(tmp_path, '[brand.PixelPost]\nsla_minutes = 240\n[brand.PixelPost.sla]\n'
                           'discourse = 30\n')  # fmt: skip
    a = item(1, "pixelpost-forum")
    group = only(run(tmp_path, [a], [received(a), replied(a, T0 + 45 * MIN)], cfg))
    assert group.sla_breaches == 1
    assert sla_deadline(a, cfg) == T0 + 30 * MIN


def test_sla_badge_deadline_and_state(tmp_path: Path) -> None:
    cfg = config(tmp_path, PARIS_HOURS.replace('holidays = ["2026-03-09"]\n', ""))
    friday = item(1, received_at=at("2026-03-06 17:30", PARIS))
    assert sla_deadline(friday, cfg) == at("2026-03-09 09:30", PARIS)
    state = sla_state(friday, at("2026-03-06 17:45", PARIS), cfg)
    assert state is not None and not state.breached
    assert state.remaining_ms == at("2026-03-09 09:30", PARIS) - at("2026-03-06 17:45", PARIS)
    late = sla_state(friday, at("2026-03-09 09:31", PARIS), cfg)
    assert late is not None and late.breached and late.remaining_ms == -MIN
    # A reopen restarts the clock: the caller passes when (Store.clock_starts).
    since = at("2026-03-10 10:00", PARIS)
    assert sla_deadline(friday, cfg, since=since) == since + HOUR
    assert sla_state(replace(friday, status=Status.REPLIED), since, cfg) is None
    assert sla_state(replace(friday, status=Status.SNOOZED), since, cfg) is not None
    assert sla_state(item(2, "pixelpost-forum"), since, cfg) is None  # no SLA for PixelPost


def test_an_sla_running_out_at_closing_time_is_due_at_the_next_opening(tmp_path: Path) -> None:
    cfg = config(tmp_path, PARIS_HOURS.replace("sla_minutes = 60", "sla_minutes = 30"))
    friday = item(1, received_at=at("2026-03-06 17:30", PARIS))
    # Friday 18:00 uses the last minute; Monday is a holiday: Tuesday 09:00 is still on time.
    assert sla_deadline(friday, cfg) == at("2026-03-10 09:00", PARIS)


def test_store_knows_when_a_reopened_items_clock_restarted(tmp_path: Path) -> None:
    store = Store(tmp_path / "clock.db")
    a, b = item(1), item(2)
    store.ingest("brioche-masto", [a, b], {}, T0)
    store.mark_done([a.id, b.id], "camille", T0 + MIN)
    store.reopen([a.id], "camille", T0 + HOUR)
    store.reopen([b.id], "camille", T0 + 2 * HOUR)
    store.undo_last("camille", T0 + 2 * HOUR + MIN)
    assert store.clock_starts([a.id, b.id]) == {a.id: T0 + HOUR, b.id: T0}
    store.close()


# Personalisation, groups ---------------------------------------------------------------


def test_personalisation_of_library_replies_only(tmp_path: Path) -> None:
    a, b, c = item(1), item(2), item(3)
    events = [
        received(a), replied(a, T0 + MIN, personalisation=0),
        received(b), replied(b, T0 + MIN, personalisation=10.0),
        replied(b, T0 + 9 * MIN, personalisation=30.5),
        received(c), replied(c, T0 + MIN, personalisation=None),
    ]  # fmt: skip
    group = only(run(tmp_path, [a, b, c], events, config(tmp_path)))
    assert (group.replies, group.template_replies) == (4, 3)
    assert group.personalisation_median == 10.0
    assert group.unedited_ratio == round(1 / 3, 4)


def test_configured_groups_with_nothing_show_empty_figures(tmp_path: Path) -> None:
    a = item(1)
    report = run(
        tmp_path,
        [a],
        [received(a), replied(a, T0 + MIN)],
        config(tmp_path),
        by=("network", "brand"),
    )
    assert [g.key for g in report.groups] == [
        ("discourse", "PixelPost"),
        ("mastodon", "Brioche & Co"),
    ]
    empty = report.groups[0]
    assert (empty.received, empty.replied, empty.sla_breaches) == (0, 0, 0)
    assert empty.answered_ratio is None
    assert empty.first_response_ms_median is None and empty.first_response_ms_p90 is None
    assert empty.personalisation_median is None and empty.unedited_ratio is None
    assert "discourse  PixelPost" in to_table(report)
    assert to_table(report).splitlines()[5].split()[-1] == "0"  # waiting: a count stays 0
    assert "—" in to_table(report).splitlines()[5]


def test_a_report_with_nothing_in_it_is_still_in_one_mode(tmp_path: Path) -> None:
    """The total's mode, like each group's, when nothing happened anywhere."""
    report = run(tmp_path, [], [], config(tmp_path))
    assert [g.mode for g in report.groups] == [WALL_CLOCK, WALL_CLOCK]
    assert report.mode == report.total.mode == WALL_CLOCK
    hours = run(tmp_path, [], [], config(tmp_path, PARIS_HOURS))
    assert hours.mode == BUSINESS_HOURS


def test_days_are_the_brands_local_days_and_filter_inclusively(tmp_path: Path) -> None:
    cfg = config(tmp_path, '[brand."Brioche & Co"]\ntimezone = "Europe/Paris"\n')
    paris, utc = item(1), item(2, "pixelpost-forum")
    late = at("2026-03-02 23:30")  # 00:30 on the 3rd in Paris
    events = [received(paris, late), received(utc, late)]
    by_day = run(tmp_path, [paris, utc], events, cfg, by=("day", "brand"))
    assert [g.key for g in by_day.groups] == [
        ("2026-03-02", "PixelPost"),
        ("2026-03-03", "Brioche & Co"),
    ]
    third = dt.date(2026, 3, 3)
    kept = run(tmp_path, [paris, utc], events, cfg, by=("brand",), since=third, until=third)
    assert {g.key: g.received for g in kept.groups} == {("Brioche & Co",): 1, ("PixelPost",): 0}


def test_a_period_keeps_local_days_at_both_ends_of_the_world(tmp_path: Path) -> None:
    """The store reads only the items that can start within a period, a day wider than
    its UTC days: enough for UTC+14 and UTC-11, where a local day starts 14 h early or
    ends 11 h late."""
    cfg = config(
        tmp_path,
        '[brand."Brioche & Co"]\ntimezone = "Pacific/Kiritimati"\n'
        '[brand.PixelPost]\ntimezone = "Pacific/Pago_Pago"\n',
    )
    kiritimati, pago = ZoneInfo("Pacific/Kiritimati"), ZoneInfo("Pacific/Pago_Pago")
    starts = {
        "brioche-masto": (at("2026-03-03 00:00", kiritimati), at("2026-03-03 23:59", kiritimati)),
        "pixelpost-forum": (at("2026-03-03 00:00", pago), at("2026-03-03 23:59", pago)),
    }
    items, events = [], []
    for account, (first, last) in starts.items():
        for when in (first - MIN, first, last, last + MIN):
            target = item(len(items), account)
            items.append(target)
            events += [received(target, when), replied(target, when + HOUR)]
    day = dt.date(2026, 3, 3)
    kept = run(tmp_path, items, events, cfg, by=("brand",), since=day, until=day)
    assert {g.key: g.received for g in kept.groups} == {("Brioche & Co",): 2, ("PixelPost",): 2}
    after = run(tmp_path, items, events, cfg, by=("brand",), since=day)
    assert {g.key: g.received for g in after.groups} == {("Brioche & Co",): 3, ("PixelPost",): 3}


def test_agents_are_who_answered_else_who_closed(tmp_path: Path) -> None:
    a, b, c, d = item(1), item(2), item(3), item(4)
    events = [
        received(a), replied(a, T0 + MIN, "camille"),
        received(b), triage(b, "done", T0 + MIN, 1, "samir"),
        received(c),
        received(d), replied(d, T0 + MIN, "camille"), replied(d, T0 + HOUR, "samir", 5.0),
    ]  # fmt: skip
    report = run(tmp_path, [a, b, c, d], events, config(tmp_path), by=("agent",))
    groups = {g.key: g for g in report.groups}
    assert set(groups) == {("camille",), ("samir",), (None,)}
    assert (groups["camille",].received, groups["camille",].replies) == (2, 2)
    assert (groups["samir",].received, groups["samir",].done_without_reply) == (1, 1)
    assert (groups["samir",].replies, groups["samir",].personalisation_median) == (1, 5.0)
    assert groups[None,].waiting == 1
    assert report.total.received == 4


def test_an_unknown_grouping_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown grouping 'weekday'"):
        compute_report(MemorySource([], []), Rules(config(tmp_path)), by=("weekday",), now=NOW)


# Store reads ---------------------------------------------------------------------------


def test_the_report_reads_its_summaries_in_one_scan(tmp_path: Path) -> None:
    """Its speed at a million events: one row per item from the summaries kept on write
    (`cmdesk.store.summaries`), no join, no sort, no temporary table: rows stream."""
    store = Store(tmp_path / "plan.db")
    try:
        for detailed in (False, True):
            for period in (False, True):
                sql = ReportReader.summary_sql(detailed=detailed, period=period)
                args = [0, 1] if period else []
                plan = [row[3] for row in store.db.execute(f"EXPLAIN QUERY PLAN {sql}", args)]
                assert plan == ["SCAN item_metrics"]
    finally:
        store.close()


@given(
    values=st.lists(st.sampled_from([0.0, 0.5, 12.5, 40.0, 100.0])),
    p=st.sampled_from([1, 50, 90, 100]),
)
def test_counted_percentiles_are_the_percentiles_of_the_values(values: list[float], p: int) -> None:
    counted = sorted(Counter(values).items())
    assert counted_percentile(counted, p) == percentile(sorted(values), p)


@given(handle=st.one_of(st.none(), st.text(alphabet=" @aAzZ_.é\u0130K\u212a", max_size=8)))
def test_a_segment_excludes_exactly_the_handles_normalise_handle_matches(
    handle: str | None,
) -> None:
    excluded = frozenset({"a", "az", "é", "k", "@a", "i\u0307"})
    segment = Rules(Config()).segment("acct", "mastodon", "Brand")
    segment.excluded_handles = excluded
    assert segment.excludes(handle) == (normalise_handle(handle or "") in excluded)


# Properties ----------------------------------------------------------------------------

KINDS = ("received", "replied", "done", "hidden", "spam", "reopened", "undone", "snoozed")


@st.composite
def logs(draw: st.DrawFn) -> tuple[list[Item], list[Event]]:
    """A few items with messy logs: ties, events before receipt, undos of any batch."""
    items = [
        item(n, draw(st.sampled_from(sorted(WHERE))), draw(st.sampled_from(["ann", "briocheco"])))
        for n in range(draw(st.integers(1, 4)))
    ]
    events: list[Event] = []
    batches: dict[str, list[int]] = {}
    for number in range(draw(st.integers(0, 14))):
        target = draw(st.sampled_from(items))
        kind = draw(st.sampled_from(KINDS))
        when = T0 + draw(st.integers(0, 12)) * 10 * MIN
        actor = draw(st.sampled_from(["camille", "samir"]))
        if kind == "replied":
            pers = draw(st.one_of(st.none(), st.sampled_from([0.0, 12.5, 40.0])))
            events.append(replied(target, when, actor, pers))
        elif kind == "undone":
            known = batches.get(target.id) or [99]
            events.append(undone(target, when, draw(st.sampled_from(known)), actor))
        elif kind == "received":
            events.append(received(target, when))
        else:
            batches.setdefault(target.id, []).append(number)
            events.append(triage(target, kind, when, number, actor))
    return items, events


BY = st.sampled_from([("network",), ("agent",), ("brand", "day", "agent")])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log=logs(), order=st.randoms(use_true_random=False), by=BY)
def test_metrics_do_not_depend_on_the_order_events_were_imported(
    log: tuple[list[Item], list[Event]], order: Any, by: tuple[str, ...]
) -> None:
    items, events = log
    shuffled = list(events)
    order.shuffle(shuffled)
    with tempfile.TemporaryDirectory() as scratch:
        where = Path(scratch)
        cfg = config(where, PARIS_HOURS + "[brand.PixelPost]\nsla_minutes = 30\n")
        assert run(where, items, events, cfg, by=by) == run(where, items, shuffled, cfg, by=by)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log=logs(), by=BY)
def test_export_then_import_gives_the_same_report(
    log: tuple[list[Item], list[Event]], by: tuple[str, ...]
) -> None:
    items, events = log
    with tempfile.TemporaryDirectory() as scratch:
        where = Path(scratch)
        cfg = config(where, "[brand.PixelPost]\nsla_minutes = 45\n")
        source = Store(where / "source.db")
        fill(source, items, events)
        exported: list[dict[str, Any]] = []
        source.export_events(exported.append)
        rows = source.export_rows()
        for row in rows:
            row["labels"] = []
        copy = Store(where / "copy.db")
        copy.import_items(rows)
        copy.import_events(exported)
        assert copy.import_events(exported) == (0, len(exported))  # idempotent
        assert report_from_store(copy, cfg, by=by, now=NOW) == report_from_store(
            source, cfg, by=by, now=NOW
        )
        source.close()
        copy.close()
