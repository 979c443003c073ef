"""`cmdesk bench-data`: a realistic store of any size, for benchmarks and trying cmdesk at scale."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from cmdesk.store import StoreError


@click.command("bench-data")
@click.option("--items", "count", type=click.IntRange(min=1), required=True, help="How many items.")
@click.option(
    "--db",
    "db_path",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="New SQLite store to write (never your own: it must not hold items).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same store.")
@click.option("--quiet", is_flag=True, help="No progress on stderr.")
def bench_data(count: int, db_path: Path, seed: int, quiet: bool) -> None:
    """Generate COUNT items (four networks, several brands, threads, FR/EN text, events).

    Then `cmdesk --db PATH` opens it. A million items take one to two minutes, most
    of it SQLite building the indexes.
    """
    from cmdesk.benchdata import ITEM_COLUMNS, Background
    from cmdesk.store.bulk import bulk_load
    from cmdesk.store.bulk_events import EventsFile

    started = time.perf_counter()
    now = int(time.time() * 1000)

    def progress(items: int) -> None:
        if not quiet:
            click.echo(f"\r{items:,} / {count:,} items", nl=False, err=True)

    try:
        # The generating process also builds the events (`cmdesk.store.bulk_events`).
        with (
            EventsFile.beside(db_path, ITEM_COLUMNS) as side,
            Background(count, seed=seed, now_ms=now, sink=side) as background,
        ):
            batches = ((b.items, b.events) for b in background)
            loaded = bulk_load(
                db_path, batches, ITEM_COLUMNS, events=(side, background.wait), progress=progress
            )
    except StoreError as exc:
        click.echo(f"\ncmdesk: {exc}", err=True)
        sys.exit(1)
    if not quiet:
        click.echo("", err=True)
    elapsed = time.perf_counter() - started
    items, events = loaded
    click.echo(f"{items:,} items, {events:,} events in {elapsed:.1f} s -> {db_path}")
