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

from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain import Fact, FactChange, Status, ValidationError
from bot.render import MAX_DIGEST_LINES
from bot.store import Store
from bot.store import follows as follow_rows
from bot.store.follows import ChatsFor, FollowRow

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


def pair_key(a_id: int, b_id: int) -> tuple[int, int]:
    """A pair is stored one way round, so "A | B" and "B | A" are the same follow."""
    return (a_id, b_id) if a_id < b_id else (b_id, a_id)


def _follow_for(company_id: int, other_id: int = 0) -> tuple[int, int]:
    if other_id and other_id == company_id:
        raise ValidationError("error.pair_same")
    return pair_key(company_id, other_id) if other_id else (company_id, 0)


class Follows:
    """Follows, the outbox and deliveries: named reads and writes of the Store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- follows ---------------------------------------------------------------------------

    async def follow(self, chat_id: int, company_id: int, other_id: int = 0) -> bool:
        """Follow a company or a pair; False when the chat already did. Refused past the limit."""
        company_id, other_id = _follow_for(company_id, other_id)
        return await self.store.write(follow_rows.add, chat_id, company_id, other_id, MAX_FOLLOWS)

    async def unfollow(self, chat_id: int, company_id: int, other_id: int = 0) -> bool:
        """False when the chat did not follow it."""
        company_id, other_id = _follow_for(company_id, other_id)
        return await self.store.write(follow_rows.remove, chat_id, company_id, other_id)

    async def following(self, chat_id: int) -> list[Follow]:
        return [Follow(*r) for r in await self.store.read(follow_rows.of_chat, chat_id)]

    async def follows(self, chat_id: int, company_id: int, other_id: int = 0) -> bool:
        company_id, other_id = _follow_for(company_id, other_id)
        return await self.store.read(follow_rows.has, chat_id, company_id, other_id)

    async def drop_chat(self, chat_id: int) -> int:
        """The bot was blocked or removed: forget the chat's follows and pending messages."""
        return await self.store.write(follow_rows.drop_chat, chat_id)

    async def move_chat(self, old_id: int, new_id: int) -> None:
        """A group became a supergroup: its follows and pending messages move to the new id."""
        await self.store.write(follow_rows.move_chat, old_id, new_id)

    # -- the outbox --------------------------------------------------------------------------

    async def expand(self, chunk: int = EXPAND_CHUNK) -> int:
        """Turn new fact changes into per-chat notification rows; returns how many rows.

        Works in chunks, each its own short transaction, so a 50k-fact import's changes never
        hold the single writer long; the follows and the company tree are read once per chunk
        and matched in memory (a chat has at most MAX_FOLLOWS).
        """
        added = 0
        while True:
            read, rows = await self.store.write(follow_rows.expand_chunk, chunk, _chats_for)
            added += rows
            if read < chunk:
                return added

    async def pending_chats(self, limit: int = 100) -> list[int]:
        """Chats with something to send, the longest-waiting first."""
        return await self.store.read(follow_rows.pending_chats, limit)

    async def next_batch(self, chat_id: int, limit: int = BATCH_LIMIT) -> Batch | None:
        """The chat's pending changes, oldest first; None when there are none."""
        rows = await self.store.read(follow_rows.pending_rows, chat_id, limit)
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
        await self.store.write(follow_rows.delivered, list(row_ids))

    async def pending(self) -> int:
        """Notification rows waiting to be sent plus changes not yet expanded."""
        return await self.store.read(follow_rows.pending_count)


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

    def __init__(self, follows: list[FollowRow], parents: dict[int, int]) -> None:
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


def _chats_for(follows: list[FollowRow], parents: dict[int, int]) -> ChatsFor:
    return _Matcher(follows, parents).chats
