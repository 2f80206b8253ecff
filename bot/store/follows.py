"""The SQL of follows, the fact-change outbox and its notification rows (bot/follows.py asks).

Fact changes reach ``fact_change`` through triggers (migration "follows"), inside whichever
transaction changed the fact. Writes here run inside ``Store.write``; reads inside ``Store.read``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from bot.domain import ValidationError
from bot.store.rows import utcnow

FollowRow = tuple[int, int, int]
"""chat_id, company_id, other_id (0 for a company follow)."""
PendingRow = tuple[int, str, str | None, int]
"""A notification row: its id, the change's action, the status before, the fact id."""
ChatsFor = Callable[[int, int, int, int], set[int]]
"""The chats a change concerns, given its subject, object and the parties it had before."""


class FollowLimit(ValidationError):
    """A chat already follows as many things as it may."""


_EXISTS = "SELECT 1 FROM follow WHERE chat_id = ? AND company_id = ? AND other_id = ?"


def add(conn: sqlite3.Connection, chat_id: int, company_id: int, other_id: int,
        limit: int) -> bool:
    """Follow; False when the chat already did. ``FollowLimit`` past ``limit`` follows."""
    if conn.execute(_EXISTS, (chat_id, company_id, other_id)).fetchone():
        return False
    (count,) = conn.execute("SELECT count(*) FROM follow WHERE chat_id = ?", (chat_id,)).fetchone()
    if count >= limit:
        raise FollowLimit("follows.limit", max=limit)
    conn.execute("INSERT INTO follow (chat_id, company_id, other_id, created_at) "
                 "VALUES (?, ?, ?, ?)", (chat_id, company_id, other_id, utcnow()))
    return True


def remove(conn: sqlite3.Connection, chat_id: int, company_id: int, other_id: int) -> bool:
    cursor = conn.execute("DELETE FROM follow WHERE chat_id = ? AND company_id = ? AND other_id = ?",
                          (chat_id, company_id, other_id))
    return cursor.rowcount > 0


def of_chat(conn: sqlite3.Connection, chat_id: int) -> list[FollowRow]:
    return conn.execute("SELECT chat_id, company_id, other_id FROM follow WHERE chat_id = ? "
                        "ORDER BY id", (chat_id,)).fetchall()


def has(conn: sqlite3.Connection, chat_id: int, company_id: int, other_id: int) -> bool:
    return conn.execute(_EXISTS, (chat_id, company_id, other_id)).fetchone() is not None


def drop_chat(conn: sqlite3.Connection, chat_id: int) -> int:
    """Forget a chat's follows and pending messages; how many follows."""
    conn.execute("DELETE FROM notification WHERE chat_id = ?", (chat_id,))
    return conn.execute("DELETE FROM follow WHERE chat_id = ?", (chat_id,)).rowcount


def move_chat(conn: sqlite3.Connection, old_id: int, new_id: int) -> None:
    """A chat's follows and pending messages move to its new id."""
    conn.execute("UPDATE OR IGNORE follow SET chat_id = ? WHERE chat_id = ?", (new_id, old_id))
    conn.execute("DELETE FROM follow WHERE chat_id = ?", (old_id,))
    conn.execute("UPDATE OR IGNORE notification SET chat_id = ? WHERE chat_id = ?", (new_id, old_id))
    conn.execute("DELETE FROM notification WHERE chat_id = ?", (old_id,))


_NEW_CHANGES = """
SELECT c.id, coalesce(f.subject_id, 0), coalesce(f.object_id, 0), c.old_subject, c.old_object
  FROM fact_change AS c LEFT JOIN fact AS f ON f.id = c.fact_id
 WHERE c.expanded = 0 ORDER BY c.id LIMIT ?
"""


def expand_chunk(conn: sqlite3.Connection, chunk: int,
                 matcher: Callable[[list[FollowRow], dict[int, int]], ChatsFor]) -> tuple[int, int]:
    """Turn up to ``chunk`` new fact changes into notification rows, in one transaction:
    (changes read, rows added). ``matcher`` is given every follow and the company tree."""
    changes = conn.execute(_NEW_CHANGES, (chunk,)).fetchall()
    if not changes:
        return 0, 0
    chats_for = matcher(conn.execute("SELECT chat_id, company_id, other_id FROM follow").fetchall(),
                        dict(conn.execute("SELECT id, parent_id FROM company "
                                          "WHERE parent_id IS NOT NULL").fetchall()))
    rows = [(chat, change_id) for change_id, subject, obj, old_subject, old_object in changes
            for chat in chats_for(subject, obj, old_subject, old_object)]
    conn.executemany("INSERT OR IGNORE INTO notification (chat_id, change_id) VALUES (?, ?)", rows)
    conn.execute("UPDATE fact_change SET expanded = 1 WHERE expanded = 0 AND id <= ?",
                 (changes[-1][0],))
    # Settled changes (expanded, nobody left to tell) are not kept.
    conn.execute("DELETE FROM fact_change WHERE expanded = 1 AND NOT EXISTS "
                 "(SELECT 1 FROM notification AS n WHERE n.change_id = fact_change.id)")
    return len(changes), len(rows)


def pending_chats(conn: sqlite3.Connection, limit: int) -> list[int]:
    """Chats with something to send, the longest-waiting first."""
    return [r[0] for r in conn.execute("SELECT chat_id FROM notification GROUP BY chat_id "
                                       "ORDER BY min(id) LIMIT ?", (limit,))]


def pending_rows(conn: sqlite3.Connection, chat_id: int, limit: int) -> list[PendingRow]:
    """The chat's pending notification rows, oldest first."""
    return conn.execute(
        "SELECT n.id, c.action, c.before_status, c.fact_id FROM notification AS n "
        "JOIN fact_change AS c ON c.id = n.change_id WHERE n.chat_id = ? ORDER BY n.id LIMIT ?",
        (chat_id, limit)).fetchall()


def delivered(conn: sqlite3.Connection, row_ids: Sequence[int]) -> None:
    """Telegram accepted the message listing these rows: they are settled."""
    conn.executemany("DELETE FROM notification WHERE id = ?", [(i,) for i in row_ids])


def pending_count(conn: sqlite3.Connection) -> int:
    """Notification rows waiting to be sent plus changes not yet expanded."""
    waiting, new = conn.execute("SELECT (SELECT count(*) FROM notification), "
                                "(SELECT count(*) FROM fact_change WHERE expanded = 0)").fetchone()
    return int(waiting) + int(new)
