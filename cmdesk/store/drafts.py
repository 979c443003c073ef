"""Drafts autosaved per item, so nothing typed is lost to a crash or a closed terminal."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils


@dataclass(frozen=True, slots=True)
class Draft:
    item_id: str
    text: str
    reply_id: str | None
    template: str
    updated_at: int


def save_draft(db: sqlite_utils.Database, draft: Draft) -> None:
    with db.conn:
        db["drafts"].upsert(
            {
                "item_id": draft.item_id,
                "text": draft.text,
                "reply_id": draft.reply_id,
                "template": draft.template,
                "updated_at": draft.updated_at,
            },
            pk="item_id",
        )


def get_draft(db: sqlite_utils.Database, item_id: str) -> Draft | None:
    row = db.execute(
        "SELECT item_id, text, reply_id, template, updated_at FROM drafts WHERE item_id = ?",
        [item_id],
    ).fetchone()
    return Draft(*row) if row else None


def delete_draft(db: sqlite_utils.Database, item_id: str) -> None:
    with db.conn:
        db.execute("DELETE FROM drafts WHERE item_id = ?", [item_id])
