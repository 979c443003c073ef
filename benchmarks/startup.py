"""Cold start of `cmdesk demo` to the first inbox row on a terminal, against a bare Textual import.

Each run starts the installed `cmdesk demo` command on a new pseudo-terminal
(120x40), as a user's shell would, and reads what it draws until an inbox row
(a network name beside a brand) appears: interpreter start, imports, a fresh
demo store, the sync through the real connectors over the recorded fixtures,
the first frame. Prints the median of N runs of each, and their ratio.

cmdesk's bytecode is compiled first, as the README's install command does (pip does
it for the baseline's packages): an editable install leaves it to the first run, and
where PYTHONDONTWRITEBYTECODE is set, to every run.

    .venv/bin/python benchmarks/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.terminal import INBOX_ROW, Terminal, cmdesk_command

REPO = Path(__file__).resolve().parent.parent


def time_to_first_row() -> float:
    # Stopped by a signal, the demo cannot remove its temporary store: give it ours.
    with tempfile.TemporaryDirectory(prefix="cmdesk-startup-") as scratch:
        terminal = Terminal(cmdesk_command("demo"), env={"TMPDIR": scratch})
        try:
            return terminal.wait_for(INBOX_ROW)
        finally:
            terminal.close()


def compile_cmdesk() -> None:
    """What the README's install command does after `pip install -e .`."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "cmdesk")], check=True)


def time_import() -> float:
    """Seconds to run `python -c "import textual.app"` to its exit."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import textual.app"], check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    compile_cmdesk()
    baseline, demo = [], []
    for _ in range(runs):  # interleaved, so both see the same machine load
        baseline.append(time_import())
        demo.append(time_to_first_row())
    base, ours = statistics.median(baseline), statistics.median(demo)
    print(f"{'measure':<44} {'median s':>9}  runs")
    print(f"{'python -c import textual.app':<44} {base:>9.3f}  {runs}")
    print(f"{'cmdesk demo to first inbox row (pty)':<44} {ours:>9.3f}  {runs}")
    print(f"ratio demo / bare import: {ours / base:.2f}x")


if __name__ == "__main__":
    main()
