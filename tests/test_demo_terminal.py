"""`cmdesk demo` as a user runs it: the installed command, in a terminal, keys in."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from pathlib import Path

from .terminal import INBOX_ROW, Terminal, cmdesk_command


def test_demo_in_a_terminal_fills_the_inbox_and_keeps_what_was_done(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    terminal = Terminal(cmdesk_command("demo", "--db", str(db)))
    try:
        terminal.wait_for(INBOX_ROW)
        terminal.wait_for(re.compile(r"Open 405 "))  # every account's first pass landed
        terminal.press("e")
        terminal.wait_for(re.compile(r"Done 1\b"))
        terminal.press("q")
        assert terminal.exit_code() == 0
    finally:
        terminal.close()
    export = subprocess.run(
        cmdesk_command("export", "items", "--db", str(db), "--format", "jsonl"),
        capture_output=True,
        text=True,
        check=True,
    )
    items = [json.loads(line) for line in export.stdout.splitlines()]
    actionable = [item for item in items if not item["context_only"]]
    assert len(actionable) == 405
    assert [item["status"] for item in actionable].count("done") == 1
    assert {item["network"] for item in actionable} >= {"mastodon", "bluesky", "discourse"}


def test_a_killed_demo_quits_cleanly_and_leaves_no_store_behind(tmp_path: Path) -> None:
    terminal = Terminal(cmdesk_command("demo"), env={"TMPDIR": str(tmp_path)})
    try:
        terminal.wait_for(INBOX_ROW)
        terminal.process.send_signal(signal.SIGTERM)
        assert terminal.exit_code() == 0
    finally:
        terminal.close()
    assert list(tmp_path.iterdir()) == []


def test_a_closed_terminal_ends_the_demo(tmp_path: Path) -> None:
    """The terminal window goes away (the pty hangs up): nothing must keep running."""
    terminal = Terminal(cmdesk_command("demo"), env={"TMPDIR": str(tmp_path)})
    try:
        terminal.wait_for(INBOX_ROW)
        terminal.hang_up()
        terminal.process.wait(timeout=10)
    finally:
        terminal.close()
