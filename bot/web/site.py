"""The web table as a set of pages: written to a folder (``python -m bot site OUT``) or served
one page at a time by the running bot (``bot.web.server``).

Every page is rendered on request from the store's current content (``Interop`` answers,
``render_web`` HTML) and remembered until the content version moves, so a served page costs
one /check (a pair), one profile (a company) or nothing (seen before). The table itself is
built once per version. Output is deterministic: sorted, and the only date in it is the data's
own last change.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import pickle
import re
import tempfile
import threading
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from bot import dataset
from bot.answers import MAX_CHANGES, Interop
from bot.cache import Cache
from bot.domain import Company, rendered
from bot.i18n import ZH_HANS, ZH_HANT, display_name
from bot.render import as_of
from bot.render_web import SiteLinks, about_page, atom_feed, company_page, index_page, pair_page
from bot.store import About
from bot.table import MAX_COLS, MAX_ROWS, Known, Links, Table, cell_of, company_row, search_keys, tables

ASSETS = Path(__file__).resolve().parent
STATIC = ("site.css", "site.js")
TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".js": "text/javascript; charset=utf-8", ".json": "application/json",
         ".csv": "text/csv; charset=utf-8", ".atom": "application/atom+xml; charset=utf-8"}
PAGE_CACHE = 2048
"""Rendered pages kept per content version: the popular pairs and companies."""
RENDER_BATCH = 16
"""Pages a build renders at once."""
EXCHANGE_WAIT = 900.0
"""Seconds a build process waits for the others' cells before it gives up."""
_PAIR = re.compile(r"pair/([0-9]{1,12})-([0-9]{1,12})\.html")
_COMPANY = re.compile(r"company/([0-9]{1,12})\.html")


def content_type(path: str) -> str:
    return TYPES.get(Path(path).suffix, "application/octet-stream")


@dataclass(frozen=True, slots=True)
class Built:
    """What one content version's pages share: the links, the tables, the pair order."""

    links: Links
    tables: tuple[Table, ...]
    about: About
    order: dict[frozenset[int], tuple[int, int]]
    companies: tuple[Company, ...]


class Site:
    """The pages of one store, for one bot (its username makes the "open in the bot" links)."""

    def __init__(self, interop: Interop, bot_username: str | None = None, *,
                 max_rows: int = MAX_ROWS, max_cols: int = MAX_COLS) -> None:
        self.interop = interop
        self.bot_username = bot_username
        self.max_rows, self.max_cols = max_rows, max_cols
        self._built: Built | None = None
        self._pages: Cache[str, bytes] = Cache(PAGE_CACHE)  # under the content version
        self._lock = asyncio.Lock()
        self._known: Known | None = None  # a whole-site build keeps each pair's cells for its companies

    async def built(self) -> Built:
        """This content version's tables, built at most once (concurrent requests wait)."""
        version = self.interop.store.content_version()
        if self._built is not None and self._built.links.version == version:
            return self._built
        async with self._lock:
            await self.interop.sync()
            version = self.interop.store.content_version()
            if self._built is None or self._built.links.version != version:
                links = await Links.read(self.interop)
                made = await tables(self.interop, links, self.max_rows, self.max_cols)
                order = links.pair_order()
                for table in made:  # roll-up cells open a page for their own pair
                    for row, col in sorted(table.cells):
                        order.setdefault(frozenset((row, col)), (row, col))
                companies = tuple(sorted(await self.interop.store.companies(), key=lambda c: c.id))
                self._built = Built(links, made, await self.interop.about(), order, companies)
        return self._built

    def _links(self, built: Built) -> SiteLinks:
        def pair_path(a: int, b: int) -> str:
            first, second = built.order.get(frozenset((a, b)), (a, b))
            return f"pair/{first}-{second}.html"
        return SiteLinks(pair_path, self.bot_username)

    async def paths(self) -> list[str]:
        """Every page of the site, sorted."""
        built = await self.built()
        pairs = [f"pair/{a}-{b}.html" for a, b in built.order.values()]
        companies = [f"company/{c.id}.html" for c in built.companies]
        fixed = ["index.html", "about.html", "changes.atom", "data/interop.json", "data/interop.csv",
                 "data/names.json", *STATIC]
        return sorted([*fixed, *pairs, *companies])

    async def page(self, path: str) -> bytes | None:
        """The page at ``path`` (relative, "index.html"), None when there is none."""
        path = path.lstrip("/") or "index.html"
        built = await self.built()
        cached = self._pages.peek(path, built.links.version)
        if cached is not None:
            return cached
        with as_of(_day(built.about.last_change)):
            body = await self._render(path, built)
        if body is not None and self._built is built:
            self._pages.put(path, body, built.links.version)
        return body

    async def _render(self, path: str, built: Built) -> bytes | None:
        links = self._links(built)
        interop = self.interop
        if path in STATIC:
            return (ASSETS / path).read_bytes()
        if path == "index.html":
            return index_page(built.tables, built.about, links).encode()
        if path == "about.html":
            return about_page(built.about).encode()
        if path == "changes.atom":
            return atom_feed(await interop.changes(MAX_CHANGES), built.about.last_change, links).encode()
        if path in EXPORTS:
            as_json, as_csv = await dataset.site_exports(interop.store, built.about.last_change)
            self._pages.put("data/interop.json", as_json, built.links.version)
            self._pages.put("data/interop.csv", as_csv, built.links.version)
            return as_json if path.endswith(".json") else as_csv
        if path == "data/names.json":
            return _names(built.companies)
        if match := _PAIR.fullmatch(path):
            a, b = (interop.resolver.company(int(x)) for x in match.groups())
            if a is None or b is None or a.id == b.id:
                return None
            result = await interop.check(a, b)
            if self._known is not None:
                for s, o, kind in built.links.kinds(a.id, b.id):
                    self._known[(s, o, kind)] = cell_of(result, interop.company(s), interop.company(o), kind)
            return pair_page(result, links).encode()
        if match := _COMPANY.fullmatch(path):
            company = interop.resolver.company(int(match.group(1)))
            if company is None:
                return None
            profile = await interop.profile(company)
            row = await company_row(interop, built.links, company, self._known)
            return (await rendered(partial(company_page, profile, row, links))).encode()
        return None



    async def write(self, out: Path, jobs: int = 1) -> tuple[int, int]:
        """Write every page under ``out``; (files, bytes). Pages are not kept in memory.

        With ``jobs`` > 1 the pages are shared out to that many processes (this one and
        ``jobs - 1`` more, each opening the same file read-only): a page is a function of the
        store alone, so the output is the same whoever writes it. The others start at once and
        list their own pairs and companies from the store (they never build the tables: only
        the index shows them; the last also writes the open data), while this one builds the
        tables and writes everything else.
        """
        if jobs <= 1:
            return await self.write_shard(out, await self.paths())
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no forked event loop
        barrier = context.Barrier(jobs)
        with tempfile.TemporaryDirectory(prefix="site-cells-") as folder, \
                ProcessPoolExecutor(jobs - 1, mp_context=context, initializer=_join,
                                    initargs=(barrier,)) as pool:
            others = [asyncio.wrap_future(pool.submit(
                _write_shard, str(self.interop.store.path), self.bot_username, self.max_rows,
                self.max_cols, str(out), Exchange(folder, n, jobs))) for n in range(1, jobs)]
            try:
                paths = await self.paths()
                linked = (await self.built()).links.pair_order()
                mine = [p for p in paths if _owner(p, linked, jobs) == 0]
                done = [await self.write_shard(out, mine, Exchange(folder, 0, jobs, barrier))]
            except BaseException:
                barrier.abort()  # the others stop waiting for this one's cells
                raise
            done += await asyncio.gather(*others)
        return sum(f for f, _ in done), sum(b for _, b in done)

    async def _shard(self, index: int, jobs: int) -> list[str]:
        """A build process's pages (its pairs and companies, and the open data for the last, as
        ``_owner`` shares them out),
        and what it needs of the content version: links, pair order, companies, the data's date."""
        await self.interop.sync()
        links = await Links.read(self.interop)
        order = links.pair_order()
        companies = tuple(sorted(await self.interop.store.companies(), key=lambda c: c.id))
        self._built = Built(links, (), await self.interop.store.about(), order, companies)
        pairs = [f"pair/{a}-{b}.html" for a, b in order.values() if _shard_of(a, jobs) == index]
        exports = EXPORTS if index == jobs - 1 else ()
        return sorted([*pairs, *exports, *(f"company/{c.id}.html" for c in companies
                                           if _company_shard(c.id, jobs) == index)])

    async def write_shard(self, out: Path, paths: list[str] | None,
                          exchange: Exchange | None = None) -> tuple[int, int]:
        """Write ``paths`` under ``out``: pairs first, whose checks make the companies' rows
        (with ``exchange``, the processes then swap the cells each worked out for the others'
        companies, so no pair is checked twice). A few pages are rendered at once, so one's
        database read (a group's check, a profile) overlaps another's rendering, while a thread
        writes the files, so the disk's waits overlap it too. ``paths`` None: a started
        build process's own share (``exchange.index``)."""
        if paths is None:
            assert exchange is not None
            paths = await self._shard(exchange.index, exchange.jobs)
            built = self._built
            assert built is not None
        else:
            built = await self.built()
        files = total = 0
        self._known = {}
        pairs = [p for p in paths if p.startswith("pair/")]
        rest = [p for p in paths if not p.startswith("pair/")]
        writer = _Writer(out)
        try:
            with as_of(_day(built.about.last_change)):
                for group in (pairs, rest):
                    if group is rest and exchange is not None:
                        self._known.update(exchange.swap(self._known))
                    for start in range(0, len(group), RENDER_BATCH):
                        batch = group[start:start + RENDER_BATCH]
                        bodies = await asyncio.gather(*(self._render(p, built) for p in batch))
                        for path, body in zip(batch, bodies, strict=True):
                            if body is None:  # pragma: no cover - every listed path renders
                                continue
                            writer.add(path, body)
                            files += 1
                            total += len(body)
            writer.close()
        finally:
            writer.stop()
            self._known = None
            self._pages.clear()
        return files, total


class _Writer:
    """Files written by one thread, a batch at a time, in the order given: the build renders
    the next pages while the disk takes the last ones (the writes release the GIL)."""

    BATCH = 64
    PENDING = 4
    """Batches queued at most: the pages waiting for the disk stay a few hundred kB."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="site-writer")
        self.batch: list[tuple[str, bytes]] = []
        self.pending: deque[Future[None]] = deque()
        self.folders: set[str] = set()

    def add(self, path: str, body: bytes) -> None:
        self.batch.append((path, body))
        if len(self.batch) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        if self.batch:
            self.pending.append(self.pool.submit(self._write, self.batch))
            self.batch = []
        while len(self.pending) > self.PENDING:
            self.pending.popleft().result()

    def close(self) -> None:
        """Write what is left and wait for every file (a failed write raises here)."""
        self._flush()
        while self.pending:
            self.pending.popleft().result()

    def stop(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _write(self, batch: list[tuple[str, bytes]]) -> None:
        for path, body in batch:
            target = os.path.join(self.out, path)
            folder = os.path.dirname(target)
            if folder not in self.folders:
                os.makedirs(folder, exist_ok=True)
                self.folders.add(folder)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
            try:
                view = memoryview(body)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)


_BARRIER: Any = None
"""A build process's barrier with the others (set when the process starts)."""


def _join(barrier: Any) -> None:
    global _BARRIER
    _BARRIER = barrier


@dataclass(frozen=True, slots=True)
class Exchange:
    """How the build processes swap cells: each leaves, in ``folder``, the cells of the pairs it
    checked that another's companies show, waits for all to do the same, and reads its own."""

    folder: str
    index: int
    jobs: int
    barrier: Any = None
    """The processes' ``multiprocessing.Barrier`` (a started process's own, when None)."""

    def swap(self, known: Known) -> Known:
        barrier = self.barrier if self.barrier is not None else _BARRIER
        outgoing: list[Known] = [{} for _ in range(self.jobs)]
        for key, found in known.items():
            for company in key[:2]:
                shard = _company_shard(company, self.jobs)
                if shard != self.index:
                    outgoing[shard][key] = found
        for shard, cells in enumerate(outgoing):
            if shard != self.index:
                name = os.path.join(self.folder, f"{self.index}-{shard}")
                with open(name + ".tmp", "wb") as f:
                    pickle.dump(cells, f, pickle.HIGHEST_PROTOCOL)
                os.replace(name + ".tmp", name)
        try:
            barrier.wait(EXCHANGE_WAIT)
        except threading.BrokenBarrierError:
            raise RuntimeError("another build process stopped") from None
        incoming: Known = {}
        for shard in range(self.jobs):
            if shard != self.index:
                with open(os.path.join(self.folder, f"{shard}-{self.index}"), "rb") as f:
                    incoming.update(pickle.load(f))
        return incoming


def _shard_of(company_id: int, jobs: int) -> int:
    return company_id % jobs


EXPORTS = ("data/interop.json", "data/interop.csv")
"""The open data: written by the last process (the first builds the tables and the index)."""
EXPORT_SHARE = 4
"""The last process also writes the open data (about as long as a quarter of its company pages):
one in this many of its companies go to the first process instead."""


def _company_shard(company_id: int, jobs: int) -> int:
    """The process that writes a company's page (and is sent its row's cells)."""
    shard = company_id % jobs
    if jobs > 1 and shard == jobs - 1 and (company_id // jobs) % EXPORT_SHARE == 0:
        shard = 0
    return shard


def _owner(path: str, linked: dict[frozenset[int], tuple[int, int]], jobs: int) -> int:
    """The process that writes ``path``: a linked pair by its subject, a company by its id (the
    processes swap the cells of the pairs each checked, so a company's row needs no pair to be
    where its page is), the open data the last, anything else (the index, the roll-up pairs only
    the tables show) the first."""
    if match := _PAIR.fullmatch(path):
        a, b = int(match.group(1)), int(match.group(2))
        return _shard_of(a, jobs) if linked.get(frozenset((a, b))) == (a, b) else 0
    if match := _COMPANY.fullmatch(path):
        return _company_shard(int(match.group(1)), jobs)
    return jobs - 1 if path in EXPORTS else 0


def _write_shard(database: str, bot_username: str | None, max_rows: int, max_cols: int, out: str,
                 exchange: Exchange) -> tuple[int, int]:
    """A build process: open the store read-only and write its share of the pages."""
    from bot.startup import open_interop

    async def run() -> tuple[int, int]:
        interop = await open_interop(Path(database), seed=None)
        try:
            site = Site(interop, bot_username, max_rows=max_rows, max_cols=max_cols)
            return await site.write_shard(Path(out), None, exchange)
        finally:
            await interop.close()

    try:
        return asyncio.run(run())
    except BaseException:
        _BARRIER.abort()  # the others stop waiting for this one's cells
        raise


def _day(stamp: str) -> date | None:
    """The data's last change as a day: what the pages' freshness is reckoned against."""
    try:
        return date.fromisoformat(stamp[:10])
    except ValueError:
        return None


def _names(companies: tuple[Company, ...]) -> bytes:
    """Every company's names for the filter, beyond the companies the tables show."""
    rows = []
    for c in companies:
        row: dict[str, object] = {"id": c.id, "name": c.name, "keys": list(search_keys(c))}
        if c.name_zh:
            row["zh"] = display_name(c, ZH_HANS)
            row["hant"] = display_name(c, ZH_HANT)
        rows.append(row)
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()
