"""Follows per chat (a company with its family, or one pair), the fact-change outbox and digests.

Nothing here knows Telegram. Fact changes reach the outbox (``fact_change``) through SQLite
triggers (migration "follows"), inside the very transaction that changed the fact, whichever
write path it was (admin commands through the Store, or a bulk ``/import``). Delivery is two
steps, each its own transaction:

1. ``expand`` turns each change into one ``notification`` row per chat that follows an involved
   company (or one of its ancestors: a fact about WeChat Pay reaches followers of Tencent) or the
   pair, and marks the change expanded;
2. ``next_batch`` reads one chat's pending rows (one message, a digest when there are several,
   split by ``bot.render.render_messages`` into messages that fit Telegram's limit); the adapter sends each
   message and calls ``delivered`` with exactly the rows it lists, right after Telegram accepted
   it. A refused message's rows stay pending. Delivery is at least once: a crash between
   Telegram's acceptance and that commit sends the message again after a restart.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.domain import Fact, FactChange, Status, ValidationError
from bot.render import MAX_DIGEST_LINES
from bot.store import Store, utcnow

MAX_FOLLOWS = 50
"""Per chat: enough for anyone's interests, small enough that a digest stays readable."""
EXPAND_CHUNK = 2000
"""Fact changes turned into notification rows per write transaction."""
BATCH_LIMIT = 10_000
"""Notification rows folded into one digest (a large import: one message per chat); more wait."""


@dataclass(frozen=True, slots=True)
class Follow:
    """One thing a chat follows: a company (``other_id`` 0) or the pair company × other."""

    chat_id: int
    company_id: int
    other_id: int = 0

    @property
    def is_pair(self) -> bool:
        return self.other_id != 0


@dataclass(frozen=True, slots=True)
class Batch:
    """What one chat is sent in one message, and the notification rows that message settles.

    ``changes`` holds the first MAX_DIGEST_LINES (what the message lists); ``total`` counts all.
    """

    chat_id: int
    row_ids: tuple[int, ...]
    changes: tuple[FactChange, ...]
    total: int


class FollowLimit(ValidationError):
    """A chat already follows ``MAX_FOLLOWS`` things."""


def pair_key(a_id: int, b_id: int) -> tuple[int, int]:
    """A pair is stored one way round, so "A | B" and "B | A" are the same follow."""
    return (a_id, b_id) if a_id < b_id else (b_id, a_id)


def _follow_for(company_id: int, other_id: int = 0) -> tuple[int, int]:
    if other_id and other_id == company_id:
        raise ValidationError("error.pair_same")
    return pair_key(company_id, other_id) if other_id else (company_id, 0)


class Follows:
    """Follows, the outbox and deliveries, on the Store's single write connection."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def _rows(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        """A small read on the writer (follow tables are tiny; it also sees the latest commit)."""
        async with self.store.transaction() as conn:
            return list(await conn.execute_fetchall(sql, params))

    # -- follows ---------------------------------------------------------------------------

    async def follow(self, chat_id: int, company_id: int, other_id: int = 0) -> bool:
        """Follow a company or a pair; False when the chat already did. Refused past the limit."""
        company_id, other_id = _follow_for(company_id, other_id)
        async with self.store.transaction() as conn:
            exists = await (await conn.execute(
                "SELECT 1 FROM follow WHERE chat_id = ? AND company_id = ? AND other_id = ?",
                (chat_id, company_id, other_id))).fetchone()
            if exists:
                return False
            (count,) = await (await conn.execute(
                "SELECT count(*) FROM follow WHERE chat_id = ?", (chat_id,))).fetchone()
            if count >= MAX_FOLLOWS:
                raise FollowLimit("follows.limit", max=MAX_FOLLOWS)
            await conn.execute(
                "INSERT INTO follow (chat_id, company_id, other_id, created_at) VALUES (?, ?, ?, ?)",
                (chat_id, company_id, other_id, utcnow()))
        return True

    async def unfollow(self, chat_id: int, company_id: int, other_id: int = 0) -> bool:
        """False when the chat did not follow it."""
        company_id, other_id = _follow_for(company_id, other_id)
        async with self.store.transaction() as conn:
            cursor = await conn.execute(
                "DELETE FROM follow WHERE chat_id = ? AND company_id = ? AND other_id = ?",
                (chat_id, company_id, other_id))
            return cursor.rowcount > 0

    async def following(self, chat_id: int) -> list[Follow]:
        rows = await self._rows("SELECT chat_id, company_id, other_id FROM follow "
                                "WHERE chat_id = ? ORDER BY id", (chat_id,))
        return [Follow(*r) for r in rows]

    async def follows(self, chat_id: int, company_id: int, other_id: int = 0) -> bool:
        company_id, other_id = _follow_for(company_id, other_id)
        return bool(await self._rows(
            "SELECT 1 FROM follow WHERE chat_id = ? AND company_id = ? AND other_id = ?",
            (chat_id, company_id, other_id)))

    async def drop_chat(self, chat_id: int) -> int:
        """The bot was blocked or removed: forget the chat's follows and pending messages."""
        async with self.store.transaction() as conn:
            await conn.execute("DELETE FROM notification WHERE chat_id = ?", (chat_id,))
            cursor = await conn.execute("DELETE FROM follow WHERE chat_id = ?", (chat_id,))
            return cursor.rowcount

    async def move_chat(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: its follows and pending messages move to the new id."""
        async with self.store.transaction() as conn:
            await conn.execute("UPDATE OR IGNORE follow SET chat_id = ? WHERE chat_id = ?",
                               (new_id, old_id))
            await conn.execute("DELETE FROM follow WHERE chat_id = ?", (old_id,))
            await conn.execute("UPDATE OR IGNORE notification SET chat_id = ? WHERE chat_id = ?",
                               (new_id, old_id))
            await conn.execute("DELETE FROM notification WHERE chat_id = ?", (old_id,))

    # -- the outbox --------------------------------------------------------------------------

    async def expand(self, chunk: int = EXPAND_CHUNK) -> int:
        """Turn new fact changes into per-chat notification rows; returns how many rows.

        Works in chunks, each its own short transaction, so a 50k-fact import's changes never
        hold the single writer long; the follows and the company tree are read once per chunk
        and matched in memory (a chat has at most MAX_FOLLOWS).
        """
        added = 0
        while True:
            async with self.store.transaction() as conn:
                changes = list(await conn.execute_fetchall(
                    "SELECT c.id, coalesce(f.subject_id, 0), coalesce(f.object_id, 0), "
                    "c.old_subject, c.old_object FROM fact_change AS c "
                    "LEFT JOIN fact AS f ON f.id = c.fact_id "
                    "WHERE c.expanded = 0 ORDER BY c.id LIMIT ?", (chunk,)))
                if not changes:
                    break
                matcher = _Matcher(
                    list(await conn.execute_fetchall(
                        "SELECT chat_id, company_id, other_id FROM follow")),
                    {cid: pid for cid, pid in await conn.execute_fetchall(
                        "SELECT id, parent_id FROM company WHERE parent_id IS NOT NULL")})
                rows = [(chat, change_id) for change_id, subject, obj, old_subject, old_object
                        in changes
                        for chat in matcher.chats(subject, obj, old_subject, old_object)]
                await conn.executemany(
                    "INSERT OR IGNORE INTO notification (chat_id, change_id) VALUES (?, ?)", rows)
                added += len(rows)
                await conn.execute("UPDATE fact_change SET expanded = 1 WHERE expanded = 0 "
                                   "AND id <= ?", (changes[-1][0],))
                # Settled changes (expanded, nobody left to tell) are not kept.
                await conn.execute(
                    "DELETE FROM fact_change WHERE expanded = 1 AND NOT EXISTS "
                    "(SELECT 1 FROM notification AS n WHERE n.change_id = fact_change.id)")
            if len(changes) < chunk:
                break
        return added

    async def pending_chats(self, limit: int = 100) -> list[int]:
        """Chats with something to send, the longest-waiting first."""
        rows = await self._rows("SELECT chat_id FROM notification GROUP BY chat_id "
                                "ORDER BY min(id) LIMIT ?", (limit,))
        return [r[0] for r in rows]

    async def next_batch(self, chat_id: int, limit: int = BATCH_LIMIT) -> Batch | None:
        """The chat's pending changes, oldest first; None when there are none."""
        rows = await self._rows(
            "SELECT n.id, c.action, c.before_status, c.fact_id FROM notification AS n "
            "JOIN fact_change AS c ON c.id = n.change_id WHERE n.chat_id = ? ORDER BY n.id LIMIT ?",
            (chat_id, limit))
        if not rows:
            return None
        shown = rows[:MAX_DIGEST_LINES]
        facts: dict[int, Fact] = {}
        for fact_id in {r[3] for r in shown}:
            fact = await self.store.fact(fact_id)
            if fact is not None:
                facts[fact_id] = fact
        changes = tuple(FactChange(action, facts[fid], Status(before) if before else None, row_id)
                        for row_id, action, before, fid in shown if fid in facts)
        return Batch(chat_id, tuple(r[0] for r in rows), changes,
                     len(changes) + len(rows) - len(shown))

    async def delivered(self, row_ids: Iterable[int]) -> None:
        """Telegram accepted the message: its rows are settled, in one commit.

        One job on the writer thread (BEGIN, DELETE, COMMIT), handed over in the same tick as
        the caller's: the rows stay pending no longer than that commit takes.
        """
        ids = [(i,) for i in row_ids]
        await self.store.write(_delete_rows, ids)

    async def pending(self) -> int:
        """Notification rows waiting to be sent plus changes not yet expanded."""
        rows = await self._rows("SELECT (SELECT count(*) FROM notification), "
                                "(SELECT count(*) FROM fact_change WHERE expanded = 0)")
        return int(rows[0][0]) + int(rows[0][1])


def _delete_rows(conn: sqlite3.Connection, ids: list[tuple[int]]) -> None:
    conn.executemany("DELETE FROM notification WHERE id = ?", ids)


def _lineage(company_id: int, parents: dict[int, int]) -> set[int]:
    """The company and every ancestor (a guard stops a cycle in bad data)."""
    found = {company_id}
    parent = parents.get(company_id)
    while parent is not None and parent not in found:
        found.add(parent)
        parent = parents.get(parent)
    return found


class _Matcher:
    """Which chats a fact change concerns: followers of either party or of one of its ancestors,
    and followers of a pair with one party (or ancestor) on each side."""

    def __init__(self, follows: list[Any], parents: dict[int, int]) -> None:
        self.parents = parents
        self.company: dict[int, set[int]] = {}
        self.pair: dict[tuple[int, int], set[int]] = {}
        for chat, company_id, other_id in follows:
            if other_id:
                self.pair.setdefault(pair_key(company_id, other_id), set()).add(chat)
            else:
                self.company.setdefault(company_id, set()).add(chat)

    def chats(self, subject: int, obj: int, old_subject: int = 0, old_object: int = 0) -> set[int]:
        found: set[int] = set()
        sides = [(subject, obj)]
        if old_subject and (old_subject, old_object) != (subject, obj):
            sides.append((old_subject, old_object))
        for s_id, o_id in sides:
            if not s_id:
                continue
            left, right = _lineage(s_id, self.parents), _lineage(o_id, self.parents)
            for company_id in left | right:
                found |= self.company.get(company_id, set())
            if self.pair:
                for x in left:
                    for y in right:
                        found |= self.pair.get(pair_key(x, y), set())
        return found
