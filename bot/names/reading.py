"""Reading a whole question: its names (known, doubtful, unknown), their sides, its kind and intent.

The resolver finds the names; this module decides what the words around them mean: which
names are alternatives of one side ("Alipay or WeChat Pay on JD"), which kind the question asks
about ("pay", "登录"), whether it is small talk or an ownership question, and which leftover
words look like names the bot does not know ("amazon"), so that none is dropped silently.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from enum import StrEnum

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.domain import Candidate, Company, Kind, Region, Resolution
from bot.names import words as W
from bot.names.keys import CORPORATE, STOPWORDS, fold, name_keys, same_name
from bot.names.resolver import Mention, Resolver
from bot.names.scan import Token
from bot.names.script import has_han

Slot = tuple[int, int, Company | None, tuple[Candidate, ...], str, str]
"""(start, end, company, candidates, matched, display) of one name read in a text."""


_POSSESSIVE = re.compile(r"(?<=[^\W_])['’]s\b")
_WORD = re.compile(r"[^\W_]+")
_LATIN = re.compile(r"[a-z0-9]+")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_ALT_SPLIT = re.compile(r"(\s+(?:and|or|&)\s+|\s*[和与或&]\s*)")
_ALT_PUNCT = re.compile(r"^[\s,/&+|、，;；]*$")
_ZH_OWNERSHIP = re.compile(W.OWNERSHIP_ZH_PATTERN)
_HTML_TAG = re.compile(r"</?(a|b|i|u|s|p|br|hr|em|strong|code|pre|span|div|font|img|script|style|"
                       r"blockquote|li|ul|ol|h[1-6]|tg-spoiler)(\s[^<>]*)?/?>", re.IGNORECASE)
"""A pasted tag ("<a href=...>"): its attribute words are not names."""
_REGION_WORDS = frozenset({
    "europe", "european", "eu", "eea", "uk", "britain", "england", "us", "usa", "america",
    "american", "japan", "japanese", "korea", "korean", "india", "indian", "singapore", "thailand",
    "malaysia", "indonesia", "vietnam", "philippines", "australia", "hongkong", "hong", "kong",
    "macau", "macao", "taiwan", "mainland", "asia", "worldwide", "abroad", "overseas", "foreign",
    *(w for ws in W.REGION_WORDS.values() for w in ws if not has_han(w)),
    *(w for w in W.PLACES if not has_han(w)),
})
_REGION_OF = {w: region for region, ws in W.REGION_WORDS.items() for w in ws}
_PLACE_REGION = {**{w: r for w, r in _REGION_OF.items() if not has_han(w)},
                 **{place: r for r, place in W.REGION_PLACE.items()}}
"""The region of a place named by a word of its own ("meiguo" -> "us" -> US)."""
_CAPITAL_US = re.compile(r"(?<![A-Za-z.])US(?![A-Za-z])")
_REGION_PHRASE = [(re.compile(rf"(?<![a-z0-9]){re.escape(p)}(?![a-z0-9])"), region)
                  for region, ps in W.REGION_PHRASES.items() for p in ps]
_GLUE = frozenset({
    "x", "vs", "versus", "via", "with", "and", "or", "to", "on", "for", "i", "im", "ive", "id",
    "me", "u", "ur", "pls", "plz", "dont", "doesnt", "isnt", "cant", "wont", "didnt", "hasnt",
    "havent", "yet", "still", "really", "anymore", "again", "ever", "lol", "hmm", "ok", "okay",
    "there", "bot", "pay", "lets", "let", "anyone", "someone", "somebody", "people", "right",
    "now", "currently",
})
_VOCABULARY = tuple(sorted({
    *(w for w in STOPWORDS if len(w) >= 4), *(w for w in W.COMMON_WORDS if len(w) >= 4),
    *(w for ws in W.KIND_WORDS.values() for w in ws if w.isascii() and len(w) >= 4)}))
NEAR_WORD = 0.75
"""OSA similarity at which a leftover word is a typo of an ordinary word ("acept"), not a name."""
_HAN_KIND_WORDS = tuple((kind, w) for kind, ws in W.KIND_WORDS.items() for w in ws if has_han(w))
"""The Chinese kind words, found anywhere in the Han text left over (in catalogue order)."""
_HAN_OWNERSHIP = tuple(p for p in W.OWNERSHIP_PHRASES if has_han(p))
_HAN_PLACES = tuple((w, place) for w, place in W.PLACES.items() if has_han(w))
"""The Chinese spellings of places, looked for in each Chinese leftover."""
_HAN_REGIONS = tuple((w, region) for w, region in _REGION_OF.items() if has_han(w))
_TALK_WORDS = frozenset(w for p in (*W.LATEST_PHRASES, *W.HELP_PHRASES) for w in _LATIN.findall(p))
MAX_NAME_RUN = 4
"""Leftover words glued into one unknown name at most ("procter gamble co")."""


class Intent(StrEnum):
    """What a message is for, apart from the names in it."""

    ASK = "ask"
    HELP = "help"
    LATEST = "latest"
    OWNERSHIP = "ownership"


@dataclass(frozen=True, slots=True)
class Name:
    """One name slot of a question: a known company, a doubtful name with candidates, or unknown."""

    text: str
    start: int
    end: int
    side: int
    company: Company | None = None
    candidates: tuple[Candidate, ...] = ()
    matched: str = ""

    @property
    def resolution(self) -> Resolution:
        return Resolution(self.text, self.company, self.candidates)


@dataclass(frozen=True, slots=True)
class Reading:
    """What a text says: its names in order (with sides), the kind, scope and region asked, the intent."""

    text: str
    names: tuple[Name, ...]
    kind: Kind | None = None
    scope: str = ""
    intent: Intent = Intent.ASK
    region: str = ""
    """A ``Region`` value the question names ("in Europe" -> "EU/EEA"), or "" for none."""
    negated: bool = False
    """"does WeChat block Taobao links": a yes or no would read as the opposite."""
    words: tuple[str, ...] = ()
    """The question's own words that are no names: they pick a feature ("encrypted")."""
    place: str = ""
    """A place named ("mauritius", "sri lanka"), region or not: it can pick the fact asked."""
    host: int = 0
    """The company the other is used inside ("支付宝里能用美团吗": Alipay), or 0."""
    owner_first: bool = False
    """An ownership question that names the owner first ("does Tencent own JD")."""
    features: tuple[tuple[int, str, str], ...] = ()
    """(company id, alias, scope) of each feature named by its own name ("iMessage")."""
    corrected: tuple[tuple[str, Company], ...] = ()
    """Chinese names read with one character corrected ("淘包" -> 淘宝), to be reported."""
    asked: tuple[str, str] = ("", "")
    """(the user's words, the scope word) of a feature named by a word ("e2ee", "小程序")."""
    kinds: tuple[Kind, ...] = ()
    """Every kind the words say, first said first ("posts linking to": content, then links)."""

    @property
    def known(self) -> tuple[Name, ...]:
        return tuple(n for n in self.names if n.company is not None)

    @property
    def doubtful(self) -> tuple[Name, ...]:
        return tuple(n for n in self.names if n.company is None and n.candidates)

    @property
    def unknown(self) -> tuple[Name, ...]:
        return tuple(n for n in self.names if n.company is None and not n.candidates)

    def companies(self) -> list[Company]:
        """The known companies, each once, in order of appearance."""
        seen: set[int] = set()
        out: list[Company] = []
        for n in self.known:
            assert n.company is not None
            if n.company.id not in seen:
                seen.add(n.company.id)
                out.append(n.company)
        return out


_TONES = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜĀÁǍÀĒÉĚÈĪÍǏÌŌÓǑÒŪÚǓÙ",
                       "aaaaeeeeiiiioooouuuuüüüüAAAAEEEEIIIIOOOOUUUU")
"""Tone-marked pinyin ("zhīfùbǎo") read as the toneless pinyin the index holds."""


def prepare(text: str) -> str:
    """NFKC, HTML tags pasted in taken out, tone marks and possessives dropped ("JD's" -> "JD"),
    whitespace collapsed."""
    text = _HTML_TAG.sub(" ", unicodedata.normalize("NFKC", text).translate(_TONES))
    text = text.replace("\u200b", " ")  # a zero-width space is a word break ("jd\u200balipay")
    return " ".join(_POSSESSIVE.sub("", text).split())


def read(resolver: Resolver, text: str, *, command: bool = False) -> Reading:
    """Read one message or command argument. ``command`` text is names only, so every leftover
    word is part of some name; free text has sentence words around the names."""
    original = prepare(text)
    scan = resolver.scan(original)
    folded = scan.text
    mentions, swallowed = _unswallow(resolver, folded, scan.mentions)
    mentions = _plus_names(resolver, folded, mentions)
    slots: list[Slot] = []
    for mention in mentions:
        slots.append((mention.start, mention.end, mention.company, (), mention.matched,
                      _display(original, folded, mention.start, mention.end)))
    kind_hits: list[tuple[int, Kind]] = []
    scope = ""
    region_hits = [(match.start(), region) for pattern, region in _REGION_PHRASE
                   for match in pattern.finditer(folded)]
    if (capital := _CAPITAL_US.search(original)) and not original.isupper():  # "pix in US"
        region_hits.append((capital.start(), Region.US))
    places = [*swallowed, *(W.REGION_PLACE[r] for _, r in sorted(region_hits) if r in W.REGION_PLACE)]
    words: list[str] = []
    features: list[tuple[int, str, str]] = []
    for mention in mentions:  # "AirDrop" names the iPhone and says what about it
        said = fold(mention.matched)
        if (topic := _kind_of(said)) is not None:
            kind_hits.append((mention.start - 10_000, topic))
            scope = scope or W.TOPIC_SCOPES.get(said, "")
        for feature in mention.company.features:
            if same_name(feature.alias, mention.matched):
                kind_hits.append((mention.start - 10_000, feature.kind))
                scope = scope or feature.scope
                words += _LATIN.findall(said)
                if feature.scope:
                    features.append((mention.company.id, feature.alias, feature.scope))
    ownership = False
    # Leftover Latin words: kinds, intent words, glue, or runs that look like names.
    run: list[tuple[int, int]] = []
    runs: list[list[tuple[int, int]]] = []
    last_end = -1
    rest = scan.rest
    # Words written together with "&" or "+" between ("at&t", "h&m") are a name, whatever the words.
    glued: set[int] = set()
    for i in range(1, len(rest)):
        before = rest[i - 1].start + len(rest[i - 1].text)
        if before == rest[i].start - 1 and folded[before] in "&+":
            glued |= {i - 1, i}
    glued |= _brand_pay(original, folded, rest)
    subject = _subject_word(folded, rest) if not command else None
    for index, token in enumerate(rest):
        word = token.text
        start, end = token.start, token.start + len(word)
        if not command and len(word) >= 4 and word not in STOPWORDS and _kind_of(word) is None:
            near = process.extractOne(word, _VOCABULARY, scorer=OSA.normalized_similarity,
                                      score_cutoff=NEAR_WORD)
            if near is not None and (len(word) > 4 or _kind_of(near[0]) is not None
                                     or sorted(word) == sorted(near[0])
                                     or not _name_place(folded, rest, index, mentions)):
                # "acept" reads as "accept": a kind word, not an unknown name; a four-letter
                # word one letter off an ordinary one is as likely a name where a name stands
                # ("dana qris", "does ikea ..."), unless two letters only swapped ("wrok")
                word = near[0]
        kind = _kind_of(word)
        if kind is not None:  # a topic word ("files") says more than a verb ("share")
            kind_hits.append((start - 5_000 if word in W.TOPIC_SCOPES else start, kind))
            scope = scope or W.TOPIC_SCOPES.get(word, "")
        if word in W.OWNERSHIP_WORDS and not _user_owner(folded, start, word):
            ownership = True
        if word in _REGION_OF:
            region_hits.append((start, _REGION_OF[word]))
        if word in W.PLACES or word in _REGION_OF:
            places.append(W.PLACES.get(word, word))
        if not command and token.text not in _GLUE and len(token.text) >= 3:
            words.append(token.text)
        name_like = (kind is None and word not in W.OWNERSHIP_WORDS and word not in _GLUE
                     and word not in W.NEGATION_WORDS and word not in W.PLACES
                     and word not in W.DEMONYMS
                     and (command or not _inflected(word))
                     and word not in _REGION_WORDS and word not in _TALK_WORDS and not word.isdigit()
                     and (command or (word not in STOPWORDS and word not in W.COMMON_WORDS
                                      and word not in W.GREETINGS and len(word) >= 3)))
        if command and (word in W.ALTERNATIVE_WORDS or word in W.SIDE_WORDS):
            name_like = False
        if index in glued or index == subject:
            name_like = True
        if name_like and _corporate(word) and _gap_after_name(folded, start, slots, run):
            name_like = False  # "Voulsel Linited": a company form (misspelt), not another name
        gap = folded[last_end:start] if run else ""
        if name_like and run and len(run) < MAX_NAME_RUN and _ALT_PUNCT.match(gap) \
                and not re.search(r"[,;、，]", gap):
            run.append((start, end))
        elif name_like:
            if run:
                runs.append(run)
            run = [(start, end)]
        elif run:
            runs.append(run)
            run = []
        last_end = end
    if run:
        runs.append(run)
    tails = {t.start: t.start + len(t.text) for t in rest if t.text in W.COMMON_WORDS}
    for parts in runs:
        start, end = parts[0][0], parts[-1][1]
        slot = _leftover(resolver, original, folded, start, end, command)
        after = len(folded[end:]) - len(folded[end:].lstrip(" "))
        if not command and after == 1 and (tail := tails.get(end + 1)) is not None:
            longer = _leftover(resolver, original, folded, start, tail, command)
            top = longer[3][0] if longer[3] else None
            if top is not None and all(c.company.id != top.company.id for c in slot[3]) \
                    and folded[end + 1:tail] in fold(top.matched).split():
                slot = longer  # "kiolou hb": an ordinary word that ends the name typed ("Hub")
        slots.append(slot)
    slots = _joined_typos(resolver, original, folded, slots, tails)
    # Leftover Han characters: kinds and glue taken out, what remains is an unknown name.
    corrected: list[tuple[str, Company]] = []
    covered = [(m.start, m.end) for m in mentions]
    for match in _HAN_RUN.finditer(folded):
        for start, end in _uncovered(match.start(), match.end(), covered):
            piece = folded[start:end]
            for kind, w in _HAN_KIND_WORDS:
                if (at := piece.find(w)) >= 0:
                    kind_hits.append((start + at, kind))
                    scope = scope or W.TOPIC_SCOPES.get(w, "")
            if any(p in piece for p in _HAN_OWNERSHIP):
                ownership = True
            region_hits += [(start + at, region) for w, region in _HAN_REGIONS
                            if (at := piece.find(w)) >= 0]
            places += [place for w, place in _HAN_PLACES if w in piece]
            words += [w for zh, w in W.SCOPE_WORDS_ZH.items() if zh in piece]
            for s, e in _residue(piece):
                if e - s == 1 and not command:  # "支付包": the glue word 支付 took part of the name
                    window = _one_off_window(resolver, piece, s)
                    if window is not None:
                        a, b, company, alias = window
                        display = _display(original, folded, start + a, start + b)
                        corrected.append((display, company))
                        slots.append((start + a, start + b, company, (), alias, display))
                if e - s >= 2:
                    slot = _leftover(resolver, original, folded, start + s, start + e, True)
                    prior = next((x for x in slots if x[1] == start + s and x[2] is not None), None)
                    if slot[2] is None and not command and prior is not None and prior[2] is not None:
                        joined = resolver.one_off_han(folded[prior[0]:start + e])  # "微信" + "支附"
                        if joined is not None and joined[0].id != prior[2].id:
                            slots.remove(prior)
                            display = _display(original, folded, prior[0], start + e)
                            corrected.append((display, joined[0]))
                            slots.append((prior[0], start + e, joined[0], (), joined[1], display))
                            continue
                    if slot[2] is None and not command:
                        fixed = resolver.one_off_han(piece[s:e])
                        if fixed is not None:  # "淘包" -> 淘宝, reported with the answer
                            corrected.append((slot[5], fixed[0]))
                            slot = (slot[0], slot[1], fixed[0], (), fixed[1], slot[5])
                    if slot[2] is None and not slot[3] and not command and e - s == 2 \
                            and any(c in W.ZH_VERBS for c in piece[s:e]):
                        continue  # "刷绑", "互传": a verb and its object, no name
                    slots.append(slot)
    if any(f" {p} " in f" {folded} " for p in _PART_OF):
        ownership = True
    if len(mentions) >= 1 and _zh_owner_named(folded, mentions):
        ownership = True
    slots.sort(key=lambda s: s[0])
    names = _topic_name(resolver, original, folded, _sides(folded, slots), command)
    names = _product_line(folded, names)
    if not command:
        names = _brand_product(resolver, folded, names)
    if not command:
        names, edited = _one_edit(names)
        corrected += edited
    corrected += _misspelt(names, corrected)
    if not command:  # "is fortnite an epic game": "epic" is Epic Games, Fortnite's owner
        names, owner_said = _owner_word(resolver, folded, names, ownership)
        if owner_said:
            corrected += owner_said
            ownership = True
    known = [n for n in names if n.company is not None]
    if not command and (_has_phrase(folded, W.OWNERSHIP_RELATED) or _PINYIN_OWNERSHIP.search(folded)
                        or _bare_is(folded, scan.rest, known)):
        ownership = True
    kind = min(kind_hits)[1] if kind_hits else None
    intent = Intent.ASK
    if not names:
        intent = _small_talk(folded)
    elif ownership and known:
        intent = Intent.OWNERSHIP
    if not region_hits and places and places[0] in _PLACE_REGION:  # "pix zai meiguo"
        region_hits.append((0, _PLACE_REGION[places[0]]))
    region = min(region_hits)[1].value if region_hits else ""
    negated = not command and (any(t.text in W.NEGATION_WORDS for t in scan.rest)
                               or _has_phrase(folded.replace("能不能", "").replace("可不可以", ""),
                                              W.NEGATION_PHRASES))
    asked = _asked_feature(original, folded, names)
    if asked[1]:
        words.append(asked[1])
    return Reading(original, names, kind, scope, intent, region, negated=negated,
                   words=tuple(dict.fromkeys(words)), asked=asked, place=places[0] if places else "",
                   host=_host(folded, known), owner_first=_owner_first(folded, known),
                   features=tuple(features), corrected=tuple(corrected),
                   kinds=tuple(dict.fromkeys(k for _, k in sorted(kind_hits))))


_PINYIN_OWNERSHIP = re.compile("|".join(W.OWNERSHIP_PINYIN))


_OWNER_SHAPE = re.compile(r"\b(?:the|its|their|whose|new|real|parent)\s+$")
"""Before "owner", a word that makes it a company's owner ("the owner of", "whose owner")."""


def _user_owner(folded: str, start: int, word: str) -> bool:
    """"iphone owner here", "as an owner of a Pixel", "android owners": "owner" as the person
    asking, not who owns a company. "the owner", "whose owner", or "owner" first or last in the
    question ("owner of taobao?", "alipay's owner") ask that."""
    if word not in ("owner", "owners"):
        return False
    alone = not folded[:start].strip() or not re.sub(r"[\W_]+", "", folded[start + len(word):])
    return not alone and _OWNER_SHAPE.search(folded[:start]) is None
_FEATURE_WORD = re.compile("|".join(
    re.escape(w) if has_han(w) else rf"(?<![a-z0-9]){re.escape(w)}(?![a-z0-9])"
    for w in sorted(W.FEATURE_WORDS, key=len, reverse=True)))


def _asked_feature(original: str, folded: str, names: tuple[Name, ...]) -> tuple[str, str]:
    """The first feature word outside the names: the user's spelling and the scope word."""
    for match in _FEATURE_WORD.finditer(folded):
        if not any(n.start < match.end() and match.start() < n.end for n in names):
            word = match.group()
            shown = W.FEATURE_NOUNS.get(word) or _display(original, folded, match.start(), match.end())
            return shown, W.FEATURE_WORDS[word]
    return "", ""
_PART_OF = ("part of", "member of", "made by", "a product of", "product of", "developed by")
"""Passive ownership shapes: the first name is the child ("is Chrome made by Google")."""


def _zh_owner_named(folded: str, mentions: tuple[Mention, ...]) -> bool:
    """"支付宝是阿里巴巴的吗", "微信是哪家公司的": an owner (a name, 谁, 哪家) between 是 and 的,
    not a feature ("RCS是端到端加密的吗")."""
    for match in _ZH_OWNERSHIP.finditer(folded):
        start, end = match.start(), match.end()
        if any(start < m.start < end for m in mentions) or re.search("谁|哪|公司|集团", match.group()):
            return True
    return False
_BARE_IS = frozenset({"is", "are", "a", "an", "the", "company", "group", "brand", "subsidiary",
                      "really", "actually", "just", "product", "app", "game", "service", "site",
                      "thing", "platform"})
_ACTIVE_OWN = ("own", "owns", "yongyou", "control", "controls", "bought", "acquired", "拥有", "控股", "收购",
               "买下")
_HOST_AFTER = ("里", "裡", "里面", "里的", "上的", "中的")


_INFLECTIONS = ("ing", "ed", "d", "ly", "es", "s")


def _inflected(word: str) -> bool:
    """An ordinary word with an English ending ("happened", "lately", "countries")."""
    for ending in _INFLECTIONS:
        stem = word.removesuffix(ending)
        shortest = 4 if ending == "s" else 5  # "runs", but no 4-letter name ending "ed"
        if len(word) >= shortest and stem != word and (stem in W.COMMON_WORDS or stem in STOPWORDS
                                                       or stem.removesuffix("i") + "y" in W.COMMON_WORDS
                                                       or stem + "e" in W.COMMON_WORDS):  # "taking"
            return True
    return False


_CORPORATE_WORDS = tuple(sorted(w for w in CORPORATE if len(w) >= 4))


def _corporate(word: str) -> bool:
    """A company form ("limited", "holdings"), or a misspelling of one ("linited", "hlodings")."""
    if word in CORPORATE:
        return True
    return len(word) >= 4 and process.extractOne(word, _CORPORATE_WORDS, scorer=OSA.normalized_similarity,
                                                 score_cutoff=NEAR_WORD) is not None


def _gap_after_name(folded: str, start: int, slots: list[Slot], run: list[tuple[int, int]]) -> bool:
    """Whether only spaces stand between a name (known, or the run being read) and ``start``."""
    ends = [slot[1] for slot in slots] + ([run[-1][1]] if run else [])
    return any(folded[end:start].strip(" .,") == "" for end in ends if end <= start)


def _subject_word(folded: str, rest: tuple[Token, ...]) -> int | None:
    """The index of an ordinary word standing where a name must ("does *line* work with
    WhatsApp"): right after the opening "does" and right before a verb such as "work"."""
    if len(rest) < 3 or rest[0].start != 0 or rest[0].text not in W.QUESTION_OPENERS:
        return None
    word, verb = rest[1], rest[2]
    adjacent = folded[rest[0].start + len(rest[0].text):word.start].strip() == "" and \
        folded[word.start + len(word.text):verb.start].strip() == ""
    if not adjacent or verb.text not in W.NAME_VERBS or word.text in STOPWORDS \
            or word.text in W.DEMONYMS \
            or _kind_of(word.text) is not None or len(word.text) < 3:
        return None
    return 1


def _name_place(folded: str, rest: tuple[Token, ...], index: int, mentions: tuple[Mention, ...]) -> bool:
    """Whether a leftover word stands where a name does: first in the question, right after an
    opening "does"/"is", or right before a known name ("dana qris")."""
    token = rest[index]
    if not folded[:token.start].strip():
        return True
    prev = rest[index - 1] if index else None
    if prev is not None and prev.text in W.QUESTION_OPENERS and not folded[:prev.start].strip() \
            and not folded[prev.start + len(prev.text):token.start].strip():
        return True
    end = token.start + len(token.text)
    return any(m.start > end and not folded[end:m.start].strip() for m in mentions)


_BRAND_TAILS = frozenset({"pay", "wallet"})
"""Words that end many a wallet's name ("LINE Pay", "Kakao Pay", "Touch 'n Go eWallet")."""


def _brand_pay(original: str, folded: str, rest: tuple[Token, ...]) -> set[int]:
    """The indices of "<word> pay" read as one name even when the word is ordinary ("line pay
    alipay", "LINE Pay 微信支付"): when the word is capitalised as a name is, or the question is
    only names. "pay" alone stays a kind word, and "i pay", "to pay" are never names."""
    out: set[int] = set()
    for i in range(1, len(rest)):
        word, tail = rest[i - 1], rest[i]
        if tail.text not in _BRAND_TAILS or tail.start != word.start + len(word.text) + 1 \
                or folded[word.start + len(word.text)] != " " or word.text in STOPWORDS \
                or _kind_of(word.text) is not None or word.text in W.QUESTION_OPENERS \
                or word.text in W.SIDE_WORDS or word.text in W.ALTERNATIVE_WORDS or len(word.text) < 2:
            continue
        said = original[word.start:word.start + len(word.text)] if original.casefold() == folded else ""
        capital = said[:1].isupper() and not original.isupper()
        if capital or len(rest) <= 2:
            out |= {i - 1, i}
    return out


def _has_phrase(folded: str, phrases: tuple[str, ...]) -> bool:
    """Whether a phrase occurs: Latin ones as whole words, Chinese ones anywhere."""
    for phrase in phrases:
        if has_han(phrase):
            if phrase in folded:
                return True
        elif re.search(rf"(?<![a-z0-9']){re.escape(phrase)}(?![a-z0-9])", folded):
            return True
    return False


def _topic_name(resolver: Resolver, original: str, folded: str, names: tuple[Name, ...],
                command: bool) -> tuple[Name, ...]:
    """"can I change the default navigation app on iPhone": a topic the data keeps as a party of
    its own ("Third-party navigation apps") is the other side of a question naming one company."""
    known = {n.company.id for n in names if n.company is not None}
    makers = {n.company.parent_id for n in names if n.company is not None}
    if command or len(known - makers) != 1:  # "apple ... on the iphone": the maker is the product's
        return names
    for phrase, target in W.TOPIC_NAMES.items():
        if has_han(phrase):
            at = folded.find(phrase)
        else:
            found = re.search(rf"(?<![a-z0-9']){re.escape(phrase)}(?![a-z0-9])", folded)
            at = found.start() if found else -1
        if at < 0:
            continue
        company = resolver.exact(target)
        if company is None or company.id in known:
            return names
        end = at + len(phrase)
        kept = tuple(n for n in names if n.company is not None or n.end <= at or n.start >= end)
        side = max((n.side for n in kept), default=-1) + 1
        return (*kept, Name(_display(original, folded, at, end), at, end, side, company, (), phrase))
    return names


_IS_A = re.compile(r"\s*(a|an|the)?\s*$")
MAX_OWNERS = 12
"""Links followed up a company's owner chain (a guard against a cycle in edited data)."""


def _owner_word(resolver: Resolver, folded: str, names: tuple[Name, ...], ownership: bool
                ) -> tuple[tuple[Name, ...], list[tuple[str, Company]]]:
    """In an ownership-shaped question about one company ("is X a Y game", "is X made by Y",
    "X是Y的吗"), an unknown word that is the first word of exactly one name in X's owner chain
    is that owner ("epic" -> Epic Games), to be reported as read so."""
    known = [n for n in names if n.company is not None]
    others = [n for n in names if n.company is None]
    if len({n.company.id for n in known if n.company}) != 1 or len(others) != 1:
        return names, []
    company, word = known[0].company, others[0]
    typed = fold(word.text)
    if company is None or word.start < known[0].end or " " in typed or len(typed) < 2:
        return names, []
    is_a = folded[:known[0].start].strip() in ("is", "are", "was") \
        and _IS_A.fullmatch(folded[known[0].end:word.start]) is not None
    shaped = ownership or is_a or _PINYIN_OWNERSHIP.search(folded) is not None or any(
        m.start() < word.start < m.end() for m in _ZH_OWNERSHIP.finditer(folded))
    if not shaped:
        return names, []
    owners: dict[int, Company] = {}
    parent = resolver.company(company.parent_id) if company.parent_id else None
    for _ in range(MAX_OWNERS):
        if parent is None:
            break
        for name in (parent.name, *parent.aliases):
            said = fold(name)
            if said.split()[0] == typed if not has_han(typed) else said.startswith(typed) and said != typed:
                owners[parent.id] = parent
        parent = resolver.company(parent.parent_id) if parent.parent_id else None
    if len(owners) != 1:
        return names, []
    owner = next(iter(owners.values()))
    return (tuple(replace(n, company=owner, candidates=(), matched=owner.name) if n is word else n
                  for n in names), [(word.text, owner)])


def _bare_is(folded: str, rest: tuple[object, ...], known: list[Name]) -> bool:
    """"is youku alibaba", "is youku a tencent company": two names and only "is" around them."""
    if len({n.company.id for n in known if n.company}) != 2 or not re.match(r"(is|are)\b", folded):
        return False
    return all(getattr(t, "text", "") in _BARE_IS for t in rest) and not _HAN_RUN.search(folded)


def _owner_first(folded: str, known: list[Name]) -> bool:
    """"does Tencent own JD", "腾讯拥有京东吗": the verb between the names, active voice."""
    if len(known) < 2:
        return False
    between = folded[known[0].end:known[1].start]
    if re.search(r"\bby\b|被", between):
        return False
    after = folded[known[1].end:known[1].end + 16]
    if re.search(r"\b(owner|boss|parent)( company)? of\b", between) or re.match(
            r"\s*(的|'|de\s)?\s*(老板|老闆|母公司|laoban|mugongsi|owner|boss|parent)", after):
        return True  # "腾讯是京东的老板吗", "is tencent jd's owner": the first is the owner
    return any((re.search(rf"\b{w}\b", between) if w.isascii() else w in between) for w in _ACTIVE_OWN)


def _host(folded: str, known: list[Name]) -> int:
    """The company another is used inside: "X里…Y", "Y inside X", "Y in X" after an open verb."""
    if len(known) < 2:
        return 0
    first, second = known[0], known[1]
    assert first.company is not None and second.company is not None
    after = folded[first.end:first.end + 2]
    if any(after.startswith(w) for w in _HOST_AFTER) or re.match(r"\s*(li|limian)\b", folded[first.end:]):
        return first.company.id
    between = folded[first.end:second.start]
    if re.search(r"\b(inside|within)\b", between) or re.search(r"\b(inside|within)\s*$", folded):
        return second.company.id
    if re.search(r"\bin( the)?\s*$", folded[:second.start]) and (  # "in the wechat app"
            folded[second.start:second.end].endswith("app") or re.match(r"\s*app\b", folded[second.end:])):
        return second.company.id
    return 0


def _unswallow(resolver: Resolver, folded: str, mentions: tuple[Mention, ...]
               ) -> tuple[tuple[Mention, ...], list[str]]:
    """A name that swallowed a place ("alipay in china" read as the alias "Alipay+ in China"):
    the name before the place when that is a company's own name; the place is a region."""
    out: list[Mention] = []
    places: list[str] = []
    for mention in mentions:
        said = folded[mention.start:mention.end]
        cut = next((m.start() for m in _FEATURE_WORD.finditer(folded)
                    if mention.start < m.start() < mention.end < m.end()), None)
        if cut is not None:  # "taobao group chat": the company form "group" begins a feature
            head = folded[mention.start:cut].rstrip()
            if resolver.exact(head) == mention.company:
                out.append(Mention(mention.start, mention.start + len(head), mention.company, head))
                continue
        halves = _ALT_SPLIT.split(said, maxsplit=1)
        if len(halves) == 3 and fold(said) not in {fold(x) for x in (mention.company.name,
                                                                      *mention.company.aliases)}:
            first, joiner, second = halves  # "taobao and tmall": two names, not "Taobao and Tmall Group"
            one, two = resolver.exact(first), resolver.exact(second)
            if one is not None and two is not None and one.id != two.id:
                at = mention.start + len(first) + len(joiner)
                out += [Mention(mention.start, mention.start + len(first), one, first),
                        Mention(at, at + len(second), two, second)]
                continue
        head, sep, tail = said.partition(" in ")
        if sep and (tail in _REGION_OF or tail in W.PLACES or any(
                tail == p for ps in W.REGION_PHRASES.values() for p in ps)):
            company = resolver.exact(head)
            if company is not None:
                out.append(Mention(mention.start, mention.start + len(head), company, head))
                places.append(W.PLACES.get(tail, tail))
                continue
        out.append(mention)
    return tuple(out), places


def _plus_names(resolver: Resolver, folded: str, mentions: tuple[Mention, ...]) -> tuple[Mention, ...]:
    """"alipay+" is Alipay Plus, not Alipay: a name written with "+" after it is the company
    named "<name> Plus", when the index holds one."""
    out: list[Mention] = []
    for mention in mentions:
        end = mention.end
        if folded[end:end + 1] == "+" and not folded[end + 1:end + 2].isalnum():
            said = folded[mention.start:end]
            plus = resolver.exact(f"{said} plus")
            if plus is not None and plus.id != mention.company.id:
                out.append(Mention(mention.start, end + 1, plus, f"{said}+"))
                continue
        out.append(mention)
    return tuple(out)


def _kind_of(word: str) -> Kind | None:
    for kind, words in W.KIND_WORDS.items():
        if word in words:
            return kind
    return None


def _display(original: str, folded: str, start: int, end: int) -> str:
    """The user's own spelling of a folded span, when the folding kept positions (nearly always)."""
    if len(original) == len(folded):
        return original[start:end]
    return folded[start:end]


def _leftover(resolver: Resolver, original: str, folded: str, start: int, end: int,
              command: bool) -> tuple[int, int, Company | None, tuple[Candidate, ...], str, str]:
    """A leftover span: resolved when sure (commands only), else its candidates, else unknown."""
    display = _display(original, folded, start, end)
    resolution = resolver.resolve(folded[start:end])
    if resolution.company is not None and command:
        return (start, end, resolution.company, (), display, display)
    return (start, end, None, close_candidates(folded[start:end], resolution.candidates), "", display)


CLOSE_NAME = 0.7
MAX_EDITS = 2
"""Edits a suggested name may be from the word typed, however long ("aliexpress" is no "SF Express")."""
"""OSA similarity a suggested name needs to the word typed ("alipya" -> Alipay; not "at&t" -> Matter)."""


def close_candidates(typed: str, candidates: tuple[Candidate, ...]) -> tuple[Candidate, ...]:
    """The candidates genuinely close to what was typed: in the same script, and near in edit
    distance or starting with it ("tao" -> Taobao); a two-letter overlap is not close."""
    key = typed.replace(" ", "")
    han = has_han(typed)
    kept = []
    for c in candidates:
        forms: list[str] = []
        words: list[str] = []
        for name in (c.matched, c.company.name, *c.company.aliases):
            said = fold(name)
            if has_han(said) == han:
                forms.append(said.replace(" ", ""))
                words += said.split()
        # A whole name, or one of its words one edit away ("metal" ~ "Meta Platforms"); a word
        # inside a longer one is not close ("aliexpress" is not "SF Express").
        if any((OSA.normalized_similarity(key, form) >= CLOSE_NAME and OSA.distance(key, form) <= MAX_EDITS)
               or (len(key) >= 3 and form.startswith(key)) for form in forms) or any(
                (OSA.distance(key, w) <= 1 and OSA.normalized_similarity(key, w) >= CLOSE_NAME)
                or (len(key) >= 3 and w.startswith(key)) for w in words):
            kept.append(c)
    return tuple(kept)


def _product_line(folded: str, names: tuple[Name, ...]) -> tuple[Name, ...]:
    """"samsung galaxy": a word after a company's name that, with it, begins the name of one of
    its own products ("Samsung Galaxy Watch") is the company's product line, not an unknown name."""
    out: list[Name] = []
    for name in names:
        prev = out[-1] if out else None
        if prev is not None and prev.company is not None and name.company is None \
                and folded[prev.end:name.start].strip() == "":
            word = fold(folded[name.start:name.end])
            said = {f"{fold(x)} {word} " for x in (folded[prev.start:prev.end], prev.company.name,
                                                  *prev.company.aliases)}
            if any(c.company.parent_id == prev.company.id and any(
                    f"{fold(x)} ".startswith(tuple(said)) for x in (c.company.name, *c.company.aliases))
                   for c in name.candidates):
                out[-1] = replace(prev, end=name.end, text=f"{prev.text} {name.text}")
                continue
        out.append(name)
    return tuple(out)


def _brand_product(resolver: Resolver, folded: str, names: tuple[Name, ...]) -> tuple[Name, ...]:
    """"galaxy s26 quick share": an unknown run right before a known name, where one company's
    name says both a word of the run and that name ("Samsung Galaxy Quick Share"), is that
    company: the brand's own product, not the generic feature with an unknown name beside it."""
    out: list[Name] = []
    for name in names:
        prev = out[-1] if out else None
        if prev is None or prev.company is not None or name.company is None \
                or folded[prev.end:name.start].strip() != "" or has_han(prev.text):
            out.append(name)
            continue
        said = fold(name.matched or name.text)
        words = [w for w in _LATIN.findall(fold(prev.text)) if len(w) >= 3 and w.isalpha()]
        joined = f"{folded[prev.start:prev.end]} {said}"
        hit = next((c.company for c in resolver.suggest(joined)[:1]
                    if c.company.id != name.company.id and any(
                        said in fold(x) and any(w in _LATIN.findall(fold(x)) for w in words)
                        for x in (c.company.name, *c.company.aliases))), None)
        if hit is None:
            out.append(name)
            continue
        out[-1] = replace(name, start=prev.start, text=f"{prev.text} {name.text}", company=hit,
                          matched=hit.name)
    return tuple(out)


ONE_EDIT_LENGTH = 5
"""Letters a typed name needs before one edit from a company's name reads as that company."""


def _one_edit(names: tuple[Name, ...]) -> tuple[tuple[Name, ...], list[tuple[str, Company]]]:
    """Beside one known name, a doubtful one whose candidates hold exactly one company named
    within one edit of it ("pinduodou" -> Pinduoduo, not PDD Holdings' "Pinduoduo Inc."): that
    company, reported as read so."""
    doubtful = [n for n in names if n.company is None and n.candidates]
    if len(names) != 2 or len(doubtful) != 1 or has_han(doubtful[0].text):
        return names, []
    typed = fold(doubtful[0].text).replace(" ", "")
    near = {c.company.id: c.company for c in doubtful[0].candidates if len(typed) >= ONE_EDIT_LENGTH
            and OSA.distance(typed, fold(c.company.name).replace(" ", "")) <= 1}
    if len(near) != 1:
        return names, []
    company = next(iter(near.values()))
    if any(n.company is not None and n.company.id == company.id for n in names):
        return names, []
    return (tuple(replace(n, company=company, candidates=(), matched=company.name) if n is doubtful[0] else n
                  for n in names), [(doubtful[0].text, company)])


def _joined_typos(resolver: Resolver, original: str, folded: str, slots: list[Slot],
                  tails: dict[int, int]) -> list[Slot]:
    """A known name and the unknown or ordinary word right after it that together are a
    misspelt longer name ("wechat pya" is WeChat Pay, not WeChat and "pya"; "kilou hub" is
    Kiolou Hub): one slot, reported as read so."""
    known = {s[0]: s for s in slots if s[2] is not None}
    ordinary: list[Slot] = [(a, b, None, (), "", "") for a, b in tails.items()
                            if not any(s[0] <= a < s[1] for s in slots)]
    for slot in [s for s in slots if s[2] is None and not has_han(folded[s[0]:s[1]])] + ordinary:
        prior = next((k for k in known.values() if k[1] + 1 == slot[0] and folded[k[1]] == " "), None)
        if prior is None or prior[2] is None:
            continue
        if not slot[5] and name_keys(folded[prior[0]:prior[1]])[0] == name_keys(prior[4])[0]:
            continue  # a name as written: a longer one would have been read whole already
        resolution = resolver.resolve(folded[prior[0]:slot[1]])
        if resolution.company is None or resolution.company.id == prior[2].id:
            continue
        display = _display(original, folded, prior[0], slot[1])
        slots = [s for s in slots if s is not prior and s[:2] != slot[:2]]
        slots.append((prior[0], slot[1], resolution.company, (), resolution.company.name, display))
        del known[prior[0]]
    return slots


def _untoned_key(text: str) -> str:
    """A name's core key without tone marks: "jīngdōng" is Jingdong as typed, not a typo."""
    core = name_keys(text)[1]
    return "".join(c for c in unicodedata.normalize("NFKD", core) if not unicodedata.combining(c))


def _misspelt(names: tuple[Name, ...], said: list[tuple[str, Company]]) -> list[tuple[str, Company]]:
    """Names read from a spelling that is not the name matched ("alipy" as Alipay): reported
    with the answer like every other correction, so no guess is silent. Case, spacing, script
    (淘寶/淘宝) and tone marks are the same name written another way."""
    already = {typed for typed, _ in said}
    return [(n.text, n.company) for n in names
            if n.company is not None and n.matched and n.text not in already
            and _untoned_key(n.text) != _untoned_key(n.matched)]


def _one_off_window(resolver: Resolver, piece: str, at: int) -> tuple[int, int, Company, str] | None:
    """A 3-4 character window around a lone leftover character that is one character away
    from a company's Chinese name ("支付包" around 包)."""
    for size in (3, 4):
        for a in range(max(0, at - size + 1), at + 1):
            if a + size <= len(piece) and (found := resolver.one_off_han(piece[a:a + size])):
                return a, a + size, found[0], found[1]
    return None


def _uncovered(start: int, end: int, covered: list[tuple[int, int]]) -> list[tuple[int, int]]:
    spans = [(start, end)]
    for s, e in covered:
        next_spans = []
        for a, b in spans:
            if e <= a or s >= b:
                next_spans.append((a, b))
                continue
            if a < s:
                next_spans.append((a, s))
            if e < b:
                next_spans.append((e, b))
        spans = next_spans
    return spans


_ZH_GLUE = sorted({*W.ZH_FUNCTION, *(w for ws in W.KIND_WORDS.values() for w in ws if has_han(w)),
                   *(p for p in W.OWNERSHIP_PHRASES if has_han(p)), *(g for g in W.GREETINGS if has_han(g)),
                   *(p for p in W.LATEST_PHRASES if has_han(p)), *(p for p in W.HELP_PHRASES if has_han(p)),
                   *(w for ws in W.REGION_WORDS.values() for w in ws if has_han(w)), *W.ZH_PLACES,
                   *(w for w in W.PLACES if has_han(w)), *(p for p in W.NEGATION_PHRASES if has_han(p)),
                   *(p for p in W.OWNERSHIP_RELATED if has_han(p)), *W.SCOPE_WORDS_ZH, *W.ZH_COMMON,
                   *(w for w in W.INSIDE_WORDS if has_han(w))},
                  key=len, reverse=True)
_ZH_GLUE_RE = re.compile("|".join(map(re.escape, _ZH_GLUE)))


def _residue(piece: str) -> list[tuple[int, int]]:
    """Spans of a Han run that are not glue words: candidates for an unknown name."""
    spans: list[tuple[int, int]] = []
    at = 0
    for match in _ZH_GLUE_RE.finditer(piece):
        if match.start() > at:
            spans.append((at, match.start()))
        at = match.end()
    if at < len(piece):
        spans.append((at, len(piece)))
    return spans


def _sides(folded: str, slots: list[tuple[int, int, Company | None, tuple[Candidate, ...], str, str]]
           ) -> tuple[Name, ...]:
    """Give each name a side: a name joined to the previous one by nothing, punctuation or an
    alternative word ("or", "和") is on its side; anything else between starts the next side."""
    names: list[Name] = []
    side = 0
    prev_end: int | None = None
    for start, end, company, candidates, matched, display in slots:
        if prev_end is not None:
            if start < prev_end:
                continue  # overlapping spans: the earlier (longer) reading wins
            gap = folded[prev_end:start]
            words = [w for w in _WORD.findall(gap)]
            cjk_gap = [c for c in gap if has_han(c)]
            alternative = all(w in W.ALTERNATIVE_WORDS for w in words) if not cjk_gap else \
                "".join(cjk_gap) in W.ALTERNATIVE_WORDS
            if not alternative:
                side += 1
        names.append(Name(display, start, end, side, company, candidates, matched))
        prev_end = end
    return tuple(names)


def _small_talk(folded: str) -> Intent:
    """Greetings, thanks and "what can you do" get help; "what's new" gets the latest facts."""
    bare = folded.replace("’", "'")
    if any(p in bare for p in W.LATEST_PHRASES):
        return Intent.LATEST
    if any(p in bare for p in W.HELP_PHRASES):
        return Intent.HELP
    latin = _LATIN.findall(bare)
    han = "".join(_HAN_RUN.findall(bare))
    greeting = (any(w in W.GREETINGS for w in latin) or any(g in han for g in W.GREETINGS if has_han(g)))
    filler = {"there", "bot", "you", "so", "much", "very", "a", "lot", "again", "the", "all", "guys",
              "good", "great", "nice", "morning", "evening", "me", "please", "pls", "for", "it",
              "that", "this", "is", "was", "helpful", "awesome", "cool", "ok", "okay", "thx",
              "haha", "lol", "man", "mate", "buddy", "folks"}
    rest_latin = [w for w in latin if w not in W.GREETINGS and w not in filler]
    rest_han = _ZH_GLUE_RE.sub("", han)
    if greeting and not rest_latin and not rest_han:
        return Intent.HELP
    if not latin and not han:  # only punctuation or symbols ("?", "…"): nothing to look up
        return Intent.HELP
    return Intent.ASK
