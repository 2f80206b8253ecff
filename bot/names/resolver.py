"""Turn names and free-text questions into companies, from an in-memory index.

The store may hold 100k companies and 300k aliases, and every message goes through here, so
nothing scans all aliases: an exact dict of normalised keys answers most lookups, an inverted
index of character n-grams proposes a few dozen fuzzy candidates, and rapidfuzz scores only
those. The resolver never guesses silently: when the best match is not clearly ahead it hands
back ranked candidates so the UI can ask "did you mean".
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from bisect import bisect_left
from collections import Counter, OrderedDict, defaultdict, deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import chain, islice, pairwise, repeat

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.domain import Candidate, Company, Resolution
from bot.names.script import pinyin, to_simplified
from bot.names.words import COMMON_NAMES, COMMON_WORDS

# --- Thresholds, tuned on tests/resolver_cases.py --------------------------------------------
# Suggestions are ranked by rapidfuzz ``fuzz.ratio`` on normalised keys; confidence uses the
# OSA similarity (edits, a swapped pair counting once, over the longer length). One typo in a
# 5-9 letter name scores 80-89 there, and unrelated short words stay far lower ("pay" vs
# "jdpay" is 60).
SUGGEST_CUTOFF = 60.0
"""Ratio below which a name is not worth offering as "did you mean"."""
ACCEPT_SCORE = 80.0
"""Typo score at or above which a fuzzy match may resolve on its own: one edit in 5 letters..."""
ACCEPT_SCORE_CJK = 75.0
"""...or one character in 4 for CJK names, which are short and dense."""
MARGIN = 6.0
"""...but only if every other company trails by this much (else it is a coin toss)."""
MIN_FUZZY_LEN = 4
"""Latin keys shorter than this never resolve fuzzily: "ig" vs "jd" is one edit apart."""
MIN_FUZZY_LEN_CJK = 3
"""One CJK character carries about a syllable, so three are already distinctive."""
TEXT_ACCEPT_SCORE = 80.0
"""Free text has more noise words than a /check argument; it also requires the first letter."""
PAIR_ACCEPT_SCORE = 85.0
"""Two leftover words glued together ("whats ap") are riskier than one, so demand more."""
SUGGEST_LIMIT = 5

# --- Index tuning ---------------------------------------------------------------------------
TOP_K = 48
"""Aliases sharing the most n-grams with the query that go on to rapidfuzz scoring."""
POOL = 4 * TOP_K
"""Aliases with the highest shared-gram counts that are re-ranked by Dice overlap."""
MAX_POSTING = 3000
"""Grams in more aliases than this ("ing", "^ch") say little and cost a lot; skipped."""
MAX_VOLUME = 4000
"""Posting entries counted per fuzzy lookup, rarest grams first: the bound on its cost."""
MAX_VOLUME_WIDE = 24000
"""The budget of the second look a single name gets when the first found nothing sure."""
MAX_WINDOW = 4
"""Longest run of words tried as one name in free text ("taobao and tmall group")."""
MAX_CJK_KEY = 16
"""Upper bound for CJK substrings tried against the exact dict inside unspaced text."""
MAX_FUZZY_KEY = 64
"""No real name is longer; a pasted paragraph should not fan out over the gram index."""
MAX_TEXT = 1000
"""Characters of a free-text message that are examined; questions are far shorter."""
MAX_TEXT_FUZZY = 6
"""Fuzzy lookups per free-text message, so long noisy text keeps a bounded cost."""
MAX_SPLITS = 32
"""Split points tried for a /check argument, so a pasted paragraph cannot stall the bot."""
FUZZY_CACHE_SIZE = 2048
"""Fuzzy lookups remembered per normalised key (the same few typos come again and again);
dropped whenever the index changes. An entry holds ~12 hits on average: ~3 MB when full."""
BUILD_CHUNK = 4096
"""Companies indexed per step of a bulk build: bounds its scratch memory, and how long it
holds the event loop between steps."""

_EXACT_QUALITY = 101.0

_CJK_RANGES = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_CJK_RE = re.compile(f"[{_CJK_RANGES}]")
_WORD_RE = re.compile(f"[{_CJK_RANGES}]+|[^\\W_{_CJK_RANGES}]+")
_TEXT_RE = re.compile(
    f"(?P<cjk>[{_CJK_RANGES}]+)|(?P<word>[^\\W_{_CJK_RANGES}]+)"
    r"|(?P<brk>[,;:?!|\u3001\u3002\u300c\u300d]+)"
)
_PAIR_RE = re.compile(f"(?P<cjk>[{_CJK_RANGES}]+)|(?P<word>[^\\W_{_CJK_RANGES}]+)|(?P<sep>[,|&/\u3001]+)")
_DROPPED = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad\u180e'\u2019\u02bc`"), None
)

# ASCII fast path of _keys (most names): NFKC is the identity on ASCII and casefold is lower(),
# so one translate() does the folding. _ASCII_LOOSE keeps only word characters (the loose key
# at once); _ASCII_WORDS turns every separator into a space and "." into " ." so split() yields
# the words, each prefixed by "." when written right after a dot (or a lone "." to ignore).
_ASCII_LOOSE = {c: (chr(c).lower() if chr(c).isalnum() else None) for c in range(128)}
_ASCII_WORDS = {
    c: chr(c).lower() if chr(c).isalnum() else " ." if chr(c) == "." else None if c in _DROPPED else " "
    for c in range(128)
}
_LATIN_GRAMS = re.compile(r"(?=([^$][^$^][^^]))")
"""Padded trigrams of "^key1$^key2$...", none spanning two keys (keys hold no "^" or "$")."""
_CJK_GRAMS = re.compile(r"(?=([^$][^^]))")
"""The same for padded bigrams."""

_TLDS = frozenset({"com", "net", "org", "cn", "io", "hk", "tw", "jp", "co", "app"})
"""Web suffixes dropped from a key when written after a dot ("jd.com" -> "jd")."""
_CORPORATE = frozenset(
    {
        "inc", "incorporated", "group", "holding", "holdings", "ltd", "limited", "co", "corp",
        "corporation", "company", "platforms", "plc", "llc", "gmbh", "ag", "sa",
    }
)  # fmt: skip
_CJK_CORPORATE = ("股份有限公司", "有限公司", "控股集团", "集团", "控股", "公司")
_PAIR_WORDS = frozenset({"and", "vs", "versus", "with", "on"})
"""Words that separate the two names of a /check argument."""

_STOPWORD_TEXT = """
    a an the this that these those it its it's is are was were be been being am do does did
    done doing can could will would shall should may might must have has had having not no
    yes ok okay and or but if then than so too very also just only still yet already now
    of on in at to for from by with without via into onto over under about between through
    across per as up down out off again any all some each every both either neither other
    another more most much many such own same what whats which who whom whose when where why
    how i me my mine we us our you your yours he him his she her they them their there here
    please thanks thank hi hello hey help tell know want need like get got make find see look
    work works working worked support supports supported supporting accept accepts accepted
    accepting take takes use uses used using usable pay pays paid paying payment payments
    app apps application ship ships shipping shipped deliver delivers delivery send sends
    sending receive talk talks chat chats message messages messaging call calls login log
    sign signin link links linked connect connects connected connection integrate integrated
    integration integrations interoperable interoperate interoperability interop compatible
    compatibility available availability allow allows allowed enable enabled possible
    option options method methods service services platform platforms company companies
    user users account accounts follow follows share shares post posts video videos photo
    photos phone phones mobile online web website site store stores shop shops shopping buy
    card cards money wallet transfer transfers china chinese english global international
    today yesterday tomorrow year years time way thing things something anything nothing
    owner owned parent group part news new old ever never always sometimes whether
    weather best good bad fine great different
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
"""Common words that must never be read as a company, nor fuzzily turned into one."""
_STOPWORD_LIST = tuple(sorted(w for w in _STOPWORDS if len(w) >= 4))


def _fold(text: str) -> str:
    """Compatibility-fold so "ＪＤ", "Jd", "jd\u200b" and 京東/京东 compare equal, as users type all."""
    folded = unicodedata.normalize("NFKC", text).translate(_DROPPED).casefold()
    return folded if folded.isascii() else to_simplified(folded)


def names_of(company: Company) -> tuple[str, ...]:
    """Every text the index knows a company by: its name, aliases, feature aliases, and the
    generated toneless pinyin of each Chinese one ("微信支付" -> "wei xin zhi fu")."""
    texts = [company.name, *company.aliases, *(f.alias for f in company.features)]
    for text in list(texts):
        spelled = pinyin(text)
        if len(spelled.replace(" ", "")) >= MIN_FUZZY_LEN:
            texts.append(spelled)
    return tuple(texts)


def _has_cjk(text: str) -> bool:
    return _CJK_RE.search(text) is not None


def _keys(text: str) -> tuple[str, str]:
    """The loose key (all words, glued) and the core key (web and corporate suffixes dropped).

    Both are indexed so "JD.com Inc" is found as written and as "jd", while an alias written
    exactly as typed ("PDD" of Pinduoduo) still beats a stripped one ("PDD Holdings").
    """
    return _ascii_keys(text) if text.isascii() else _unicode_keys(text)


def _unicode_keys(text: str) -> tuple[str, str]:
    """``_keys`` for any text: the reference the ASCII fast path must agree with."""
    folded = _fold(text)
    if _WORD_RE.fullmatch(folded):  # a single word, as most CJK names are: nothing to strip
        loose = core = folded
    else:
        parts = [(m.group(), m.start()) for m in _WORD_RE.finditer(folded)]
        loose = "".join(word for word, _ in parts)
        while len(parts) > 1:
            word, start = parts[-1]
            dotted = start > 0 and folded[start - 1] == "."
            if word in _CORPORATE or (dotted and word in _TLDS):
                parts.pop()
                continue
            break
        core = "".join(word for word, _ in parts)
        if core == loose:
            core = loose  # one string object for both keys: the index keeps ~400k of them
    stripped = core.endswith(_CJK_CORPORATE)
    while stripped:
        stripped = False
        for suffix in _CJK_CORPORATE:
            if core.endswith(suffix) and len(core) - len(suffix) >= 2:
                core = core[: -len(suffix)]
                stripped = True
                break
    return loose, core


def _ascii_keys(text: str) -> tuple[str, str]:
    """``_keys`` for ASCII text with C-level string methods: 3-4x faster, same result."""
    loose = text.translate(_ASCII_LOOSE)
    if not loose:
        return "", ""
    words = text.translate(_ASCII_WORDS).split()
    if len(words) == 1:
        return loose, loose
    last = words[-1]
    if last != ".":
        dotted = last[0] == "."
        word = last[1:] if dotted else last
        if word not in _CORPORATE and not (dotted and word in _TLDS):
            return loose, loose
    words = [word for word in words if word != "."]
    while len(words) > 1:
        last = words[-1]
        dotted = last[0] == "."
        word = last[1:] if dotted else last
        if word in _CORPORATE or (dotted and word in _TLDS):
            words.pop()
            continue
        break
    core = "".join(words).replace(".", "")
    return loose, (loose if core == loose else core)


def normalize(text: str) -> str:
    """The comparison key: folded, no spaces or punctuation, no ".com" or "Inc"-style suffix.

    Spaces go so "tao bao" meets "taobao"; suffixes go only while something distinctive
    remains, so "Ant Group" keeps "ant".
    """
    return _keys(text)[1]


def _grams(key: str) -> dict[str, None]:
    """Padded trigrams for Latin keys, bigrams for CJK ones (a CJK character is a syllable).

    Each once, in the order they occur: a set's order would change with the process's hash
    seed, and with it which of two equally rare grams is counted first, so the same typo
    could get other suggestions after a restart.
    """
    size = 2 if _has_cjk(key) else 3
    padded = f"^{key}$"
    if len(padded) <= size:
        return {padded: None}
    return dict.fromkeys(padded[i : i + size] for i in range(len(padded) - size + 1))


def _accept_score(key: str) -> float:
    return ACCEPT_SCORE_CJK if _has_cjk(key) else ACCEPT_SCORE


def _min_fuzzy_len(key: str) -> int:
    return MIN_FUZZY_LEN_CJK if _has_cjk(key) else MIN_FUZZY_LEN


@dataclass(frozen=True, slots=True)
class _Hit:
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


@dataclass(frozen=True, slots=True)
class _Token:
    text: str
    start: int
    cjk: bool
    segment: int
    """Words in different segments (split by ",", "?"...) never join into one name."""
    glued: bool = False
    """Written right after the previous word with one mark between, no space ("at&t", "h&m")."""


_Found = tuple[int, int, int, int, bool]
"""(start, end, company id, alias id, fuzzy) of one name found in a text."""


@dataclass(frozen=True, slots=True)
class Mention:
    """One company named in a text: where (in the folded text), by which name, and how sure."""

    start: int
    end: int
    company: Company
    matched: str
    fuzzy: bool = False


@dataclass(frozen=True, slots=True)
class Scan:
    """A sentence read for names: the folded text, the names in order, the words left over."""

    text: str
    mentions: tuple[Mention, ...]
    rest: tuple[_Token, ...]


@dataclass(frozen=True, slots=True)
class _Piece:
    text: str
    start: int
    end: int
    kind: str  # "word", "cjk", "sep" (punctuation) or "sepword" ("and", "vs", ...)


class Resolver:
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
        # (key, budget) -> (hits, truncated) of ``_fuzzy``: valid only for the index it was
        # computed from, so every change to the index empties it (``_changed``).
        self._fuzzy_cache: OrderedDict[tuple[str, int], tuple[tuple[_Hit, ...], bool]] = OrderedDict()
        # 2-4 character Chinese names by one masked character, for one-character typos (built
        # on first use, dropped with every index change).
        self._han_masks: dict[str, list[int]] | None = None
        deque(self.bulk_index(companies), maxlen=0)

    def __len__(self) -> int:
        return len(self._companies)

    # --- maintenance -------------------------------------------------------------------------

    def upsert_company(self, company: Company) -> None:
        """Replace one company's names in the index, touching only its own entries."""
        self._changed()
        old = self._companies.get(company.id)
        if old is not None:
            self._unindex(old)
        self._companies[company.id] = company
        self._index(company)

    def _changed(self) -> None:
        """The index is about to change: remembered fuzzy answers may no longer hold."""
        self._fuzzy_cache.clear()
        self._han_masks = None

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

    def _append(self, companies: list[Company]) -> None:
        """Index companies (already in ``_companies``, not yet indexed) under new alias ids.

        New ids only grow, so each gram's ids can be appended to its posting list as they come.
        The grams of a whole chunk of keys are cut by one regex pass over the keys joined, and
        grouped by gram through C-level map() calls: no Python loop per (gram, alias) pair.
        """
        self._han_masks = None
        self._changed()
        keys, texts, owners, exact = self._alias_key, self._alias_text, self._alias_company, self._exact
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
                loose, core = _keys(text)
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
                if core.isascii() or not _has_cjk(core):
                    latin.append(core)
                    latin_ids.append(aid)
                else:
                    cjk.append(core)
                    cjk_ids.append(aid)
                if not loose.isascii() and _has_cjk(loose):
                    max_cjk = max(max_cjk, min(len(loose), MAX_CJK_KEY))
        self._max_cjk = max_cjk
        # A padded key of n characters has n trigrams, or n + 1 bigrams.
        self._append_grams(_LATIN_GRAMS, latin, latin_ids, map(len, latin))
        self._append_grams(_CJK_GRAMS, cjk, cjk_ids, map((1).__add__, map(len, cjk)))

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
        self._changed()
        old = self._companies.pop(company_id, None)
        if old is not None:
            self._unindex(old)

    def company(self, company_id: int) -> Company | None:
        return self._companies.get(company_id)

    def _index(self, company: Company) -> None:
        seen: set[tuple[str, str]] = set()
        for text in names_of(company):
            loose, core = _keys(text)
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
            for gram in _grams(core):
                posting = self._postings.get(gram)
                if posting is None:
                    self._postings[gram] = array("i", (aid,))
                elif not posting or posting[-1] < aid:
                    posting.append(aid)
                else:  # a reused slot: keep the list sorted so removal can bisect
                    posting.insert(bisect_left(posting, aid), aid)
            if _has_cjk(loose):
                self._max_cjk = max(self._max_cjk, min(len(loose), MAX_CJK_KEY))

    def _unindex(self, company: Company) -> None:
        """Find the company's slots through its own keys, so no per-company list is kept."""
        for text in names_of(company):
            for key in set(_keys(text)):
                for aid in list(self._exact_ids(key)):
                    if self._alias_company[aid] == company.id:
                        self._drop_alias(aid)

    def _drop_alias(self, aid: int) -> None:
        core = self._alias_key[aid]
        loose = _keys(self._alias_text[aid])[0]
        self._exact_remove(loose, aid)
        self._exact_remove(core, aid)
        for gram in _grams(core):
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

    # --- lookups -----------------------------------------------------------------------------

    def _exact_hits(self, loose: str, core: str) -> list[_Hit]:
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
            as_typed = alias_key[aid] != loose or _keys(self._alias_text[aid])[0] == loose
            tiers[0 if as_typed else 2].setdefault(self._alias_company[aid], aid)
        if not tiers[0] and core != loose:
            for aid in self._exact_ids(core):
                stripped = alias_key[aid] != core or _keys(self._alias_text[aid])[0] != core
                tiers[1 if stripped else 2].setdefault(self._alias_company[aid], aid)
        chosen = next((tier for tier in tiers if tier), {})
        return sorted(
            (_Hit(cid, 100.0, aid) for cid, aid in chosen.items()),
            key=lambda hit: (self._companies[hit.company_id].name.casefold(), hit.company_id),
        )

    def _candidate_ids(self, key: str, budget: int) -> tuple[list[int], bool]:
        """Aliases sharing the most n-grams with ``key``: the only ones rapidfuzz will see.

        Rarest grams are counted first and counting stops at a volume budget, so the cost is
        bounded whatever the query; the survivors are ranked by Dice overlap so long aliases
        that share many grams by chance do not crowd out the short true match. The flag says
        whether some grams were left uncounted, so a caller may retry with a bigger budget.
        """
        postings = [p for g in _grams(key) if (p := self._postings.get(g)) is not None]
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
        extra = 1 if _has_cjk(key) else 0
        query_grams = len(key) + extra
        keys = self._alias_key

        def dice(aid: int) -> float:
            return counts[aid] / (query_grams + len(keys[aid]) + extra)

        ranked = sorted(pool, key=dice, reverse=True)
        return ranked[:TOP_K], truncated

    def _name_fuzzy(self, key: str) -> list[_Hit]:
        """Fuzzy hits for a single name, with a second, wider look when the first was cut short.

        A name the user typed on purpose deserves the extra half millisecond: a typo of a
        famous name ("taobo") may share only very common grams ("tao") with it.
        """
        hits, truncated = self._fuzzy(key, MAX_VOLUME)
        if truncated and self._confident(key, hits, _accept_score(key)) is None:
            hits, _ = self._fuzzy(key, MAX_VOLUME_WIDE)
        return hits

    def _fuzzy(self, key: str, budget: int) -> tuple[list[_Hit], bool]:
        """Best fuzzy hit per company, best first, remembered until the index changes.

        The same typos come in again and again ("alipya", in many sentences), and a lookup
        costs milliseconds at 300k aliases where the cache costs a dict probe.
        """
        cached = self._fuzzy_cache.get((key, budget))
        if cached is not None:
            self._fuzzy_cache.move_to_end((key, budget))
            return list(cached[0]), cached[1]
        hits, truncated = self._fuzzy_lookup(key, SUGGEST_CUTOFF, budget)
        self._fuzzy_cache[(key, budget)] = (tuple(hits), truncated)
        if len(self._fuzzy_cache) > FUZZY_CACHE_SIZE:
            self._fuzzy_cache.popitem(last=False)
        return hits, truncated

    def _fuzzy_lookup(self, key: str, cutoff: float, budget: int) -> tuple[list[_Hit], bool]:
        """Best fuzzy hit per company, best first; ties go to the closer length, then the id."""
        if len(key) > MAX_FUZZY_KEY:
            return [], False
        ids, truncated = self._candidate_ids(key, budget)
        if not ids:
            return [], truncated
        choices = {aid: self._alias_key[aid] for aid in ids}
        scored = process.extract(key, choices, scorer=fuzz.ratio, score_cutoff=cutoff, limit=None)
        best: dict[int, _Hit] = {}
        for choice, score, aid in scored:
            cid = self._alias_company[aid]
            typo = OSA.normalized_similarity(key, choice) * 100
            extends = len(choice) > len(key) and choice.startswith(key)
            hit = best.get(cid)
            if hit is None:
                best[cid] = _Hit(cid, score, aid, typo, aid, extends)
                continue
            closer = abs(len(choice) - len(key)) < abs(len(self._alias_key[hit.alias_id]) - len(key))
            ratio_alias = aid if score > hit.score or (score == hit.score and closer) else None
            best[cid] = _Hit(
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

    def _confident(self, key: str, hits: list[_Hit], accept: float) -> _Hit | None:
        """The one fuzzy hit worth acting on without asking, if there is one.

        It must be a plausible typo (typo score >= ``accept``, same first letter, the query
        not a common word), and every other company must trail by ``MARGIN`` and not be a
        longer name the query starts ("wechat p" may be WeChat or WeChat Pay).
        """
        if not hits or len(key) < _min_fuzzy_len(key) or key in _STOPWORDS or key in COMMON_WORDS:
            return None
        best = max(hits, key=lambda hit: (hit.typo, hit.score))
        if best.typo < accept or self._alias_key[best.typo_alias][:1] != key[:1]:
            return None
        for hit in hits:
            if hit is not best and (hit.extends or hit.typo > best.typo - MARGIN):
                return None
        return best

    def _candidate(self, hit: _Hit) -> Candidate:
        return Candidate(
            company=self._companies[hit.company_id],
            score=round(hit.score, 1),
            matched=self._alias_text[hit.alias_id],
        )

    def _resolve(self, name: str, *, wide: bool = True) -> tuple[Resolution, float]:
        """The resolution and a quality (101 exact, else the fuzzy score) to rank /check splits."""
        loose, core = _keys(name)
        if not core:
            return Resolution(query=name, company=None), 0.0
        exact = self._exact_hits(loose, core)
        if len(exact) == 1:
            return Resolution(name, self._companies[exact[0].company_id]), _EXACT_QUALITY
        if exact:
            candidates = tuple(self._candidate(hit) for hit in exact)
            return Resolution(name, None, candidates), 50.0
        hits = self._name_fuzzy(core) if wide else self._fuzzy(core, MAX_VOLUME)[0]
        if (hit := self._confident(core, hits, _accept_score(core))) is not None:
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
        folded = _fold(text)
        if not 2 <= len(folded) <= 4 or not all(_has_cjk(ch) for ch in folded):
            return None
        if self._han_masks is None:
            self._han_masks = self._build_han_masks()
        found: dict[int, str] = {}
        for at in range(1 if len(folded) == 2 else 0, len(folded)):  # a 2-character name keeps its first
            for aid in self._han_masks.get(folded[:at] + "?" + folded[at + 1:], ()):
                alias = self._alias_text[aid]
                if alias and _fold(alias) != folded:
                    found.setdefault(self._alias_company[aid], alias)
        if len(found) > 1:  # "淘包": 淘宝, 淘天 and 淘特 differ by one; 包 sounds like 宝
            found = {cid: alias for cid, alias in found.items()
                     if pinyin(_fold(alias)).replace(" ", "") == pinyin(folded).replace(" ", "")}
        if len(found) != 1:
            return None
        cid, alias = next(iter(found.items()))
        company = self._companies.get(cid)
        return (company, alias) if company is not None else None

    def _build_han_masks(self) -> dict[str, list[int]]:
        """Each 2-4 character Chinese name with one character masked ("淘?") -> its alias ids."""
        masks: dict[str, list[int]] = defaultdict(list)
        for aid, alias in enumerate(self._alias_text):
            key = _fold(alias) if alias else ""
            if 2 <= len(key) <= 4 and all(_has_cjk(ch) for ch in key):
                for at in range(len(key)):
                    masks[key[:at] + "?" + key[at + 1:]].append(aid)
        return dict(masks)

    def exact(self, name: str) -> Company | None:
        """The one company ``name`` is exactly a name of (after normalising), with no fuzzy
        work: whether a whole text is a single known name costs a dict probe, not a lookup."""
        loose, core = _keys(name)
        if not core:
            return None
        hits = self._exact_hits(loose, core)
        return self._companies[hits[0].company_id] if len(hits) == 1 else None

    def suggest(self, name: str, limit: int = SUGGEST_LIMIT) -> list[Candidate]:
        """Close names for a "did you mean" keyboard: exact matches first, one per company."""
        if limit <= 0:
            return []
        loose, core = _keys(name)
        if not core:
            return []
        hits = self._exact_hits(loose, core)
        seen = {hit.company_id for hit in hits}
        hits += [hit for hit in self._name_fuzzy(core) if hit.company_id not in seen]
        return [self._candidate(hit) for hit in hits[:limit]]

    # --- /check arguments --------------------------------------------------------------------

    def split_pair(self, text: str) -> tuple[Resolution, Resolution] | None:
        """Split a /check argument into two names, choosing the split whose sides resolve best.

        Trying every boundary (not just the first separator) is what lets multi-word names
        ("taobao jd logistics") and unspaced Chinese ("京东支付宝") come out right.
        """
        # NFKC without case folding: sides keep the user's spelling for "did you mean" replies.
        folded = unicodedata.normalize("NFKC", text).translate(_DROPPED)
        pieces = [_Piece(m.group(), m.start(), m.end(), _piece_kind(m)) for m in _PAIR_RE.finditer(folded)]
        names = [i for i, piece in enumerate(pieces) if piece.kind in ("word", "cjk")]
        if not names:
            return None
        first, last = names[0], names[-1]
        # (left end, right start) -> whether an explicit separator sits between them
        splits: dict[tuple[int, int], bool] = {}
        for left_i, right_i in pairwise(names):
            explicit = right_i - left_i > 1
            splits[(pieces[left_i].end, pieces[right_i].start)] = explicit
        for i in names:
            piece = pieces[i]
            if piece.kind == "cjk":
                for cut in range(piece.start + 1, piece.end):
                    splits.setdefault((cut, cut), False)
        if not splits:
            return None
        ordered = sorted(splits.items(), key=lambda item: not item[1])[:MAX_SPLITS]
        # Two unique exact names outrank any split with a fuzzy side (quality 202 vs <= 201),
        # and among such splits the first in ``ordered`` wins, so when one exists the fuzzy
        # pass below cannot change the choice. Most /check arguments end here, without fuzzing.
        unique: dict[str, bool] = {}

        def exact_unique(part: str) -> bool:
            if part not in unique:
                loose, core = _keys(part)
                unique[part] = bool(core) and len(self._exact_hits(loose, core)) == 1
            return unique[part]

        for (left_end, right_start), _ in ordered:
            left_part = folded[pieces[first].start : left_end].strip()
            right_part = folded[right_start : pieces[last].end].strip()
            if exact_unique(left_part) and exact_unique(right_part):
                return self.resolve(left_part), self.resolve(right_part)
        cache: dict[str, tuple[Resolution, float]] = {}

        def side(part: str) -> tuple[Resolution, float]:
            if part not in cache:
                cache[part] = self._resolve(part, wide=False)
            return cache[part]

        best: tuple[tuple[bool, float, bool], Resolution, Resolution] | None = None
        for (left_end, right_start), explicit in ordered:
            left, left_q = side(folded[pieces[first].start : left_end].strip())
            right, right_q = side(folded[right_start : pieces[last].end].strip())
            rank = (left.resolved and right.resolved, left_q + right_q, explicit)
            if best is None or rank > best[0]:
                best = (rank, left, right)
        assert best is not None
        # Splits were ranked on the cheap pass; the chosen sides get the full one.
        return self.resolve(best[1].query), self.resolve(best[2].query)

    # --- free text ---------------------------------------------------------------------------

    def find_in_text(self, text: str, limit: int = 3) -> list[Company]:
        """Companies named in a sentence, in order of appearance, each once."""
        if limit <= 0:
            return []
        companies: list[Company] = []
        seen: set[int] = set()
        for mention in self.scan(text).mentions:
            if mention.company.id not in seen:
                seen.add(mention.company.id)
                companies.append(mention.company)
                if len(companies) == limit:
                    break
        return companies

    def scan(self, text: str) -> Scan:
        """Every name in a sentence with where it stands, and the words left over.

        Exact lookups of word windows and CJK substrings do nearly all the work; only leftover
        uncommon words of four letters or more pay for a fuzzy lookup. Positions refer to
        ``Scan.text``, the folded (NFKC, case-folded, Simplified) form of the text.
        """
        folded = _fold(text[:MAX_TEXT])
        # The user's own capitals, where folding kept positions: "Find My" written as the name.
        cased = text[:MAX_TEXT] if len(folded) == len(text[:MAX_TEXT]) else None
        tokens = _tokens(folded)
        found: list[_Found] = []
        leftovers: list[int] = []
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token.cjk:
                found += self._scan_cjk(token)
                i += 1
                continue
            width = self._match_window(tokens, i, found, cased)
            if width:
                i += width
            else:
                leftovers.append(i)
                i += 1
        self._fuzzy_leftovers(tokens, leftovers, found)
        found.sort()
        mentions = tuple(Mention(start, end, self._companies[cid], self._alias_text[aid], fuzzy)
                         for start, end, cid, aid, fuzzy in found)
        covered = [(m.start, m.end) for m in mentions]
        rest = tuple(t for t in tokens if not t.cjk and not any(s <= t.start < e for s, e in covered))
        return Scan(folded, mentions, rest)

    def _match_window(self, tokens: list[_Token], i: int, found: list[_Found],
                      cased: str | None = None) -> int:
        """Longest run of 1..MAX_WINDOW words at ``i`` that is exactly one company's name."""
        segment = tokens[i].segment
        exact = self._exact
        for width in range(min(MAX_WINDOW, len(tokens) - i), 0, -1):
            window = tokens[i : i + width]
            if window[-1].segment != segment or any(t.cjk for t in window):
                continue
            words = [t.text for t in window]
            loose = "".join(words)
            core = loose
            if width > 1 and (words[-1] in _CORPORATE or words[-1] in _TLDS):
                core = "".join(words[:-1])
            if loose not in exact and core not in exact:
                continue  # most windows of a sentence are no name: one probe each
            common = all(w in _STOPWORDS or len(w) < 2 for w in words)
            if common and width == 1:
                continue
            hits = self._exact_hits(loose, core)
            if len(hits) != 1:
                continue
            # Common words that spell a name word for word ("find my") are just words; split
            # differently from the name ("whats app", "we chat pay") they are the name.
            alias = self._alias_text[hits[0].alias_id]
            alias_words = _WORD_RE.findall(_fold(alias))
            end = window[-1].start + len(window[-1].text)
            capitalised = (cased is not None and alias != alias.lower()
                           and cased[tokens[i].start:end] == alias)  # "Find My", not "find my"
            if common and alias_words == words and not all(t.glued for t in window[1:]) \
                    and not capitalised and " ".join(words) not in COMMON_NAMES:
                continue
            found.append((tokens[i].start, end, hits[0].company_id, hits[0].alias_id, False))
            return width
        return 0

    def _scan_cjk(self, token: _Token) -> list[_Found]:
        """Segment an unspaced CJK run into known names, covering as many characters as possible.

        Greedy longest-match would read "京东支付宝" as 京东支付 (JD Pay) + 宝; maximising
        coverage reads 京东 + 支付宝, which is what people mean far more often.
        """
        run = token.text
        n = len(run)
        # best[i]: (characters covered, -names used) for run[:i]; back[i]: how we got there
        best: list[tuple[int, int]] = [(0, 0)] * (n + 1)
        back: list[tuple[int, int, int] | None] = [None] * (n + 1)
        for end in range(1, n + 1):
            best[end] = best[end - 1]
            back[end] = None
            for size in range(2, min(self._max_cjk, end) + 1):
                sub = run[end - size : end]
                if sub not in self._exact:
                    continue
                hits = self._exact_hits(sub, sub)
                if len(hits) != 1:
                    continue
                covered, neg_names = best[end - size]
                option = (covered + size, neg_names - 1)
                if option > best[end]:
                    best[end] = option
                    back[end] = (size, hits[0].company_id, hits[0].alias_id)
        found: list[_Found] = []
        end = n
        while end > 0:
            step = back[end]
            if step is None:
                end -= 1
                continue
            size, cid, aid = step
            found.append((token.start + end - size, token.start + end, cid, aid, False))
            end -= size
        found.reverse()
        return found

    def _fuzzy_leftovers(
        self, tokens: list[_Token], leftovers: list[int], found: list[_Found]
    ) -> None:
        """Typos: single uncommon words first, then two adjacent unmatched words glued."""
        budget = MAX_TEXT_FUZZY
        matched: set[int] = set()
        for i in leftovers:
            word = tokens[i].text
            if len(word) < MIN_FUZZY_LEN or word in _STOPWORDS or word.isdigit():
                continue
            if budget == 0:
                return
            budget -= 1
            hit = self._text_fuzzy(word, TEXT_ACCEPT_SCORE)
            if hit is not None:
                found.append((tokens[i].start, tokens[i].start + len(word), hit.company_id,
                              hit.typo_alias, True))
                matched.add(i)
        spare = set(leftovers) - matched
        for i in leftovers:
            j = i + 1
            if j not in spare or i not in spare or tokens[j].segment != tokens[i].segment:
                continue
            first, second = tokens[i].text, tokens[j].text
            if first in _STOPWORDS and second in _STOPWORDS:
                continue
            if len(first) + len(second) < 5 or budget == 0:
                continue
            budget -= 1
            hit = self._text_fuzzy(first + second, PAIR_ACCEPT_SCORE)
            if hit is not None:
                found.append((tokens[i].start, tokens[j].start + len(second), hit.company_id,
                              hit.typo_alias, True))
                spare -= {i, j}

    def _text_fuzzy(self, word: str, accept: float) -> _Hit | None:
        hits, _ = self._fuzzy(word, MAX_VOLUME)
        best = self._confident(word, hits, accept)
        if best is None:
            return None
        # "acept" is a typo of "accept", not of some company that happens to be close.
        if process.extractOne(
            word, _STOPWORD_LIST, scorer=OSA.normalized_similarity, score_cutoff=best.typo / 100
        ):
            return None
        return best


def _piece_kind(match: re.Match[str]) -> str:
    if match.lastgroup == "word" and match.group().casefold() in _PAIR_WORDS:
        return "sepword"
    return match.lastgroup or "sep"


def _tokens(folded: str) -> list[_Token]:
    tokens: list[_Token] = []
    segment = 0
    for match in _TEXT_RE.finditer(folded):
        kind = match.lastgroup
        if kind == "brk":
            segment += 1
            continue
        start = match.start()
        glued = bool(tokens) and start >= 2 and not folded[start - 1].isspace() \
            and tokens[-1].start + len(tokens[-1].text) == start - 1
        tokens.append(_Token(match.group(), start, kind == "cjk", segment, glued))
    return tokens
