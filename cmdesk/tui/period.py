"""The report screen's periods: today, the last 7 or 30 days, or dates the CM types.

Pure (no Textual), so the parsing of what a CM types is tested on its own. Days are
inclusive at both ends, as `cmdesk report --since/--until` takes them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

TODAY, WEEK, MONTH, CUSTOM = "today", "7 days", "30 days", "custom"
_CUSTOM = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})?\s*(?:\.\.|…)\s*(\d{4}-\d{2}-\d{2})?\s*$")


@dataclass(frozen=True, slots=True)
class Period:
    name: str
    since: dt.date | None
    until: dt.date | None

    @property
    def label(self) -> str:
        """What the screen says: the name, and the dates it stands for."""
        if self.since is not None and self.since == self.until:
            dates = self.since.isoformat()
        else:
            dates = f"{self.since or '…'} – {self.until or '…'}"
        return dates if self.name == CUSTOM else f"{self.name} ({dates})"


def last_days(name: str, today: dt.date) -> Period:
    """`today`, `7 days` or `30 days`, ending today."""
    days = {TODAY: 1, WEEK: 7, MONTH: 30}[name]
    return Period(name, today - dt.timedelta(days=days - 1), today)


def parse_custom(text: str) -> Period:
    """`YYYY-MM-DD..YYYY-MM-DD` (either end may be left open), or one `YYYY-MM-DD`.

    Raises ValueError with a sentence a CM can act on.
    """
    found = _CUSTOM.match(text)
    try:
        if found is None:
            day = dt.date.fromisoformat(text.strip())
            return Period(CUSTOM, day, day)
        since, until = (dt.date.fromisoformat(part) if part else None for part in found.groups())
    except ValueError:
        raise ValueError(
            f"{text.strip() or 'nothing'}: type dates as YYYY-MM-DD..YYYY-MM-DD"
        ) from None
    if since is not None and until is not None and since > until:
        raise ValueError(f"{since} is after {until}: the first date comes first")
    return Period(CUSTOM, since, until)
