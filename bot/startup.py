"""The composition root: opening the store, seeding it, checking it and indexing it, in one place.

The CLI, the console and the Telegram bot all start through ``open_interop``, so the answering
core (``bot.answers``) is built from parts that are already open and knows nothing about seeds
or imports. ``inspect_database`` is the read-only look that ``check-config`` takes.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from pathlib import Path

from bot import dataset
from bot.answers import Interop
from bot.domain import StorageError
from bot.feedback import MissLog
from bot.names.resolver import Resolver
from bot.store import Store
from bot.store.inspect import DatabaseState, inspect_file

log = logging.getLogger(__name__)


async def open_interop(path: Path | str, *, seed: Path | None = None) -> Interop:
    """Open the store (creating its folder), load the seed into an empty database, index it.

    The integrity check reads the whole file (seconds at 1M facts) in SQLite's C code,
    without the GIL, so it runs on a reader thread while the companies load and the index
    is built; the index build pauses at each chunk so the event loop stays responsive. A
    damaged file still fails start-up with a StorageError, with every connection closed.
    """
    store = await _open_store(Path(path))
    check: asyncio.Task[None] | None = None
    try:
        if not await _seed_if_empty(store, seed):
            check = asyncio.create_task(store.quick_check())
        # Awaited at once, the companies' read takes a reader before the check task starts;
        # readers are handed out in turn, so its second query goes to the one the first freed,
        # not behind the check.
        interop = await _indexed(store)
        if check is not None:
            await check
    except BaseException as exc:
        await _settle(check, exc)
        await store.close()
        raise
    return interop


async def _indexed(store: Store) -> Interop:
    """The Interop over an open store: its companies read and indexed, pausing at each chunk so
    the event loop stays responsive. The change log's position is read before the companies
    (see ``IndexSync``'s ``synced_names``)."""
    synced = store.company_changes()
    companies = await store.companies()
    resolver = Resolver()
    for _ in resolver.bulk_index(companies):
        await asyncio.sleep(0)
    return Interop(store, resolver, companies, MissLog(), synced_names=synced)


GC_THRESHOLDS = (20_000, 10, 10)
"""The collector's thresholds once the index is frozen. At the default 700 allocations a young
collection ran ~70 times a second under load and, with the older generations it triggers,
took 10% of the event loop's time (1.0 s of a 9.9 s e2e run at 100k companies); at 20,000 it
takes 3% (0.28 s), and the objects answers leave behind are freed by reference counting anyway."""


def freeze_loaded_objects() -> None:
    """Move everything loaded so far (the name index: millions of objects at 100k companies)
    out of the garbage collector's sight: it never becomes garbage, and each full collection
    would otherwise walk all of it while every user waits. For the long-running process."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    log.info("%d loaded objects set aside from the garbage collector", gc.get_freeze_count())


async def open_store(path: Path | str, *, seed: Path | None = None) -> Store:
    """The store alone, checked and seeded as ``open_interop`` does, without the name index:
    for commands that read every record and answer no question (``python -m bot export``),
    where the index would be most of the memory at 100k companies."""
    store = await _open_store(Path(path))
    try:
        if not await _seed_if_empty(store, seed):
            await store.quick_check()
    except BaseException:
        await store.close()
        raise
    return store


async def _open_store(path: Path) -> Store:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError("error.db_folder", path=str(path.parent), error=exc.strerror) from None
    return await Store.open(path, check=False)


async def _seed_if_empty(store: Store, seed: Path | None) -> bool:
    """Load the seed into an empty store (checked first: never write into a damaged file);
    whether it did. counts() would scan every fact (seconds at 1M): only emptiness is asked."""
    if seed is None or not await store.is_empty():
        return False
    await store.quick_check()  # an empty file is quick
    doc = dataset.parse_document(seed.name, await asyncio.to_thread(seed.read_bytes))
    report = await dataset.import_document(store, doc, "seed", dry_run=False)
    log.info("Loaded seed: %d companies, %d facts", report.new_companies, report.new)
    return True


async def _settle(check: asyncio.Task[None] | None, exc: BaseException) -> None:
    """Finish a start-up integrity check after a failure, raising its verdict if it found damage.

    Loading a damaged file may fail with a raw SQLite error before the check is done; the
    check's "the database is damaged" is the clearer message, so it wins. On cancellation the
    check is just cancelled (its connection finishes the statement, then closes).
    """
    if check is None:
        return
    if not isinstance(exc, Exception):
        check.cancel()
    try:
        await check
    except StorageError as damage:
        if damage is not exc:
            raise damage from exc
    except BaseException:  # cancelled, or an error of its own: the original failure is the news
        pass


async def inspect_database(path: Path) -> DatabaseState:
    """Look at the database read-only: nothing is created, migrated or seeded."""
    return await asyncio.to_thread(inspect_file, path)
