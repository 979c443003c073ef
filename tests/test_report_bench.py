"""`benchmarks/report_bench.py` runs end to end on a tiny store and prints every measure.

No timing is asserted: the numbers of a tiny store on a shared machine mean nothing.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .conftest import REPO


def test_report_bench_prints_ours_the_baseline_their_ratio_and_the_cli(tmp_path: Path) -> None:
    script, db = REPO / "benchmarks" / "report_bench.py", tmp_path / "bench.db"
    done = subprocess.run(
        [sys.executable, str(script), "--events", "3000", "--rounds", "1", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    for line in (
        "3,000 events, medians of 1 rounds",
        "cmdesk report (all rules, by network):",
        "single SQL query (median FRT/network):",
        "ratio ours / SQL:",
        "`cmdesk report` CLI, new process:",
        "mastodon   median first response",
    ):
        assert line in done.stdout, done.stdout
