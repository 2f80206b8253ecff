"""The answers read from the store: a pair's check, a company's profile, a kind's facts, a
search, the latest facts, each fully built from the store and the company tree.

What a text asks for is decided in ``bot.answers``; this module only fetches and shapes.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace

from bot.cache import Cache
from bot.domain import (
    Built,
    CheckResult,
    Company,
    Fact,
    FactView,
    Kind,
    KindFacts,
    Profile,
    Region,
    SearchResult,
    Status,
    Thread,
    Unresolved,
    Verdict,
)
from bot.store import Edit, Store
from bot.sync import IndexSync
from bot.tree import CompanyTree

# Which current state answers "does it work?" best: a live thread beats a newer ended one.
STATUS_RANK = {Status.LIVE: 0, Status.PARTIAL: 1, Status.ANNOUNCED: 2, Status.ENDED: 3}
MAX_RECENT = 50
MAX_CHANGES = 30
CHECK_CACHE_SIZE = 4096
PROFILE_CACHE_SIZE = 64
"""Profiles kept: a big company's profile is thousands of facts, and every page press asks again."""
_SEARCH_STOP = frozenset({"the", "a", "an", "of", "in", "on", "to", "and", "or", "for", "with", "is"})
SCOPE_TOKEN = re.compile(r"[a-z0-9]+")


class Queries:
    """Checks, profiles and searches over the store, with the company tree's names and groups."""

    def __init__(self, store: Store, index: IndexSync) -> None:
        self.store = store
        self.index = index
        self.tree: CompanyTree = index.tree
        # Popular pairs are asked again and again; each entry is kept under the store's content
        # version, so any change to a fact, a source or a name (an admin, an import, another
        # process) invalidates it, while commits that change no answer leave it be.
        self.checks: Cache[tuple[int, int], CheckResult] = Cache(CHECK_CACHE_SIZE)
        # Profiles the same way, also under the index version (a parent or child renamed
        # changes the profile without a fact write in this process).
        self.profiles: Cache[int, Profile] = Cache(PROFILE_CACHE_SIZE)

    def company(self, company_id: int) -> Company:
        return self.tree.company(company_id)

    def view(self, fact: Fact, *, via_affiliate: bool = False) -> FactView:
        return FactView(fact, self.company(fact.subject_id), self.company(fact.object_id),
                        via_affiliate)

    def threads(self, views: Iterable[FactView],
                asked: tuple[Company, Company] | None = None) -> tuple[Thread, ...]:
        """Facts grouped per (subject, object, kind, scope, region), best standing first; for a roll-up
        (``asked`` set) each thread says how its parties belong to the asked companies."""
        grouped: dict[tuple[int, int, str, str, str], list[FactView]] = defaultdict(list)
        for v in views:
            grouped[(v.fact.subject_id, v.fact.object_id, v.fact.kind.value, v.fact.scope,
                     v.fact.region)].append(v)
        threads = [
            Thread(subject=vs[0].subject, object=vs[0].object, kind=vs[0].fact.kind,
                   events=tuple(sorted(vs, key=lambda v: v.fact.sort_key)),
                   links=self.tree.via(vs[0].subject, vs[0].object, asked) if asked else ())
            for vs in grouped.values()
        ]
        threads.sort(key=lambda t: (STATUS_RANK[t.standing.fact.status],
                                    neg_date(t.standing.fact.date), t.subject.name))
        return tuple(threads)

    async def check(self, a: Company, b: Company) -> CheckResult:
        """Direct facts in both directions, plus facts between the two groups' members."""
        key = (a.id, b.id)
        version = self.store.content_version()  # read first: a later commit can only invalidate
        cached = self.checks.peek(key, version)
        if cached is not None and cached.a == a and cached.b == b:
            return cached
        return self.checks.put(key, await self._check(a, b), version)

    async def _check(self, a: Company, b: Company) -> CheckResult:
        group_a = self.tree.descendants(a.id) | {a.id}
        group_b = self.tree.descendants(b.id) | {b.id}
        if len(group_a) > 1 or len(group_b) > 1:  # one query covers both the pair and the groups
            found = await self.store.facts_between(group_a, group_b)
            pair = {a.id, b.id}
            direct = [f for f in found if {f.subject_id, f.object_id} == pair]
            rollup = [f for f in found if {f.subject_id, f.object_id} != pair]
        else:
            direct, rollup = await self.store.facts_between([a.id], [b.id]), []
        threads = self.threads(self.view(f) for f in direct)
        rolled = self.threads((self.view(f, via_affiliate=True) for f in rollup), (a, b))
        best = threads[0] if threads else (rolled[0] if rolled else None)
        verdict = Verdict(best.standing.fact.status.value) if best else Verdict.NO_RECORD
        return CheckResult(a=a, b=b, verdict=verdict, threads=threads, rollup=rolled)

    async def check_kind(self, a: Company, b: Company, kind: Kind | None,
                         scope: str = "", region: str = "", feature: str = "") -> CheckResult:
        """A check whose headline answers ``kind`` (the pair's best state when None); threads of
        the asked ``region`` lead, then those that hold everywhere. A named ``feature`` is
        answered by its own threads (``scope``) only: another feature's state is never its answer."""
        result = _prefer_region(await self.check(a, b), region)
        if kind is None:
            return result
        asked = replace(result, kind=kind, scope=scope, feature=feature)
        focus = result.of_kind(kind)
        if scope:
            same = tuple(t for t in focus if t.scope.casefold() == scope.casefold())
            focus = asked.of_feature(focus) if feature else same or focus
        verdict = Verdict(focus[0].standing.fact.status.value) if focus else Verdict.NO_RECORD
        return replace(asked, verdict=verdict)

    async def options(self, unresolved: Unresolved) -> list[CheckResult]:
        """Candidate pairs for a check with one or both names unsure (inline offers them)."""
        sides: list[list[Company]] = []
        for r in unresolved.resolutions:
            sides.append([r.company] if r.company else [c.company for c in r.candidates[:3]])
        if len(sides) != 2:
            return []
        return [await self.check(a, b) for a in sides[0] for b in sides[1] if a.id != b.id]

    async def profile(self, company: Company) -> Profile:
        """The company's card and every fact of its group; remembered until the store changes."""
        version = (self.store.content_version(), self.index.version)  # read first: see check
        cached = self.profiles.peek(company.id, version)
        if cached is not None and cached.company == company:
            return cached
        return self.profiles.put(company.id, await self._profile(company), version)

    async def _profile(self, company: Company) -> Profile:
        family = self.tree.descendants(company.id)
        order, first = await self.store.profile_facts({company.id} | family)

        def view(f: Fact) -> FactView:
            return self.view(f, via_affiliate=company.id not in (f.subject_id, f.object_id))

        async def load(ids: Sequence[int]) -> list[FactView]:
            return [view(f) for f in await self.store.facts_by_id(ids)]

        views: Built[FactView] = Built.loaded(order, [view(f) for f in first], load)
        parent = self.company(company.parent_id) if company.parent_id is not None else None
        children = tuple(sorted((self.company(c) for c in self.tree.children(company.id)),
                                key=lambda c: c.name))
        siblings: tuple[Company, ...] = ()
        if company.parent_id is not None:
            siblings = tuple(sorted(
                (self.company(c) for c in self.tree.children(company.parent_id)
                 if c != company.id), key=lambda c: c.name))
        return Profile(company=company, parent=parent, children=children, affiliates=siblings,
                       facts=views)

    async def kind_facts(self, company: Company, kind: Kind, scope: str = "", region: str = ""
                         ) -> KindFacts:
        """One company's threads of one kind, best first ("does rcs work on iPhone?")."""
        family = self.tree.descendants(company.id)
        facts = await self.store.facts_involving({company.id} | family, kind)
        threads = self.threads(self.view(f, via_affiliate=company.id not in (f.subject_id, f.object_id))
                               for f in facts)
        threads = by_region(threads, region)
        if scope:
            threads = tuple(sorted(threads, key=lambda t: t.scope != scope))
        return KindFacts(company, kind, threads, scope)

    async def search(self, text: str, limit: int = 10) -> SearchResult:
        """Facts about the term first (it is in their text, or they are the feature it names);
        facts that only share a party named like it ("rcs" is an alias of Android) are left
        out when any fact is about it. Terms of one or two letters match whole words only."""
        facts = await self.store.search(text, limit * 3)
        terms = [t for t in SCOPE_TOKEN.findall(fold_text(text)) if t not in _SEARCH_STOP] or \
            [text.strip().casefold()]
        about = [f for f in facts if self._about(f, terms)]
        if about or all(len(t) <= 2 and t.isascii() for t in terms):
            facts = about
        return SearchResult(query=text, hits=tuple(self.view(f) for f in facts[:limit]))

    def _about(self, fact: Fact, terms: list[str]) -> bool:
        text = " ".join((fact.summary, fact.summary_zh, fact.scope, fact.kind_detail)).casefold()
        for term in terms:
            short = len(term) <= 2 and term.isascii()
            if re.search(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", text) if short or term.isascii() \
                    else term in text:
                continue
            scopes = {f.scope.casefold() for cid in (fact.subject_id, fact.object_id)
                      for f in self.company(cid).features if term in fold_text(f.alias)}
            if not (fact.scope.casefold() in scopes and fact.scope):
                return False
        return True

    async def recent(self, n: int = 10) -> list[FactView]:
        n = max(1, min(n, MAX_RECENT))
        return [self.view(f) for f in await self.store.recent(n)]

    async def changes(self, n: int = 10) -> list[tuple[Edit, FactView]]:
        """/changes: the latest admin edits, newest first, each with its fact as it is now."""
        return [(e, self.view(e.fact)) for e in await self.store.changes(max(1, min(n, MAX_CHANGES)))]

    async def thread_of(self, fact: Fact) -> Thread:
        """The thread ``fact`` belongs to (its pair, kind, scope and region), with all its facts."""
        key = (fact.subject_id, fact.object_id, fact.kind, fact.scope, fact.region)
        same = [f for f in await self.store.facts_between([fact.subject_id], [fact.object_id])
                if (f.subject_id, f.object_id, f.kind, f.scope, f.region) == key]
        return self.threads(self.view(f) for f in same or [fact])[0]

    async def partner_for(self, company: Company) -> Company | None:
        """The other party of the company's latest fact: a pair worth suggesting."""
        facts = await self.store.facts_involving([company.id])
        if not facts:
            return None
        latest = facts[-1]
        return self.company(latest.object_id if latest.subject_id == company.id else latest.subject_id)


def fold_text(text: str) -> str:
    return " ".join(text.casefold().split())


def by_region(threads: tuple[Thread, ...], region: str) -> tuple[Thread, ...]:
    """The asked region's threads first, then those without one, then other regions' (each
    group keeps its best-first order)."""
    if not region:
        return threads

    def rank(thread: Thread) -> int:
        held = thread.current.fact.region
        return 0 if held == region else 1 if held in ("", Region.GLOBAL.value) else 2

    return tuple(sorted(threads, key=rank))


def _prefer_region(result: CheckResult, region: str) -> CheckResult:
    """``result`` with the asked region's threads leading, and the verdict they give."""
    if not region:
        return result
    threads, rollup = by_region(result.threads, region), by_region(result.rollup, region)
    best = threads[0] if threads else (rollup[0] if rollup else None)
    verdict = Verdict(best.standing.fact.status.value) if best else Verdict.NO_RECORD
    return replace(result, verdict=verdict, threads=threads, rollup=rollup)


def neg_date(date: str) -> str:
    """Sort key that puts later ISO dates first (and undated last)."""
    return "".join(chr(0x10FFFF - ord(ch)) for ch in date) if date else "\U0010ffff"
