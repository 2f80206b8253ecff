"""The name index: every company's names and aliases as exact keys and an inverted index of
character n-grams, built in bulk at start-up and updated in place, one company at a time.

The store may hold 100k companies and 300k aliases: an exact dict of normalised keys answers
most lookups, and the n-grams propose a few dozen fuzzy candidates (``bot.names.lookup``), so
nothing ever scans all aliases.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import chain, repeat

from bot.domain import Company
from bot.names.keys import (
    BUILD_CHUNK,
    CJK_GRAMS,
    LATIN_GRAMS,
    MAX_CJK_KEY,
    grams,
    has_cjk,
    name_keys,
    names_of,
)
from bot.names.masks import HanMasks


@dataclass(frozen=True, slots=True)
class Hit:
    """One company's showing for a query.

    ``score`` (Indel ratio) ranks suggestions and is kind to prefixes ("ali" -> Alipay);
    ``typo`` (OSA, a swapped pair is one edit) decides confidence, because the ratio rates
    "wechta" almost as close to "wechatpay" as to "wechat".
    """

    company_id: int
    score: float
    alias_id: int
    typo: float = 100.0
    typo_alias: int = -1
    extends: bool = False
    """The query is the start of a longer name of this company: the user may be mid-word."""


class NameIndex:
    """In-memory index of company names and aliases, updated in place as the store changes."""

    def __init__(self, companies: Iterable[Company] = ()) -> None:
        self._companies: dict[int, Company] = {}
        # One slot per indexed name or alias; a removed slot is blanked and reused.
        self._alias_key: list[str] = []
        self._alias_text: list[str] = []
        self._alias_company = array("q")
        self._free: list[int] = []
        # Key -> alias id, or a tuple of ids when names share a key (no container per key).
        self._exact: dict[str, int | tuple[int, ...]] = {}
        # Gram -> alias ids, sorted, as compact C ints.
        self._postings: dict[str, array[int]] = {}
        self._max_cjk = 2
        # For one-character typos of Chinese names: built with the rest at start-up (built on
        # first use, it held the event loop 0.7 s at 100k companies), then kept up to date.
        self._han_masks = HanMasks()
        deque(self.bulk_index(companies), maxlen=0)

    def __len__(self) -> int:
        return len(self._companies)

    # --- maintenance -------------------------------------------------------------------------

    def upsert_company(self, company: Company) -> None:
        """Replace one company's names in the index, touching only its own entries (the masked
        Chinese names too: rebuilding them for all 400k names would hold the loop ~0.5 s)."""
        old = self._companies.get(company.id)
        if old is not None:
            self._unindex(old)
        self._companies[company.id] = company
        self._index(company)

    def bulk_index(self, companies: Iterable[Company]) -> Iterator[None]:
        """Index many companies, pausing after each chunk: iterate it to the end.

        Start-up indexes 100k companies (400k names) while the store's integrity check runs in
        another thread, so the caller may yield to its event loop at each pause. The result is
        the same as upserting them one by one; it is just built in bulk, several times faster.
        """
        batch: list[Company] = []
        for company in companies:
            if self._free or company.id in self._companies:
                # Reusing a slot or replacing a company is what upsert is for; rare here.
                self._append(batch)
                batch = []
                self.upsert_company(company)
                continue
            self._companies[company.id] = company
            batch.append(company)
            if len(batch) >= BUILD_CHUNK:
                self._append(batch)
                batch = []
                yield
        self._append(batch)
        self._han_masks.settle()

    def _append(self, companies: list[Company]) -> None:
        """Index companies (already in ``_companies``, not yet indexed) under new alias ids.

        New ids only grow, so each gram's ids can be appended to its posting list as they come.
        The grams of a whole chunk of keys are cut by one regex pass over the keys joined, and
        grouped by gram through C-level map() calls: no Python loop per (gram, alias) pair.
        """
        keys, texts, owners, exact = self._alias_key, self._alias_text, self._alias_company, self._exact
        han: list[tuple[str, int]] = []  # Chinese names, for their masks
        latin: list[str] = []  # keys indexed by trigrams...
        latin_ids: list[int] = []
        cjk: list[str] = []  # ...and by bigrams
        cjk_ids: list[int] = []
        max_cjk = self._max_cjk
        for company in companies:
            cid = company.id
            names = names_of(company)
            seen: set[tuple[str, str]] | None = set() if len(names) > 1 else None
            for text in names:
                loose, core = name_keys(text)
                if not core:
                    continue
                if seen is not None:
                    if (loose, core) in seen:
                        continue
                    seen.add((loose, core))
                aid = len(keys)
                keys.append(core)
                texts.append(text)
                owners.append(cid)
                if exact.setdefault(loose, aid) is not aid:  # a key shared by several names
                    self._exact_add(loose, aid)
                if core != loose and exact.setdefault(core, aid) is not aid:
                    self._exact_add(core, aid)
                if core.isascii() or not has_cjk(core):
                    latin.append(core)
                    latin_ids.append(aid)
                else:
                    cjk.append(core)
                    cjk_ids.append(aid)
                    if len(core) <= 4:  # a 2-4 character Chinese name is its own core key
                        han.append((text, aid))
                if not loose.isascii() and has_cjk(loose):
                    max_cjk = max(max_cjk, min(len(loose), MAX_CJK_KEY))
        self._max_cjk = max_cjk
        # A padded key of n characters has n trigrams, or n + 1 bigrams.
        self._append_grams(LATIN_GRAMS, latin, latin_ids, map(len, latin))
        self._append_grams(CJK_GRAMS, cjk, cjk_ids, map((1).__add__, map(len, cjk)))
        self._han_masks.add_run(han)

    def _append_grams(
        self, pattern: re.Pattern[str], keys: list[str], ids: list[int], counts: Iterable[int]
    ) -> None:
        if not keys:
            return
        grams = pattern.findall("^" + "$^".join(keys) + "$")
        owners = chain.from_iterable(map(repeat, ids, counts))
        # Grouped straight into C arrays: unlike lists they are not tracked by the garbage
        # collector, whose full passes over a growing index would otherwise cost ~10%.
        grouped: defaultdict[str, array[int]] = defaultdict(partial(array, "i"))
        deque(map(array.append, map(grouped.__getitem__, grams), owners), maxlen=0)
        postings = self._postings
        for gram, aids in grouped.items():
            # A gram repeated inside one key ("ana" in "banana") is listed once; an end gram
            # ("^ba", "na$") cannot repeat, so most lists skip the check.
            if gram[0] != "^" and gram[-1] != "$" and len(aids) > 1 and len(set(aids)) < len(aids):
                aids = array("i", dict.fromkeys(aids))
            posting = postings.get(gram)
            if posting is None:
                postings[gram] = aids
            else:
                posting.extend(aids)

    def remove_company(self, company_id: int) -> None:
        old = self._companies.pop(company_id, None)
        if old is not None:
            self._unindex(old)

    def company(self, company_id: int) -> Company | None:
        return self._companies.get(company_id)

    def _index(self, company: Company) -> None:
        seen: set[tuple[str, str]] = set()
        for text in names_of(company):
            loose, core = name_keys(text)
            if not core or (loose, core) in seen:
                continue
            seen.add((loose, core))
            if self._free:
                aid = self._free.pop()
                self._alias_key[aid] = core
                self._alias_text[aid] = text
                self._alias_company[aid] = company.id
            else:
                aid = len(self._alias_key)
                self._alias_key.append(core)
                self._alias_text.append(text)
                self._alias_company.append(company.id)
            self._exact_add(loose, aid)
            if core != loose:
                self._exact_add(core, aid)
            for gram in grams(core):
                posting = self._postings.get(gram)
                if posting is None:
                    self._postings[gram] = array("i", (aid,))
                elif not posting or posting[-1] < aid:
                    posting.append(aid)
                else:  # a reused slot: keep the list sorted so removal can bisect
                    posting.insert(bisect_left(posting, aid), aid)
            if has_cjk(loose):
                self._max_cjk = max(self._max_cjk, min(len(loose), MAX_CJK_KEY))
            self._han_masks.add(text, aid)

    def _unindex(self, company: Company) -> None:
        """Find the company's slots through its own keys, so no per-company list is kept."""
        for text in names_of(company):
            for key in set(name_keys(text)):
                for aid in list(self._exact_ids(key)):
                    if self._alias_company[aid] == company.id:
                        self._drop_alias(aid)

    def _drop_alias(self, aid: int) -> None:
        self._han_masks.remove(self._alias_text[aid], aid)
        core = self._alias_key[aid]
        loose = name_keys(self._alias_text[aid])[0]
        self._exact_remove(loose, aid)
        self._exact_remove(core, aid)
        for gram in grams(core):
            posting = self._postings.get(gram)
            if posting is None:
                continue
            at = bisect_left(posting, aid)
            if at < len(posting) and posting[at] == aid:
                del posting[at]
            if not posting:
                del self._postings[gram]
        self._alias_key[aid] = ""
        self._alias_text[aid] = ""
        self._alias_company[aid] = -1
        self._free.append(aid)

    def _exact_add(self, key: str, aid: int) -> None:
        current = self._exact.get(key)
        if current is None:
            self._exact[key] = aid
        else:  # a tuple, not a list: tuples of ints drop out of the garbage collector's view
            self._exact[key] = (current, aid) if isinstance(current, int) else (*current, aid)

    def _exact_remove(self, key: str, aid: int) -> None:
        current = self._exact.get(key)
        if current is None:
            return
        if isinstance(current, int):
            if current == aid:
                del self._exact[key]
            return
        rest = tuple(other for other in current if other != aid)
        self._exact[key] = rest[0] if len(rest) == 1 else rest

    def _exact_ids(self, key: str) -> Sequence[int]:
        current = self._exact.get(key)
        if current is None:
            return ()
        if isinstance(current, int):
            return (current,)
        return current
