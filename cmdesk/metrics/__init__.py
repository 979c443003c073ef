"""Response-time metrics from the event log: what `cmdesk report` and the TUI show.

Pure functions over rows the store streams; no SQL here and no Textual. The rules
are in `compute.py` and, for people, in docs/metrics.md. Nothing is imported here:
the inbox's SLA badges need `sla` alone, and loading the whole report with them
cost the app's cold start 25-40 ms.

- `report.report_from_store(store, config, by=..., since=..., until=..., now=...)` -> `Report`
- `sla.sla_state(item, now, config, since=None)` -> `SlaState | None`, for a row's badge
- `report.drill_down_from_store(store, config, by=..., key=..., figure=..., ...)` -> `Drill`:
  the opportunities behind one figure of one group, for the report screen's drill-down
"""
