"""The answering core: check, profile, search, recent and free questions, as domain objects.

Both adapters (Telegram and the terminal) call this and only format what it returns. It also
owns the live company index (resolver + group tree), so every admin write is visible to every
chat at once.
"""

from __future__ import annotations

import logging
from collections import OrderedDict, defaultdict
from collections.abc import Iterable

from bot.domain import (
    CheckHint,
    CheckResult,
    Company,
    Fact,
    FactView,
    Profile,
    Resolution,
    SearchResult,
    Status,
    Thread,
    Unresolved,
    Verdict,
)
from bot.feedback import note_miss
from bot.resolver import Resolver
from bot.store import Store

log = logging.getLogger(__name__)

# Which current state answers "does it work?" best: a live thread beats a newer ended one.
_STATUS_RANK = {Status.LIVE: 0, Status.PARTIAL: 1, Status.ANNOUNCED: 2, Status.ENDED: 3}
MAX_RECENT = 50
CHECK_CACHE_SIZE = 4096


class Interop:
    """The service both adapters talk to, built from an open store and a built resolver.

    Start-up (open, seed, integrity check, index) is ``bot.startup.open_interop``.
    """

    def __init__(self, store: Store, resolver: Resolver, companies: Iterable[Company]) -> None:
        self.store = store
        self.resolver = resolver
        self._children: dict[int, set[int]] = defaultdict(set)
        self._parent: dict[int, int | None] = {}
        # Popular pairs are asked again and again; each entry remembers the store's data_version,
        # so any commit anywhere (an admin, an import, another process) invalidates it.
        self._checks: OrderedDict[tuple[int, int], tuple[int, CheckResult]] = OrderedDict()
        # The same few questions come in the same words; their split is reused until the index
        # changes (every in-process index change goes through refresh_companies).
        self._index_version = 0
        self._splits: OrderedDict[str, tuple[int, tuple[Resolution, Resolution] | None]] = OrderedDict()
        for company in companies:
            self._link(company)

    async def close(self) -> None:
        await self.store.close()

    # -- company graph -------------------------------------------------------------------

    def _link(self, company: Company) -> None:
        old_parent = self._parent.get(company.id)
        if old_parent is not None:
            self._children[old_parent].discard(company.id)
        self._parent[company.id] = company.parent_id
        if company.parent_id is not None:
            self._children[company.parent_id].add(company.id)

    def company(self, company_id: int) -> Company:
        company = self.resolver.company(company_id)
        if company is None:  # only if the index and the store disagree; keep answering
            return Company(id=company_id, name=f"company #{company_id}")
        return company

    def descendants(self, company_id: int) -> set[int]:
        found: set[int] = set()
        stack = [company_id]
        while stack:
            for child in self._children.get(stack.pop(), ()):
                if child not in found and child != company_id:
                    found.add(child)
                    stack.append(child)
        return found

    def ancestors(self, company_id: int) -> list[Company]:
        chain: list[Company] = []
        seen = {company_id}
        parent = self._parent.get(company_id)
        while parent is not None and parent not in seen:
            chain.append(self.company(parent))
            seen.add(parent)
            parent = self._parent.get(parent)
        return chain

    async def refresh_companies(self, company_ids: Iterable[int] | None = None) -> None:
        """Bring the index up to date after a write: only the named companies, or all."""
        self._index_version += 1
        if company_ids is None:
            for company in await self.store.companies():
                if self.resolver.company(company.id) != company:
                    self.resolver.upsert_company(company)
                    self._link(company)
            return
        for company_id in company_ids:
            company = await self.store.company(company_id)
            if company is None:
                self.resolver.remove_company(company_id)
            else:
                self.resolver.upsert_company(company)
                self._link(company)

    # -- answers -------------------------------------------------------------------------

    def view(self, fact: Fact, *, via_affiliate: bool = False) -> FactView:
        return FactView(fact, self.company(fact.subject_id), self.company(fact.object_id),
                        via_affiliate)

    def _threads(self, views: Iterable[FactView]) -> tuple[Thread, ...]:
        grouped: dict[tuple[int, int, str, str], list[FactView]] = defaultdict(list)
        for v in views:
            grouped[(v.fact.subject_id, v.fact.object_id, v.fact.kind.value, v.fact.scope)].append(v)
        threads = [
            Thread(subject=vs[0].subject, object=vs[0].object, kind=vs[0].fact.kind,
                   events=tuple(sorted(vs, key=lambda v: v.fact.sort_key)))
            for vs in grouped.values()
        ]
        threads.sort(key=lambda t: (_STATUS_RANK[t.current.fact.status],
                                    _neg(t.current.fact.date), t.subject.name))
        return tuple(threads)

    async def check(self, a: Company, b: Company) -> CheckResult:
        """Direct facts in both directions, plus facts between the two groups' members."""
        key = (a.id, b.id)
        version = self.store.data_version()  # read first: a later commit can only invalidate
        cached = self._checks.get(key)
        if cached is not None and cached[0] == version and cached[1].a == a and cached[1].b == b:
            self._checks.move_to_end(key)
            return cached[1]
        result = await self._check(a, b)
        self._checks[key] = (version, result)
        if len(self._checks) > CHECK_CACHE_SIZE:
            self._checks.popitem(last=False)
        return result

    async def _check(self, a: Company, b: Company) -> CheckResult:
        group_a = self.descendants(a.id) | {a.id}
        group_b = self.descendants(b.id) | {b.id}
        if len(group_a) > 1 or len(group_b) > 1:  # one query covers both the pair and the groups
            found = await self.store.facts_between(group_a, group_b)
            pair = {a.id, b.id}
            direct = [f for f in found if {f.subject_id, f.object_id} == pair]
            rollup = [f for f in found if {f.subject_id, f.object_id} != pair]
        else:
            direct, rollup = await self.store.facts_between([a.id], [b.id]), []
        threads = self._threads(self.view(f) for f in direct)
        rolled = self._threads(self.view(f, via_affiliate=True) for f in rollup)
        best = threads[0] if threads else (rolled[0] if rolled else None)
        verdict = Verdict(best.current.fact.status.value) if best else Verdict.NO_RECORD
        return CheckResult(a=a, b=b, verdict=verdict, threads=threads, rollup=rolled)

    async def check_text(self, text: str) -> CheckResult | Unresolved | None:
        """``/check`` arguments; None when they are not two names at all."""
        pair = self._split_pair(text)
        if pair is None:
            return None
        ra, rb = pair
        if ra.company is not None and rb.company is not None:
            if ra.company.id == rb.company.id:
                return None
            return note_miss(await self.check(ra.company, rb.company))
        return note_miss(Unresolved((ra, rb)))  # /misses counts unknown names and no-record pairs

    def _split_pair(self, text: str) -> tuple[Resolution, Resolution] | None:
        cached = self._splits.get(text)
        if cached is not None and cached[0] == self._index_version:
            self._splits.move_to_end(text)
            return cached[1]
        pair = self.resolver.split_pair(text)
        self._splits[text] = (self._index_version, pair)
        if len(self._splits) > CHECK_CACHE_SIZE:
            self._splits.popitem(last=False)
        return pair

    async def profile(self, company: Company) -> Profile:
        family = self.descendants(company.id)
        facts = await self.store.facts_involving({company.id} | family)
        views = tuple(
            self.view(f, via_affiliate=company.id not in (f.subject_id, f.object_id))
            for f in sorted(facts, key=lambda f: (f.kind.value, _neg(f.date), f.id)))
        parent = self.company(company.parent_id) if company.parent_id is not None else None
        children = tuple(sorted((self.company(c) for c in self._children.get(company.id, ())),
                                key=lambda c: c.name))
        siblings: tuple[Company, ...] = ()
        if company.parent_id is not None:
            siblings = tuple(sorted(
                (self.company(c) for c in self._children.get(company.parent_id, ())
                 if c != company.id), key=lambda c: c.name))
        return Profile(company=company, parent=parent, children=children, affiliates=siblings,
                       facts=views)

    def resolve(self, name: str) -> Resolution:
        return self.resolver.resolve(name)

    async def profile_text(self, name: str) -> Profile | Unresolved:
        resolution = self.resolver.resolve(name)
        if resolution.company is None:
            return Unresolved((resolution,))
        return await self.profile(resolution.company)

    async def search(self, text: str, limit: int = 10) -> SearchResult:
        facts = await self.store.search(text, limit)
        return SearchResult(query=text, hits=tuple(self.view(f) for f in facts))

    async def recent(self, n: int = 10) -> list[FactView]:
        n = max(1, min(n, MAX_RECENT))
        return [self.view(f) for f in await self.store.recent(n)]

    async def ask(self, text: str) -> CheckResult | Profile | SearchResult:
        """A free question: two names -> check, one -> profile, none -> full-text search."""
        found = self.resolver.find_in_text(text)
        if len(found) >= 2:
            return note_miss(await self.check(found[0], found[1]))
        if len(found) == 1:
            return await self.profile(found[0])
        return await self.search(text)

    async def check_hint(self, text: str) -> CheckHint:
        """What to tell someone whose ``/check`` text was not two different companies."""
        pair = self._split_pair(text) if text else None
        if pair is not None:
            a, b = pair[0].company, pair[1].company
            return CheckHint(same=a) if a is not None and b is not None and a.id == b.id else CheckHint()
        single = self.resolve(text).company if text else None
        if single is None:
            return CheckHint()
        return CheckHint(single=single, partner=await self.partner_for(single))

    async def partner_for(self, company: Company) -> Company | None:
        """The other party of the company's latest fact: a pair worth suggesting."""
        facts = await self.store.facts_involving([company.id])
        if not facts:
            return None
        latest = facts[-1]
        return self.company(latest.object_id if latest.subject_id == company.id else latest.subject_id)



def _neg(date: str) -> str:
    """Sort key that puts later ISO dates first (and undated last)."""
    return "".join(chr(0x10FFFF - ord(ch)) for ch in date) if date else "\U0010ffff"

