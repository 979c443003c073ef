"""Changing how much a fixed-size scroll view holds, without a layout of the screen.

Setting `virtual_size` asks Textual for a layout of every widget (20-40 ms at
120x40), though a view whose own size is fixed by CSS moves nothing but its
scrollbar. Textual itself skips the layout this way when it resizes a widget
(`Widget._size_updated(layout=False)`, Textual 8.2): set the value without its
watcher, then update the scrollbars.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.widget import Widget


def set_virtual_size(view: ScrollView, size: Size) -> None:
    """`view.virtual_size = size`, repainting `view` alone. Its CSS must fix its height
    and keep its vertical scrollbar shown (`overflow-y: scroll`), so nothing moves."""
    if view.virtual_size == size:
        return
    view.set_reactive(Widget.virtual_size, size)
    view._scroll_update(size)
    view.refresh()
