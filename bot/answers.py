"""The one answering policy: what any text means (``Interop.decide``), as domain objects.

Both adapters (Telegram and the terminal) call this and only format what it returns. ``Interop``
is the façade over the parts that each do one job: the company tree (``bot.tree``), keeping the
index in step with the store (``bot.sync``) and the answers read from the store (``bot.queries``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime

from bot import fact_words, scope_words
from bot.cache import Cache
from bot.domain import (
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
    Mode,
    Ownership,
    OwnershipVerdict,
    Profile,
    Region,
    Resolution,
    SearchResult,
    SmallTalk,
    Substitution,
    Thread,
    Unresolved,
    Verdict,
)
from bot.feedback import MissLog
from bot.names import words as W
from bot.names.keys import CORPORATE
from bot.names.reading import Intent, Name, Reading, close_candidates, read
from bot.names.resolver import Resolver
from bot.queries import MAX_CHANGES, MAX_RECENT, SCOPE_TOKEN, STATUS_RANK, Queries, fold_text, neg_date
from bot.store import About, Edit, Store
from bot.sync import IndexSync
from bot.tree import CompanyTree
from bot.upkeep import waiting

__all__ = ["MAX_CHANGES", "MAX_RECENT", "Interop", "parse_count"]

log = logging.getLogger(__name__)

MAX_PAIRS = 6
"""Pairs answered for one question with many names; the rest are counted ("and 3 more")."""
MAX_SEARCH_NAME_WORDS = 3
"""A message this short with no name in it may be a misspelt name: offer close names."""
MAX_PLACE_PARTNERS = 3
"""A place picks the pair ("upi in sri lanka") when at most this many partners are held there."""
CLOSE_SUGGESTION = 80.0
"""A doubtful name this close to a company is probably a typo of it: ask which pair was meant.
Below it, the name is reported as unknown (with the close names) and the rest is answered."""
READING_CACHE_SIZE = 4096


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
        self.tree = CompanyTree(resolver, companies)
        self.index = IndexSync(store, resolver, self.tree, synced_names)
        self.queries = Queries(store, self.index)
        # The same few questions come in the same words; their reading is reused until the
        # index changes (every index change moves ``index.version``).
        self.readings: Cache[tuple[str, bool], Reading] = Cache(READING_CACHE_SIZE)
        self._waiting: Cache[date, int] = Cache(1)  # /about's count of threads waiting for a look
        self.topics: Cache[None, frozenset[int]] = Cache(1)  # the topic parties ("Third-party …")

    async def close(self) -> None:
        await self.store.close()

    # -- the parts, as adapters ask for them ---------------------------------------------

    def company(self, company_id: int) -> Company:
        return self.tree.company(company_id)

    def descendants(self, company_id: int) -> set[int]:
        return self.tree.descendants(company_id)

    def ancestors(self, company_id: int) -> list[Company]:
        return self.tree.ancestors(company_id)

    async def refresh_companies(self, company_ids: Iterable[int] | None = None) -> None:
        await self.index.refresh(company_ids)

    async def sync(self) -> None:
        await self.index.sync()

    def resolve(self, name: str) -> Resolution:
        return self.resolver.resolve(name)

    def view(self, fact: Fact, *, via_affiliate: bool = False) -> FactView:
        return self.queries.view(fact, via_affiliate=via_affiliate)

    async def check(self, a: Company, b: Company) -> CheckResult:
        return await self.queries.check(a, b)

    async def check_kind(self, a: Company, b: Company, kind: Kind | None,
                         scope: str = "", region: str = "", feature: str = "") -> CheckResult:
        return await self.queries.check_kind(a, b, kind, scope, region, feature)

    async def profile(self, company: Company) -> Profile:
        return await self.queries.profile(company)

    async def kind_facts(self, company: Company, kind: Kind, scope: str = "", region: str = ""
                         ) -> KindFacts:
        return await self.queries.kind_facts(company, kind, scope, region)

    async def search(self, text: str, limit: int = 10) -> SearchResult:
        return await self.queries.search(text, limit)

    async def recent(self, n: int = 10) -> list[FactView]:
        return await self.queries.recent(n)

    async def changes(self, n: int = 10) -> list[tuple[Edit, FactView]]:
        return await self.queries.changes(n)

    async def thread_of(self, fact: Fact) -> Thread:
        return await self.queries.thread_of(fact)

    async def partner_for(self, company: Company) -> Company | None:
        return await self.queries.partner_for(company)

    async def options(self, unresolved: Unresolved) -> list[CheckResult]:
        return await self.queries.options(unresolved)

    async def about(self, today: date | None = None) -> About:
        """/about: what the store covers, when it last changed, and how many threads wait for
        an admin's look (``bot.upkeep``)."""
        about = await self.store.about()
        day = today or datetime.now(UTC).date()
        version = self.store.content_version()  # read first: a later commit only invalidates
        # Counting waiting threads reads every live fact (~0.5 s at 100k facts): once per
        # change to the facts and per day, not once per /about.
        count = await self._waiting.aget(day, lambda: waiting(self, day), version)
        return replace(about, waiting=count)

    def ownership(self, first: Company, second: Company | None, reading: Reading) -> Ownership:
        """Answer "who owns X", "is X part of Y", "does Y own X" from the company tree."""
        return self.tree.ownership(first, second, reading.owner_first)

    async def _place_partner(self, company: Company, reading: Reading, held_only: bool = False
                             ) -> Company | None:
        """The other party of the company's facts held in, or (unless ``held_only``) about, the
        place the question names; None when no fact is, or when so many are that the place picks
        nothing."""
        facts = await self.store.facts_involving([company.id], reading.kind)
        partners: dict[int, Company] = {}
        for fact in sorted(facts, key=lambda f: (STATUS_RANK[f.status], neg_date(f.date))):
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

    def _with_place(self, company: Company, reading: Reading) -> Company:
        """The company whose own name is the one asked plus the place asked ("WeChat Pay Hong
        Kong", "Alipay HK"), else the company itself."""
        name = next((n for n in reading.known if n.company is company), None)
        region = next((r for r in Region if r.value == reading.region), None)
        asked = [reading.place] if reading.place else []
        if region is not None:
            asked += [*W.REGION_PHRASES.get(region, ()), *W.REGION_WORDS.get(region, ())]
        if not asked or name is None:
            return company
        said = fold_text(name.matched or name.text)
        after = fold_text(reading.text)[name.end:]  # "在香港能用支付宝吗" asks about Alipay itself
        asked = [a for a in asked if not a.startswith(("in ", "the "))]  # "Alipay+ in China" is no place
        for place in dict.fromkeys(p for a in asked for p in (a, *W.PLACE_SHORT.get(a, ()))):
            if place not in after and not any(a in after for a in asked):
                continue
            for joined in (f"{said} {place}", f"{said}{place}"):
                found = self.resolver.exact(joined)
                if found is not None and found.id != company.id:
                    return found
        return company

    async def _spelt_partner(self, company: Company, reading: Reading, unknown: tuple[Resolution, ...]
                             ) -> tuple[Company, list[str]] | None:
        """The other party of the one pair whose facts spell a word of the question as a name."""
        names = [r.query for r in unknown]
        found = fact_words.terms(reading, self.resolver.exact, names)
        if not found:
            return None
        facts = await self.store.facts_involving([company.id], reading.kind, found)
        picked = fact_words.partner(company, facts, found, names, self.company)
        return (self.company(picked[0]), picked[1]) if picked is not None else None

    async def _spelt_third(self, reading: Reading, unknown: tuple[Resolution, ...]) -> Reading:
        """Two names and a word one's facts spell as a third party's name ("edge apple pay on
        windows": an iPhone fact spells "Edge"): that party is named too, never dropped. A named
        company of its own group (Windows, beside Microsoft Edge) only said where it runs."""
        named = reading.companies()
        said = [r.query.casefold() for r in unknown]  # an unknown name is reported already
        text = fold_text(reading.text)
        after = {m.group(1) for n in reading.known  # "X Pluus", "x.com": part of a name
                 if (m := _NEXT_WORD.match(text, n.end)) is not None}
        found = [t for t in fact_words.terms(reading, self.resolver.exact, ())
                 if not any(t in u for u in said) and t not in CORPORATE
                 and (t not in after or t in W.COMMON_WORDS)]  # "windows edge" is Windows' Edge
        if not found:
            return reading
        for company in named:
            facts = await self.store.facts_involving([company.id], reading.kind, found)
            picked = fact_words.partner(company, facts, found, (), self.company)
            if picked is None or any(c.id == picked[0] for c in named):
                continue
            party = self.company(picked[0])
            other = next(n for n in reading.known if n.company is not None and n.company.id != company.id)
            assert other.company is not None
            if party.parent_id is not None and party.parent_id == other.company.parent_id:
                return replace(reading, names=tuple(replace(n, company=party) if n is other else n
                                                    for n in reading.names))
            return replace(reading, names=(*reading.names, replace(other, company=party, side=99)))
        return reading

    def _split_pair(self, text: str) -> tuple[Resolution, Resolution] | None:
        return self.resolver.split_pair(text)

    # -- what a text means: the one answering policy -------------------------------------

    def read(self, text: str, *, command: bool = False) -> Reading:
        """The reading of a text, reused while the index is unchanged (the same few questions
        come in the same words)."""
        return self.readings.get((text, command), lambda: read(self.resolver, text, command=command),
                                 self.index.version)

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
        found, unknown = self._named(text)
        if found.company is None:  # only names genuinely close to it ("shein" is no "SF Express")
            return Decision(Unresolved((replace(
                found, candidates=close_candidates(fold_text(text), found.candidates)),)))
        return Decision(await self.profile(found.company), unknown)

    def _named(self, text: str) -> tuple[Resolution, tuple[Resolution, ...]]:
        """The company a /company argument names: the whole text as a name, else the one
        company its reading finds (with the unknown names beside it); else the whole text,
        unresolved, with its close names."""
        whole = self.resolver.resolve(text)
        if whole.company is not None:
            return whole, ()
        reading = self.read(text, command=True)
        companies = reading.companies()
        if len(companies) == 1 and not reading.doubtful:
            return Resolution(text, companies[0]), tuple(n.resolution for n in reading.unknown)
        return whole, ()

    async def name(self, text: str) -> Resolution:
        """The one company ``text`` names, read as /company reads it, for the commands that
        take one name (/map, each name of /compare). Beside an unknown name it stays
        unresolved: an unknown name is never dropped silently."""
        await self.sync()
        text = text.strip()
        found, unknown = self._named(text)
        return self.resolver.resolve(text) if unknown else found

    async def _decide_ask(self, text: str) -> Decision:
        if not text:
            return Decision(SmallTalk())
        reading = self.read(text)
        if reading.intent is Intent.HELP:
            return Decision(SmallTalk())
        if reading.intent is Intent.LATEST:
            return Decision(Latest(tuple(await self.recent(10))))
        companies = reading.companies()
        # "big furniture", "大件家电": words that name a thread's scope are no unknown names
        unknown = tuple(n.resolution for n in reading.unknown
                        if not (companies and scope_words.is_scope_word(n.resolution.query)))
        doubtful = tuple(n.resolution for n in reading.doubtful)
        if reading.intent is Intent.OWNERSHIP and companies:
            return Decision(self.ownership(companies[0], companies[1] if len(companies) > 1 else None,
                                           reading), unknown + doubtful, corrected=reading.corrected)
        product = await self._product_at_place(companies, reading)
        if product is not None:  # "開泰銀行K PLUS在中國": the product is asked about, at the place
            reading = replace(reading, names=tuple(n for n in reading.names
                                                   if n.company is None or n.company is product))
            companies = [product]
        elif len(companies) >= 3:  # "did wechat remove jd from discover": a scope word, no party
            ids = [c.id for c in companies]
            reading = fact_words.scope_names(reading, await self.store.facts_between(ids, ids))
            companies = reading.companies()
        elif len(companies) == 2:  # "edge apple pay on windows": a fact spells a third party
            reading = await self._spelt_third(reading, unknown)
            companies = reading.companies()
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
            company = self._with_place(companies[0], reading)
            kind = reading.kind
            if company is not companies[0]:  # "wechat pay in hong kong" is WeChat Pay HK
                reading = replace(reading, names=tuple(
                    replace(n, company=company) if n.company is companies[0] else n for n in reading.names),
                    place="", region="")
            spelt = await self._spelt_partner(company, reading, unknown)
            if spelt is not None:  # "can I remove edge from windows": a fact spells "Edge"
                named, _used = spelt  # an unknown name is still said, though a fact spells it
                return await self._pairs(replace(reading, names=(
                    *reading.names, replace(reading.known[0], company=named, side=99))), unknown)
            home = _home_place(company, reading.place)  # "upi in india" is UPI itself
            if reading.place and not home:  # "upi in sri lanka": the place picks the pair
                partner = await self._place_partner(company, reading)
                if partner is not None:
                    return await self._pairs(replace(reading, names=(
                        *reading.names, replace(reading.known[0], company=partner, side=99))), unknown)
                held_here = reading.region and any(
                    f.region == reading.region
                    for f in await self.store.facts_involving([company.id], reading.kind))
                for sister in self.tree.sisters(company) if reading.region and not held_here else ():
                    # "alipay in malaysia": what is held there is its sister's (Alipay+ x DuitNow)
                    partner = await self._place_partner(sister, reading, held_only=True)
                    if partner is not None and partner.id != company.id:
                        known = reading.known[0]
                        return await self._pairs(replace(reading, names=(
                            replace(known, company=sister), replace(known, company=partner, side=99))),
                            unknown)
            topic = await self._topic_thread([company], reading)
            if topic is not None:  # "android registered app stores": the topic its words imply
                return await self._pairs(replace(reading, names=(
                    *reading.names, replace(reading.known[0], company=topic[1], side=99))), unknown)
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
                guess = replace(guess, candidates=close_candidates(fold_text(text), guess.candidates))
                if guess.candidates:  # a lone weak match is a suggestion, never an answer
                    return Decision(Unresolved((guess,)))
        return Decision(result)

    async def _pairs(self, reading: Reading, unknown: tuple[Resolution, ...]) -> Decision:
        """Each meaningful pair of the names: across sides when the question has sides ("Alipay
        or WeChat Pay on JD"), else every pair; one full answer for one pair."""
        known = _topics_named(self._products_named(reading.known), reading)
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
            if kind in (None, Kind.PAYMENTS) and reading.host in (a.id, b.id):
                # "支付宝里能用美团吗", "buy taobao stuff inside wechat": being used inside a host
                # app is its mini-program, link or checkout (when the pair has one), not paying
                guest = b if reading.host == a.id else a
                if guest.kind not in (Kind.PAYMENTS.value, Kind.LOGISTICS.value) and (
                        kind is None or (await self.check(a, b)).of_kind(Kind.SHOPPING)):
                    kind = Kind.SHOPPING
            if kind is Kind.SHOPPING and {a.kind, b.kind} <= _MONEY_KINDS:
                kind = Kind.PAYMENTS  # "link mastercard to wechat pay": a card bound to pay with
            feature = _feature(reading, a, b)
            if feature is not None:
                result = await self.check_kind(a, b, feature.kind, feature.scope, reading.region,
                                               feature.alias)
                results.append(_negated(result, reading))
                continue
            topic = await self._default_topic(a, b, reading) if _asks_default(reading) else None
            if topic is not None:  # "google maps as default on iphone": navigation apps
                result, note = topic
                notes.append(note)
                results.append(_negated(result, reading))
                continue
            latest = _mentions(reading.text, W.STILL_WORDS)
            whole = await self.check(a, b)
            if kind is not None and not whole.of_kind(kind):  # "posts linking to": the kind it has
                kind = next((k for k in reading.kinds if whole.of_kind(k)), kind)
            said, named = reading.asked
            picked = _scope_pick(whole, reading.words, kind, latest=latest, need=named, text=reading.text)
            if picked is None and kind is not None and not named:  # "an android *tracker*
                # following me": a scope said by its own words outranks a kind's verb
                picked = _scope_pick(whole, (), None, latest=latest, text=_without_kind_words(reading.text))
            if picked is None and named:  # "group chat links": the feature's thread, whatever its kind
                picked = _scope_pick(whole, reading.words, None, latest=latest, need=named, text=reading.text)
            if picked is None and named:  # "a taobao mini program in wechat": none, said so
                asked = kind or W.FEATURE_KINDS.get(named)
                result = await self.check_kind(a, b, asked, named, reading.region, said)
                results.append(_negated(result, reading))
                continue
            if picked is not None:
                result = await self.check_kind(a, b, picked[0], picked[1], reading.region)
                results.append(_negated(result, reading))
                continue
            if not whole.threads and not whole.rollup:  # "windows search without bing": no pair,
                topical = await self._topic_thread((a, b), reading)  # a topic thread its words say
                if topical is not None:
                    results.append(_negated(await self.check_kind(*topical, reading.region), reading))
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
        results = [self._grouped(r) for r in results]
        if len(results) == 1:
            return Decision(results[0], unknown, tuple(notes), corrected=reading.corrected)
        more = max(0, len(pairs) - MAX_PAIRS)
        return Decision(Checks(tuple(results), reading.kind, more), unknown, tuple(notes),
                        corrected=reading.corrected)

    async def _default_topic(self, a: Company, b: Company, reading: Reading
                             ) -> tuple[CheckResult, Substitution] | None:
        """Making an app the default where the pair has no thread about defaults: the other
        company's thread with the topic the app is one of, by its kind ("Google Maps", a
        navigation app, -> Third-party navigation apps), said as such."""
        whole = await self.check(a, b)
        if any("default" in t.scope.casefold() for t in (*whole.threads, *whole.rollup)):
            return None
        for app, other in ((a, b), (b, a)):
            forms = _kind_forms(app.kind)
            if not forms:
                continue
            for fact in await self.store.facts_involving([other.id], None):
                topic = self.company(fact.object_id if fact.subject_id == other.id else fact.subject_id)
                if topic.kind != _TOPIC_KIND or topic.id == app.id or not any(
                        fold_text(name).endswith(forms) for name in (topic.name, *topic.aliases)):
                    continue
                found = await self.check(other, topic)
                picked = _scope_pick(found, reading.words, None, text=reading.text)
                kind, scope = picked if picked is not None else (None, "")
                result = await self.check_kind(other, topic, kind, scope, reading.region)
                return result, Substitution(app, topic, topic=True)
        return None

    async def _product_at_place(self, companies: list[Company], reading: Reading) -> Company | None:
        """Of two names and a place, a company named beside its own product ("Kasikornbank K PLUS
        in China") that share no fact of their own: the product, which the place then asks about."""
        if len(companies) != 2 or not (reading.place or reading.region):
            return None
        for owner, product in (companies, companies[::-1]):
            if product.id in self.tree.descendants(owner.id):
                found = await self.check(owner, product)
                return None if found.threads else product
        return None

    async def _topic_thread(self, companies: Iterable[Company], reading: Reading
                            ) -> tuple[Company, Company, Kind, str] | None:
        """The one thread of a named company with a topic party ("Alternative app marketplaces")
        whose scope, summary and topic names say at least two of the question's own words, a
        name asked beside it counting as one ("windows search without bing" -> Windows x Third-party
        search engines): the topic the question implies without naming it. None on a tie."""
        named = [c for c in companies]
        own = {w for c in named for n in (c.name, *c.aliases) for w in SCOPE_TOKEN.findall(n.casefold())}
        asked = [w for w in reading.words if w not in W.SCOPE_STOP and w not in own]
        if len(asked) + (len(named) > 1) < 2:  # two words needed, a second name counting as one
            return None
        topics = self.topics.get(None, lambda: frozenset(
            i for i in self.tree.ids() if self.company(i).kind == _TOPIC_KIND), self.index.version)
        scores: dict[tuple[int, int, str, str], int] = {}
        for company in named:
            others = [c for c in named if c.id != company.id]
            for fact in await self.store.facts_between([company.id], topics):  # a few of its facts
                topic = self.company(fact.object_id if fact.subject_id == company.id else fact.subject_id)
                said = " ".join((fact.summary, fact.scope, topic.name, *topic.aliases)).casefold()
                tokens = set(SCOPE_TOKEN.findall(said))
                score = sum(1 for w in asked if any(_same_word(w, x) for x in tokens))
                score += any(_mentions(said, (fold_text(o.name), *(fold_text(x) for x in o.aliases
                                                                   if x.isascii())))
                             for o in others)
                key = (company.id, topic.id, fact.kind.value, fact.scope)
                scores[key] = max(scores.get(key, 0), score)
        if not scores:
            return None
        best = max(scores.values())
        top = {k[:2] for k, v in scores.items() if v == best}
        if best < 2 or len(top) != 1:
            return None
        key = next(k for k, v in scores.items() if v == best)
        return self.company(key[0]), self.company(key[1]), Kind(key[2]), key[3]

    def _products_named(self, known: tuple[Name, ...]) -> tuple[Name, ...]:
        """Of three or more names, a company named beside its own product ("匯豐 PayMe 微信支付")
        is how the product was said: the product answers, the owner makes no pair of its own."""
        ids = {n.company.id for n in known if n.company is not None}
        if len(ids) < 3:
            return known
        owners = {i for i in ids if self.tree.descendants(i) & (ids - {i})}
        kept = tuple(n for n in known if n.company is not None and n.company.id not in owners)
        return kept if len({n.company.id for n in kept if n.company is not None}) >= 2 else known

    def _grouped(self, result: CheckResult) -> CheckResult:
        """A pair with no record at all, whose parties are one group's: the group, to be said."""
        if result.threads or result.rollup:
            return result
        own = self.tree.ownership(result.a, result.b)
        return replace(result, group=own.parent) if own.verdict is OwnershipVerdict.RELATED else result

    def _implied_kind(self, a: Company, b: Company) -> Kind | None:
        """With no kind word, a party that is itself a kind of service ("支付宝" is payments)
        says what the question is about: "美团能用支付宝吗" asks about paying."""
        for company in (b, a):
            if company.kind in (Kind.PAYMENTS.value, Kind.LOGISTICS.value):
                return Kind(company.kind)
        return None

    async def _through_product(self, a: Company, b: Company, kind: Kind, scope: str, region: str = ""
                               ) -> tuple[CheckResult, Substitution] | None:
        """Answer with a product's facts when the named company holds none of the kind
        ("pay with WeChat on Ele.me" is WeChat Pay's)."""
        for asked, other in ((b, a), (a, b)):
            for product in self.tree.products(asked):
                if product.id == other.id:
                    continue
                result = await self.check_kind(*((other, product) if asked is b else (product, other)),
                                               kind, scope, region)
                if result.of_kind(kind):
                    return result, Substitution(asked, product, product.relation)
        return None



_MONEY_KINDS = frozenset({Kind.PAYMENTS.value, "card network", "bank"})
"""Parties between which a "link" is a card or account bound for paying, not a web link."""


_TOPIC_KIND = "category"
"""The kind of a party that stands for a topic ("Third-party navigation apps")."""


def _topics_named(known: tuple[Name, ...], reading: Reading) -> tuple[Name, ...]:
    """"waze as the default navigation app on iphone": a topic named beside an app that is one
    of it says what the app is; the app answers (through its topic, when it has no thread)."""
    if not _asks_default(reading):
        return known
    apps = [n.company for n in known if n.company is not None and n.company.kind != _TOPIC_KIND]
    kept = tuple(n for n in known if n.company is None or n.company.kind != _TOPIC_KIND or not any(
        fold_text(name).endswith(_kind_forms(app.kind)) for app in apps if _kind_forms(app.kind)
        for name in (n.company.name, *n.company.aliases)))
    return kept if len({n.company.id for n in kept if n.company is not None}) >= 2 else known


def _asks_default(reading: Reading) -> bool:
    return any(w in W.DEFAULT_WORDS for w in reading.words)


def _kind_forms(kind: str) -> tuple[str, ...]:
    """How a topic's name ends when it names apps of this kind ("browser" -> "... browsers")."""
    kind = kind.casefold().strip()
    if not kind or kind == _TOPIC_KIND:
        return ()
    return (f" {kind}", f" {kind}s", f" {kind} app", f" {kind} apps")


_NEXT_WORD = re.compile(r"[\s.]*([a-z0-9]+)")
"""The Latin word right after a name."""


def _feature(reading: Reading, a: Company, b: Company) -> FeatureAlias | None:
    """The feature of ``a`` or ``b`` the question named by its own name ("iMessage"), if any."""
    for company_id, alias, _scope in reading.features:
        for company in (a, b):
            if company.id == company_id:
                return next((f for f in company.features if f.alias == alias), None)
    return None


def _same_word(x: str, y: str) -> bool:
    """"program" ~ "programs", "encryption" ~ "encrypted": equal, or one stem of 5+ letters."""
    return x == y or x.rstrip("s") == y.rstrip("s") or (len(x) >= 5 and len(y) >= 5 and x[:5] == y[:5])


def _scope_pick(result: CheckResult, words: tuple[str, ...], kind: Kind | None, latest: bool = False,
                need: str = "", text: str = "") -> tuple[Kind, str] | None:
    """The thread whose scope the question's words name ("is RCS *encrypted*" -> encrypted RCS),
    best first on a tie, or the one that changed last when the question asks where things
    stand now and names the scope by more than its kind's word ("does WeChat *still* have a
    JD shopping *entry*", not "does WeChat still block Taobao *links*"); None when no word
    names one. With ``need`` (a feature word asked), only a scope that has that word counts.
    The scope's words and synonyms in ``text`` (``bot.scope_words``: "furniture", "大件") count too."""
    asked = [w for w in words if w not in W.SCOPE_STOP]
    named = scope_words.scopes_named(text) if text else frozenset()
    if not asked and not named:
        return None
    best: Thread | None = None
    best_score = 0
    best_plain = False
    for thread in (*result.threads, *result.rollup):
        if (kind is not None and thread.kind is not kind) or not thread.scope:
            continue
        tokens = [x for x in SCOPE_TOKEN.findall(thread.scope.casefold()) if x not in W.SCOPE_STOP]
        if need and not any(_same_word(x, need) for x in tokens):
            continue
        hits = [x for x in tokens if any(_same_word(x, w) for w in asked)]
        plain = any(not any(_same_word(x, k) for k in _KIND_TEXT) for x in hits)
        score = len(hits)
        if thread.scope.casefold() in named:
            score += 2 * scope_words.scope_hits(text, thread.scope)  # its own words say more than a verb
        if score > best_score or (latest and plain and best_plain and score == best_score
                                  and best is not None and thread.current.fact.date > best.current.fact.date):
            best, best_score, best_plain = thread, score, plain
    return (best.kind, best.scope) if best is not None else None


_KIND_TEXT = frozenset(w for ws in W.KIND_WORDS.values() for w in ws if w.isascii())
"""A kind's own words ("links", "pay"): they name the kind, not one scope within it."""

_KIND_ALTERNATIVES = "|".join(sorted(map(re.escape, _KIND_TEXT), key=len, reverse=True))
_KIND_WORD = re.compile(rf"(?<![a-z0-9])(?:{_KIND_ALTERNATIVES})(?![a-z0-9])")
_HAN_KIND = tuple(sorted((w for ws in W.KIND_WORDS.values() for w in ws if not w.isascii()), key=len,
                         reverse=True))


def _without_kind_words(text: str) -> str:
    """The text with every kind word blanked: what is left names a scope by its own words."""
    rest = _KIND_WORD.sub(" ", fold_text(text))
    for word in _HAN_KIND:
        rest = rest.replace(word, " ")
    return rest


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


def _mentions(text: str, words: tuple[str, ...]) -> bool:
    folded = text.casefold()
    return any(w in folded if not w.isascii() else re.search(rf"(?<![a-z]){w}(?![a-z])", folded) is not None
               for w in words)


def _names_region(text: str, held: str) -> bool:
    """Whether the question also names the region a fact is held in ("韩国的Kakao Pay能在中国用吗")."""
    region = next((r for r in Region if r.value == held), None)
    if region is None:
        return False
    folded = text.casefold()
    return any(w in folded for w in (*W.REGION_WORDS.get(region, ()), *W.REGION_PHRASES.get(region, ())))


def _home_place(company: Company, place: str) -> bool:
    """Whether the company's description says the place is its home ("India's real-time payment
    system", "PayPal's US payments app"): then the place asks about the company, picks no pair."""
    said = company.description
    code = re.compile(rf"(?<![A-Za-z]){re.escape(place.upper())}(?![A-Za-z])")  # "US", not "us"
    return bool(place) and (_mentions_place(said.casefold(), place) or code.search(said) is not None)


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
        key = fold_text(typed)
        for company in companies:
            for name in (company.name, *company.aliases):
                folded = fold_text(name)
                if folded == key or (folded.startswith(key) and all(
                        _COMPANY_FORM.fullmatch(word) for word in folded[len(key):].split())):
                    return True
        return False

    return all(named(r.query) for r in unknown)


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
