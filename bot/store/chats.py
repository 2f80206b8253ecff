"""Chat settings: the reply language a chat chose with /language."""

from __future__ import annotations

import sqlite3

from bot.store.rows import utcnow

LANGUAGE = "SELECT language FROM chat_setting WHERE chat_id = ?"

_SET_LANGUAGE = """
INSERT INTO chat_setting (chat_id, language, updated_by, updated_at)
VALUES (:chat, :language, :actor, :at)
ON CONFLICT (chat_id) DO UPDATE SET
    language = excluded.language, updated_by = excluded.updated_by, updated_at = excluded.updated_at
"""


def set_language(conn: sqlite3.Connection, chat_id: int, language: str, actor: str) -> None:
    """Store the chat's reply language; "" (auto) removes the row."""
    if not language:
        conn.execute("DELETE FROM chat_setting WHERE chat_id = ?", (chat_id,))
        return
    conn.execute(_SET_LANGUAGE, {"chat": chat_id, "language": language, "actor": actor,
                                 "at": utcnow()})
