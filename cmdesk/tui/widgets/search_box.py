"""A one-line search box whose keystrokes repaint the box, not the screen's layout."""

from __future__ import annotations

from textual.geometry import Size
from textual.widgets import Input


class SearchBox(Input):
    """An `Input` that types without a layout of the whole screen per key.

    `Input` sets its virtual size to the width of its text on every change, and a
    new virtual size makes Textual lay out the whole screen: in the composer that is
    1.5 ms per key at the median and 6 ms at the 90th percentile, most of the frame
    the search box and its results need. The virtual width only bounds horizontal
    scrolling, and a width up to the box's own allows no scrolling either way, so
    while the text fits the box this one stays at the box's width: the size, hence
    the layout, changes only once the text overflows it.
    """

    def validate_virtual_size(self, size: Size) -> Size:
        return Size(max(size.width, self.scrollable_content_region.width), size.height)
