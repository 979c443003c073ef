"""`cmdesk accounts add|list|test|remove` and `cmdesk doctor`.

The logic lives in `cmdesk/accounts.py`; this module prompts, prints and sets the
exit status. A token is read from a hidden prompt (or `--token`) and goes to the
keyring: it is never printed, and never written to the config.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cmdesk.cli.common import config_option, friendly_errors
from cmdesk.config import ConfigError, default_config_path, default_db_path


@click.group()
def accounts() -> None:
    """Add, list, test and remove the accounts cmdesk reads and answers for."""


@accounts.command("add")
@click.argument("name", required=False)
@click.option("--name", "name_option", help="Account name: lower-case, digits, - or _.")
@click.option("--network", help="mastodon, bluesky, discourse, reddit (or a plugin's).")
@click.option("--brand", help="The brand this account speaks for.")
@click.option("--base-url", help="Instance or forum address (default: the network's own).")
@click.option("--option", "pairs", multiple=True, metavar="KEY=VALUE", help="A connector option.")
@click.option(
    "--token",
    help="The token (default: a hidden prompt; a flag leaves it in your shell history).",
)
@config_option
@friendly_errors
def add(
    name: str | None,
    name_option: str | None,
    network: str | None,
    brand: str | None,
    base_url: str | None,
    pairs: tuple[str, ...],
    token: str | None,
    config_path: Path | None,
) -> None:
    """Add account NAME to the config and its token to the keyring.

    For an account that exists, only its token is replaced: run this again when
    a token expires or is revoked.
    """
    from cmdesk.accounts import AccountError, add_account, check_unchanged, parse_options
    from cmdesk.config import load_config
    from cmdesk.connectors.registry import connector_class, networks

    path = config_path or default_config_path()
    name = name or name_option or click.prompt("Account name (e.g. brioche-masto)")
    options = parse_options(list(pairs))
    existing = {a.name: a for a in (load_config(path).accounts if path.exists() else ())}
    if name not in existing:
        known = networks()
        network = network or click.prompt("Network", type=click.Choice(known))
        if network not in known:
            raise AccountError(f"unknown network {network!r} (installed: {', '.join(known)})")
        connector = connector_class(network)
        brand = brand or click.prompt("Brand")
        if not base_url and not connector.default_base_url:
            base_url = click.prompt("Base URL (e.g. https://piaille.fr)")
        for option in connector.options:
            if option.required and not options.get(option.name):
                options[option.name] = click.prompt(f"{option.name} ({option.help})")
    else:
        check_unchanged(existing[name], network, base_url, options)
        network = existing[name].network
    token = token or click.prompt("Token", hide_input=True)
    added = add_account(
        path,
        name=name,
        network=network,
        brand=brand or "",
        base_url=base_url,
        options=options,
        token=token,
    )
    where = "the keyring" if added.stored_in == "keyring" else "the environment"
    if added.replaced_token:
        click.echo(f"{name}: token replaced (in {where})")
    else:
        account = added.account
        click.echo(
            f"{name}: added to {path} ({account.network}, {account.brand}, {account.base_url})"
        )
        click.echo(f"{name}: token in {where}; check it with `cmdesk accounts test {name}`")


@accounts.command("list")
@config_option
@friendly_errors
def list_accounts(config_path: Path | None) -> None:
    """Every configured account, and where its token comes from."""
    from cmdesk.accounts import token_source
    from cmdesk.config import load_config

    config = load_config(config_path, missing_ok=config_path is None)
    if not config.accounts:
        click.echo("no accounts yet: add one with `cmdesk accounts add`")
        return
    rows = [("NAME", "NETWORK", "BRAND", "BASE URL", "TOKEN")]
    rows += [
        (a.name, a.network, a.brand, a.base_url, str(token_source(a.name))) for a in config.accounts
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]))


@accounts.command("test")
@click.argument("names", nargs=-1)
@config_option
@friendly_errors
def test_accounts(names: tuple[str, ...], config_path: Path | None) -> None:
    """Prove each account's token with one call (all accounts when no NAMES)."""
    from cmdesk.accounts import AccountError, check_account
    from cmdesk.config import load_config
    from cmdesk.connectors.base import ConnectorError
    from cmdesk.secrets import get_token

    config = load_config(config_path, missing_ok=config_path is None)
    by_name = {account.name: account for account in config.accounts}
    for name in names:
        if name not in by_name:
            raise AccountError(f"no account named {name!r} in {config.path or 'the config'}")
    chosen = [by_name[name] for name in names] or list(config.accounts)
    if not chosen:
        raise AccountError("no accounts yet: add one with `cmdesk accounts add`")
    failed = False
    for account in chosen:
        try:
            line = check_account(account, get_token(account.name))
        except ConnectorError as exc:
            failed = True
            click.echo(f"{account.name}: error: {' '.join(str(exc).split())}")
        else:
            click.echo(f"{account.name}: ok — {line}")
    if failed:
        sys.exit(1)


@accounts.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@config_option
@friendly_errors
def remove(name: str, yes: bool, config_path: Path | None) -> None:
    """Remove account NAME from the config, and its token from the keyring."""
    from cmdesk.accounts import remove_account

    path = config_path or default_config_path()
    if not yes:
        click.confirm(f"Remove {name} from {path} and its token from the keyring?", abort=True)
    remove_account(path, name)
    click.echo(f"{name}: removed from {path} and from the keyring (its items stay in the store)")


@click.command()
@config_option
@click.option("--db", "db_path", type=click.Path(path_type=Path, dir_okay=False), help="Store.")
def doctor(config_path: Path | None, db_path: Path | None) -> None:
    """Where cmdesk looks for its config, store and tokens, and what it finds there."""
    from cmdesk.accounts import TokenSource, keyring_name, keyring_usable, token_source
    from cmdesk.config import load_config
    from cmdesk.secrets import env_name

    problems = 0
    path = config_path or default_config_path()
    accounts_found: tuple = ()
    if not path.exists():
        click.echo(f"config: {path} (not created yet: `cmdesk accounts add` creates it)")
    else:
        try:
            config = load_config(path, missing_ok=False)
        except ConfigError as exc:
            problems += 1
            click.echo(f"config: {path}: error: {exc}")
        else:
            accounts_found = config.accounts
            click.echo(f"config: {path} (ok, {len(config.accounts)} accounts)")
    db = db_path or default_db_path()
    if db.exists():
        click.echo(f"database: {db} ({db.stat().st_size / 1_000_000:.1f} MB)")
    else:
        click.echo(f"database: {db} (not created yet: the first sync creates it)")
    if keyring_usable():
        click.echo(f"keyring: {keyring_name()}")
    else:
        click.echo(
            f"keyring: {keyring_name()}: no usable keyring, tokens come from CMDESK_TOKEN_<NAME>"
        )
    for account in accounts_found:
        source = token_source(account.name)
        if source == TokenSource.MISSING:
            problems += 1
            hint = f"run `cmdesk accounts add {account.name}` or set {env_name(account.name)}"
            click.echo(f"  {account.name} ({account.network}): token missing: {hint}")
        elif source == TokenSource.ENV:
            click.echo(f"  {account.name} ({account.network}): token from {env_name(account.name)}")
        else:
            click.echo(f"  {account.name} ({account.network}): token from the keyring")
    if problems:
        sys.exit(1)
