"""Test shortcuts into the core that production code has no use for.

The adapters always call ``Interop.decide`` and render the whole ``Decision``; tests often want
only what a text was answered with. Store helpers reach the writer connection directly, to put
SQLite into states (read-only, a full disk) that no write path may cause.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from bot.answers import Interop
from bot.domain import Meaning, Mode
from bot.store import Store


async def check_text(interop: Interop, text: str) -> Meaning:
    """``/check`` arguments: what ``decide`` makes of them."""
    return (await interop.decide(text, Mode.CHECK)).result


async def profile_text(interop: Interop, name: str) -> Meaning:
    """``/company`` arguments: what ``decide`` makes of them."""
    return (await interop.decide(name, Mode.COMPANY)).result


async def ask(interop: Interop, text: str) -> Meaning:
    """A free question: what ``decide`` makes of it."""
    return (await interop.decide(text, Mode.ASK)).result


@asynccontextmanager
async def exclusive_writes(store: Store) -> AsyncIterator[None]:
    """Hold the single-writer slot, so no write path runs while a test uses the writer."""
    async with store._write_lock:
        yield


async def writer_execute(store: Store, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """One statement on the writer connection, outside the write path (PRAGMAs a test sets)."""
    return await store._writer.run(lambda conn: conn.execute(sql, params).fetchall())
