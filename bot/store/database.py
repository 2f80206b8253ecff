"""The Store: its connections, start-up and shutdown, and the async face of the one write path.

One writer connection, driven by one dedicated thread, runs every write as a whole
``BEGIN IMMEDIATE`` transaction of bot.store.writes (admin commands and imports alike), and a
small pool of read-only connections serves queries concurrently under WAL, so readers never
wait for a writer and never see half of a write.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import itertools
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.domain import Company, Fact, Source, StorageError
from bot.store import schema
from bot.store.errors import storage_error
from bot.store.reads import Reads
from bot.store.rows import FactDraft, utcnow
from bot.store.writes import Writes, one, run_transaction

T = TypeVar("T")


WRITE_TIMEOUT = 5.0
"""Seconds a write may wait for the database, queueing behind other writes included; then it is
refused as busy and nothing of it is saved."""


class Writer:
    """The one write connection and the one thread that ever uses it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-writer")
        self.conn: sqlite3.Connection | None = None

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(conn, *args)`` on the writer thread, in the caller's context (its locale: the
        reasons an import gives are said in the reader's language)."""
        loop = asyncio.get_running_loop()
        call = functools.partial(contextvars.copy_context().run, self._call, fn, *args)
        return await loop.run_in_executor(self._thread, call)

    def _call(self, fn: Callable[..., T], *args: Any) -> T:
        assert self.conn is not None, "the writer is closed"
        return fn(self.conn, *args)

    async def connect(self) -> None:
        def connect() -> None:
            self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        await asyncio.get_running_loop().run_in_executor(self._thread, connect)

    async def close(self) -> None:
        def close() -> None:
            if self.conn is not None:
                self.conn.close()
                self.conn = None
        try:
            await asyncio.get_running_loop().run_in_executor(self._thread, close)
        finally:
            self._thread.shutdown(wait=False)


class Rows:
    """What a statement run by ``WriteConnection`` returned, read on the writer thread."""

    def __init__(self, rows: list[Any], lastrowid: int | None, rowcount: int) -> None:
        self.rows = rows
        self.lastrowid = lastrowid
        self.rowcount = rowcount

    async def fetchone(self) -> Any:
        return self.rows[0] if self.rows else None

    async def fetchall(self) -> list[Any]:
        return self.rows


class WriteConnection:
    """The writer seen from async code inside ``Store.transaction`` (aiosqlite-like calls)."""

    def __init__(self, writer: Writer) -> None:
        self._writer = writer

    async def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Rows:
        def run(conn: sqlite3.Connection) -> Rows:
            cursor = conn.execute(sql, params)
            return Rows(cursor.fetchall(), cursor.lastrowid, cursor.rowcount)
        return await self._writer.run(run)

    async def execute_fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        return (await self.execute(sql, params)).rows

    async def executemany(self, sql: str, seq: Iterable[Sequence[Any] | dict[str, Any]]) -> Rows:
        rows = list(seq)

        def run(conn: sqlite3.Connection) -> Rows:
            cursor = conn.executemany(sql, rows)
            return Rows([], cursor.lastrowid, cursor.rowcount)
        return await self._writer.run(run)


def _wait_at_most(conn: sqlite3.Connection, seconds: float) -> None:
    """SQLite's own wait for another process's lock: what is left of this write's timeout."""
    conn.execute(f"PRAGMA busy_timeout = {max(1, int(seconds * 1000))}")


def _begin(conn: sqlite3.Connection, seconds: float) -> None:
    try:
        _wait_at_most(conn, seconds)
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise storage_error(exc) from exc


def _commit(conn: sqlite3.Connection) -> None:
    conn.execute("COMMIT")


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


class Store(Reads):
    """Async access to the fact database. Create with ``await Store.open(path)``."""

    def __init__(self, path: Path, writer: Writer, readers: list[aiosqlite.Connection],
                 point: sqlite3.Connection) -> None:
        self.path = path
        self._writer = writer
        self._readers = readers
        self._point = point
        self._next_reader = itertools.cycle(range(len(readers)))
        self._write_lock = asyncio.Lock()
        self.write_timeout = WRITE_TIMEOUT
        self._closed = False

    # -- lifecycle -----------------------------------------------------------------------

    @classmethod
    async def open(cls, path: Path | str, *, readers: int = 2, check: bool = True) -> Store:
        """Open (creating and migrating if needed) and verify the database.

        With ``check=False`` the caller promises to ``await store.quick_check()`` itself (start-up
        overlaps it with building the index); a file that needs migrating is always checked first.
        """
        path = Path(path)
        if not path.parent.is_dir():
            raise StorageError("error.db_no_folder", path=str(path))
        writer = Writer(path)
        pool: list[aiosqlite.Connection] = []
        try:
            try:
                await writer.connect()
            except sqlite3.Error as exc:
                raise StorageError("error.db_open", path=str(path), error=str(exc)) from None
            await writer.run(_prepare, path, check)
            for _ in range(readers):
                reader = await aiosqlite.connect(
                    path.resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None)
                pool.append(reader)
                await reader.execute("PRAGMA query_only = ON")
                await reader.execute("PRAGMA busy_timeout = 5000")
            point = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True,
                                    isolation_level=None)
            point.execute("PRAGMA query_only = ON")
            point.execute("PRAGMA busy_timeout = 0")  # never block the event loop: fall back instead
        except BaseException as exc:
            for conn in pool:
                await conn.close()
            await writer.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise StorageError("error.db_open", path=str(path), error=str(exc)) from None
            raise
        return cls(path, writer, pool, point)

    async def quick_check(self) -> None:
        """SQLite's structural check, on a reader so it can run beside other start-up work."""
        (result,) = (await self._all("PRAGMA quick_check"))[0]
        if result != "ok":
            raise StorageError("error.db_damaged_in", path=str(self.path), error=result)

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._point.close()
        for conn in self._readers:
            await conn.close()
        await self._writer.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _reader(self) -> aiosqlite.Connection:
        return self._readers[next(self._next_reader)]

    # -- the write path ------------------------------------------------------------------

    async def write(self, body: Callable[..., T], *args: Any, rollback: bool = False) -> T:
        """Run ``body(conn, *args)`` as one transaction on the writer thread, writes in order.

        ``rollback=True`` undoes it at the end (a dry run). Imports call this with their own
        body; the methods below call it with one ``Writes`` operation each.
        """
        async with self._write_slot() as seconds:
            return await self._writer.run(_transaction, body, args, rollback, seconds)

    @asynccontextmanager
    async def _write_slot(self) -> AsyncIterator[float]:
        """The single-writer slot, within ``write_timeout`` from now; yields the seconds left.

        Each write's wait counts from when it asked, queueing included: when another process
        holds the file, every queued write is refused when its own timeout ends, not one
        timeout after the write ahead of it.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.write_timeout
        try:
            async with asyncio.timeout(self.write_timeout):
                await self._write_lock.acquire()
        except TimeoutError:
            raise StorageError("error.db_busy") from None
        try:
            yield max(0.0, deadline - loop.time())
        finally:
            self._write_lock.release()

    async def _one(self, actor: str, operation: Callable[[Writes], T]) -> T:
        return await self.write(one(actor, operation))

    async def add_company(self, company: Company, actor: str) -> Company:
        def op(w: Writes) -> Company:
            return w.company(w.add_company(company))
        return await self._one(actor, op)

    async def set_aliases(self, company_id: int, add: Sequence[str], remove: Sequence[str],
                          actor: str) -> Company:
        return await self._one(actor, lambda w: w.set_aliases(company_id, add, remove))

    async def add_fact(self, draft: FactDraft, actor: str, *, require_note: bool = False) -> Fact:
        """Store a new fact. Callers that take facts from people (``Editor``) validate the note
        rule first; ``require_note`` applies it here too."""
        def op(w: Writes) -> Fact:
            return w.fact(w.add_fact(draft.key or "", draft.values(), draft.source_rows(),
                                     require_note=require_note))
        return await self._one(actor, op)

    async def add_source(self, fact_id: int, source: Source, actor: str) -> Fact:
        return await self._one(actor, lambda w: w.add_source(fact_id, source))

    async def edit_fact(self, fact_id: int, changes: dict[str, Any], actor: str,
                        *, action: str = "edit") -> Fact:
        return await self._one(actor, lambda w: w.edit_fact(fact_id, changes, action=action))

    async def set_retracted(self, fact_id: int, retracted: bool, actor: str) -> Fact:
        return await self._one(actor, lambda w: w.set_retracted(fact_id, retracted))

    async def set_grant(self, user_id: int, granted: bool, actor: str) -> bool:
        """Grant or revoke; returns False when nothing changed."""
        return await self._one(actor, lambda w: w.set_grant(user_id, granted))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[WriteConnection]:
        """A raw write transaction for tables outside the fact model (follows, reports, ...).

        Facts, companies, aliases and grants change only through ``write`` and ``Writes``. This
        runs each statement on the same writer thread, in one BEGIN IMMEDIATE transaction that
        commits on success and rolls back on any error, with errors classified by SQLite code.
        """
        async with self._write_slot() as seconds:
            await self._writer.run(_begin, seconds)
            try:
                yield WriteConnection(self._writer)
                await self._writer.run(_commit)
            except BaseException as exc:
                await self._writer.run(_rollback)
                if isinstance(exc, sqlite3.Error):
                    raise storage_error(exc) from exc
                raise

    # -- chat settings (i18n) -------------------------------------------------------------

    async def chat_language(self, chat_id: int) -> str:
        """The chat's /language setting, "" when it follows each question (auto).

        Every update asks, so it is a point read in the loop's thread (see ``_point_rows``)."""
        sql = "SELECT language FROM chat_setting WHERE chat_id = ?"
        rows = self._point_rows(sql, (chat_id,))
        if rows is None:
            rows = await self._all(sql, (chat_id,))
        return str(rows[0][0]) if rows else ""

    async def set_chat_language(self, chat_id: int, language: str, actor: str) -> None:
        """Store the chat's reply language; "" (auto) removes the row."""
        async with self.transaction() as conn:
            if not language:
                await conn.execute("DELETE FROM chat_setting WHERE chat_id = ?", (chat_id,))
                return
            await conn.execute(
                "INSERT INTO chat_setting (chat_id, language, updated_by, updated_at) "
                "VALUES (:chat, :language, :actor, :at) ON CONFLICT (chat_id) DO UPDATE SET "
                "language = excluded.language, updated_by = excluded.updated_by, "
                "updated_at = excluded.updated_at",
                {"chat": chat_id, "language": language, "actor": actor, "at": utcnow()})

    async def backup(self, target: Path) -> Path:
        """A consistent copy made with SQLite's online backup API, on the writer thread."""
        async with self._write_lock:
            return await self._writer.run(_backup, target)


def _prepare(conn: sqlite3.Connection, path: Path, check: bool) -> None:
    """Configure, check (always before a migration) and migrate the writer's file."""
    try:
        schema.configure(conn)
        if check or schema.version(conn) != schema.SCHEMA_VERSION:
            schema.quick_check(conn, path)
        schema.migrate(conn)
    except sqlite3.Error as exc:
        raise storage_error(exc) if not isinstance(exc, sqlite3.DatabaseError) \
            else StorageError("error.db_open", path=str(path), error=str(exc)) from None


def _transaction(conn: sqlite3.Connection, body: Callable[..., T], args: tuple[Any, ...],
                 rollback: bool, seconds: float) -> T:
    _wait_at_most(conn, seconds)
    return run_transaction(conn, body, *args, rollback=rollback)


def _backup(conn: sqlite3.Connection, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(target.suffix + ".part")
    tmp.unlink(missing_ok=True)
    dest = sqlite3.connect(tmp)
    try:
        conn.backup(dest)
    finally:
        dest.close()
    tmp.replace(target)
    return target
