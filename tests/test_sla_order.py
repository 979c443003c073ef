"""The inbox's "breached first" test agrees with the SLA badge, business hours included."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from cmdesk.metrics.sla import breach_test, sla_state

from .test_metrics import DAY, MIN, PARIS, PARIS_HOURS, at, config, item

NOW = at("2026-03-10 11:07", PARIS)  # a Tuesday, the day after a holiday


@settings(max_examples=300, deadline=None)
@given(
    ago=st.integers(min_value=0, max_value=20 * DAY),
    account=st.sampled_from(["brioche-masto", "pixelpost-forum"]),
    author=st.sampled_from(["customer", "briocheco"]),
)
def test_breach_test_says_what_the_badge_says(ago: int, account: str, author: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        cfg = config(Path(scratch), PARIS_HOURS)
    waiting = item(1, account, author, received_at=NOW - ago)
    state = sla_state(waiting, NOW, cfg)
    breached = breach_test(cfg, NOW)(
        waiting.account, waiting.network, waiting.brand, waiting.author.handle, NOW - ago
    )
    assert breached == (state is not None and state.breached)


def test_the_cutoff_is_exact_to_the_millisecond() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        cfg = config(Path(scratch), PARIS_HOURS)
    first = breach_test(cfg, NOW)
    # 60 open minutes before Tuesday 11:07 (Monday a holiday) began Tuesday 10:07.
    start = at("2026-03-10 10:07", PARIS)
    assert not first("brioche-masto", "mastodon", "Brioche & Co", "customer", start)
    assert first("brioche-masto", "mastodon", "Brioche & Co", "customer", start - MIN)
