"""The SQL of the Telegram adapter's saved state (``tg_state``: forms, confirmations, pages).

bot/telegram/persistence.py pickles the values; here they are only rows of bytes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

StateKey = tuple[str, str]
"""kind ("user", "chat", "conversation") and key."""

_LOAD = "SELECT key, data FROM tg_state WHERE kind = ?"


def load(conn: sqlite3.Connection, kind: str) -> list[tuple[str, bytes]]:
    """Every saved row of one kind."""
    try:
        return conn.execute(_LOAD, (kind,)).fetchall()
    except sqlite3.OperationalError:  # no tg_state yet: a database from before the migration
        return []


def load_before_open(path: Path, kind: str) -> list[tuple[str, bytes]]:
    """``load`` for the one reader that comes before the store opens: PTB loads persistence
    before ``post_init`` opens and migrates the store. A file not made yet holds nothing."""
    if not path.exists():
        return []
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return load(conn, kind)
    finally:
        conn.close()


def save(conn: sqlite3.Connection, batch: dict[StateKey, bytes | None]) -> None:
    """Write each row (None deletes it), inside the caller's one transaction."""
    for (kind, key), data in batch.items():
        if data is None:
            conn.execute("DELETE FROM tg_state WHERE kind = ? AND key = ?", (kind, key))
        else:
            conn.execute("INSERT INTO tg_state (kind, key, data) VALUES (?, ?, ?) "
                         "ON CONFLICT (kind, key) DO UPDATE SET data = excluded.data",
                         (kind, key, data))
