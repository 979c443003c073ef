"""Turning a library reply into the text for one item, and measuring how much the CM changed it."""

from __future__ import annotations

from cmdesk.model import Item
from cmdesk.replies.library import NETWORK_LABELS, Reply, first_name, render


def fill(reply: Reply, item: Item, agent: str) -> str:
    """The reply's body for this item's network, variables filled in."""
    values = {
        "author": item.author.label,
        "first_name": first_name(item.author.label),
        "brand": item.brand,
        "network": NETWORK_LABELS.get(item.network, item.network),
        "agent": agent,
    }
    return render(reply, item.network, values)


def personalisation(template: str, sent: str) -> float:
    """How far the sent text is from the rendered template: 0 = sent unedited, 100 = rewritten."""
    from rapidfuzz import fuzz  # here, not at the top: the inbox's cold start draws `fill`

    return round(100.0 - fuzz.ratio(template, sent), 1)
