"""The footer line of main bindings, drawn as one widget.

Textual's `Footer` mounts a widget per key and restyles each one whenever the
focus moves; on the inbox that cost 0.18 s of the demo's cold start and a
recompose on every focus change. A keyboard-only tool needs the keys as text,
so this draws them in a single line.
"""

from __future__ import annotations

from rich.text import Text
from textual.screen import Screen
from textual.widget import Widget


class KeyBar(Widget):
    """The focused screen's shown bindings, `key description` pairs, then the palette key."""

    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description"}
    DEFAULT_CSS = """
    KeyBar {
        height: 1;
        dock: bottom;
        background: $footer-background;
        color: $footer-foreground;
    }
    KeyBar > .key-bar--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyBar > .key-bar--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        if screen is self.screen:
            self.refresh()

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        active = self.screen.active_bindings
        seen: set[str] = set()
        shown = [binding for _node, binding, _enabled, _tip in active.values() if binding.show]
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        if palette is not None and self.app.ENABLE_COMMAND_PALETTE:
            shown.append(palette[1])
        for binding in shown:
            if binding.action in seen:  # `x,space` is one action: show its first key
                continue
            seen.add(binding.action)
            text.append(f" {self.app.get_key_display(binding)} ", style=key_style)
            text.append(f"{binding.description} ", style=description_style)
        return text
