"""Cold start of `cmdesk demo` to the first painted inbox row, against a bare Textual import.

Each run is a new process, as when a user types the command: interpreter start,
imports, a fresh demo store, the sync through the real connectors, and the first
row drawn. Prints the median of N runs of each, and their ratio.

    .venv/bin/python benchmarks/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

CHILD = "--child"


def child() -> None:
    """Run the demo headless and print seconds from process start to the first row."""
    started = float(os.environ["CMDESK_BENCH_T0"])
    import tempfile
    from pathlib import Path

    from cmdesk.demo import DEMO_TOKEN, demo_config, demo_transport, fixtures_dir
    from cmdesk.tui.app import CmdeskApp
    from cmdesk.tui.widgets.inbox_list import InboxList

    fixtures = fixtures_dir()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "demo.db"
        app = CmdeskApp(
            path,
            demo_config(fixtures),
            transport_factory=lambda store: demo_transport(store, fixtures),
            tokens=lambda _a: DEMO_TOKEN,
            demo=True,
            library_dir=fixtures / "replies",
        )

        def painted() -> None:
            inboxes = app.screen.query(InboxList)
            if inboxes and inboxes.first().current_item is not None:
                print(f"{time.time() - started:.4f}")
                app.exit()

        app.call_later(lambda: app.set_interval(0.002, painted))
        app.run(headless=True, size=(120, 40))


def timed(command: list[str]) -> float:
    env = {**os.environ, "CMDESK_BENCH_T0": repr(time.time())}
    started = time.time()
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    return float(out.strip().splitlines()[-1]) if out.strip() else time.time() - started


def main() -> None:
    if CHILD in sys.argv:
        child()
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    baseline = [timed([sys.executable, "-c", "import textual.app"]) for _ in range(runs)]
    demo = [timed([sys.executable, __file__, CHILD]) for _ in range(runs)]
    base, ours = statistics.median(baseline), statistics.median(demo)
    print(f"{'measure':<40} {'median s':>9}  runs")
    print(f"{'python -c import textual.app':<40} {base:>9.3f}  {runs}")
    print(f"{'cmdesk demo start to first row':<40} {ours:>9.3f}  {runs}")
    print(f"ratio demo / bare import: {ours / base:.2f}x")


if __name__ == "__main__":
    main()
