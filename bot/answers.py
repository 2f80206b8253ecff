"""The answering core: check, profile, search, recent and free questions, as domain objects.

Both adapters (Telegram and the terminal) call this and only format what it returns. It also
owns the live company index (resolver + group tree), so every admin write is visible to every
chat at once.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime

from bot.domain import (
    Built,
    CheckHint,
    CheckResult,
    Checks,
    Company,
    Decision,
    Fact,
    FactView,
    FeatureAlias,
    Kind,
    KindFacts,
    Latest,
    Link,
    Mode,
    Ownership,
    OwnershipVerdict,
    Profile,
    Region,
    Relation,
    Resolution,
    SearchResult,
    SmallTalk,
    Status,
    Substitution,
    Thread,
    Unresolved,
    Verdict,
)
from bot.feedback import MissLog
from bot.names import words as W
from bot.names.reading import Intent, Reading, close_candidates, read
from bot.names.resolver import Resolver
from bot.store import About, Edit, Store
from bot.upkeep import waiting

log = logging.getLogger(__name__)

# Which current state answers "does it work?" best: a live thread beats a newer ended one.
_STATUS_RANK = {Status.LIVE: 0, Status.PARTIAL: 1, Status.ANNOUNCED: 2, Status.ENDED: 3}
MAX_RECENT = 50
MAX_CHANGES = 30
CHECK_CACHE_SIZE = 4096
PROFILE_CACHE_SIZE = 64
"""Profiles kept: a big company's profile is thousands of facts, and every page press asks again."""
RELOAD_ALL_OVER = 500
"""More companies changed than this since the last sync (a big import): reload every company,
which is then cheaper than reading them one by one."""
MAX_PAIRS = 6
"""Pairs answered for one question with many names; the rest are counted ("and 3 more")."""
MAX_SEARCH_NAME_WORDS = 3
"""A message this short with no name in it may be a misspelt name: offer close names."""
MAX_PLACE_PARTNERS = 3
"""A place picks the pair ("upi in sri lanka") when at most this many partners are held there."""
_SEARCH_STOP = frozenset({"the", "a", "an", "of", "in", "on", "to", "and", "or", "for", "with", "is"})
CLOSE_SUGGESTION = 80.0
"""A doubtful name this close to a company is probably a typo of it: ask which pair was meant.
Below it, the name is reported as unknown (with the close names) and the rest is answered."""


class Interop:
    """The service both adapters talk to, built from an open store and a built resolver.

    Start-up (open, seed, integrity check, index) is ``bot.startup.open_interop``.
    """

    def __init__(self, store: Store, resolver: Resolver, companies: Iterable[Company],
                 misses: MissLog | None = None, synced_names: int | None = None) -> None:
        self.store = store
        self.resolver = resolver
        # What people asked and the bot could not answer: this service's own counts (never a
        # process global), saved to /misses by the delivery job.
        self.misses = misses if misses is not None else MissLog()
        self._children: dict[int, set[int]] = defaultdict(set)
        self._parent: dict[int, int | None] = {}
        # Popular pairs are asked again and again; each entry remembers the store's content
        # version, so any change to a fact, a source or a name (an admin, an import, another
        # process) invalidates it, while commits that change no answer leave it be.
        self._checks: OrderedDict[tuple[int, int], tuple[tuple[int, int], CheckResult]] = OrderedDict()
        # Profiles the same way, also keyed by the index version (a parent or child renamed
        # changes the profile without a fact write in this process).
        self._profiles: OrderedDict[int, tuple[tuple[int, int], int, Profile]] = OrderedDict()
        # The same few questions come in the same words; their split is reused until the index
        # changes (every in-process index change goes through refresh_companies).
        self._index_version = 0
        self._splits: OrderedDict[str, tuple[int, tuple[Resolution, Resolution] | None]] = OrderedDict()
        self._readings: OrderedDict[tuple[str, bool], tuple[int, Reading]] = OrderedDict()
        # The newest entry of the store's company change log that the index includes; ``sync``
        # applies the entries after it, one sync at a time. Start-up reads it before the
        # companies (``synced_names``): a change committed while the index is built is then
        # applied by the first sync instead of being taken as included.
        self._synced_names: int = store.company_changes() if synced_names is None else synced_names
        self._sync_lock = asyncio.Lock()
        self._waiting: tuple[tuple[tuple[int, int], date], int] | None = None  # /about's count
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
        """Reload the named companies into the index, or all of them.

        The split and reading caches are versioned by the index they were computed from, so
        the version moves only once the index has changed, after every await: a question
        answered meanwhile is stored under the old version and cannot outlive this refresh.
        """
        if company_ids is None:
            companies = await self.store.companies()
            present = {c.id for c in companies}
            for company in companies:
                if self.resolver.company(company.id) != company:
                    self.resolver.upsert_company(company)
                    self._link(company)
            for gone in [cid for cid in self._parent if cid not in present]:
                self._unlink(gone)
                self.resolver.remove_company(gone)
        else:
            loaded = [(cid, await self.store.company(cid)) for cid in company_ids]
            for company_id, found in loaded:
                if found is None:
                    self._unlink(company_id)
                    self.resolver.remove_company(company_id)
                else:
                    self.resolver.upsert_company(found)
                    self._link(found)
        self._index_version += 1

    async def sync(self) -> None:
        """Bring the index up to the store's company change log: the companies changed since
        it last matched (by this process or another, such as ``python -m bot import``), or
        every company after a big change.

        Every update calls this, so the common case is one indexed read. One sync runs at a
        time: updates arriving during a reload wait for it instead of starting their own.
        """
        if self.store.company_changes() == self._synced_names:
            return
        async with self._sync_lock:
            changed = self.store.companies_changed_since(self._synced_names, RELOAD_ALL_OVER)
            if changed is None:
                newest = self.store.company_changes()  # read first: later changes get the next sync
                await self.refresh_companies()
            else:
                newest, company_ids = changed
                if company_ids:
                    await self.refresh_companies(company_ids)
            self._synced_names = max(self._synced_names, newest)

    def _unlink(self, company_id: int) -> None:
        parent = self._parent.pop(company_id, None)
        if parent is not None:
            self._children[parent].discard(company_id)

    # -- answers -------------------------------------------------------------------------

    def view(self, fact: Fact, *, via_affiliate: bool = False) -> FactView:
        return FactView(fact, self.company(fact.subject_id), self.company(fact.object_id),
                        via_affiliate)

    def _threads(self, views: Iterable[FactView],
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
                   links=self._via(vs[0].subject, vs[0].object, asked) if asked else ())
            for vs in grouped.values()
        ]
        threads.sort(key=lambda t: (_STATUS_RANK[t.standing.fact.status],
                                    _neg(t.standing.fact.date), t.subject.name))
        return tuple(threads)

    def _via(self, subject: Company, obj: Company, asked: tuple[Company, Company]) -> tuple[Link, ...]:
        """For each party that is not an asked company: the link that says how it belongs.

        The weakest link on the way up counts ("via Ant Group (Alibaba affiliate)"); if all are
        owned, the party's own link does ("via WeChat Pay, WeChat's payment service").
        """
        asked_ids = {c.id for c in asked}
        links: list[Link] = []
        for party in (subject, obj):
            if party.id in asked_ids:
                continue
            chain = self.chain(party)
            upto: list[Link] = []
            for link in chain:
                upto.append(link)
                if link.parent.id in asked_ids:
                    break
            if not upto:
                continue
            weak = [link for link in upto if link.relation is Relation.AFFILIATE]
            links.append(weak[-1] if weak else upto[0])
        return tuple(links)

    def chain(self, company: Company) -> tuple[Link, ...]:
        """The company's links upwards: itself to its parent, the parent to its own, ..."""
        links: list[Link] = []
        seen = {company.id}
        child = company
        parent_id = self._parent.get(company.id, company.parent_id)
        while parent_id is not None and parent_id not in seen:
            parent = self.company(parent_id)
            links.append(Link(child, parent, child.relation))
            seen.add(parent_id)
            child = parent
            parent_id = self._parent.get(parent_id)
        return tuple(links)

    async def check(self, a: Company, b: Company) -> CheckResult:
        """Direct facts in both directions, plus facts between the two groups' members."""
        key = (a.id, b.id)
        version = self.store.content_version()  # read first: a later commit can only invalidate
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
        rolled = self._threads((self.view(f, via_affiliate=True) for f in rollup), (a, b))
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
        focus = result.of_kind(kind)
        if scope:
            same = tuple(t for t in focus if t.scope.casefold() == scope.casefold())
            focus = same if feature else same or focus
        verdict = Verdict(focus[0].standing.fact.status.value) if focus else Verdict.NO_RECORD
        return CheckResult(a=a, b=b, verdict=verdict, threads=result.threads,
                           rollup=result.rollup, kind=kind, scope=scope, feature=feature)

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
        """The company's card and every fact of its group; cached until the store changes."""
        version = self.store.content_version()  # read first: a later commit can only invalidate
        index = self._index_version
        cached = self._profiles.get(company.id)
        if (cached is not None and cached[0] == version and cached[1] == index
                and cached[2].company == company):
            self._profiles.move_to_end(company.id)
            return cached[2]
        profile = await self._profile(company)
        self._profiles[company.id] = (version, index, profile)
        if len(self._profiles) > PROFILE_CACHE_SIZE:
            self._profiles.popitem(last=False)
        return profile

    async def _profile(self, company: Company) -> Profile:
        family = self.descendants(company.id)
        facts = await self.store.profile_facts({company.id} | family)
        views: Built[FactView] = Built.each(
            facts, lambda f: self.view(f, via_affiliate=company.id not in (f.subject_id, f.object_id)))
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

    async def search(self, text: str, limit: int = 10) -> SearchResult:
        """Facts about the term first (it is in their text, or they are the feature it names);
        facts that only share a party named like it ("rcs" is an alias of Android) are left
        out when any fact is about it. Terms of one or two letters match whole words only."""
        facts = await self.store.search(text, limit * 3)
        terms = [t for t in _SCOPE_TOKEN.findall(_fold_text(text)) if t not in _SEARCH_STOP] or \
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
                      for f in self.company(cid).features if term in _fold_text(f.alias)}
            if not (fact.scope.casefold() in scopes and fact.scope):
                return False
        return True

    async def _place_partner(self, company: Company, reading: Reading, held_only: bool = False
                             ) -> Company | None:
        """The other party of the company's facts held in, or (unless ``held_only``) about, the
        place the question names; None when no fact is, or when so many are that the place picks
        nothing."""
        facts = await self.store.facts_involving([company.id], reading.kind)
        partners: dict[int, Company] = {}
        for fact in sorted(facts, key=lambda f: (_STATUS_RANK[f.status], _neg(f.date))):
            other = self.company(fact.object_id if fact.subject_id == company.id else fact.subject_id)
            about = " ".join((fact.summary, other.name, *other.aliases, other.description)).casefold()
            if reading.region and fact.region not in ("", reading.region, Region.GLOBAL.value) \
                    and not _names_region(reading.text, fact.region):
                continue  # held elsewhere: "alipay in malaysia" is not Malaysians paying in China
            if (reading.region and fact.region == reading.region) or (
                    not held_only and _mentions_place(about, reading.place)):
                partners.setdefault(other.id, other)
        if not 1 <= len(partners) <= MAX_PLACE_PARTNERS:
            return None
        return next(iter(partners.values()))

    async def recent(self, n: int = 10) -> list[FactView]:
        n = max(1, min(n, MAX_RECENT))
        return [self.view(f) for f in await self.store.recent(n)]

    async def changes(self, n: int = 10) -> list[tuple[Edit, FactView]]:
        """/changes: the latest admin edits, newest first, each with its fact as it is now."""
        return [(e, self.view(e.fact)) for e in await self.store.changes(max(1, min(n, MAX_CHANGES)))]

    async def about(self, today: date | None = None) -> About:
        """/about: what the store covers, when it last changed, and how many threads wait for
        an admin's look (``bot.upkeep``)."""
        about = await self.store.about()
        day = today or datetime.now(UTC).date()
        key = (self.store.content_version(), day)  # read first: a later commit only invalidates
        if self._waiting is None or self._waiting[0] != key:
            # Counting waiting threads reads every live fact (~0.5 s at 100k facts): once per
            # change to the facts and per day, not once per /about.
            self._waiting = (key, await waiting(self, day))
        return replace(about, waiting=self._waiting[1])

    async def thread_of(self, fact: Fact) -> Thread:
        """The thread ``fact`` belongs to (its pair, kind, scope and region), with all its facts."""
        key = (fact.subject_id, fact.object_id, fact.kind, fact.scope, fact.region)
        same = [f for f in await self.store.facts_between([fact.subject_id], [fact.object_id])
                if (f.subject_id, f.object_id, f.kind, f.scope, f.region) == key]
        return self._threads(self.view(f) for f in same or [fact])[0]

    async def partner_for(self, company: Company) -> Company | None:
        """The other party of the company's latest fact: a pair worth suggesting."""
        facts = await self.store.facts_involving([company.id])
        if not facts:
            return None
        latest = facts[-1]
        return self.company(latest.object_id if latest.subject_id == company.id else latest.subject_id)


    # -- what a text means: the one answering policy -------------------------------------

    def read(self, text: str, *, command: bool = False) -> Reading:
        """The reading of a text, reused while the index is unchanged (the same few questions
        come in the same words)."""
        key = (text, command)
        cached = self._readings.get(key)
        if cached is not None and cached[0] == self._index_version:
            self._readings.move_to_end(key)
            return cached[1]
        version = self._index_version
        reading = read(self.resolver, text, command=command)
        self._readings[key] = (version, reading)
        if len(self._readings) > CHECK_CACHE_SIZE:
            self._readings.popitem(last=False)
        return reading

    async def decide(self, text: str, mode: Mode = Mode.ASK) -> Decision:
        """What any text means, answered: /check and /company arguments, free text in chats and
        inline queries (``Mode``).

        Every adapter renders this one decision, so the console, chats and inline mode can
        never answer the same text differently.
        """
        await self.sync()
        text = text.strip()
        if mode == Mode.COMPANY:
            return await self._decide_company(text)
        decision = await (self._decide_check(text) if mode == Mode.CHECK else self._decide_ask(text))
        _note_misses(self.misses, decision)
        return decision

    async def _decide_check(self, text: str) -> Decision:
        if not text:
            return Decision(CheckHint())
        whole = self.resolver.exact(text)
        if whole is not None:
            # One known name, even with a separator inside ("AT&T", "wechat pay"): the hint.
            # Exact only: the whole argument is nearly always two names, and a fuzzy lookup of
            # it (milliseconds) could only find a typo, which is never taken as the one name.
            return Decision(await self.check_hint_for(whole))
        reading = self.read(text, command=True)
        companies = reading.companies()
        unknown = tuple(n.resolution for n in reading.unknown)
        doubtful = tuple(n.resolution for n in reading.doubtful)
        if len(companies) >= 2:
            return await self._pairs(reading, unknown + doubtful)
        pair = self._split_pair(text)  # the two-sided split, for what the reading left unsure
        # A run of words with no close name ("ali tao") may still be two names side by side.
        runs = all(len(r.query.split()) > 1 for r in unknown) or _named_by(unknown, pair)
        if pair is not None and runs and len(companies) + len(doubtful) + len(unknown) <= 2:
            a, b = pair[0].company, pair[1].company
            if a is not None and b is not None and a.id != b.id:
                return Decision(await self.check(a, b))
            if (a or pair[0].candidates) and (b or pair[1].candidates) and not (a and b):
                return Decision(Unresolved(pair))
        if doubtful:
            return Decision(Unresolved(tuple(n.resolution for n in reading.names
                                             if n.company is not None or n.candidates)),
                            unknown)
        if len(companies) == 1:
            if len(reading.known) > 1 and not unknown:
                return Decision(CheckHint(same=companies[0]))
            return Decision(await self.check_hint_for(companies[0]), unknown)
        return Decision(CheckHint(), unknown)

    async def check_hint_for(self, company: Company) -> CheckHint:
        return CheckHint(single=company, partner=await self.partner_for(company))

    async def _decide_company(self, text: str) -> Decision:
        if not text:
            return Decision(Unresolved(()))
        whole = self.resolver.resolve(text)
        if whole.company is not None:
            return Decision(await self.profile(whole.company))
        reading = self.read(text, command=True)
        companies = reading.companies()
        if len(companies) == 1 and not reading.doubtful:
            unknown = tuple(n.resolution for n in reading.unknown)
            return Decision(await self.profile(companies[0]), unknown)
        return Decision(Unresolved((whole,)))

    async def _decide_ask(self, text: str) -> Decision:
        if not text:
            return Decision(SmallTalk())
        reading = self.read(text)
        if reading.intent is Intent.HELP:
            return Decision(SmallTalk())
        if reading.intent is Intent.LATEST:
            return Decision(Latest(tuple(await self.recent(10))))
        companies = reading.companies()
        unknown = tuple(n.resolution for n in reading.unknown)
        doubtful = tuple(n.resolution for n in reading.doubtful)
        if reading.intent is Intent.OWNERSHIP and companies:
            return Decision(self.ownership(companies[0], companies[1] if len(companies) > 1 else None,
                                           reading), unknown + doubtful, corrected=reading.corrected)
        if len(companies) >= 2:
            return await self._pairs(reading, unknown + doubtful)
        # Names only ("at&t corp alipay"): as /check. A text that is exactly one company's name
        # ("Kleproulfox Travel", an inline query) is that company, not a pair to split.
        whole = len(companies) == 1 and self.resolver.exact(text) == companies[0]
        if not whole and len(text.split()) <= MAX_SEARCH_NAME_WORDS:
            pair = self._split_pair(text)
            if unknown and not _named_by(unknown, pair):  # "amazon alipay" is not Amazon Fire TV
                pair = None
            if pair is not None and pair[0].company and pair[1].company \
                    and pair[0].company.id != pair[1].company.id:
                return Decision(await self.check(pair[0].company, pair[1].company))
        if len(companies) == 1:
            short = len(text.split()) <= MAX_SEARCH_NAME_WORDS  # "jd ali": names only, like /check
            close = [r for r in doubtful if short or r.candidates[0].score >= CLOSE_SUGGESTION]
            if close:  # "jd alipya": a pair with one side unsure -> did-you-mean pairs
                known = next(n for n in reading.names if n.company is not None)
                rest = tuple(r for r in doubtful if r is not close[0])
                return Decision(Unresolved((known.resolution, close[0])), unknown + rest)
            unknown += doubtful  # "amazon" is not "Amazon Fire TV": say so, answer the rest
            company = companies[0]
            kind = reading.kind
            if reading.place:  # "upi in sri lanka": the place picks the pair
                partner = await self._place_partner(company, reading)
                if partner is not None:
                    return await self._pairs(replace(reading, names=(
                        *reading.names, replace(reading.known[0], company=partner, side=99))), unknown)
                held_here = reading.region and any(
                    f.region == reading.region
                    for f in await self.store.facts_involving([company.id], reading.kind))
                for sister in self._sisters(company) if reading.region and not held_here else ():
                    # "alipay in malaysia": what is held there is its sister's (Alipay+ x DuitNow)
                    partner = await self._place_partner(sister, reading, held_only=True)
                    if partner is not None and partner.id != company.id:
                        known = reading.known[0]
                        return await self._pairs(replace(reading, names=(
                            replace(known, company=sister), replace(known, company=partner, side=99))),
                            unknown)
            if kind is not None:
                return Decision(await self.kind_facts(company, kind, reading.scope, reading.region),
                                unknown, corrected=reading.corrected)
            return Decision(await self.profile(company), unknown, corrected=reading.corrected)
        words = len(text.split())
        if (unknown or doubtful) and words > 1:  # "grabpay on shopee": say each name, search nothing
            return Decision(Unresolved(unknown + doubtful))
        result = await self.search(reading.text)
        if words > MAX_SEARCH_NAME_WORDS:  # a sentence with no name: searched, and saying so
            result = replace(result, fallback=True)
        if result.hits:  # a topic; a short text may also be a misspelt name: offer those too
            short = len(text.split()) <= MAX_SEARCH_NAME_WORDS
            return Decision(result, suggest=Unresolved(doubtful) if doubtful and short else None)
        if doubtful:
            return Decision(Unresolved(doubtful), unknown)
        if not result.hits:
            if unknown:
                return Decision(Unresolved(unknown))
            if len(text.split()) <= MAX_SEARCH_NAME_WORDS:
                guess = self.resolver.resolve(text)
                guess = replace(guess, candidates=close_candidates(_fold_text(text), guess.candidates))
                if guess.candidates:  # a lone weak match is a suggestion, never an answer
                    return Decision(Unresolved((guess,)))
        return Decision(result)

    async def _pairs(self, reading: Reading, unknown: tuple[Resolution, ...]) -> Decision:
        """Each meaningful pair of the names: across sides when the question has sides ("Alipay
        or WeChat Pay on JD"), else every pair; one full answer for one pair."""
        known = reading.known
        pairs: list[tuple[Company, Company]] = []
        seen: set[frozenset[int]] = set()
        sides = {n.side for n in known}
        for i, x in enumerate(known):
            for y in known[i + 1:]:
                assert x.company is not None and y.company is not None
                key = frozenset((x.company.id, y.company.id))
                if len(key) < 2 or key in seen:
                    continue
                if len(sides) > 1 and x.side == y.side:
                    continue
                seen.add(key)
                pairs.append((x.company, y.company))
        if not pairs:  # every name on one side twice over: fall back to every pair
            companies = reading.companies()
            pairs = [(a, b) for i, a in enumerate(companies) for b in companies[i + 1:]]
        notes: list[Substitution] = []
        results: list[CheckResult] = []
        for a, b in pairs[:MAX_PAIRS]:
            kind = reading.kind
            if kind is None and reading.host in (a.id, b.id):  # "支付宝里能用美团吗": a mini-program
                guest = b if reading.host == a.id else a
                if guest.kind not in (Kind.PAYMENTS.value, Kind.LOGISTICS.value):
                    kind = Kind.SHOPPING
            feature = _feature(reading, a, b)
            if feature is not None:
                result = await self.check_kind(a, b, feature.kind, feature.scope, reading.region,
                                               feature.alias)
                results.append(_negated(result, reading))
                continue
            picked = _scope_pick(await self.check(a, b), reading.words, kind)
            if picked is not None:
                result = await self.check_kind(a, b, picked[0], picked[1], reading.region)
                results.append(_negated(result, reading))
                continue
            result = await self.check_kind(a, b, kind, reading.scope, reading.region)
            implied = self._implied_kind(a, b) if kind is None else None
            if implied is not None:  # the wallet's own kind leads only when it says otherwise
                focused = await self.check_kind(a, b, implied, region=reading.region)
                if focused.of_kind(implied) and focused.verdict is not result.verdict:
                    result, kind = focused, implied
            if kind is not None and not result.of_kind(kind):
                substitute = await self._through_product(a, b, kind, reading.scope, reading.region)
                if substitute is not None:
                    result, note = substitute
                    notes.append(note)
            results.append(_negated(result, reading))
        if len(results) == 1:
            return Decision(results[0], unknown, tuple(notes), corrected=reading.corrected)
        more = max(0, len(pairs) - MAX_PAIRS)
        return Decision(Checks(tuple(results), reading.kind, more), unknown, tuple(notes),
                        corrected=reading.corrected)

    def _implied_kind(self, a: Company, b: Company) -> Kind | None:
        """With no kind word, a party that is itself a kind of service ("支付宝" is payments)
        says what the question is about: "美团能用支付宝吗" asks about paying."""
        for company in (b, a):
            if company.kind in (Kind.PAYMENTS.value, Kind.LOGISTICS.value):
                return Kind(company.kind)
        return None

    def _sisters(self, company: Company) -> list[Company]:
        """The other children of the company's parent, by name."""
        if company.parent_id is None:
            return []
        return sorted((self.company(c) for c in self._children.get(company.parent_id, ())
                       if c != company.id), key=lambda c: c.name)

    def products(self, company: Company) -> list[Company]:
        """The company's products and services (WeChat Pay of WeChat): children typed as
        products; in a tree without types, family members whose name extends this one."""
        children = [self.company(c) for c in self._children.get(company.id, ())]
        typed = [c for c in children if c.relation is Relation.PRODUCT]
        if typed:
            return sorted(typed, key=lambda c: c.name)
        family = set(self._children.get(company.id, ()))
        if company.parent_id is not None:
            family |= self._children.get(company.parent_id, set())
        prefix = company.name.casefold() + " "
        return sorted((self.company(c) for c in family
                       if c != company.id and self.company(c).name.casefold().startswith(prefix)
                       and self.company(c).relation is None), key=lambda c: c.name)

    async def _through_product(self, a: Company, b: Company, kind: Kind, scope: str, region: str = ""
                               ) -> tuple[CheckResult, Substitution] | None:
        """Answer with a product's facts when the named company holds none of the kind
        ("pay with WeChat on Ele.me" is WeChat Pay's)."""
        for asked, other in ((b, a), (a, b)):
            for product in self.products(asked):
                if product.id == other.id:
                    continue
                result = await self.check_kind(*((other, product) if asked is b else (product, other)),
                                               kind, scope, region)
                if result.of_kind(kind):
                    return result, Substitution(asked, product, product.relation)
        return None

    async def kind_facts(self, company: Company, kind: Kind, scope: str = "", region: str = ""
                         ) -> KindFacts:
        """One company's threads of one kind, best first ("does rcs work on iPhone?")."""
        family = self.descendants(company.id)
        facts = await self.store.facts_involving({company.id} | family, kind)
        threads = self._threads(self.view(f, via_affiliate=company.id not in (f.subject_id, f.object_id))
                                for f in facts)
        threads = _by_region(threads, region)
        if scope:
            threads = tuple(sorted(threads, key=lambda t: t.scope != scope))
        return KindFacts(company, kind, threads, scope)

    def ownership(self, first: Company, second: Company | None, reading: Reading) -> Ownership:
        """Answer "who owns X", "is X part of Y", "does Y own X" from the company tree."""
        if second is None:
            return Ownership(first, None, OwnershipVerdict.CHAIN, self.chain(first))
        if reading.owner_first:  # "does Tencent own JD": JD is the one asked about
            first, second = second, first
        for child, parent in ((first, second), (second, first)):
            chain = self.chain(child)
            upto: list[Link] = []
            for link in chain:
                upto.append(link)
                if link.parent.id == parent.id:
                    weak = any(x.relation is Relation.AFFILIATE for x in upto)
                    verdict = OwnershipVerdict.AFFILIATE if weak else OwnershipVerdict.YES
                    return Ownership(child, parent, verdict, tuple(upto))
        chain, other_chain = self.chain(first), self.chain(second)
        above = {link.parent.id for link in other_chain}
        common = next((i for i, link in enumerate(chain) if link.parent.id in above), None)
        if common is not None:  # "is Temu related to Pinduoduo": both PDD Holdings'
            group = chain[common].parent
            top = next(i for i, link in enumerate(other_chain) if link.parent.id == group.id)
            return Ownership(first, group, OwnershipVerdict.RELATED, chain[:common + 1],
                             other_chain[:top + 1], other=second)
        return Ownership(first, second, OwnershipVerdict.NO, chain, other_chain)

    async def options(self, unresolved: Unresolved) -> list[CheckResult]:
        """Candidate pairs for a check with one or both names unsure (inline offers them)."""
        sides: list[list[Company]] = []
        for r in unresolved.resolutions:
            sides.append([r.company] if r.company else [c.company for c in r.candidates[:3]])
        if len(sides) != 2:
            return []
        return [await self.check(a, b) for a in sides[0] for b in sides[1] if a.id != b.id]



def _feature(reading: Reading, a: Company, b: Company) -> FeatureAlias | None:
    """The feature of ``a`` or ``b`` the question named by its own name ("iMessage"), if any."""
    for company_id, alias, _scope in reading.features:
        for company in (a, b):
            if company.id == company_id:
                return next((f for f in company.features if f.alias == alias), None)
    return None


_SCOPE_TOKEN = re.compile(r"[a-z0-9]+")


def _same_word(x: str, y: str) -> bool:
    """"program" ~ "programs", "encryption" ~ "encrypted": equal, or one stem of 5+ letters."""
    return x == y or x.rstrip("s") == y.rstrip("s") or (len(x) >= 5 and len(y) >= 5 and x[:5] == y[:5])


def _scope_pick(result: CheckResult, words: tuple[str, ...], kind: Kind | None
                ) -> tuple[Kind, str] | None:
    """The thread whose scope the question's words name ("is RCS *encrypted*" -> encrypted RCS),
    best first on a tie; None when no word names one."""
    asked = [w for w in words if w not in W.SCOPE_STOP]
    if not asked:
        return None
    best: Thread | None = None
    best_score = 0
    for thread in (*result.threads, *result.rollup):
        if (kind is not None and thread.kind is not kind) or not thread.scope:
            continue
        tokens = [x for x in _SCOPE_TOKEN.findall(thread.scope.casefold()) if x not in W.SCOPE_STOP]
        score = sum(1 for x in tokens if any(_same_word(x, w) for w in asked))
        if score > best_score:
            best, best_score = thread, score
    return (best.kind, best.scope) if best is not None else None


def _negated(result: CheckResult, reading: Reading) -> CheckResult:
    """A negated question's answer: where the pair's asked (or best) link stands, said as a state."""
    if not reading.negated:
        return result
    if result.kind is None:
        ordered = result.threads or result.rollup
        if ordered:
            kind = ordered[0].kind
            focus = result.of_kind(kind)
            return replace(result, kind=kind, verdict=Verdict(focus[0].standing.fact.status.value),
                           negated=True)
    return replace(result, negated=True)


def _names_region(text: str, held: str) -> bool:
    """Whether the question also names the region a fact is held in ("韩国的Kakao Pay能在中国用吗")."""
    region = next((r for r in Region if r.value == held), None)
    if region is None:
        return False
    folded = text.casefold()
    return any(w in folded for w in (*W.REGION_WORDS.get(region, ()), *W.REGION_PHRASES.get(region, ())))


def _mentions_place(text: str, place: str) -> bool:
    words = W.PLACE_TEXT.get(place, (place,))
    return any(re.search(rf"(?<![a-z]){re.escape(w)}(?![a-z])", text) for w in words)


_COMPANY_FORM = re.compile(r"[\W_]*(inc|incorporated|corp|corporation|co|company|ltd|limited|llc|plc|"
                           r"group|holdings?|gmbh|ag|sa|[\W_]+)?[\W_]*", re.IGNORECASE)


def _named_by(unknown: tuple[Resolution, ...], pair: tuple[Resolution, Resolution] | None) -> bool:
    """Whether each unknown name is a company of the split written without its company form
    ("AT&T" for "AT&T Corp."), so answering that company guesses nothing."""
    if pair is None or not unknown:
        return False
    companies = [r.company for r in pair if r.company is not None]

    def named(typed: str) -> bool:
        key = _fold_text(typed)
        for company in companies:
            for name in (company.name, *company.aliases):
                folded = _fold_text(name)
                if folded == key or (folded.startswith(key) and all(
                        _COMPANY_FORM.fullmatch(word) for word in folded[len(key):].split())):
                    return True
        return False

    return all(named(r.query) for r in unknown)


def _fold_text(text: str) -> str:
    return " ".join(text.casefold().split())


def _note_misses(misses: MissLog, decision: Decision) -> None:
    """/misses counts unknown names and pairs with no record, whatever the adapter."""
    result = decision.result
    for found in (result.results if isinstance(result, Checks) else (result,)):
        misses.note(found)
    if decision.unknown:
        misses.note(Unresolved(decision.unknown))


def parse_count(text: str, default: int, maximum: int) -> int | None:
    """A count argument ("/recent 20"): ASCII digits only, clamped to 1..maximum; None when it
    is anything else ("²", "①", "٣"), so the adapter shows the usage line instead of failing."""
    text = text.strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        return None
    return min(max(int(text), 1), maximum)


def _by_region(threads: tuple[Thread, ...], region: str) -> tuple[Thread, ...]:
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
    threads, rollup = _by_region(result.threads, region), _by_region(result.rollup, region)
    best = threads[0] if threads else (rollup[0] if rollup else None)
    verdict = Verdict(best.standing.fact.status.value) if best else Verdict.NO_RECORD
    return replace(result, verdict=verdict, threads=threads, rollup=rollup)


def _neg(date: str) -> str:
    """Sort key that puts later ISO dates first (and undated last)."""
    return "".join(chr(0x10FFFF - ord(ch)) for ch in date) if date else "\U0010ffff"

