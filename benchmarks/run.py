"""Every performance measure of cmdesk at scale, each against its baseline in the same run.

    .venv/bin/python benchmarks/run.py            # 1,000,000 items (under 15 minutes)
    .venv/bin/python benchmarks/run.py --quick    # 100,000 items (under 3 minutes)
    .venv/bin/python benchmarks/run.py --json     # the table, then one JSON document

The machine is shared and noisy: every number is a median of repeats, and every
measure is reported with its ratio to a baseline measured in the same run.
See benchmarks/README.md for what each baseline is.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import startup  # noqa: E402
import store_bench  # noqa: E402

APPS = HERE / "apps.py"
#: The other inboxes measured at the same size (see benchmarks/baselines.py): `frame`
#: first, the floor of a Textual frame on this machine, then `lineapi`, the least a
#: Line-API list over SQLite does.
BASELINES = ("frame", "lineapi", "datatable", "listview", "fastdatatable")


@dataclass
class Row:
    measure: str
    target: str
    value: str
    baseline: str
    base_value: str
    ratio: str
    met: str


@dataclass
class Plan:
    items: int
    repeats: int
    rounds: int
    cap_s: float
    startup_runs: int
    ingest_items: int
    sync_repeats: int
    sync_delay: float
    small: dict[str, int]


def plan_for(args: argparse.Namespace) -> Plan:
    if args.items is not None:  # the smoke test: everything once, tiny
        return Plan(args.items, 1, 1, 30, 1, min(args.items, 500), 1, 0.01, {})
    if args.quick:
        return Plan(100_000, 3, 3, 10, 3, 10_000, 1, 0.2,
                    {"datatable": 10_000, "listview": 1_000, "fastdatatable": 10_000})  # fmt: skip
    return Plan(1_000_000, 3, 5, 30, 5, 20_000, 1, 0.2,
                {"datatable": 10_000, "listview": 1_000, "fastdatatable": 100_000})  # fmt: skip


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def make_store(path: Path, items: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "from cmdesk.cli import main; main()", "bench-data",
         "--items", str(items), "--db", str(path), "--quiet"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return time.perf_counter() - started


def child(mode: str, db: Path, cap: float, *extra: str) -> dict[str, Any] | None:
    """One app process; None when it did not paint within `cap` seconds."""
    env = {**os.environ, "CMDESK_BENCH_T0": repr(time.time())}
    try:
        done = subprocess.run(
            [sys.executable, str(APPS), mode, str(db), *extra],
            env=env, capture_output=True, text=True, timeout=cap,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return None
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"{mode} failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1])


def fmt_s(value: float | None, cap: float | None = None) -> str:
    if value is None:
        return f"> {cap:.0f} s" if cap else "n/a"
    return f"{value:.2f} s"


def fmt_ms(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.1f} ms" if value < 1000 else f"{value / 1000:.2f} s"


def ratio(ours: float | None, base: float | None) -> str:
    if ours is None or base is None or not ours or not base:
        return "n/a"
    return f"{ours / base:.2f}x"


def met(ok: bool | None) -> str:
    return "n/a" if ok is None else ("yes" if ok else "NO")


def key_ms(result: dict[str, Any] | None, key: str, stat: str = "p99") -> float | None:
    if not result or key not in result.get("keys", {}) or not result["keys"][key].get("n"):
        return None
    return result["keys"][key][stat]


def key_shown(result: dict[str, Any] | None, key: str) -> str:
    """p99, and the p50 beside it: over 30-50 keys a p99 is the worst wait for a core."""
    p99, p50 = key_ms(result, key), key_ms(result, key, "p50")
    return fmt_ms(p99) + (f" (p50 {fmt_ms(p50)})" if p50 is not None else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k items, under 3 minutes")
    parser.add_argument("--json", action="store_true", help="also print the results as JSON")
    parser.add_argument("--items", type=int, help=argparse.SUPPRESS)  # smoke test size
    parser.add_argument("--keep", type=Path, help=argparse.SUPPRESS)  # reuse/keep this store
    args = parser.parse_args()
    plan = plan_for(args)
    started = time.perf_counter()
    rows: list[Row] = []
    raw: dict[str, Any] = {"items": plan.items, "load": [os.getloadavg()[0]]}
    with tempfile.TemporaryDirectory(prefix="cmdesk-bench-") as scratch:
        db = args.keep or Path(scratch) / f"bench-{plan.items}.db"
        if not db.exists():
            log(f"generating {plan.items:,} items")
            raw["generate_s"] = make_store(db, plan.items)
            ok = met(raw["generate_s"] < 90) if plan.items >= 1_000_000 else "n/a"
            rows.append(Row(f"bench-data {plan.items:,} items", "< 90 s at 1M",
                            fmt_s(raw["generate_s"]), "", "", "", ok))  # fmt: skip
        run_all(plan, db, rows, raw)
    raw["total_s"] = time.perf_counter() - started
    raw["load"].append(os.getloadavg()[0])
    print_table(rows, plan, raw)
    if args.json:
        print(json.dumps({"plan": asdict(plan), "rows": [asdict(r) for r in rows], "raw": raw}))


def run_all(plan: Plan, db: Path, rows: list[Row], raw: dict[str, Any]) -> None:
    n = f"{plan.items // 1000:,}k" if plan.items >= 1000 else str(plan.items)

    startup.compile_cmdesk()  # as the README's install does; every app below starts from it
    log("startup: cmdesk demo vs bare import")
    base, demo = [], []
    for _ in range(plan.startup_runs):  # interleaved: both see the same load
        base.append(startup.time_import())
        demo.append(startup.time_to_first_row())
    b, d = statistics.median(base), statistics.median(demo)
    raw["startup"] = {"bare_s": base, "demo_s": demo}
    rows.append(Row("`cmdesk demo` start to first row", "< 1.0 s", fmt_s(d),
                    "python -c 'import textual.app'", fmt_s(b), ratio(d, b),
                    met(d < 1.0)))  # fmt: skip

    log(f"first paint and keys: cmdesk at {n}")
    runs = [child("cmdesk", db, 120, "--keys", "--views", "--rounds", str(plan.rounds))]
    runs += [child("cmdesk", db, 60) for _ in range(plan.repeats - 1)]
    ours = statistics.median(r["first_paint"] for r in runs if r)
    keyed = runs[0]
    raw["cmdesk"] = runs
    baselines: dict[str, dict[str, Any] | None] = {}
    fast = importlib.util.find_spec("textual_fastdatatable") is not None
    raw["fastdatatable_installed"] = fast
    for mode in BASELINES:
        if mode == "fastdatatable" and not fast:
            log("textual-fastdatatable not installed (pip install -e '.[bench]'): skipped")
            baselines[mode] = None
            continue
        log(f"first paint: {mode} at {n} (capped at {plan.cap_s:.0f} s)")
        baselines[mode] = child(mode, db, plan.cap_s, "--keys", "--rounds", str(plan.rounds))
    raw["baselines"] = baselines
    small: dict[str, dict[str, Any] | None] = {}
    for mode, size in plan.small.items():
        if mode == "fastdatatable" and not fast:
            continue
        log(f"{mode} at {size:,} items, for its key latency")
        path = db.with_name(f"small-{size}.db")
        if not path.exists():
            make_store(path, size)
        small[mode] = child(mode, path, 60, "--keys", "--rounds", str(plan.rounds))
    raw["small"] = small
    for mode, result in baselines.items():
        paint = result["first_paint"] if result else None
        missing = mode == "fastdatatable" and not fast
        capped = "n/a" if missing else f"< {ours / plan.cap_s:.3f}x"
        first = mode == BASELINES[0]
        rows.append(Row(f"first paint at {n}" if first else "", "< 1.5 s" if first else "",
                        fmt_s(ours), f"{mode} at {n}",
                        "not installed" if missing else fmt_s(paint, plan.cap_s),
                        ratio(ours, paint) if paint else capped,
                        met(ours < 1.5) if first else ""))  # fmt: skip
    for mode, result in small.items():
        rows.append(Row("", "", "", f"{mode} at {plan.small[mode]:,}",
                        fmt_s(result["first_paint"] if result else None, 60), "", ""))  # fmt: skip

    for key in ("down", "pagedown", "end", "done-and-next", "undo"):
        p99 = key_ms(keyed, key)
        filled = (keyed or {}).get("filled", {}).get(key, {})
        shown = key_shown(keyed, key)
        shown += f", rows {fmt_ms(filled.get('p99'))}" if filled.get("n") else ""
        first = True
        for mode in BASELINES:
            where, result = (n, baselines[mode]) if baselines[mode] else (None, small.get(mode))
            label = f"{mode} at {where or f'{plan.small.get(mode, 0):,}'}"
            base_p99 = key_ms(result, key)
            ok = met(p99 < 16) if first and p99 else ""
            rows.append(Row(f"key {key}, p99" if first else "", "< 16 ms" if first else "",
                            shown if first else "", label, key_shown(result, key),
                            ratio(p99, base_p99), ok))  # fmt: skip
            first = False

    log("search")
    found = store_bench.search(db, plan.repeats * 2)
    raw["search"] = found
    for label, entry in found.items():
        rows.append(Row(f"search top 200, {label} word '{entry['word']}' ({entry['hits']})",
                        "< 50 ms", fmt_ms(entry["fts_ms"]), "LIKE '%word%' LIMIT 200",
                        fmt_ms(entry["like_ms"]), ratio(entry["fts_ms"], entry["like_ms"]),
                        met(entry["fts_ms"] < 50)))  # fmt: skip
        rows.append(Row(f"  app search view ({entry['app_hits']:,} ids)", "",
                        fmt_ms(entry["app_ms"]), "", "", "", ""))  # fmt: skip

    log("views")
    queries = store_bench.view_queries(db, plan.repeats)
    raw["view_queries"] = queries
    shown_views = (keyed or {}).get("views", {})
    for title, entry in queries.items():
        in_app = shown_views.get(title)
        value = fmt_ms(in_app["ms"]) if in_app else fmt_ms(entry["ms"])
        note = (
            f" (all in {fmt_ms(in_app['whole_ms'])}, stall {fmt_ms(in_app['stall_ms'])})"
            if in_app
            else " (query only)"
        )
        ok = in_app["ms"] < 200 if in_app else None
        rows.append(Row(f"view {title} ({entry['rows']:,} rows)", "< 200 ms" if in_app else "",
                        value + note, "its query alone", fmt_ms(entry["ms"]),
                        ratio(in_app["ms"], entry["ms"]) if in_app else "", met(ok)))  # fmt: skip

    log(f"ingest {plan.ingest_items:,} items")
    fed = store_bench.ingest(plan.ingest_items, plan.repeats)
    raw["ingest"] = fed
    share = fed["real_per_s"] / fed["raw_per_s"]
    rows.append(Row("ingest (Store.ingest, FTS, events)", ">= 50% of raw",
                    f"{fed['real_per_s']:,.0f} items/s", "raw executemany, same schema",
                    f"{fed['raw_per_s']:,.0f} items/s", f"{share:.0%}",
                    met(share >= 0.5)))  # fmt: skip

    log(f"sync: 5 accounts, {plan.sync_delay * 1000:.0f} ms per page")
    synced = store_bench.sync(plan.sync_repeats, plan.sync_delay)
    raw["sync"] = synced
    wall, slowest = synced["wall_s"], synced["slowest_s"]
    rows.append(Row(f"sync {synced['accounts']} accounts (wall)", "<= 1.5x slowest",
                    fmt_s(wall), "slowest account alone", fmt_s(slowest), ratio(wall, slowest),
                    met(wall <= 1.5 * slowest)))  # fmt: skip
    rows.append(Row("", "", "", "sequential sum", fmt_s(synced["sum_s"]),
                    ratio(wall, synced["sum_s"]), ""))  # fmt: skip

    rss = keyed["rss_mb"] if keyed else None
    rows.append(Row(f"RSS, inbox open at {n}", "< 200 MB", f"{rss:.0f} MB" if rss else "n/a",
                    "datatable / fastdatatable",
                    " / ".join(f"{r['rss_mb']:.0f} MB" if r else "n/a"
                               for r in (baselines["datatable"], baselines["fastdatatable"])),
                    "", met(rss < 200) if rss else "n/a"))  # fmt: skip


def print_table(rows: list[Row], plan: Plan, raw: dict[str, Any]) -> None:
    headers = ("measure", "target", "cmdesk", "baseline", "baseline value", "ratio", "met")
    table = [headers, *((r.measure, r.target, r.value, r.baseline, r.base_value, r.ratio, r.met)
                        for r in rows)]  # fmt: skip
    widths = [max(len(str(line[i])) for line in table) for i in range(len(headers))]
    load = " / ".join(f"{x:.1f}" for x in raw["load"])
    print(f"cmdesk benchmarks: {plan.items:,} items, {os.cpu_count()} CPUs, "
          f"SQLite {store_bench.sqlite_version()}, {raw['total_s']:.0f} s in all, "
          f"load average at start / end {load} (past the CPU count, p99s measure "
          f"the scheduler more than cmdesk)")  # fmt: skip
    for n, line in enumerate(table):
        print(" | ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)))
        if n == 0:
            print("-+-".join("-" * width for width in widths))


if __name__ == "__main__":
    main()
