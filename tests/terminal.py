"""A pseudo-terminal to run the installed `cmdesk` command in, as a user's shell would.

Used by the end-to-end demo test (keys in, screen text out) and by
`benchmarks/startup.py` (time to the first inbox row).
"""

from __future__ import annotations

import codecs
import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

#: Escape sequences a terminal interprets: replaced by a space before matching text.
_ESCAPES = re.compile(r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")
#: A drawn inbox row: the network, then the brand (the status bar names accounts only).
INBOX_ROW = re.compile(r"(mastodon|bluesky|discourse|reddit) +(Brioche|PixelPost|Nordlys)")


def cmdesk_command(*args: str) -> list[str]:
    """The console script installed beside this interpreter, as the README runs it."""
    return [str(Path(sys.executable).with_name("cmdesk")), *args]


def _controlling_terminal() -> None:
    """Make the pty the new session's controlling terminal, as a shell's is: closing it
    then hangs up (SIGHUP) what runs in it. SIGHUP at its default, as a terminal window
    starts its shell: a test run under `nohup` would otherwise pass on its "ignore"."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


class Terminal:
    """`command` on a new pty of `size`; `output` is everything it drew, escapes stripped."""

    def __init__(
        self,
        command: list[str],
        size: tuple[int, int] = (120, 40),
        env: dict[str, str] | None = None,
    ) -> None:
        self._master, slave = pty.openpty()
        columns, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", **(env or {})}
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            command,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
            preexec_fn=_controlling_terminal,
        )
        os.close(slave)
        self.output = ""
        #: A read may end inside a multi-byte character: the decoder keeps the rest.
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def _read(self) -> None:
        text = self._decoder.decode(os.read(self._master, 65536))
        self.output += _ESCAPES.sub(" ", text)

    def wait_for(self, pattern: re.Pattern[str], timeout: float = 30.0) -> float:
        """Read until `pattern` appears in new output; seconds since the start."""
        searched_from = len(self.output)
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([self._master], [], [], 0.2)
            if ready:
                try:
                    self._read()
                except OSError:  # the command exited and closed the terminal
                    break
                if pattern.search(self.output, max(0, searched_from - 200)):
                    return time.perf_counter() - self.started
        last = self.output[-400:]
        raise AssertionError(f"{pattern.pattern!r} never drawn; last output: {last!r}")

    def press(self, *keys: str) -> None:
        for key in keys:
            os.write(self._master, key.encode())
            time.sleep(0.05)

    def exit_code(self, timeout: float = 10.0) -> int:
        """Wait for the command to exit, draining what it draws meanwhile."""
        deadline = time.perf_counter() + timeout
        while self.process.poll() is None and time.perf_counter() < deadline:
            if select.select([self._master], [], [], 0.1)[0]:
                try:
                    self._read()
                except OSError:
                    break
        return self.process.wait(timeout=max(0.1, deadline - time.perf_counter()))

    def hang_up(self) -> None:
        """Close the terminal, as closing its window does."""
        if self._master >= 0:
            os.close(self._master)
            self._master = -1

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait()
        self.hang_up()
