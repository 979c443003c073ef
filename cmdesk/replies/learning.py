"""Replies the CM chose more often rank higher, among those that already fit the message.

Learned from `replied` events (counted since the last reset), applied only to
replies the suggester found relevant, so habit can reorder close calls but never
push an unrelated reply to the top. Each boost is explained in `matched`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

from cmdesk.replies.suggest import Suggestion

#: The most habit can add, in score points (a clearly better fit leads by 20 or more).
MAX_BOOST = 12.0


def learned_boost(uses: int) -> float:
    """Diminishing returns: 1 use +4, 3 uses +8, 7 or more uses +12."""
    return min(MAX_BOOST, 4.0 * math.log2(1 + uses)) if uses > 0 else 0.0


def rerank(ranked: list[Suggestion], usage: Mapping[str, int], limit: int) -> list[Suggestion]:
    """Re-order `ranked` with each reply's learned boost; keep the best `limit`."""
    boosted = []
    for suggestion in ranked:
        uses = usage.get(suggestion.reply.id, 0)
        bonus = learned_boost(uses)
        if bonus:
            suggestion = replace(
                suggestion,
                score=min(100.0, suggestion.score + bonus),
                matched=f"{suggestion.matched} · chosen {uses}× before",
            )
        boosted.append(suggestion)
    boosted.sort(key=lambda s: -s.score)
    return boosted[:limit]
