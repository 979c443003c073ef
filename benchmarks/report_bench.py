"""How fast `cmdesk report` folds a million events, against one SQL query doing less.

Builds a store of 1,000,000 events (the bulk path of `cmdesk bench-data`,
`cmdesk.store.bulk`: the real schema, one transaction, indexes, triggers and the
report's per-item summaries rebuilt at the end), then measures, in rounds that
alternate the two so that a busy neighbour on the shared machine slows both alike
(one warm-up of each first, then the medians):

- ours: `cmdesk report`'s compute path (`cmdesk.metrics.report_from_store`), every
  rule of docs/metrics.md (undo, reopen, exclusions, SLA, personalisation), by network;
- the baseline: one SQL query giving only the median first-response time per network
  (window functions; no undo, no reopen, no exclusions), from the event log's index;
- the CLI end to end: `cmdesk report --db PATH` in a new process (interpreter start,
  config, store, report, table), on the same config.

    .venv/bin/python benchmarks/report_bench.py [--events N] [--db PATH] [--rounds R]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cmdesk.config import Config, load_config
from cmdesk.metrics.report import report_from_store
from cmdesk.store import Store
from cmdesk.store.bulk import bulk_load

ACCOUNTS = (
    ("brioche-masto", "mastodon", "Brioche & Co", "briocheco"),
    ("pixelpost-masto", "mastodon", "PixelPost", "pixelpost"),
    ("nordlys-bsky", "bluesky", "Nordlys", "nordlys.bsky.social"),
    ("pixelpost-forum", "discourse", "PixelPost", "pixelpost_team"),
)
#: The benchmark's brands: SLAs everywhere, business hours for one brand. A file, so
#: that the CLI run reads the very config the in-process runs use.
CONFIG_TOML = (
    'bots = ["spambot"]\n'
    + "".join(
        f'\n[[account]]\nname = "{name}"\nnetwork = "{network}"\nbrand = "{brand}"\n'
        f'base_url = "https://example.invalid"\n'
        f'{"username" if network == "discourse" else "handle"} = "{handle}"\n'
        for name, network, brand, handle in ACCOUNTS
    )
    + """
[brand."Brioche & Co"]
sla_minutes = 60
timezone = "Europe/Paris"
business_hours = { days = ["mon", "tue", "wed", "thu", "fri"], open = "09:00", close = "18:00" }

[brand.PixelPost]
sla_minutes = 240
sla = { discourse = 1440 }

[brand.Nordlys]
sla_minutes = 120
"""
)
AGENTS = ("camille", "samir", "ines", "theo")
START = 1_767_225_600_000  # 2026-01-01T00:00:00Z
DAYS = 90
MINUTE = 60_000
#: The report's "now": a day after the last event.
NOW = START + (DAYS + 1) * 86_400_000

#: The columns of the items `build_store` writes (the others keep their defaults).
ITEM_COLUMNS = (
    "id", "account", "network", "brand", "kind", "remote_id", "thread_id", "author_id",
    "author_handle", "author_name", "text", "created_at", "received_at", "status", "context_only",
)  # fmt: skip


def bench_config(scratch: Path) -> tuple[Config, Path]:
    """The benchmark's config, and the file it was read from (for the CLI)."""
    path = scratch / "bench-config.toml"
    path.write_text(CONFIG_TOML, encoding="utf-8")
    return load_config(path, missing_ok=False), path


def _item_events(rng: random.Random, item_id: str, received: int, batch: list[int]) -> list[tuple]:
    """A plausible life for one item: received, opened, answered or closed, sometimes undone."""
    agent = rng.choice(AGENTS)
    events: list[tuple] = [(item_id, "received", received, "sync", "{}")]
    at = received + rng.randint(1, 240) * MINUTE
    if rng.random() < 0.7:
        events.append((item_id, "opened", at, agent, "{}"))
    roll = rng.random()
    if roll < 0.05:
        kind = rng.choice(("hidden", "spam"))
        events.append((item_id, kind, at + MINUTE, agent, _triage(batch, "open")))
        return events
    if roll < 0.15:
        events.append((item_id, "snoozed", at, agent, _triage(batch, "open", until=at + 3_600_000)))
        at += 3_600_000 + rng.randint(1, 120) * MINUTE
    if roll < 0.8:
        at += rng.randint(1, 600) * MINUTE
        events.append((item_id, "replied", at, agent, _replied(rng)))
    if rng.random() < 0.15:
        events.append((item_id, "labelled", at, agent, _triage(batch, "open", label="billing")))
    if rng.random() < 0.55:
        at += rng.randint(1, 60) * MINUTE
        done_batch = batch[0]
        events.append((item_id, "done", at, agent, _triage(batch, "replied")))
        if rng.random() < 0.05:
            events.append(
                (item_id, "undone", at + MINUTE, agent, json.dumps({"undoes": done_batch}))
            )
        elif rng.random() < 0.06:
            at += rng.randint(60, 3000) * MINUTE
            events.append((item_id, "reopened", at, "sync", _triage(batch, "done")))
            events.append((item_id, "replied", at + rng.randint(1, 300) * MINUTE, agent, "{}"))
    return events


def _triage(batch: list[int], before: str, **extra: Any) -> str:
    batch[0] += 1
    state = {"status": before, "snooze_until": None, "labels": []}
    return json.dumps({"batch": batch[0], "before": state, **extra})


def _replied(rng: random.Random) -> str:
    if rng.random() < 0.2:
        payload = {"reply_id": None, "template": "", "sent": "typed", "personalisation": 100.0}
    else:
        edited = rng.random() < 0.6
        score = round(rng.uniform(1, 60), 1) if edited else 0.0
        payload = {
            "reply_id": "thanks",
            "template": "Thanks!",
            "sent": "Thanks!",
            "personalisation": score,
        }
    return json.dumps(payload)


def build_store(path: Path, events_target: int, seed: int = 11) -> tuple[int, int]:
    """Fill a fresh store at `path` with about `events_target` events; returns (items, events)."""
    rng = random.Random(seed)
    items: list[tuple] = []
    events: list[tuple] = []
    batch = [0]
    n = 0
    while len(events) < events_target:
        account, network, brand, handle = ACCOUNTS[n % len(ACCOUNTS)]
        item_id = f"{account}/{n}"
        received = START + rng.randrange(DAYS * 86_400_000)
        roll = rng.random()
        context_only = roll < 0.03
        author = (
            handle
            if roll < 0.04
            else ("spambot" if roll < 0.05 else f"user{rng.randrange(50_000)}")
        )
        status = "done"
        items.append((
            item_id, account, network, brand, "mention", str(n), item_id, author, author, author,
            f"message {n}", received - rng.randint(0, 600_000), received, status, int(context_only),
        ))  # fmt: skip
        if not context_only:
            events.extend(_item_events(rng, item_id, received, batch))
        n += 1
    events = events[:events_target]
    rng.shuffle(events)  # the log is in time order, not item order: as a real one would be
    events.sort(key=lambda e: e[2])
    # No ANALYZE afterwards: a user's store never has statistics either.
    return bulk_load(path, [(items, events)], ITEM_COLUMNS)


#: A measured step: runs once, returns its result and the CPU seconds it used.
Step = Callable[[], tuple[Any, float]]


def in_process(fn: Callable[[], Any]) -> Step:
    def step() -> tuple[Any, float]:
        cpu = time.process_time()
        result = fn()
        return result, time.process_time() - cpu

    return step


def in_child(command: list[str]) -> Step:
    """A command in a new process: its output, and the child's CPU time."""

    def step() -> tuple[Any, float]:
        before = _children_cpu()
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        return done.stdout, _children_cpu() - before

    return step


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(steps: dict[str, Step], rounds: int) -> dict[str, tuple[float, float, Any]]:
    """Median wall-clock and CPU seconds of each step, and its last result.

    Round 0 warms the caches (the OS's and SQLite's) and is not counted; then each round
    runs every step, starting one further along each time, so that a neighbour's load
    (the machine is shared) falls on all of them alike. CPU time is the steadier figure.
    """
    names = list(steps)
    walls: dict[str, list[float]] = {name: [] for name in names}
    cpus: dict[str, list[float]] = {name: [] for name in names}
    results: dict[str, Any] = {}
    for round_ in range(rounds + 1):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            wall = time.perf_counter()
            results[name], cpu = steps[name]()
            if round_:
                walls[name].append(time.perf_counter() - wall)
                cpus[name].append(cpu)
    return {
        name: (statistics.median(walls[name]), statistics.median(cpus[name]), results[name])
        for name in names
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, help="Reuse (or build) the store at this path.")
    parser.add_argument("--rounds", type=int, default=5, help="Measured rounds (medians).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cmdesk-bench-") as scratch:
        path = args.db or Path(scratch) / "bench.db"
        if not path.exists():
            started = time.perf_counter()
            items, events = build_store(path, args.events)
            print(f"built {items:,} items, {events:,} events "
                  f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        config, config_path = bench_config(Path(scratch))
        store = Store(path, create=False)  # migrates an older store before any timing
        (events,) = store.db.execute("SELECT count(*) FROM events").fetchone()
        cli = [sys.executable, "-c", "from cmdesk.cli import main; main()", "report"]
        cli += ["--db", str(path), "--config", str(config_path), "--now", str(NOW)]
        steps = {
            "ours": in_process(lambda: report_from_store(store, config, by=("network",), now=NOW)),
            "baseline": in_process(store.baseline_first_response_median),
            "cli": in_child(cli),
        }
        try:
            timings = measure(steps, args.rounds)
        finally:
            store.close()
    ours_s, ours_cpu, report = timings["ours"]
    sql_s, sql_cpu, baseline = timings["baseline"]
    cli_s, cli_cpu, _ = timings["cli"]
    print(f"{events:,} events, medians of {args.rounds} rounds")
    print(f"cmdesk report (all rules, by network): {ours_s * 1000:6.0f} ms wall, "
          f"{ours_cpu * 1000:6.0f} ms CPU  [{report.mode}]")  # fmt: skip
    print(f"single SQL query (median FRT/network): {sql_s * 1000:6.0f} ms wall, "
          f"{sql_cpu * 1000:6.0f} ms CPU")  # fmt: skip
    print(f"ratio ours / SQL: {ours_s / sql_s:.2f} wall, {ours_cpu / sql_cpu:.2f} CPU")
    print(f"`cmdesk report` CLI, new process:      {cli_s * 1000:6.0f} ms wall, "
          f"{cli_cpu * 1000:6.0f} ms CPU")  # fmt: skip
    for group in report.groups:
        network = group.key[0]
        print(
            f"  {network:<10} median first response {group.first_response_ms_median} ms "
            f"(SQL, no rules: {baseline.get(network)} ms)"
        )


if __name__ == "__main__":
    main()
