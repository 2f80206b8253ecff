"""The Store: its connections, start-up and shutdown, and its two ways in, ``read`` and ``write``.

As in Datasette, no code outside bot/store/ holds a connection. ``read(fn, *args)`` runs
``fn(conn, *args)`` on one of a small pool of read-only connections, each owned by one reader
thread; under WAL readers never wait for a writer and never see half of a write.
``write(fn, *args)`` runs ``fn(conn, *args)`` on the one write connection, owned by one writer
thread, as one ``BEGIN IMMEDIATE`` transaction, writes in the order they asked; a write that
cannot start within ``write_timeout`` of asking is refused as busy and saves nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import queue
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from bot.domain import Company, Fact, Source, StorageError
from bot.store import chats, schema
from bot.store.errors import storage_error
from bot.store.reads import Reads
from bot.store.rows import FactDraft, Record
from bot.store.writes import Writes, one, run_transaction

T = TypeVar("T")


WRITE_TIMEOUT = 5.0
"""Seconds a write may wait for the database, queueing behind other writes included; then it is
refused as busy and nothing of it is saved."""


_Job = tuple[asyncio.Future[Any], contextvars.Context, Callable[..., object], tuple[object, ...]]


def _done(future: asyncio.Future[T], result: T) -> None:
    if not future.done():  # else the caller was cancelled meanwhile
        future.set_result(result)


def _failed(future: asyncio.Future[object], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)


class Threads:
    """Threads that take jobs from one queue, each job ``fn(conn, *args)`` on the taking
    thread's own connection, in the asking coroutine's context (its locale: the reasons an
    import gives are said in the reader's language).

    A queue and ``call_soon_threadsafe``, as aiosqlite does: without ``run_in_executor``'s
    wrapping of futures, a trip there and back took 22-27 µs instead of 47-50 µs. Unlike
    aiosqlite, a job is a whole function, so a transaction is one trip, not one per statement.
    """

    def __init__(self, name: str, conns: list[sqlite3.Connection]) -> None:
        self.conns = conns
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._work, args=(conn,), daemon=True,
                                          name=f"{name}-{i}") for i, conn in enumerate(conns)]
        for thread in self._threads:
            thread.start()

    def _work(self, conn: sqlite3.Connection) -> None:
        while (job := self._jobs.get()) is not None:
            future, context, fn, args = job
            loop = future.get_loop()
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting
                try:
                    result = context.run(self._call, fn, conn, *args)
                except BaseException as exc:  # handed to the caller, whatever it is
                    loop.call_soon_threadsafe(_failed, future, exc)
                else:
                    loop.call_soon_threadsafe(_done, future, result)

    def _call(self, fn: Callable[..., T], conn: sqlite3.Connection, *args: object) -> T:
        """Every job passes here (a test counts the writer's jobs)."""
        return fn(conn, *args)

    def run(self, fn: Callable[..., T], *args: object) -> asyncio.Future[T]:
        """``fn(conn, *args)`` on the next free thread."""
        if not self._threads:
            raise RuntimeError("the store is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._jobs.put((future, contextvars.copy_context(), fn, args))
        return future

    async def close(self) -> None:
        """Finish the jobs queued so far, then stop the threads and close their connections."""
        threads, self._threads = self._threads, []
        for _ in threads:
            self._jobs.put(None)
        for thread in threads:
            await asyncio.to_thread(thread.join)
        for conn in self.conns:
            conn.close()


class Writer(Threads):
    """The one write connection and the one thread that ever uses it."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        super().__init__("store-writer", [conn])


def _reader(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None,
                           check_same_thread=False)
    conn.execute("PRAGMA query_only = ON")
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


def _point_connection(path: Path) -> sqlite3.Connection:
    """The connection the event loop reads itself, only for the reads ``Reads`` names as point
    reads (the version counters every update asks for, a direct check's few rows): it never
    waits for a lock; a busy moment makes the caller take a reader thread instead."""
    point = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None)
    point.execute("PRAGMA query_only = ON")
    point.execute("PRAGMA busy_timeout = 0")
    return point


class Store(Reads):
    """Async access to the fact database. Create with ``await Store.open(path)``."""

    def __init__(self, path: Path, writer: Writer, readers: Threads,
                 point: sqlite3.Connection) -> None:
        self.path = path
        self._writer = writer
        self._readers = readers
        self._point = point
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
        conns: list[sqlite3.Connection] = []
        try:
            try:
                conns.append(sqlite3.connect(path, isolation_level=None, check_same_thread=False))
            except sqlite3.Error as exc:
                raise StorageError("error.db_open", path=str(path), error=str(exc)) from None
            await asyncio.to_thread(_prepare, conns[0], path, check)
            for _ in range(readers):
                conns.append(await asyncio.to_thread(_reader, path))
            conns.append(_point_connection(path))
        except BaseException as exc:
            for conn in conns:
                conn.close()
            if isinstance(exc, sqlite3.DatabaseError):
                raise StorageError("error.db_open", path=str(path), error=str(exc)) from None
            raise
        writer, pool, point = Writer(conns[0]), Threads("store-reader", conns[1:-1]), conns[-1]
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
        await self._readers.close()
        await self._writer.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- the two ways in -------------------------------------------------------------------

    async def read(self, fn: Callable[..., T], *args: object) -> T:
        """``fn(conn, *args)`` on a reader thread's read-only connection."""
        return await self._readers.run(fn, *args)

    async def write(self, fn: Callable[..., T], *args: object, rollback: bool = False,
                    wait: float | None = None) -> T:
        """Run ``fn(conn, *args)`` as one transaction on the writer thread, writes in order.

        ``rollback=True`` undoes it at the end (a dry run). ``wait`` (``write_timeout`` unless
        given) counts from this call, queueing behind other writes included. Audited writes
        write their audit rows inside ``fn``, in the same transaction.
        """
        async with self._write_slot(self.write_timeout if wait is None else wait) as seconds:
            return await self._writer.run(_transaction, fn, args, rollback, seconds)

    @asynccontextmanager
    async def _write_slot(self, wait: float) -> AsyncIterator[float]:
        """The single-writer slot, within ``wait`` seconds from now; yields the seconds left.

        Each write's wait counts from when it asked, queueing included: when another process
        holds the file, every queued write is refused when its own timeout ends, not one
        timeout after the write ahead of it.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        try:
            async with asyncio.timeout(wait):
                await self._write_lock.acquire()
        except TimeoutError:
            raise StorageError("error.db_busy") from None
        try:
            yield max(0.0, deadline - loop.time())
        finally:
            self._write_lock.release()

    # -- named writes ----------------------------------------------------------------------

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

    async def edit_fact(self, fact_id: int, changes: Record, actor: str,
                        *, action: str = "edit") -> Fact:
        return await self._one(actor, lambda w: w.edit_fact(fact_id, changes, action=action))

    async def set_retracted(self, fact_id: int, retracted: bool, actor: str) -> Fact:
        return await self._one(actor, lambda w: w.set_retracted(fact_id, retracted))

    async def set_grant(self, user_id: int, granted: bool, actor: str) -> bool:
        """Grant or revoke; returns False when nothing changed."""
        return await self._one(actor, lambda w: w.set_grant(user_id, granted))

    # -- chat settings (i18n) -------------------------------------------------------------

    async def chat_language(self, chat_id: int) -> str:
        """The chat's /language setting, "" when it follows each question (auto).

        Every update asks, so it is a point read in the loop's thread (see ``_point_rows``)."""
        rows = self._point_rows(chats.LANGUAGE, (chat_id,))
        if rows is None:
            rows = await self._all(chats.LANGUAGE, (chat_id,))
        return str(rows[0][0]) if rows else ""

    async def set_chat_language(self, chat_id: int, language: str, actor: str) -> None:
        """Store the chat's reply language; "" (auto) removes the row."""
        await self.write(chats.set_language, chat_id, language, actor)

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


def _wait_at_most(conn: sqlite3.Connection, seconds: float) -> None:
    """SQLite's own wait for another process's lock: what is left of this write's timeout."""
    conn.execute(f"PRAGMA busy_timeout = {max(1, int(seconds * 1000))}")


def _transaction(conn: sqlite3.Connection, fn: Callable[..., T], args: tuple[object, ...],
                 rollback: bool, seconds: float) -> T:
    _wait_at_most(conn, seconds)
    return run_transaction(conn, fn, *args, rollback=rollback)


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
