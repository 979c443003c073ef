"""The SLA badge of an inbox row: the time left before the brand's SLA runs out, or BREACHED.

The rule is `cmdesk.metrics.sla_state` (the report's, so the badge and the report never
disagree); this module only words it, in at most `WIDTH` cells, since it is drawn
for every visible row on every frame.
"""

from __future__ import annotations

from cmdesk.metrics.sla import SlaState

WIDTH = 8
BREACHED = "BREACHED"


def time_left(ms: int) -> str:
    """Compact and never rounded up: 1h59 left is not "2h"."""
    minutes = max(0, ms) // 60_000
    if minutes < 1:
        return "<1m"
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def badge_text(state: SlaState) -> str:
    return BREACHED if state.breached else f"⏱ {time_left(state.remaining_ms)}"
