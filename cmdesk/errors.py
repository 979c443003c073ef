"""The base of every error a user can fix (bad config, unusable store, broken file).

It lives apart from the modules that raise it so the command line can catch it
without importing them: `cmdesk demo` must not pay for httpx or keyring to
learn how to print a one-line error.
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake the user can fix: shown as one line, never a traceback."""
