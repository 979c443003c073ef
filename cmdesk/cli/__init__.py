"""The `cmdesk` command line: the app, the demo, sync, export.

Every expected failure (bad config, unusable database, broken fixtures) is one
line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import csv
import gc
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from cmdesk.cli.common import config_option, db_option, friendly_errors
from cmdesk.cli.lazy import LazyGroup
from cmdesk.config import Config, ConfigError, default_db_path, load_config
from cmdesk.store import Store

#: Columns of `cmdesk export items`, documented in the README.
EXPORT_COLUMNS = (
    "id", "account", "network", "brand", "kind", "remote_id", "thread_id", "parent_id",
    "author_id", "author_handle", "author_name", "text", "lang", "url", "created_at",
    "received_at", "status", "snooze_until", "labels", "assignee", "context_only",
)  # fmt: skip


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    lazy_subcommands={
        "accounts": "cmdesk.cli.accounts:accounts",
        "bench-data": "cmdesk.cli.bench:bench_data",
        "doctor": "cmdesk.cli.accounts:doctor",
        "import": "cmdesk.cli.report:import_",
        "replies": "cmdesk.cli.replies:replies",
        "report": "cmdesk.cli.report:report",
    },
)
@db_option
@config_option
@click.pass_context
@friendly_errors
def main(ctx: click.Context, db_path: Path | None, config_path: Path | None) -> None:
    """cmdesk: every network, every brand, one keyboard-driven inbox."""
    if ctx.invoked_subcommand not in (None, "demo"):
        gc.enable()  # paused for the app's start only (cmdesk.launch)
    if ctx.invoked_subcommand is not None:
        return
    from cmdesk.secrets import get_token

    config = load_config(config_path, missing_ok=config_path is None)
    _run_app(
        db_path or default_db_path(),
        config,
        transport_factory=None,
        token=lambda a: get_token(a.name),
    )


@main.command()
@db_option
@friendly_errors
def demo(db_path: Path | None) -> None:
    """Run the whole app offline on recorded fixtures (a fresh store unless --db)."""
    from cmdesk.demo import DEMO_TOKEN, FirstSync, demo_config, demo_transport, fixtures_dir

    fixtures = fixtures_dir()
    config = demo_config(fixtures)
    with tempfile.TemporaryDirectory(prefix="cmdesk-demo-") as scratch:
        path = db_path or Path(scratch) / "demo.db"
        first_sync = FirstSync.start(path, config, fixtures)
        _run_app(
            path,
            config,
            first_sync=first_sync,
            transport_factory=lambda store: demo_transport(store, fixtures),
            token=lambda _a: DEMO_TOKEN,
            demo=True,
            library_dir=fixtures / "replies",
        )


def _run_app(path: Path, config: Config, *, token: Any, **options: Any) -> None:
    from cmdesk.tui.app import CmdeskApp

    CmdeskApp(path, config, tokens=token, **options).run()


@main.command()
@click.option("--once", is_flag=True, required=True, help="One pass over every account, then exit.")
@db_option
@config_option
@friendly_errors
def sync(once: bool, db_path: Path | None, config_path: Path | None) -> None:
    """Fetch new items for every configured account (for cron or a shell)."""
    import asyncio  # here: every other command starts faster without it

    from cmdesk.secrets import get_token
    from cmdesk.sync import SyncEngine, inline

    config = load_config(config_path, missing_ok=config_path is None)
    if not config.accounts:
        raise ConfigError(f"{config.path or 'config'}: no [[account]] configured")
    store = Store(db_path or default_db_path())

    async def one_pass() -> list[Any]:
        engine = SyncEngine(store, config.accounts, lambda a: get_token(a.name), run=inline)
        try:
            return await engine.run_once()
        finally:
            await engine.aclose()

    states = asyncio.run(one_pass())
    store.close()
    for state in states:
        if state.ok:
            click.echo(f"{state.account}: ok, {state.new_items} new")
        else:
            click.echo(f"{state.account}: error: {state.message}")
    if not all(state.ok for state in states):
        sys.exit(2)


@main.group(cls=LazyGroup, lazy_subcommands={"events": "cmdesk.cli.report:export_events"})
def export() -> None:
    """Write the store's contents to stdout."""


@export.command("items")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl")
@db_option
@friendly_errors
def export_items(fmt: str, db_path: Path | None) -> None:
    """Every item, one per line (jsonl) or row (csv), in the documented columns."""
    from cmdesk.text import spreadsheet_safe

    store = Store(db_path or default_db_path(), create=False)
    rows = store.export_rows()
    store.close()
    out = sys.stdout
    if fmt == "jsonl":
        for row in rows:
            row["labels"] = json.loads(row["labels"] or "[]")
            out.write(json.dumps({k: row[k] for k in EXPORT_COLUMNS}, ensure_ascii=False) + "\n")
        return
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow([spreadsheet_safe(row[k]) for k in EXPORT_COLUMNS])
