"""The data behind /map (a company's links to others) and /compare (platforms × services).

Both are built on ``Interop.check``: every edge of a map and every cell of a table is the
verdict /check gives for that pair, by construction. Nothing here draws or knows Telegram.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from bot.answers import Interop
from bot.domain import CheckResult, Company, Kind, Resolution, Unresolved, Verdict

MAX_PARTNERS = 25  # past this a map keeps the partners with the most recent facts
MAX_COMPARE = 8  # rows and columns of a /compare table
MAX_NAME = 100  # one name in a /compare list
_LIST_SPLIT = re.compile(r"[,，、;；\n]")
_SIDE_SPLIT = re.compile(r"[|｜]")


@dataclass(frozen=True, slots=True)
class MapLink:
    """One edge: a member of the centre's group and a partner, with /check's verdict for the pair."""

    member: Company
    partner: Company
    check: CheckResult
    kinds: tuple[Kind, ...]
    latest: str  # date of the pair's latest fact ("" when undated), for "most recent"

    @property
    def verdict(self) -> Verdict:
        return self.check.verdict


@dataclass(frozen=True, slots=True)
class MapResult:
    """A company (or group) and its links; ``links`` holds the kept partners' edges only."""

    centre: Company
    members: tuple[Company, ...]  # the centre first, then its group companies
    links: tuple[MapLink, ...]  # most recent partner first
    partners: tuple[Company, ...]  # outside companies drawn, most recent first
    left_out: int  # partners not kept (past MAX_PARTNERS)
    groups: dict[int, Company]  # partner id -> its top-level group, for partners that have one
    counts: dict[Verdict, int]  # verdicts over every link, kept or not
    total: int  # every link, kept or not
    data_date: str  # YYYY-MM-DD the shown facts last changed ("" when unknown)
    version: tuple[int, int]  # the store's content version when read: the picture cache key

    @property
    def empty(self) -> bool:
        return self.total == 0


@dataclass(frozen=True, slots=True)
class CompareResult:
    """Rows (platforms) × columns (services); each cell is /check's answer, None for one company twice."""

    rows: tuple[Company, ...]
    cols: tuple[Company, ...]
    cells: tuple[tuple[CheckResult | None, ...], ...]
    data_date: str
    version: tuple[int, int]

    def verdict(self, row: int, col: int) -> Verdict | None:
        cell = self.cells[row][col]
        return cell.verdict if cell is not None else None


@dataclass(frozen=True, slots=True)
class CompareProblem:
    """Why /compare text is not a table: ``usage`` (not two lists) or ``too_big`` (past the limit)."""

    reason: str
    rows: int = 0
    cols: int = 0


async def read_name(interop: Interop, text: str) -> Resolution:
    """The one place /map and /compare turn a typed name into a company (``Interop.name``: the
    policy /company reads its argument with)."""
    return await interop.name(text)


def _changed(check: CheckResult) -> str:
    """The day the pair's facts last changed in the store."""
    stamps = [(v.fact.updated_at or v.fact.created_at)[:10]
              for thread in (*check.threads, *check.rollup) for v in thread.events]
    return max(stamps, default="")


async def map_of(interop: Interop, company: Company, limit: int = MAX_PARTNERS) -> MapResult:
    """Every company the centre (or a member of its group) has facts with, as /check sees each pair."""
    version = interop.store.content_version()  # read first: a later commit can only invalidate
    family = interop.descendants(company.id) | {company.id}
    facts = await interop.store.facts_involving(family)
    pairs: dict[tuple[int, int], None] = {}
    for fact in facts:
        if fact.subject_id in family and fact.object_id in family:
            pairs[(fact.subject_id, fact.object_id)] = None  # inside the group: member to member
        elif fact.subject_id in family:
            pairs[(fact.subject_id, fact.object_id)] = None
        else:
            pairs[(fact.object_id, fact.subject_id)] = None
    links: list[MapLink] = []
    for member_id, partner_id in pairs:
        if (partner_id, member_id) in pairs and partner_id < member_id and partner_id in family:
            continue  # one edge for two members that link both ways
        member, partner = interop.company(member_id), interop.company(partner_id)
        check = await interop.check(member, partner)
        if not check.threads:  # cannot happen for a pair with a fact; keep the map honest anyway
            continue
        kinds = tuple(dict.fromkeys(th.kind for th in check.threads))
        latest = max(v.fact.date for th in check.threads for v in th.events)
        links.append(MapLink(member, partner, check, kinds, latest))
    recency: dict[int, str] = {}
    outside: dict[int, Company] = {}
    for link in links:
        if link.partner.id not in family:
            outside[link.partner.id] = link.partner
            recency[link.partner.id] = max(recency.get(link.partner.id, ""), link.latest)
    ranked = sorted(outside.values(), key=lambda c: (_desc(recency[c.id]), c.name.casefold(), c.id))
    kept = ranked[:limit]
    kept_ids = {c.id for c in kept}
    shown = [x for x in links if x.partner.id in kept_ids or x.partner.id in family]
    order = {c.id: i for i, c in enumerate(kept)}
    shown.sort(key=lambda x: (order.get(x.partner.id, -1), x.member.name.casefold()))
    members = [company, *sorted((interop.company(i) for i in family - {company.id}),
                                key=lambda c: c.name.casefold())]
    groups = {c.id: chain[-1] for c in kept if (chain := interop.ancestors(c.id))}
    return MapResult(
        centre=company, members=tuple(members), links=tuple(shown), partners=tuple(kept),
        left_out=len(ranked) - len(kept), groups=groups, counts=dict(Counter(x.verdict for x in links)),
        total=len(links), data_date=max((_changed(x.check) for x in shown), default=""),
        version=version)


def _desc(date: str) -> tuple[int, ...]:
    """Sort key putting later ISO dates first and undated facts last."""
    return (*(-ord(ch) for ch in date), 0) if date else (1,)


def split_compare(text: str) -> tuple[list[str], list[str]] | None:
    """``A, B | X, Y`` -> (["A", "B"], ["X", "Y"]); None when it is not two non-empty lists."""
    sides = _SIDE_SPLIT.split(text)
    if len(sides) != 2:
        return None
    rows, cols = ([n.strip() for n in _LIST_SPLIT.split(side) if n.strip()] for side in sides)
    if not rows or not cols:
        return None
    return rows, cols


async def compare(interop: Interop, rows: list[Company], cols: list[Company]) -> CompareResult:
    """The table of /check verdicts for every row × column pair (a company against itself: None)."""
    version = interop.store.content_version()
    rows = list({c.id: c for c in rows}.values())
    cols = list({c.id: c for c in cols}.values())
    cells: list[tuple[CheckResult | None, ...]] = []
    for r in rows:
        cells.append(tuple([await interop.check(r, c) if r.id != c.id else None for c in cols]))
    dates = [_changed(cell) for line in cells for cell in line if cell is not None]
    return CompareResult(rows=tuple(rows), cols=tuple(cols), cells=tuple(cells),
                         data_date=max(dates, default=""), version=version)


async def compare_text(interop: Interop, text: str) -> CompareResult | Unresolved | CompareProblem:
    """``/compare`` arguments -> the table, the names that did not resolve, or what is wrong."""
    split = split_compare(text)
    if split is None or any(len(n) > MAX_NAME for side in split for n in side):
        return CompareProblem("usage")
    row_names, col_names = (list(dict.fromkeys(side)) for side in split)
    if len(row_names) > MAX_COMPARE or len(col_names) > MAX_COMPARE:
        return CompareProblem("too_big", len(row_names), len(col_names))
    resolutions = [await read_name(interop, n) for n in (*row_names, *col_names)]
    if not all(r.resolved for r in resolutions):
        return Unresolved(tuple(resolutions))
    companies = [r.company for r in resolutions if r.company is not None]
    return await compare(interop, companies[:len(row_names)], companies[len(row_names):])
