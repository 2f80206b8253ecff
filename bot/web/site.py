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
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot import dataset
from bot.answers import MAX_CHANGES, Interop
from bot.cache import Cache
from bot.domain import Company
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
WRITE_BATCH = 16
"""Pages a build renders at once."""
PAGE_CACHE = 2048
"""Rendered pages kept per content version: the popular pairs and companies."""
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
        if path in ("data/interop.json", "data/interop.csv"):
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
            return company_page(profile, row, links).encode()
        return None



    async def write(self, out: Path, jobs: int = 1) -> tuple[int, int]:
        """Write every page under ``out``; (files, bytes). Pages are not kept in memory.

        With ``jobs`` > 1 the pages are shared out to that many processes (this one and
        ``jobs - 1`` more, each opening the same file read-only): a page is a function of the
        store alone, so the output is the same whoever writes it.
        """
        paths = await self.paths()
        if jobs <= 1:
            return await self.write_shard(out, paths)
        shards = _shards(paths, jobs)
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: no forked event loop
        with ProcessPoolExecutor(jobs - 1, mp_context=context) as pool:
            others = [asyncio.wrap_future(pool.submit(
                _write_shard, str(self.interop.store.path), self.bot_username, self.max_rows,
                self.max_cols, str(out), shard)) for shard in shards[1:]]
            mine = await self.write_shard(out, shards[0])
            done = [mine, *await asyncio.gather(*others)]
        return sum(f for f, _ in done), sum(b for _, b in done)

    async def write_shard(self, out: Path, paths: list[str]) -> tuple[int, int]:
        """Write ``paths`` under ``out``: pairs first, whose checks make the companies' rows.
        A few pages are rendered at once, so one's database read overlaps another's rendering."""
        files = total = 0
        self._known = {}
        folders: set[Path] = set()
        pairs = [p for p in paths if p.startswith("pair/")]
        rest = [p for p in paths if not p.startswith("pair/")]
        try:
            for group in (pairs, rest):
                for start in range(0, len(group), WRITE_BATCH):
                    batch = group[start:start + WRITE_BATCH]
                    bodies = await asyncio.gather(*(self.page(p) for p in batch))
                    for path, body in zip(batch, bodies, strict=True):
                        if body is None:  # pragma: no cover - every listed path renders
                            continue
                        self._pages.discard(path)
                        target = out / path
                        if target.parent not in folders:
                            target.parent.mkdir(parents=True, exist_ok=True)
                            folders.add(target.parent)
                        target.write_bytes(body)
                        files += 1
                        total += len(body)
        finally:
            self._known = None
        return files, total


def _shards(paths: list[str], jobs: int) -> list[list[str]]:
    """Pages for each process: a pair goes with its first company, and that company's page with
    it (so most of a company's row is checked where its page is written); the rest to the first."""
    shards: list[list[str]] = [[] for _ in range(jobs)]
    for path in paths:
        match = _PAIR.fullmatch(path) or _COMPANY.fullmatch(path)
        shards[int(match.group(1)) % jobs if match else 0].append(path)
    return shards


def _write_shard(database: str, bot_username: str | None, max_rows: int, max_cols: int, out: str,
                 paths: list[str]) -> tuple[int, int]:
    """A build process: open the store read-only and write its share of the pages."""
    from bot.startup import open_interop

    async def run() -> tuple[int, int]:
        interop = await open_interop(Path(database), seed=None)
        try:
            site = Site(interop, bot_username, max_rows=max_rows, max_cols=max_cols)
            return await site.write_shard(Path(out), paths)
        finally:
            await interop.close()

    return asyncio.run(run())


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
