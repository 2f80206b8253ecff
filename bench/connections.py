"""Why the store runs functions on its own threads instead of using aiosqlite's connections.

``python -m bench.connections`` times, on one temp file, the two shapes the store's callers
have: a small write transaction (a /follow: BEGIN, two SELECTs, an INSERT, COMMIT) and a
one-statement read. aiosqlite sends each statement to its connection's thread on its own
(it has no public way to run a whole function there), so a transaction of five statements is
five trips; ``Store.write(fn)`` is one trip for the whole transaction, ``Store.read(fn)`` one
for the read, as in Datasette. Prints microseconds per operation, the best of three rounds.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
import time
from pathlib import Path

import aiosqlite

from bot.store import Store
from bot.store import follows as follow_rows

ROUNDS = 3
OPS = 2000


async def _aiosqlite_follow(conn: aiosqlite.Connection, chat: int) -> None:
    await conn.execute("BEGIN IMMEDIATE")
    await (await conn.execute("SELECT 1 FROM follow WHERE chat_id = ? AND company_id = 1 "
                              "AND other_id = 0", (chat,))).fetchone()
    await (await conn.execute("SELECT count(*) FROM follow WHERE chat_id = ?", (chat,))).fetchone()
    await conn.execute("INSERT INTO follow (chat_id, company_id, other_id, created_at) "
                       "VALUES (?, 1, 0, '')", (chat,))
    await conn.execute("COMMIT")


def _read(conn: sqlite3.Connection, chat: int) -> list[tuple[int]]:
    return conn.execute("SELECT company_id FROM follow WHERE chat_id = ?", (chat,)).fetchall()


async def _best(run: object) -> float:
    best = float("inf")
    for round_ in range(ROUNDS):
        start = time.perf_counter()
        await run(round_)  # type: ignore[operator]
        best = min(best, time.perf_counter() - start)
    return best / OPS * 1e6


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        store = await Store.open(path)
        await store.add_company(__import__("bot.domain").domain.Company(
            id=0, name="Acme", kind="company"), "bench")
        conn = await aiosqlite.connect(path, isolation_level=None)
        await conn.execute("PRAGMA synchronous = NORMAL")  # as the store's writer
        reader = await aiosqlite.connect(path.resolve().as_uri() + "?mode=ro", uri=True,
                                         isolation_level=None)
        try:
            async def aio_writes(round_: int) -> None:
                for i in range(OPS):
                    await _aiosqlite_follow(conn, 1_000_000 * (round_ + 1) + i)

            async def store_writes(round_: int) -> None:
                for i in range(OPS):
                    await store.write(follow_rows.add, 10_000_000 * (round_ + 1) + i, 1, 0, 50)

            async def aio_reads(round_: int) -> None:
                for i in range(OPS):
                    await reader.execute_fetchall(
                        "SELECT company_id FROM follow WHERE chat_id = ?", (i,))

            async def store_reads(round_: int) -> None:
                for i in range(OPS):
                    await store.read(_read, i)

            figures = {
                "write transaction, aiosqlite (5 trips)": await _best(aio_writes),
                "write transaction, Store.write (1 trip)": await _best(store_writes),
                "one-statement read, aiosqlite": await _best(aio_reads),
                "one-statement read, Store.read": await _best(store_reads),
            }
        finally:
            await conn.close()
            await reader.close()
            await store.close()
    for name, micros in figures.items():
        print(f"{name:42} {micros:7.0f} µs")


if __name__ == "__main__":
    asyncio.run(main())
