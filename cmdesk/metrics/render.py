"""A `Report` as JSON, CSV or a plain-text table. Empty figures stay empty, never 0."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from typing import IO, Any

from cmdesk.metrics.figures import GroupStats, Report
from cmdesk.metrics.rules import BUSINESS_HOURS, MIXED, WALL_CLOCK
from cmdesk.text import one_line, spreadsheet_safe

#: Every figure of a group, in the order CSV columns and JSON keys follow.
FIGURES = (
    "mode",
    "received",
    "reopened",
    "replied",
    "closed_without_reply",
    "done_without_reply",
    "waiting",
    "answered_ratio",
    "first_response_ms_median",
    "first_response_ms_p90",
    "done_ms_median",
    "done_ms_p90",
    "sla_applicable",
    "sla_breaches",
    "replies",
    "template_replies",
    "personalisation_median",
    "unedited_ratio",
)
MODE_NOTES = {
    WALL_CLOCK: "wall-clock: every hour counts",
    BUSINESS_HOURS: "business-hours: only the brands' open hours count",
    MIXED: "mixed: open hours for brands that set business hours, every hour for the others",
}
EMPTY = "—"


def to_json(report: Report) -> str:
    data = {
        "mode": report.mode,
        "by": list(report.by),
        "since": report.since.isoformat() if report.since else None,
        "until": report.until.isoformat() if report.until else None,
        "now": report.now,
        "groups": [group.as_dict() for group in report.groups],
        "total": report.total.as_dict(),
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


def write_csv(report: Report, out: IO[str]) -> None:
    """One row per group: the grouping columns, then every figure (ms, ratios 0-1).
    Cells a spreadsheet would run as formulas (brand or agent names) are quoted. Rows end
    in CRLF (RFC 4180): with a bare LF, a CR inside a name was left unquoted and began a
    new row there, whose first cell a spreadsheet would run."""
    writer = csv.writer(out)
    writer.writerow([*report.by, *FIGURES])
    for group in report.groups:
        cells: list[Any] = [spreadsheet_safe(value) for value in group.key]
        cells += ["" if value is None else value for value in _figures(group)]
        writer.writerow(cells)


def _figures(group: GroupStats) -> list[Any]:
    return [getattr(group, name) for name in FIGURES]


def duration(ms: int | None) -> str:
    """A wait as a person reads it: 45s, 12m, 1h 05m, 3d 04h."""
    if ms is None:
        return EMPTY
    seconds = ms // 1000
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def _ratio(value: float | None) -> str:
    return EMPTY if value is None else f"{value * 100:.1f}%"


def _breaches(group: GroupStats) -> str:
    if not group.sla_applicable:
        return EMPTY
    return f"{group.sla_breaches}/{group.sla_applicable}"


def _number(value: float | None) -> str:
    return EMPTY if value is None else f"{value:.1f}"


_TABLE = (
    ("received", lambda g: str(g.received)),
    ("replied", lambda g: str(g.replied)),
    ("answered", lambda g: _ratio(g.answered_ratio)),
    ("1st reply p50", lambda g: duration(g.first_response_ms_median)),
    ("p90", lambda g: duration(g.first_response_ms_p90)),
    ("done p50", lambda g: duration(g.done_ms_median)),
    ("SLA breaches", lambda g: _breaches(g)),
    ("personal. p50", lambda g: _number(g.personalisation_median)),
    ("unedited", lambda g: _ratio(g.unedited_ratio)),
    ("spam/hidden", lambda g: str(g.closed_without_reply)),
    ("waiting", lambda g: str(g.waiting)),
)


def to_table(report: Report) -> str:
    """Aligned columns with a total row, durations humanised, empty figures as —."""
    header = [*report.by, *(title for title, _ in _TABLE)]
    rows = [_table_row(group, report.by) for group in report.groups]
    total = _table_row(report.total, report.by, label="total")
    widths = [max(len(row[i]) for row in [header, *rows, total]) for i in range(len(header))]
    dims = len(report.by)

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.ljust(width) if index < dims else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    period = f"{report.since or '…'} to {report.until or '…'}"
    lines = [f"Response times by {', '.join(report.by) or 'nothing'}, {period}"]
    lines.append(f"mode: {MODE_NOTES[report.mode]}")
    lines += ["", line(header), line(["-" * width for width in widths])]
    lines += [line(row) for row in rows]
    if rows:
        lines.append(line(["-" * width for width in widths]))
    lines.append(line(total))
    return "\n".join(lines)


def _table_row(group: GroupStats, by: Sequence[str], label: str | None = None) -> list[str]:
    if label is not None:
        keys = [label] + [""] * (len(by) - 1) if by else []
    else:
        keys = [EMPTY if value is None else one_line(value) for value in group.key]
    return [*keys, *(cell(group) for _, cell in _TABLE)]
