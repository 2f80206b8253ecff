"""Names as index keys: folding (NFKC, case, Traditional -> Simplified, pinyin), the exact and
loose keys, character n-grams, and the thresholds names are matched with.
"""

from __future__ import annotations

import re
import unicodedata

from bot.domain import Company
from bot.names.script import pinyin, to_simplified

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
BUILD_CHUNK = 4096
"""Companies indexed per step of a bulk build: bounds its scratch memory, and how long it
holds the event loop between steps."""

EXACT_QUALITY = 101.0

CJK_RANGES = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
CJK_RE = re.compile(f"[{CJK_RANGES}]")
WORD_RE = re.compile(f"[{CJK_RANGES}]+|[^\\W_{CJK_RANGES}]+")
TEXT_RE = re.compile(
    f"(?P<cjk>[{CJK_RANGES}]+)|(?P<word>[^\\W_{CJK_RANGES}]+)"
    r"|(?P<brk>[,;:?!|\u3001\u3002\u300c\u300d]+)"
)
PAIR_RE = re.compile(f"(?P<cjk>[{CJK_RANGES}]+)|(?P<word>[^\\W_{CJK_RANGES}]+)|(?P<sep>[,|&/\u3001]+)")
DROPPED = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad\u180e'\u2019\u02bc`"), None
)

# ASCII fast path of name_keys (most names): NFKC is the identity on ASCII and casefold is lower(),
# so one translate() does the folding. _ASCII_LOOSE keeps only word characters (the loose key
# at once); _ASCII_WORDS turns every separator into a space and "." into " ." so split() yields
# the words, each prefixed by "." when written right after a dot (or a lone "." to ignore).
_ASCII_LOOSE = {c: (chr(c).lower() if chr(c).isalnum() else None) for c in range(128)}
_ASCII_WORDS = {
    c: chr(c).lower() if chr(c).isalnum() else " ." if chr(c) == "." else None if c in DROPPED else " "
    for c in range(128)
}
LATIN_GRAMS = re.compile(r"(?=([^$][^$^][^^]))")
"""Padded trigrams of "^key1$^key2$...", none spanning two keys (keys hold no "^" or "$")."""
CJK_GRAMS = re.compile(r"(?=([^$][^^]))")
"""The same for padded bigrams."""

TLDS = frozenset({"com", "net", "org", "cn", "io", "hk", "tw", "jp", "co", "app"})
"""Web suffixes dropped from a key when written after a dot ("jd.com" -> "jd")."""
CORPORATE = frozenset(
    {
        "inc", "incorporated", "group", "holding", "holdings", "ltd", "limited", "co", "corp",
        "corporation", "company", "platforms", "plc", "llc", "gmbh", "ag", "sa",
    }
)  # fmt: skip
_CJK_CORPORATE = ("股份有限公司", "有限公司", "控股集团", "集团", "控股", "公司")
PAIR_WORDS = frozenset({"and", "vs", "versus", "with", "on"})
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
STOPWORDS = frozenset(_STOPWORD_TEXT.split())
"""Common words that must never be read as a company, nor fuzzily turned into one."""
STOPWORD_LIST = tuple(sorted(w for w in STOPWORDS if len(w) >= 4))


def fold(text: str) -> str:
    """Compatibility-fold so "ＪＤ", "Jd", "jd\u200b" and 京東/京东 compare equal, as users type all."""
    folded = unicodedata.normalize("NFKC", text).translate(DROPPED).casefold()
    return folded if folded.isascii() else to_simplified(folded)


def names_of(company: Company) -> tuple[str, ...]:
    """Every text the index knows a company by: its name, aliases, feature aliases, and the
    generated toneless pinyin of each Chinese one ("微信支付" -> "wei xin zhi fu")."""
    texts = [company.name, *company.aliases, *(f.alias for f in company.features)]
    return tuple(texts + [spelled for text in texts for spelled in spellings(text)[1:]])


def spellings(text: str) -> tuple[str, ...]:
    """A name as written and, for a Chinese one, its toneless pinyin ("隔空投送" -> "ge kong tou
    song"): the one place a Chinese name, company or feature alias, gets its pinyin form."""
    spelled = pinyin(text)
    return (text, spelled) if len(spelled.replace(" ", "")) >= MIN_FUZZY_LEN else (text,)


def same_name(alias: str, said: str) -> bool:
    """Whether ``said`` (as matched in a question) is ``alias`` in any of its spellings."""
    key = normalize(said)
    return any(normalize(text) == key for text in spellings(alias))


def has_cjk(text: str) -> bool:
    return CJK_RE.search(text) is not None


def name_keys(text: str) -> tuple[str, str]:
    """The loose key (all words, glued) and the core key (web and corporate suffixes dropped).

    Both are indexed so "JD.com Inc" is found as written and as "jd", while an alias written
    exactly as typed ("PDD" of Pinduoduo) still beats a stripped one ("PDD Holdings").
    """
    return _ascii_keys(text) if text.isascii() else _unicode_keys(text)


def _unicode_keys(text: str) -> tuple[str, str]:
    """``name_keys`` for any text: the reference the ASCII fast path must agree with."""
    folded = fold(text)
    if WORD_RE.fullmatch(folded):  # a single word, as most CJK names are: nothing to strip
        loose = core = folded
    else:
        parts = [(m.group(), m.start()) for m in WORD_RE.finditer(folded)]
        loose = "".join(word for word, _ in parts)
        while len(parts) > 1:
            word, start = parts[-1]
            dotted = start > 0 and folded[start - 1] == "."
            if word in CORPORATE or (dotted and word in TLDS):
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
    """``name_keys`` for ASCII text with C-level string methods: 3-4x faster, same result."""
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
        if word not in CORPORATE and not (dotted and word in TLDS):
            return loose, loose
    words = [word for word in words if word != "."]
    while len(words) > 1:
        last = words[-1]
        dotted = last[0] == "."
        word = last[1:] if dotted else last
        if word in CORPORATE or (dotted and word in TLDS):
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
    return name_keys(text)[1]


def grams(key: str) -> dict[str, None]:
    """Padded trigrams for Latin keys, bigrams for CJK ones (a CJK character is a syllable).

    Each once, in the order they occur: a set's order would change with the process's hash
    seed, and with it which of two equally rare grams is counted first, so the same typo
    could get other suggestions after a restart.
    """
    size = 2 if has_cjk(key) else 3
    padded = f"^{key}$"
    if len(padded) <= size:
        return {padded: None}
    return dict.fromkeys(padded[i : i + size] for i in range(len(padded) - size + 1))


def accept_score(key: str) -> float:
    return ACCEPT_SCORE_CJK if has_cjk(key) else ACCEPT_SCORE


def min_fuzzy_len(key: str) -> int:
    return MIN_FUZZY_LEN_CJK if has_cjk(key) else MIN_FUZZY_LEN
