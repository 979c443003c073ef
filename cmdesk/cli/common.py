"""What every command shares: the --db and --config options, and one-line errors."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import ParamSpec, TypeVar

import click

from cmdesk.errors import UserError

P = ParamSpec("P")
R = TypeVar("R")


class ArchiveError(UserError):
    """A line of an import file that cannot be imported, said as `file:line: what`."""


def friendly_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn the errors a user can fix into one line on stderr and exit status 1."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except UserError as exc:
            click.echo(f"cmdesk: {exc}", err=True)
            sys.exit(1)

    return wrapper


db_option = click.option(
    "--db", "db_path", type=click.Path(path_type=Path, dir_okay=False), help="SQLite store to use."
)
config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Config file (default: the platform config dir, or CMDESK_CONFIG).",
)
