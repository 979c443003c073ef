"""`cmdesk report`, `cmdesk export events`, `cmdesk import items|events`.

The report prints the response-time figures of docs/metrics.md. Export and import
round-trip a store as JSON lines, so a team can archive, merge and audit: importing
the same file twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import click

from cmdesk.cli.common import ArchiveError, config_option, db_option, friendly_errors
from cmdesk.config import default_db_path, load_config
from cmdesk.model import EventKind, Kind, Status
from cmdesk.store import Store

_date = click.DateTime(formats=["%Y-%m-%d"])


def _dimensions(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[str, ...]:
    from cmdesk.metrics.compute import DIMENSIONS

    names = tuple(name.strip() for name in value.split(",") if name.strip())
    if not names:
        raise click.BadParameter(f"name at least one of {', '.join(DIMENSIONS)}")
    for name in names:
        if name not in DIMENSIONS:
            raise click.BadParameter(f"unknown {name!r} (known: {', '.join(DIMENSIONS)})")
    if len(set(names)) != len(names):
        raise click.BadParameter("each grouping at most once")
    return names


@click.command()
@click.option("--since", type=_date, help="First day counted (YYYY-MM-DD, the brand's local day).")
@click.option("--until", type=_date, help="Last day counted, inclusive (YYYY-MM-DD).")
@click.option(
    "--by",
    default="network",
    show_default=True,
    callback=_dimensions,
    help="Group by any of network, brand, day, agent, comma-separated.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@click.option(
    "--wall-clock", is_flag=True, help="Count every hour, even where business hours are set."
)
@click.option("--now", "now_ms", type=int, hidden=True, help="Report as of this epoch ms (tests).")
@db_option
@config_option
@friendly_errors
def report(
    since: dt.datetime | None,
    until: dt.datetime | None,
    by: tuple[str, ...],
    fmt: str,
    wall_clock: bool,
    now_ms: int | None,
    db_path: Path | None,
    config_path: Path | None,
) -> None:
    """Response times from the event log, per network, brand, day or agent.

    Received, answered ratio, first response and time to done (median, p90), SLA
    breaches, personalisation of library replies. The rules: docs/metrics.md.
    """
    from cmdesk.metrics.render import to_json, to_table, write_csv
    from cmdesk.metrics.report import report_from_store

    first, last = (since.date() if since else None), (until.date() if until else None)
    if first and last and first > last:
        raise click.BadParameter("--since is after --until")
    config = load_config(config_path, missing_ok=config_path is None)
    store = Store(db_path or default_db_path(), create=False)
    try:
        result = report_from_store(
            store,
            config,
            by=by,
            since=first,
            until=last,
            now=now_ms if now_ms is not None else int(time.time() * 1000),
            wall_clock=wall_clock,
        )
    finally:
        store.close()
    if fmt == "json":
        click.echo(to_json(result))
    elif fmt == "csv":
        write_csv(result, sys.stdout)
    else:
        click.echo(to_table(result))


@click.command("events")
@click.option("--format", "fmt", type=click.Choice(["jsonl"]), default="jsonl", show_default=True)
@db_option
@friendly_errors
def export_events(fmt: str, db_path: Path | None) -> None:
    """Every event, oldest first, one JSON object per line (id, item_id, kind, at, actor,
    payload): with `export items`, everything `import` needs to rebuild the figures."""
    store = Store(db_path or default_db_path(), create=False)
    out = sys.stdout
    try:
        store.export_events(lambda entry: out.write(json.dumps(entry, ensure_ascii=False) + "\n"))
    finally:
        store.close()


@click.group("import")
def import_() -> None:
    """Add items or events from `cmdesk export ... --format jsonl` files (idempotent)."""


_file = click.File("r", encoding="utf-8")


@import_.command("items")
@click.argument("source", type=_file)
@db_option
@friendly_errors
def import_items(source: IO[str], db_path: Path | None) -> None:
    """Add the items of FILE ('-' for stdin) that the store does not hold yet.

    An item already in the store keeps its own triage state. Import the items before
    their events: events of an unknown item are kept but not counted in the report.
    """
    rows = list(_jsonl(source, _item))
    store = Store(db_path or default_db_path())
    try:
        added, present = store.import_items(rows)
    finally:
        store.close()
    click.echo(f"items: {added} added, {present} already present")


@import_.command("events")
@click.argument("source", type=_file)
@db_option
@friendly_errors
def import_events(source: IO[str], db_path: Path | None) -> None:
    """Add the events of FILE ('-' for stdin) that the store does not hold yet.

    An event is the same event when item, kind, time, actor and payload match, so
    importing a file twice, or a store's own export, adds nothing.
    """
    rows = list(_jsonl(source, _event))
    store = Store(db_path or default_db_path())
    try:
        added, present = store.import_events(rows)
    finally:
        store.close()
    click.echo(f"events: {added} added, {present} already present")


def _jsonl(
    source: IO[str], check: Callable[[dict[str, Any]], dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    name = getattr(source, "name", "<stdin>")
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict):
                raise ValueError("expected one JSON object per line")
            yield check(entry)
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            raise ArchiveError(f"{name}:{number}: {exc}") from None


def _require(entry: dict[str, Any], key: str, kind: type | tuple[type, ...], *, null: bool) -> None:
    value = entry.get(key)
    if value is None:
        if not null:
            raise ValueError(f"{key}: missing")
        return
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"{key}: unexpected {type(value).__name__} {value!r}")


def _item(entry: dict[str, Any]) -> dict[str, Any]:
    from cmdesk.cli import EXPORT_COLUMNS

    unknown = sorted(set(entry) - set(EXPORT_COLUMNS))
    if unknown:
        raise ValueError(f"unknown column {unknown[0]!r}")
    for key in EXPORT_COLUMNS:
        required = key in ("id", "account", "network", "brand", "kind", "text", "created_at")
        if key in ("created_at", "received_at", "snooze_until"):
            _require(entry, key, int, null=not required)
        elif key == "labels":
            _require(entry, key, list, null=True)
            if not all(isinstance(label, str) for label in entry.get(key) or []):
                raise ValueError("labels: expected a list of strings")
        elif key == "context_only":
            _require(entry, key, (bool, int), null=True)
        else:
            _require(entry, key, str, null=not required)
    if entry["kind"] not in {kind.value for kind in Kind}:
        raise ValueError(f"kind: unknown {entry['kind']!r}")
    entry.setdefault("status", "new")
    if entry["status"] not in {status.value for status in Status}:
        raise ValueError(f"status: unknown {entry['status']!r}")
    return entry


def _event(entry: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(entry) - {"id", "item_id", "kind", "at", "actor", "payload"})
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r}")
    _require(entry, "id", int, null=True)
    _require(entry, "item_id", str, null=False)
    _require(entry, "kind", str, null=False)
    _require(entry, "at", int, null=False)
    _require(entry, "actor", str, null=False)
    _require(entry, "payload", dict, null=True)
    if entry["kind"] not in {kind.value for kind in EventKind}:
        raise ValueError(f"kind: unknown event kind {entry['kind']!r}")
    entry.setdefault("payload", {})
    entry["payload"] = entry["payload"] or {}
    return entry
