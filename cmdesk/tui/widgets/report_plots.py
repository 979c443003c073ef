"""The report screen's two plots, drawn in the terminal by textual-plotext.

- First responses: how many waited how long, in buckets a CM reads at a glance
  (under 5 minutes ... over 3 days). Waits have a long tail, so equal-width bins
  would put nearly everything in the first one.
- Per day: opportunities received, and how many of them got a reply.

Both get their data whole from a finished report (`Report.series`) and never read
the store; `show` only replaces the plotted data.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from textual_plotext import PlotextPlot

from cmdesk.metrics.figures import DayCount

MIN = 60_000
HOUR = 60 * MIN
#: Upper bounds (exclusive) of the histogram's buckets, and their labels.
EDGES = (5 * MIN, 15 * MIN, 30 * MIN, HOUR, 2 * HOUR, 4 * HOUR, 8 * HOUR, 24 * HOUR, 72 * HOUR)
LABELS = ("<5m", "5-15m", "15-30m", "30m-1h", "1-2h", "2-4h", "4-8h", "8h-1d", "1-3d", ">3d")


def buckets(first_response_ms: Sequence[int]) -> list[int]:
    """How many first responses fall in each of `LABELS`' buckets."""
    counts = [0] * len(LABELS)
    for value in first_response_ms:
        counts[bisect_right(EDGES, value)] += 1
    return counts


class FirstResponsePlot(PlotextPlot):
    """Histogram of first-response times."""

    def show(self, first_response_ms: Sequence[int], *, clock: str) -> None:
        """`clock` says how the times were counted (wall clock, open time...)."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(f"First responses ({len(first_response_ms)}, {clock})")
        if first_response_ms:
            counts = buckets(first_response_ms)
            # Horizontal, fastest on top: ten labels read down a column, and an empty
            # bucket stays empty (a vertical bar of 0 still draws a line).
            plt.bar(LABELS[::-1], counts[::-1], orientation="horizontal", width=0.6)
            _counts_axis(self, max(counts), axis="x")
        self.refresh()


class DailyPlot(PlotextPlot):
    """Received vs replied, one point per day of the period."""

    def show(self, days: Sequence[DayCount]) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title("Received vs replied, per day")
        if len(days) == 1:  # one day: a line of one point says nothing
            (day,) = days
            plt.bar(["received", "replied"], [day.received, day.replied], width=0.4)
            plt.xlabel(day.date.isoformat())
            _counts_axis(self, day.received)
        elif days:
            xs = list(range(len(days)))
            plt.plot(xs, [d.received for d in days], label="received", marker="braille")
            plt.plot(xs, [d.replied for d in days], label="replied", marker="braille")
            step = max(1, -(-len(days) // 6))  # at most about 6 date labels
            ticks = xs[::step]
            plt.xticks(ticks, [days[x].date.strftime("%m-%d") for x in ticks])
            _counts_axis(self, max(d.received for d in days))
        self.refresh()


def _counts_axis(plot: PlotextPlot, top: int, axis: str = "y") -> None:
    """Counts are whole numbers: at most about five integer ticks from 0, never 2.50."""
    top = max(top, 1)
    ticks = list(range(0, top + 1, max(1, -(-top // 5))))
    if axis == "x":
        plot.plt.xlim(0, top)
        plot.plt.xticks(ticks)
    else:
        plot.plt.ylim(0, top)
        plot.plt.yticks(ticks)
