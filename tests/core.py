"""Test shortcuts into the core that production code has no use for.

The adapters always call ``Interop.decide`` and render the whole ``Decision``; tests often want
only what a text was answered with. Store helpers reach the writer connection directly, to put
SQLite into states (read-only, a full disk) that no write path may cause.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.answers import Interop
from bot.config import SEED_PATH
from bot.domain import Meaning, Mode
from bot.startup import open_interop
from bot.store import Store

_seeded: Path | None = None


async def seeded_database(path: Path) -> None:
    """Put a copy of the seeded database at ``path`` (in an existing folder), as a first start
    would leave it: the seed is imported once per test run, not for every test (about 0.2 s each).
    Only for the project's own seed; the copy is a fresh file every time, so no test sees another's
    writes."""
    global _seeded
    if _seeded is None:
        folder = Path(tempfile.mkdtemp(prefix="interop-seeded-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        await (await open_interop(folder / "seeded.sqlite3", seed=SEED_PATH)).close()
        _seeded = folder / "seeded.sqlite3"
    shutil.copyfile(_seeded, path)


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
