"""`cmdesk report`, `cmdesk export events` and `cmdesk import` as a user runs them."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cmdesk.cli import main
from cmdesk.metrics.render import FIGURES
from cmdesk.store import Store

from .test_metrics import (
    ACCOUNTS,
    MIN,
    NOW,
    PARIS_HOURS,
    T0,
    fill,
    item,
    received,
    replied,
    triage,
)

REQUIRED = {
    "group", "received", "replied", "answered_ratio", "first_response_ms_median",
    "first_response_ms_p90", "done_ms_median", "sla_breaches", "personalisation_median",
    "unedited_ratio", "closed_without_reply", "mode",
}  # fmt: skip


@pytest.fixture
def paths(tmp_path: Path) -> tuple[Path, Path]:
    """A store with a few answered, closed and waiting items, and its config."""
    config = tmp_path / "config.toml"
    config.write_text(ACCOUNTS + '\n[brand."Brioche & Co"]\nsla_minutes = 30\n', encoding="utf-8")
    a, b, c = item(1), item(2, "pixelpost-forum"), item(3)
    d = item(4, brand='=HYPERLINK("http://x.example")', account="brioche-masto")
    events = [
        received(a), replied(a, T0 + 10 * MIN, "camille", 0.0), triage(a, "done", T0 + MIN * 40, 1),
        received(b), replied(b, T0 + 50 * MIN, "@samir", 25.0),
        received(c, T0 + 5 * MIN), triage(c, "spam", T0 + 6 * MIN, 2),
        received(d),
    ]  # fmt: skip
    store = Store(tmp_path / "cmdesk.db")
    fill(store, [a, b, c, d], events)
    store.close()
    return tmp_path / "cmdesk.db", config


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def report_json(db: Path, config: Path, *more: str) -> dict:
    code, out, err = invoke("report", "--db", str(db), "--config", str(config), "--format", "json",
                            "--now", str(NOW), *more)  # fmt: skip
    assert code == 0, err
    return json.loads(out)


def test_json_has_one_object_per_group_with_every_figure(paths: tuple[Path, Path]) -> None:
    data = report_json(*paths)
    assert data["mode"] == "wall-clock"
    assert data["by"] == ["network"]
    groups = {g["group"]["network"]: g for g in data["groups"]}
    assert set(groups) == {"mastodon", "discourse"}
    for group in data["groups"]:
        assert set(group) >= REQUIRED
    masto = groups["mastodon"]
    assert (masto["received"], masto["replied"], masto["closed_without_reply"]) == (3, 1, 1)
    assert masto["answered_ratio"] == 0.5
    assert masto["first_response_ms_median"] == 10 * MIN
    assert masto["done_ms_median"] == 40 * MIN
    assert (masto["sla_applicable"], masto["sla_breaches"]) == (1, 0)  # brand SLA: item 1 only
    assert groups["discourse"]["sla_breaches"] == 0
    assert groups["discourse"]["personalisation_median"] == 25.0
    assert data["total"]["received"] == 4


def test_table_is_readable_and_says_its_mode(paths: tuple[Path, Path]) -> None:
    db, config = paths
    code, out, _ = invoke("report", "--db", str(db), "--config", str(config), "--by", "brand")
    assert code == 0
    lines = out.splitlines()
    assert lines[1] == "mode: wall-clock: every hour counts"
    assert lines[3].split()[:3] == ["brand", "received", "replied"]
    assert any(line.startswith("Brioche & Co") and "10m" in line for line in lines)
    assert lines[-1].startswith("total")


def test_csv_has_the_figures_and_defuses_formulas(paths: tuple[Path, Path]) -> None:
    db, config = paths
    code, out, _ = invoke("report", "--db", str(db), "--config", str(config), "--format", "csv",
                          "--by", "brand,agent", "--now", str(NOW))  # fmt: skip
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["brand", "agent", *FIGURES]
    brands = {row["brand"] for row in rows}
    assert '\'=HYPERLINK("http://x.example")' in brands
    assert "'@samir" in {row["agent"] for row in rows}
    waiting = next(row for row in rows if row["brand"].startswith("'="))
    assert waiting["first_response_ms_median"] == ""  # empty, not 0
    assert waiting["waiting"] == "1"


@pytest.mark.parametrize(
    "by", ["network", "brand", "day", "agent", "network,brand,day,agent", "agent,day"]
)
def test_every_grouping_combination(paths: tuple[Path, Path], by: str) -> None:
    data = report_json(*paths, "--by", by)
    assert data["by"] == by.split(",")
    assert all(list(group["group"]) == by.split(",") for group in data["groups"])
    assert sum(group["received"] for group in data["groups"]) == 4


def test_since_and_until_are_inclusive_days(paths: tuple[Path, Path]) -> None:
    assert (
        report_json(*paths, "--since", "2026-03-02", "--until", "2026-03-02")["total"]["received"]
        == 4
    )
    assert report_json(*paths, "--since", "2026-03-03")["total"]["received"] == 0
    assert report_json(*paths, "--until", "2026-03-01")["total"]["received"] == 0


def test_business_hours_mode_and_the_wall_clock_flag(paths: tuple[Path, Path]) -> None:
    db, config = paths
    config.write_text(ACCOUNTS + "\n" + PARIS_HOURS, encoding="utf-8")
    data = report_json(db, config, "--by", "brand")
    assert data["mode"] == "mixed"
    modes = {g["group"]["brand"]: g["mode"] for g in data["groups"]}
    assert modes["Brioche & Co"] == "business-hours"
    assert modes["PixelPost"] == "wall-clock"
    assert report_json(db, config, "--wall-clock")["mode"] == "wall-clock"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by", "weekday"], "unknown 'weekday'"),
        (["--by", "network,network"], "each grouping at most once"),
        (["--by", ","], "name at least one"),
        (["--since", "2026-03-05", "--until", "2026-03-01"], "--since is after --until"),
        (["--since", "05/03/2026"], "'05/03/2026' does not match"),
    ],
)
def test_bad_options_are_one_clear_line(
    paths: tuple[Path, Path], args: list[str], message: str
) -> None:
    db, config = paths
    code, _, err = invoke("report", "--db", str(db), "--config", str(config), *args)
    assert code == 2
    assert message in err


def test_a_missing_store_is_one_line(tmp_path: Path) -> None:
    code, _, err = invoke("report", "--db", str(tmp_path / "absent.db"))
    assert code == 1
    assert err.startswith("cmdesk: no cmdesk database at")
    assert not (tmp_path / "absent.db").exists()


def test_export_then_import_rebuilds_the_same_report_and_twice_adds_nothing(
    paths: tuple[Path, Path], tmp_path: Path
) -> None:
    db, config = paths
    _, items_out, _ = invoke("export", "items", "--format", "jsonl", "--db", str(db))
    code, events_out, _ = invoke("export", "events", "--format", "jsonl", "--db", str(db))
    assert code == 0
    lines = events_out.splitlines()
    assert len(lines) == 8
    assert set(json.loads(lines[0])) == {"id", "item_id", "kind", "at", "actor", "payload"}
    (tmp_path / "items.jsonl").write_text(items_out, encoding="utf-8")
    (tmp_path / "events.jsonl").write_text(events_out, encoding="utf-8")
    copy = tmp_path / "copy.db"
    for kind in ("items", "events"):
        code, out, err = invoke("import", kind, str(tmp_path / f"{kind}.jsonl"), "--db", str(copy))
        assert code == 0, err
        assert out.startswith(f"{kind}: 4 added" if kind == "items" else "events: 8 added")
    assert report_json(copy, config, "--by", "agent") == report_json(db, config, "--by", "agent")
    _, again, _ = invoke("import", "events", str(tmp_path / "events.jsonl"), "--db", str(copy))
    assert again.strip() == "events: 0 added, 8 already present"
    _, again, _ = invoke("import", "items", str(tmp_path / "items.jsonl"), "--db", str(copy))
    assert again.strip() == "items: 0 added, 4 already present"
    # Into the store they came from: nothing new either (a merge of a store with itself).
    _, same, _ = invoke("import", "events", str(tmp_path / "events.jsonl"), "--db", str(db))
    assert same.strip() == "events: 0 added, 8 already present"


def test_an_archive_restores_event_ids_and_merges_others_with_new_ids(tmp_path: Path) -> None:
    line = {"id": 7, "item_id": "a/1", "kind": "received", "at": T0, "actor": "sync", "payload": {}}
    other = dict(line, item_id="a/2")
    path = tmp_path / "events.jsonl"
    path.write_text(json.dumps(line) + "\n" + json.dumps(other) + "\n", encoding="utf-8")
    code, out, _ = invoke("import", "events", str(path), "--db", str(tmp_path / "m.db"))
    assert (code, out.strip()) == (0, "events: 2 added, 0 already present")
    store = Store(tmp_path / "m.db")
    assert store.events("a/1")[0].id == 7
    assert store.events("a/2")[0].id != 7
    store.close()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"item_id": "a/1"}\n{not json\n', ":1: kind: missing"),
        ('\n{"item_id": "a/1", "kind": "received", "at": 1, "actor": "s"}\n[1]\n', ":3: expected"),
        ('{"item_id": "a/1", "kind": "waved", "at": 1, "actor": "s"}\n', ":1: kind: unknown"),
        ('{"item_id": "a/1", "kind": "done", "at": "noon", "actor": "s"}\n', ":1: at: unexpected"),
        ('{"item_id": "a/1", "kind": "done", "at": 1, "actor": "s", "x": 1}\n', "unknown key 'x'"),
        ("{nope\n", ":1: Expecting property name"),
    ],
)
def test_a_bad_import_line_names_file_and_line_and_imports_nothing(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text(text, encoding="utf-8")
    code, _, err = invoke("import", "events", str(path), "--db", str(tmp_path / "x.db"))
    assert code == 1
    assert err.startswith(f"cmdesk: {path}:")
    assert message in err
    assert "\n" not in err.strip()


def test_a_bad_item_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    path.write_text('{"id": "a/1", "account": "a", "network": "mastodon"}\n', encoding="utf-8")
    code, _, err = invoke("import", "items", str(path), "--db", str(tmp_path / "x.db"))
    assert code == 1
    assert f"{path}:1: brand: missing" in err
