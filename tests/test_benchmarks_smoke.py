"""`benchmarks/run.py` runs end to end on a tiny store and prints a row for every measure.

No timing is asserted: the numbers of a tiny store on a shared CI machine mean nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import REPO

MEASURES = (
    "bench-data",
    "`cmdesk demo` start to first row",
    "first paint at",
    "key down, p99",
    "key pagedown, p99",
    "key end, p99",
    "key done-and-next, p99",
    "key undo, p99",
    "search top 200, common word",
    "search top 200, rare word",
    "view Open",
    "view Done",
    "view All",
    "ingest (Store.ingest, FTS, events)",
    "sync 5 accounts (wall)",
    "RSS, inbox open at",
)


def test_run_prints_every_measure_on_a_tiny_store() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--items", "300", "--json"],
        capture_output=True,
        text=True,
        timeout=170,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table, _, document = done.stdout.rpartition("\n{")
    for measure in MEASURES:
        assert measure in table, f"no row for {measure!r}:\n{table}"
    for baseline in (
        "frame at",
        "lineapi at",
        "datatable at",
        "listview at",
        "fastdatatable at",
        "LIKE '%word%'",
    ):
        assert baseline in table
    rows = json.loads("{" + document)["rows"]
    assert {"measure", "target", "value", "baseline", "ratio", "met"} <= set(rows[0])
