"""`cmdesk replies`: check a reply library, and try the suggester from a shell.

`check` is what a CM runs after editing their TOML files; `suggest` shows what the
composer would propose for a message, so a library can be tuned without the app.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

from cmdesk.replies.library import NETWORK_LABELS, Library, default_library_dir, load_library
from cmdesk.replies.suggest import Suggestion, SuggestionIndex

library_path = click.Path(path_type=Path)


@click.group()
def replies() -> None:
    """Check the reply library and try its suggestions."""


@replies.command()
@click.argument("path", type=library_path, required=False)
def check(path: Path | None) -> None:
    """Report every problem in the library at PATH (default: your library folder)."""
    library = _load(path)
    for problem in library.problems:
        click.echo(str(problem))
    if library.problems:
        sys.exit(1)
    click.echo(f"{len(library.replies)} replies OK in {len(library.files)} files")


@replies.command()
@click.option("--library", "path", type=library_path, help="Library folder or file.")
@click.option("--lang", help="Only replies in this language (two-letter code).")
@click.option("--network", type=click.Choice(sorted(NETWORK_LABELS)), help="Network replied on.")
@click.option("--brand", help="Brand the message was addressed to.")
@click.option("--limit", default=5, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per query.")
@click.argument("text", required=False)
def suggest(
    path: Path | None,
    lang: str | None,
    network: str | None,
    brand: str | None,
    limit: int,
    as_json: bool,
    text: str | None,
) -> None:
    """Rank the library's replies for TEXT, or for each line of standard input."""
    library = _load(path)
    if library.problems:
        click.echo(
            f"cmdesk: {len(library.problems)} problem(s) in the library, those replies are"
            " left out (see `cmdesk replies check`)",
            err=True,
        )
    index = SuggestionIndex.build(library.replies)
    queries = [text] if text is not None else [line.strip() for line in sys.stdin]
    queries = [q for q in queries if q]
    for n, query in enumerate(queries):
        found = index.suggest(query, lang=lang, network=network, brand=brand, limit=limit)
        if as_json:
            click.echo(json.dumps(_as_dict(query, found), ensure_ascii=False))
            continue
        if len(queries) > 1:
            click.echo(("\n" if n else "") + f"> {query}")
        if not found:
            click.echo("  (no suggestion)")
        for s in found:
            click.echo(f"{s.score:5.1f}  {s.reply.id}  {s.reply.title}  ({s.matched})")


def _as_dict(query: str, found: list[Suggestion]) -> dict[str, object]:
    return {
        "query": query,
        "suggestions": [
            {"id": s.reply.id, "score": round(s.score, 1), "matched": s.matched} for s in found
        ],
    }


def _load(path: Path | None) -> Library:
    """The library at `path`, or exit with one line when there is none to use."""
    root = path or default_library_dir()
    try:
        library = load_library(root)
    except FileNotFoundError:
        hint = "" if path else " (create it, or pass a path)"
        _fail(f"no reply library at {root}{hint}")
    if not library.files:
        _fail(f"no *.toml reply files in {root}")
    if not library.replies and not library.problems:
        _fail(f"no replies in {root}")
    return library


def _fail(message: str) -> None:
    click.echo(f"cmdesk: {message}", err=True)
    sys.exit(1)


@replies.command("forget-usage")
@click.option("--db", "db_path", type=click.Path(path_type=Path, dir_okay=False))
def forget_usage(db_path: Path | None) -> None:
    """Reset the learned ranking: replies sent before now no longer boost suggestions."""
    from cmdesk.config import default_db_path
    from cmdesk.store import Store, StoreError

    try:
        store = Store(db_path or default_db_path(), create=False)
        before = store.reply_usage()
        store.set_meta("usage_since", str(int(time.time() * 1000)))
        store.close()
    except StoreError as exc:
        _fail(str(exc))
        return
    click.echo(f"Forgot {sum(before.values())} past uses of {len(before)} replies.")
