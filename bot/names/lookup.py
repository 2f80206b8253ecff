"""Looking a name up in the index: exactly, then fuzzily among the n-gram candidates, scored
by rapidfuzz; one company when it is clearly ahead, else ranked candidates.

The lookup never guesses silently: when the best match is not clearly ahead it hands back
ranked candidates so the UI can ask "did you mean".
"""

from __future__ import annotations

from collections import Counter
from itertools import islice

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.domain import Candidate, Company, Resolution
from bot.names.index import Hit, NameIndex
from bot.names.keys import (
    EXACT_QUALITY,
    MARGIN,
    MAX_FUZZY_KEY,
    MAX_POSTING,
    MAX_VOLUME,
    MAX_VOLUME_WIDE,
    POOL,
    STOPWORDS,
    SUGGEST_CUTOFF,
    SUGGEST_LIMIT,
    TOP_K,
    accept_score,
    fold,
    grams,
    has_cjk,
    min_fuzzy_len,
    name_keys,
)
from bot.names.masks import han_masks
from bot.names.script import pinyin
from bot.names.words import COMMON_WORDS


class NameLookup(NameIndex):
    """The index's lookups: exact, fuzzy, suggestions and one-character Chinese typos."""

    def _exact_hits(self, loose: str, core: str) -> list[Hit]:
        """Companies whose key equals the query's, best tier only.

        Tiers, best first: the alias as typed ("pdd" is Pinduoduo's alias PDD, not PDD Holdings
        stripped of its suffix); then, when the query itself carried a suffix, names that also
        carried one ("pdd holding" is PDD Holdings); then any name equal after stripping.
        """
        exact = self._exact
        if loose not in exact and (core == loose or core not in exact):
            return []  # most probes (every word window of a sentence) miss: answer at once
        tiers: tuple[dict[int, int], dict[int, int], dict[int, int]] = ({}, {}, {})
        # An alias is filed under its loose and its core key: found under a key that is not
        # its core, the key is its loose one, and its keys need not be computed again.
        alias_key = self._alias_key
        for aid in self._exact_ids(loose):
            as_typed = alias_key[aid] != loose or name_keys(self._alias_text[aid])[0] == loose
            tiers[0 if as_typed else 2].setdefault(self._alias_company[aid], aid)
        if not tiers[0] and core != loose:
            for aid in self._exact_ids(core):
                stripped = alias_key[aid] != core or name_keys(self._alias_text[aid])[0] != core
                tiers[1 if stripped else 2].setdefault(self._alias_company[aid], aid)
        chosen = next((tier for tier in tiers if tier), {})
        return sorted(
            (Hit(cid, 100.0, aid) for cid, aid in chosen.items()),
            key=lambda hit: (self._companies[hit.company_id].name.casefold(), hit.company_id),
        )

    def _candidate_ids(self, key: str, budget: int) -> tuple[list[int], bool]:
        """Aliases sharing the most n-grams with ``key``: the only ones rapidfuzz will see.

        Rarest grams are counted first and counting stops at a volume budget, so the cost is
        bounded whatever the query; the survivors are ranked by Dice overlap so long aliases
        that share many grams by chance do not crowd out the short true match. The flag says
        whether some grams were left uncounted, so a caller may retry with a bigger budget.
        """
        postings = [p for g in grams(key) if (p := self._postings.get(g)) is not None]
        if not postings:
            return [], False
        postings.sort(key=len)
        cap = min(MAX_POSTING * budget // MAX_VOLUME, budget)
        if len(postings[0]) > cap:
            # Every gram is common: the rarest still narrows it down, just truncated.
            return list(dict.fromkeys(postings[0][:TOP_K])), True
        counts: Counter[int] = Counter()
        volume = 0
        truncated = False
        for posting in postings:
            if len(posting) > cap or volume + len(posting) > budget:
                truncated = True
                break
            counts.update(posting)
            volume += len(posting)
        pool: list[int] = list(counts)
        if len(pool) > POOL:
            # Keep the highest counts: the cut level is the (POOL + 1)-th highest count, so at
            # most POOL are above it (sorting bare ints in C beats a histogram in Python); ties
            # at the cut level are taken in order of first appearance in a rare gram.
            floor = sorted(counts.values())[-POOL - 1]
            pool = [aid for aid, n in counts.items() if n > floor]
            if len(pool) < TOP_K:
                level_ids = (aid for aid, n in counts.items() if n == floor)
                pool += islice(level_ids, POOL - len(pool))
        extra = 1 if has_cjk(key) else 0
        query_grams = len(key) + extra
        keys = self._alias_key

        def dice(aid: int) -> float:
            return counts[aid] / (query_grams + len(keys[aid]) + extra)

        ranked = sorted(pool, key=dice, reverse=True)
        return ranked[:TOP_K], truncated

    def _name_fuzzy(self, key: str) -> list[Hit]:
        """Fuzzy hits for a single name, with a second, wider look when the first was cut short.

        A name the user typed on purpose deserves the extra half millisecond: a typo of a
        famous name ("taobo") may share only very common grams ("tao") with it.
        """
        hits, truncated = self._fuzzy(key, MAX_VOLUME)
        if truncated and self._confident(key, hits, accept_score(key)) is None:
            hits, _ = self._fuzzy(key, MAX_VOLUME_WIDE)
        return hits

    def _fuzzy(self, key: str, budget: int) -> tuple[list[Hit], bool]:
        """Best fuzzy hit per company, best first (a question's whole reading is what
        ``Interop`` remembers: a remembered lookup per key measured no faster)."""
        return self._fuzzy_lookup(key, SUGGEST_CUTOFF, budget)

    def _fuzzy_lookup(self, key: str, cutoff: float, budget: int) -> tuple[list[Hit], bool]:
        """Best fuzzy hit per company, best first; ties go to the closer length, then the id."""
        if len(key) > MAX_FUZZY_KEY:
            return [], False
        ids, truncated = self._candidate_ids(key, budget)
        if not ids:
            return [], truncated
        choices = {aid: self._alias_key[aid] for aid in ids}
        scored = process.extract(key, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)
        best: dict[int, Hit] = {}
        for choice, score, aid in scored:
            cid = self._alias_company[aid]
            typo = OSA.normalized_similarity(key, choice) * 100
            extends = len(choice) > len(key) and choice.startswith(key)
            hit = best.get(cid)
            if hit is None:
                best[cid] = Hit(cid, score, aid, typo, aid, extends)
                continue
            closer = abs(len(choice) - len(key)) < abs(len(self._alias_key[hit.alias_id]) - len(key))
            ratio_alias = aid if score > hit.score or (score == hit.score and closer) else None
            best[cid] = Hit(
                cid,
                max(score, hit.score),
                hit.alias_id if ratio_alias is None else ratio_alias,
                max(typo, hit.typo),
                aid if typo > hit.typo else hit.typo_alias,
                extends or hit.extends,
            )
        ranked = sorted(
            best.values(),
            key=lambda h: (-h.score, abs(len(self._alias_key[h.alias_id]) - len(key)), h.company_id),
        )
        return ranked, truncated

    def _confident(self, key: str, hits: list[Hit], accept: float) -> Hit | None:
        """The one fuzzy hit worth acting on without asking, if there is one.

        It must be a plausible typo (typo score >= ``accept``, same first letter, the query
        not a common word), and every other company must trail by ``MARGIN`` and not be a
        longer name the query starts ("wechat p" may be WeChat or WeChat Pay).
        """
        if not hits or len(key) < min_fuzzy_len(key) or key in STOPWORDS or key in COMMON_WORDS:
            return None
        best = max(hits, key=lambda hit: (hit.typo, hit.score))
        if best.typo < accept or self._alias_key[best.typo_alias][:1] != key[:1]:
            return None
        for hit in hits:
            if hit is not best and (hit.extends or hit.typo > best.typo - MARGIN):
                return None
        return best

    def _candidate(self, hit: Hit) -> Candidate:
        return Candidate(
            company=self._companies[hit.company_id],
            score=round(hit.score, 1),
            matched=self._alias_text[hit.alias_id],
        )

    def _resolve(self, name: str, *, wide: bool = True) -> tuple[Resolution, float]:
        """The resolution and a quality (101 exact, else the fuzzy score) to rank /check splits."""
        loose, core = name_keys(name)
        if not core:
            return Resolution(query=name, company=None), 0.0
        exact = self._exact_hits(loose, core)
        if len(exact) == 1:
            return Resolution(name, self._companies[exact[0].company_id]), EXACT_QUALITY
        if exact:
            candidates = tuple(self._candidate(hit) for hit in exact)
            return Resolution(name, None, candidates), 50.0
        hits = self._name_fuzzy(core) if wide else self._fuzzy(core, MAX_VOLUME)[0]
        if (hit := self._confident(core, hits, accept_score(core))) is not None:
            return Resolution(name, self._companies[hit.company_id]), hit.typo
        candidates = tuple(self._candidate(hit) for hit in hits[:SUGGEST_LIMIT])
        return Resolution(name, None, candidates), (hits[0].score / 2 if hits else 0.0)

    def resolve(self, name: str) -> Resolution:
        """One name to a company when sure; otherwise ranked candidates, or nothing."""
        return self._resolve(name)[0]

    def one_off_han(self, text: str) -> tuple[Company, str] | None:
        """The one company with a Chinese name of this length that differs from ``text`` in
        exactly one character ("淘包" -> 淘宝), or None when none or several do.

        A last resort for a 2-4 character Chinese leftover that nothing else matched; the caller
        reports the reading, so the guess is never silent.
        """
        folded = fold(text)
        if not 2 <= len(folded) <= 4 or not all(has_cjk(ch) for ch in folded):
            return None
        found: dict[int, str] = {}
        for mask in han_masks(folded):
            for aid in self._han_masks.ids(mask):
                alias = self._alias_text[aid]
                if alias and fold(alias) != folded and mask in han_masks(alias):  # ids are filed by hash
                    found.setdefault(self._alias_company[aid], alias)
        if len(found) > 1:  # "淘包": 淘宝, 淘天 and 淘特 differ by one; 包 sounds like 宝
            found = {cid: alias for cid, alias in found.items()
                     if pinyin(fold(alias)).replace(" ", "") == pinyin(folded).replace(" ", "")}
        if len(found) != 1:
            return None
        cid, alias = next(iter(found.items()))
        company = self._companies.get(cid)
        return (company, alias) if company is not None else None

    def exact(self, name: str) -> Company | None:
        """The one company ``name`` is exactly a name of (after normalising), with no fuzzy
        work: whether a whole text is a single known name costs a dict probe, not a lookup."""
        loose, core = name_keys(name)
        if not core:
            return None
        hits = self._exact_hits(loose, core)
        return self._companies[hits[0].company_id] if len(hits) == 1 else None

    def suggest(self, name: str, limit: int = SUGGEST_LIMIT) -> list[Candidate]:
        """Close names for a "did you mean" keyboard: exact matches first, one per company."""
        if limit <= 0:
            return []
        loose, core = name_keys(name)
        if not core:
            return []
        hits = self._exact_hits(loose, core)
        seen = {hit.company_id for hit in hits}
        hits += [hit for hit in self._name_fuzzy(core) if hit.company_id not in seen]
        return [self._candidate(hit) for hit in hits[:limit]]
