"""Which replies fit a message's language, network and brand, as bit masks.

Apart from the index and ranking (`cmdesk.replies.suggest`), which filter their
candidates with it: one bit per language, network and brand, so checking a reply
is one AND whatever the library's size.
"""

from __future__ import annotations

from collections.abc import Sequence

from cmdesk.replies.library import NETWORK_LABELS, Reply


class ReplyFilters:
    """Each reply's attribute bits (`attrs`, in library order), and what a filter needs."""

    __slots__ = ("_bits", "attrs")

    def __init__(self, replies: Sequence[Reply]) -> None:
        self._bits, self.attrs = _attribute_bits(replies)

    def need(self, lang: str | None, network: str | None, brand: str | None) -> int:
        """The attribute bits a reply must carry to pass the filters."""
        bits = self._bits
        need = bits.get(("lang", lang), 0) if lang else 0
        if network:
            need |= bits.get(("network", network), bits[("network", None)])
        if brand:
            need |= bits.get(("brand", brand), bits[("brand", None)])
        return need


def _attribute_bits(
    replies: Sequence[Reply],
) -> tuple[dict[tuple[str, str | None], int], tuple[int, ...]]:
    """One bit per language, network and brand, so filtering is one AND per reply.

    A reply without networks (or brand) carries every network (or brand) bit,
    including the bit for "one this library does not name" (`None`).
    """
    langs = sorted({r.lang for r in replies})
    brands = sorted({r.brand for r in replies if r.brand})
    names: list[tuple[str, str | None]] = [("lang", lang) for lang in langs]
    names += [("network", n) for n in (*NETWORK_LABELS, None)]
    names += [("brand", b) for b in (*brands, None)]
    bits = {name: 1 << n for n, name in enumerate(names)}
    every_network = sum(b for (kind, _), b in bits.items() if kind == "network")
    every_brand = sum(b for (kind, _), b in bits.items() if kind == "brand")
    attrs = []
    for r in replies:
        a = bits[("lang", r.lang)]
        a |= sum(bits[("network", n)] for n in r.networks) if r.networks else every_network
        a |= bits[("brand", r.brand)] if r.brand else every_brand
        attrs.append(a)
    return bits, tuple(attrs)
