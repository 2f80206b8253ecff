"""The data behind the web table: platforms × services for each kind, every cell /check's verdict.

Like /map and /compare (``bot.maps``), each cell is what ``Interop.check_kind`` answers for the
pair and the kind, so the page can never disagree with the bot. Only the cells that some live
fact can reach are asked: a fact links its parties and, through the group roll-up, their
parents, and no other pair can have a record. Nothing here renders or knows the web.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.answers import Interop
from bot.domain import CheckResult, Company, Fact, Kind, Verdict
from bot.i18n import to_traditional

MAX_ROWS = 50
"""Platforms a kind's table shows, the most connected first: past a few dozen a table is
unreadable on a phone, and the index page stays small at any scale."""
MAX_COLS = 32
"""Services a kind's table shows, the most connected first."""
MAX_ROW_CELLS = 300
"""Partners a company's row (and column) shows: past that its pairs are found through the table."""
YIELD_EVERY = 100
"""Cells checked between two turns of the event loop: the running bot builds the table between
its updates (a big store's table is seconds of checks)."""
_KEY_DROP = re.compile(r"[\s.\-_'’&,()·/|]+")


def search_key(text: str) -> str:
    """A name as the page's filter compares it: NFKC, lower case, no spaces or punctuation
    ("JD.com" -> "jdcom"). The page's script normalises what is typed the same way."""
    return _KEY_DROP.sub("", unicodedata.normalize("NFKC", text).lower())


def search_keys(company: Company) -> tuple[str, ...]:
    """Every name the bot knows the company by (name, Chinese name, aliases, and their
    Traditional spelling), as filter keys: 京东, jingdong and JD all find JD.com."""
    names = [company.name, company.name_zh, *company.aliases]
    names += [to_traditional(n) for n in names if n and not n.isascii()]
    return tuple(dict.fromkeys(k for n in names if (k := search_key(n))))


@dataclass(frozen=True, slots=True)
class Cell:
    """One pair's verdict for one kind, and the fact it stands on (its date and region)."""

    row: Company
    col: Company
    kind: Kind
    verdict: Verdict
    fact: Fact


@dataclass(frozen=True, slots=True)
class Table:
    """One kind: rows are platforms (subjects), columns the services they take (objects),
    each kept group's companies together; ``all_rows``/``all_cols`` count those left out too."""

    kind: Kind
    rows: tuple[Company, ...]
    cols: tuple[Company, ...]
    cells: dict[tuple[int, int], Cell]
    groups: dict[int, Company]
    """Company id -> its top-level group, for companies that belong to one."""
    all_rows: int
    all_cols: int


@dataclass(frozen=True, slots=True)
class Links:
    """Every (subject, object, kind) that live facts link: read once per content version."""

    pairs: tuple[tuple[int, int, Kind, int], ...]
    version: tuple[int, int]
    as_subject: dict[int, list[tuple[int, Kind]]] = field(default_factory=dict)
    as_object: dict[int, list[tuple[int, Kind]]] = field(default_factory=dict)

    by_pair: dict[tuple[int, int], list[Kind]] = field(default_factory=dict)

    def kinds(self, a: int, b: int) -> list[tuple[int, int, Kind]]:
        """(subject, object, kind) of every link between the two, either way round."""
        return [(a, b, k) for k in self.by_pair.get((a, b), ())] + \
               [(b, a, k) for k in self.by_pair.get((b, a), ())]

    @classmethod
    async def read(cls, interop: Interop) -> Links:
        version = interop.store.content_version()  # read first: a later commit only invalidates
        pairs = tuple(await interop.store.fact_pairs())
        as_subject: dict[int, list[tuple[int, Kind]]] = defaultdict(list)
        as_object: dict[int, list[tuple[int, Kind]]] = defaultdict(list)
        by_pair: dict[tuple[int, int], list[Kind]] = defaultdict(list)
        for s, o, kind, _ in pairs:
            as_subject[s].append((o, kind))
            as_object[o].append((s, kind))
            by_pair[(s, o)].append(kind)
        return cls(pairs, version, dict(as_subject), dict(as_object), dict(by_pair))

    def pair_order(self) -> dict[frozenset[int], tuple[int, int]]:
        """Each linked pair once, subject first (the order of the first fact read)."""
        order: dict[frozenset[int], tuple[int, int]] = {}
        for s, o, _, _ in self.pairs:
            order.setdefault(frozenset((s, o)), (s, o))
        return order


@dataclass(frozen=True, slots=True)
class CompanyRow:
    """A company's own row and column of the table: the services it takes, the platforms that
    take it, each cell /check's verdict for the pair and the kind."""

    company: Company
    as_platform: tuple[Cell, ...]
    as_service: tuple[Cell, ...]
    more_platform: int = 0
    """Partners left out past the limit."""
    more_service: int = 0


async def cell(interop: Interop, row: Company, col: Company, kind: Kind) -> Cell | None:
    """The cell for a pair and a kind: /check's verdict, None when there is no record."""
    return cell_of(await interop.check_kind(row, col, kind), row, col, kind)


def cell_of(result: CheckResult, row: Company, col: Company, kind: Kind) -> Cell | None:
    """The cell a pair's check gives for ``kind`` (in either order: a check reads both
    directions), as ``check_kind`` decides its verdict: the kind's best thread."""
    focus = result.of_kind(kind)
    if not focus:
        return None
    return Cell(row, col, kind, Verdict(focus[0].standing.fact.status.value), focus[0].standing.fact)


def top_group(interop: Interop, company: Company) -> Company:
    """The company's top-level group (itself when it has no parent), as /map groups partners."""
    chain = interop.ancestors(company.id)
    return chain[-1] if chain else company


def _most_connected(partners: dict[int, set[int]], facts: dict[int, int], limit: int) -> list[int]:
    ranked = sorted(partners, key=lambda c: (-len(partners[c]), -facts[c], c))
    return ranked[:limit]


async def tables(interop: Interop, links: Links, max_rows: int = MAX_ROWS,
                 max_cols: int = MAX_COLS) -> tuple[Table, ...]:
    """One table per kind that has facts, in the kinds' order."""
    lineage: dict[int, tuple[int, ...]] = {}

    def up(company_id: int) -> tuple[int, ...]:
        found = lineage.get(company_id)
        if found is None:
            found = lineage[company_id] = (company_id, *(c.id for c in interop.ancestors(company_id)))
        return found

    by_kind: dict[Kind, list[tuple[int, int, int]]] = defaultdict(list)
    for s, o, kind, n in links.pairs:
        if s != o:
            by_kind[kind].append((s, o, n))
    out: list[Table] = []
    for kind in Kind:
        facts = by_kind.get(kind)
        if not facts:
            continue
        row_partners: dict[int, set[int]] = defaultdict(set)
        col_partners: dict[int, set[int]] = defaultdict(set)
        row_facts: dict[int, int] = defaultdict(int)
        col_facts: dict[int, int] = defaultdict(int)
        for s, o, n in facts:
            row_partners[s].add(o)
            col_partners[o].add(s)
            row_facts[s] += n
            col_facts[o] += n
        row_ids = set(_most_connected(row_partners, row_facts, max_rows))
        col_ids = set(_most_connected(col_partners, col_facts, max_cols))
        wanted: set[tuple[int, int]] = set()
        for s, o, _ in facts:
            for x in up(s):
                for y in up(o):
                    if x == y:
                        continue
                    if x in row_ids and y in col_ids:
                        wanted.add((x, y))
                    if y in row_ids and x in col_ids:
                        wanted.add((y, x))
        cells: dict[tuple[int, int], Cell] = {}
        for n, (x, y) in enumerate(sorted(wanted)):
            if n % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)  # most checks are point reads: let the bot's updates in
            found = await cell(interop, interop.company(x), interop.company(y), kind)
            if found is not None:
                cells[(x, y)] = found
        rows = _grouped(interop, row_ids)
        cols = _grouped(interop, col_ids)
        groups = {c.id: g for c in (*rows, *cols) if (g := top_group(interop, c)).id != c.id}
        out.append(Table(kind, rows, cols, cells, groups, len(row_partners), len(col_partners)))
    return tuple(out)


def _grouped(interop: Interop, ids: Iterable[int]) -> tuple[Company, ...]:
    """Companies in name order, each group's members together under their group's name."""
    def key(company: Company) -> tuple[str, int, bool, str, int]:
        group = top_group(interop, company)
        return (group.name.casefold(), group.id, company.id != group.id, company.name.casefold(),
                company.id)

    return tuple(sorted((interop.company(i) for i in ids), key=key))


Known = dict[tuple[int, int, Kind], Cell | None]
"""Cells already worked out (a whole-site build checks each pair once, for its page)."""


async def company_row(interop: Interop, links: Links, company: Company, known: Known | None = None,
                      limit: int = MAX_ROW_CELLS) -> CompanyRow:
    """The company's cells as a platform and as a service, partners in kind and name order, at
    most ``limit`` on each side (the rest are counted: a page never checks thousands)."""
    known = known if known is not None else {}
    kinds = list(Kind)

    async def side(partners: Iterable[tuple[int, Kind]], platform: bool) -> tuple[tuple[Cell, ...], int]:
        ranked = sorted(((interop.company(p), k) for p, k in partners if p != company.id),
                        key=lambda x: (kinds.index(x[1]), x[0].name.casefold(), x[0].id))
        cells: list[Cell] = []
        for other, kind in ranked[:limit]:
            row, col = (company, other) if platform else (other, company)
            key = (row.id, col.id, kind)
            found = known[key] if key in known else await cell(interop, row, col, kind)
            if found is not None:
                cells.append(found)
        return tuple(cells), max(0, len(ranked) - limit)

    platform, more_platform = await side(links.as_subject.get(company.id, ()), True)
    service, more_service = await side(links.as_object.get(company.id, ()), False)
    return CompanyRow(company, platform, service, more_platform, more_service)
