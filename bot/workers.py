"""Answer worker processes: the answering core's CPU work off the event loop's interpreter.

One Python process runs one thread of Python at a time, and the bot's event loop also does
all the Telegram I/O: under load, reading names, turning rows into facts and rendering pages
is what keeps updates waiting. Threads do not help (the interpreter lock is the limit), so
``Workers`` runs those calls in separate processes, each with its own ``Interop`` that only reads,
over the same SQLite file. The bot's process keeps everything that talks to Telegram or
writes; a call is a module-level function ``fn(interop, *args)`` whose answer pickles.

- **Fresh processes** (``python -m bot worker``), not forks: SQLite forbids carrying an open
  connection across ``fork()``, and the bot's process holds several. Each worker builds its
  own name index, so it costs its own memory (about the bot's at 100k companies).
- **Always answering:** until a worker is ready, or after one dies, calls run in the bot's
  process, as they do with no workers at all. Calls only read, so a lost one is run again.
- **Current:** a worker follows the store's change log before every call, as the bot does
  before every update, and its answer caches are keyed by the store's content version: an
  admin's write is in the next answer.
- **Nothing lost:** what a call notes in the worker's miss log comes back with its answer.
- **Sticky:** calls with the same key go to the same worker, so a user's page presses find
  the pages that worker rendered for them.
- **Bounded:** a call unanswered after ``CALL_TIMEOUT`` runs here and its worker is replaced;
  a worker that never gets ready is given up after ``GIVE_UP_AFTER`` starts, and one started
  from changed code on disk (an update installed while the bot runs) refuses to serve.

The wire is pickle over a socket pair that only the bot and its own child hold: nothing from a
user or the network is ever unpickled.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import logging
import pickle
import signal
import socket
import struct
import sys
import traceback
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from bot.answers import Interop
from bot.config import MAX_ANSWER_WORKERS
from bot.i18n import current as current_locale
from bot.i18n import using

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")
Call = Callable[Concatenate[Interop, P], Awaitable[T]]

RESPAWN_AFTER = 5.0
"""Seconds before a worker that died is started again (each start builds its own index)."""
GIVE_UP_AFTER = 3
"""Starts in a row that end before the worker is ready: then it is not started again."""
STOP_TIMEOUT = 5.0
CALL_TIMEOUT = 60.0
"""A call still unanswered after this is run here, and its worker is started again: a stuck
worker must not hold a chat's updates (they run in order) or the bot's shutdown."""
WRONG_CODE = 3
"""A worker's exit status when its code on disk is not the code the bot runs (an update was
installed while the bot ran): its answers could not be read; the bot answers by itself."""
PACKAGE = Path(__file__).resolve().parent
_HEADER = struct.Struct("!qI")  # call id, then the pickle's size: a frame that does not
# unpickle is still answered (or failed) for its own call alone
_READY = -1  # the call id of the frame a worker sends once its Interop is open


class WorkerLost(Exception):
    """The worker ended (or its pipe broke) before answering; the call runs locally instead."""


@dataclass(eq=False)
class _Worker:
    index: int
    process: asyncio.subprocess.Process | None = None
    writer: asyncio.StreamWriter | None = None
    reader_task: asyncio.Task[None] | None = None
    ready: bool = False
    failed_starts: int = 0  # in a row, ended before ready
    pending: dict[int, asyncio.Future[Any]] = field(default_factory=dict)


class Workers:
    """Runs ``fn(interop, *args)`` in a worker process, or here when none is ready.

    ``count`` 0 (tests, the console, one-CPU machines) runs every call in this process, through
    the same code: handlers never know where their answer was computed.
    """

    def __init__(self, interop: Interop, count: int = 0, command: tuple[str, ...] | None = None) -> None:
        self.interop = interop
        self.count = max(0, min(count, MAX_ANSWER_WORKERS))
        self._command = command or (sys.executable, "-m", "bot", "worker")
        self._workers = [_Worker(i) for i in range(self.count)]
        self._ids = itertools.count(1)
        self._closing = False
        self._respawns: set[asyncio.Task[None]] = set()
        self._all_ready = asyncio.Event()
        self._readiness()
        self.remote_calls = 0
        self.local_calls = 0

    @property
    def ready(self) -> int:
        return sum(w.ready for w in self._workers)

    @property
    def pids(self) -> list[int]:
        """The running workers' process ids."""
        return [w.process.pid for w in self._workers
                if w.process is not None and w.process.returncode is None]

    async def start(self) -> None:
        """Start the workers; they become ready on their own (each opens the store and indexes it)."""
        for worker in self._workers:
            await self._spawn(worker)

    async def wait_ready(self) -> None:
        """Until every worker is ready (tests and benchmarks bound it with ``asyncio.timeout``)."""
        await self._all_ready.wait()

    def _readiness(self) -> None:
        if self.ready == self.count:
            self._all_ready.set()
        else:
            self._all_ready.clear()

    async def _spawn(self, worker: _Worker) -> None:
        parent, child = socket.socketpair()
        try:
            worker.process = await asyncio.create_subprocess_exec(
                *self._command, "--fd", str(child.fileno()), "--database", str(self.interop.store.path),
                "--code", code_digest(), pass_fds=(child.fileno(),), stdin=asyncio.subprocess.DEVNULL)
            reader, worker.writer = await asyncio.open_connection(sock=parent)
        except OSError as exc:  # out of processes or descriptors: a failed start, tried again
            parent.close()
            log.error("Could not start answer worker %d: %s", worker.index, exc)
            self._lost(worker)
            return
        finally:
            child.close()
        worker.reader_task = asyncio.create_task(self._read(worker, reader), name=f"worker-{worker.index}")

    async def _read(self, worker: _Worker, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                call_id, body = await _receive(reader)
                if call_id == _READY:
                    worker.ready, worker.failed_starts = True, 0
                    self._readiness()
                    log.info("Answer worker %d ready (pid %s)", worker.index,
                             worker.process.pid if worker.process else "?")
                    continue
                future = worker.pending.pop(call_id, None)
                try:
                    ok, value, misses = pickle.loads(body)
                except Exception:  # an answer this process cannot read: the call runs here
                    log.exception("Answer worker %d sent an unreadable answer", worker.index)
                    ok, value, misses = False, WorkerLost(), None
                if misses:
                    self.interop.misses.put_back(misses)
                if future is None or future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value if isinstance(value, BaseException) else RuntimeError(value))
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            if not self._closing:
                code = await _exit_status(worker.process)
                if code == WRONG_CODE:
                    worker.failed_starts = GIVE_UP_AFTER - 1  # the same code on disk next time
                log.error("Answer worker %d stopped (%s, exit status %s); answering in this process "
                          "meanwhile", worker.index, type(exc).__name__, code)
        finally:
            self._lost(worker)

    def _lost(self, worker: _Worker) -> None:
        if not worker.ready:
            worker.failed_starts += 1
        worker.ready = False
        self._readiness()
        pending, worker.pending = worker.pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(WorkerLost())
        if worker.writer is not None:
            worker.writer.close()
            worker.writer = None
        if not self._closing:
            task = asyncio.create_task(self._respawn(worker), name=f"worker-{worker.index}-respawn")
            self._respawns.add(task)
            task.add_done_callback(self._respawns.discard)

    async def _respawn(self, worker: _Worker) -> None:
        """Reap the process, then start it again, unless it never got ready several times in a row."""
        if worker.process is not None:
            _kill(worker.process)
            await worker.process.wait()
        if worker.failed_starts >= GIVE_UP_AFTER:
            log.error("Answer worker %d failed to start %d times; answering in this process",
                      worker.index, worker.failed_starts)
            return
        await asyncio.sleep(RESPAWN_AFTER)
        if not self._closing:
            await self._spawn(worker)

    def _pick(self, key: int) -> _Worker | None:
        if not self._workers:
            return None
        preferred = self._workers[key % len(self._workers)]
        if preferred.ready:
            return preferred
        return next((w for w in self._workers if w.ready), None)

    async def run(self, key: int, fn: Call[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(interop, *args)`` on the worker for ``key`` (a user id), in the caller's language."""
        worker = self._pick(key)
        if worker is not None and worker.writer is not None:
            call_id = next(self._ids)
            future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
            worker.pending[call_id] = future
            try:
                _send(worker.writer, call_id, (fn, args, kwargs, current_locale()))
                self.remote_calls += 1
                return await asyncio.wait_for(asyncio.shield(future), CALL_TIMEOUT)
            except (WorkerLost, ConnectionError):
                pass  # run it here: calls only read
            except TimeoutError:
                log.error("Answer worker %d gave no answer to %s in %.0f s; starting it again",
                          worker.index, getattr(fn, "__qualname__", fn), CALL_TIMEOUT)
                if worker.process is not None:
                    _kill(worker.process)  # its pipe ends: _read finds it lost
            finally:
                worker.pending.pop(call_id, None)
        self.local_calls += 1
        return await fn(self.interop, *args, **kwargs)

    async def close(self) -> None:
        """Close the pipes (a worker exits when it reads the end), then wait for the processes."""
        self._closing = True
        for task in list(self._respawns):
            task.cancel()
        for worker in self._workers:
            if worker.writer is not None:
                worker.writer.close()
        for worker in self._workers:
            process = worker.process
            if process is None:
                continue
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                _kill(process)
                await process.wait()
            if worker.reader_task is not None:
                worker.reader_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await worker.reader_task


# -- the wire: length-prefixed pickles over a socket pair ---------------------------------------


def _send(writer: asyncio.StreamWriter, call_id: int, message: tuple[Any, ...] | None) -> None:
    try:
        body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # a lambda, a lock, a socket, a recursion...
        raise pickle.PicklingError(f"{type(exc).__name__}: {exc}") from exc
    writer.write(_HEADER.pack(call_id, len(body)) + body)


def _kill(process: asyncio.subprocess.Process) -> None:
    """SIGKILL, unless it has already ended."""
    with contextlib.suppress(ProcessLookupError):
        process.kill()


async def _exit_status(process: asyncio.subprocess.Process | None) -> int | None:
    """The ended worker's exit status, waited for briefly (its pipe may close first)."""
    if process is None:
        return None
    with contextlib.suppress(TimeoutError):
        return await asyncio.wait_for(process.wait(), 1.0)
    return None


@cache
def code_digest() -> str:
    """A digest of the package's source as it is on disk now: the bot takes it at its first
    start of a worker, and a worker started later from changed files refuses to serve."""
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(PACKAGE)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


async def _receive(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One frame: its call id and its pickle, not yet loaded."""
    call_id, size = _HEADER.unpack(await reader.readexactly(_HEADER.size))
    return call_id, await reader.readexactly(size)


def _portable(exc: BaseException) -> BaseException:
    """The exception itself when it survives pickling, else a RuntimeError naming it."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        described = RuntimeError(f"{type(exc).__name__}: {exc}")
        for note in getattr(exc, "__notes__", ()):
            described.add_note(note)
        return described
    return exc


# -- the worker's side ------------------------------------------------------------------------------


async def serve(fd: int, open_interop: Callable[[], Awaitable[Interop]], code: str = "") -> int:
    """A worker's life: open the store, say ready, answer calls until the pipe ends; its exit status."""
    # A worker ends when the bot closes its pipe (or dies). Ctrl-C in a terminal and a service
    # manager's stop signal also reach the worker's process group; the bot then finishes the
    # calls in flight and closes the pipe itself (a worker dying first would cost them a retry).
    with contextlib.suppress(ValueError):  # not the main thread: nothing to reset
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sock = socket.socket(fileno=fd)
    if code and code != code_digest():
        log.error("This answer worker's code is not the code the bot runs (installed while it ran); "
                  "the bot answers by itself until it is restarted")
        sock.close()
        return WRONG_CODE
    reader, writer = await asyncio.open_connection(sock=sock)
    interop = await open_interop()
    tasks: set[asyncio.Task[None]] = set()
    try:
        _send(writer, _READY, None)
        while True:
            try:
                call_id, body = await _receive(reader)
            except (asyncio.IncompleteReadError, ConnectionError):
                break
            task = asyncio.create_task(_answer(writer, interop, call_id, body))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        writer.close()
        await interop.close()
    return 0


async def _answer(writer: asyncio.StreamWriter, interop: Interop, call_id: int, body: bytes) -> None:
    try:
        fn, args, kwargs, locale = pickle.loads(body)  # a function this worker cannot import fails here
        await interop.sync()
        with using(locale):
            value = await fn(interop, *args, **kwargs)
        message: tuple[Any, ...] = (True, value, interop.misses.take())
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # every failure goes back to the caller (its error handler reports it)
        exc.add_note("In the answer worker:\n" + traceback.format_exc().rstrip())
        message = (False, _portable(exc), interop.misses.take())
    try:
        _send(writer, call_id, message)
    except pickle.PicklingError as exc:  # an answer that cannot travel is a failure, said so
        _send(writer, call_id, (False, RuntimeError(f"unpicklable answer: {exc}"), Counter()))
