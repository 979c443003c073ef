"""Credentials: the system keyring first, `CMDESK_TOKEN_<NAME>` for headless machines.

A token is never written to the config, the database or a log line.
"""

from __future__ import annotations

import os

import keyring
import keyring.errors

SERVICE = "cmdesk"


def env_name(account: str) -> str:
    return "CMDESK_TOKEN_" + account.upper().replace("-", "_")


def get_token(account: str) -> str | None:
    """The account's token, or None when neither the keyring nor the environment has it."""
    try:
        token = keyring.get_password(SERVICE, account)
    except keyring.errors.KeyringError:
        token = None
    return token or os.environ.get(env_name(account))
