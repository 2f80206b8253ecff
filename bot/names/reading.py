"""Reading a whole question: its names (known, doubtful, unknown), their sides, its kind and intent.

The resolver finds the names; this module decides what the words around them mean: which
names are alternatives of one side ("Alipay or WeChat Pay on JD"), which kind the question asks
about ("pay", "登录"), whether it is small talk or an ownership question, and which leftover
words look like names the bot does not know ("amazon"), so that none is dropped silently.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.domain import Candidate, Company, Kind, Resolution
from bot.names import words as W
from bot.names.resolver import _STOPWORDS, Resolver, _fold
from bot.names.script import has_han

_POSSESSIVE = re.compile(r"(?<=[^\W_])['’]s\b")
_WORD = re.compile(r"[^\W_]+")
_LATIN = re.compile(r"[a-z0-9]+")
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
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
})
_REGION_OF = {w: region for region, ws in W.REGION_WORDS.items() for w in ws}
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
    *(w for w in _STOPWORDS if len(w) >= 4), *(w for w in W.COMMON_WORDS if len(w) >= 4),
    *(w for ws in W.KIND_WORDS.values() for w in ws if w.isascii() and len(w) >= 4)}))
NEAR_WORD = 0.75
"""OSA similarity at which a leftover word is a typo of an ordinary word ("acept"), not a name."""
_HAN_KIND_WORDS = tuple((kind, w) for kind, ws in W.KIND_WORDS.items() for w in ws if has_han(w))
"""The Chinese kind words, found anywhere in the Han text left over (in catalogue order)."""
_HAN_OWNERSHIP = tuple(p for p in W.OWNERSHIP_PHRASES if has_han(p))
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


def prepare(text: str) -> str:
    """NFKC, HTML tags pasted in taken out, possessives dropped ("JD's" -> "JD"), whitespace collapsed."""
    text = _HTML_TAG.sub(" ", unicodedata.normalize("NFKC", text))
    text = text.replace("\u200b", " ")  # a zero-width space is a word break ("jd\u200balipay")
    return " ".join(_POSSESSIVE.sub("", text).split())


def read(resolver: Resolver, text: str, *, command: bool = False) -> Reading:
    """Read one message or command argument. ``command`` text is names only, so every leftover
    word is part of some name; free text has sentence words around the names."""
    original = prepare(text)
    scan = resolver.scan(original)
    folded = scan.text
    slots: list[tuple[int, int, Company | None, tuple[Candidate, ...], str, str]] = []
    for mention in scan.mentions:
        slots.append((mention.start, mention.end, mention.company, (), mention.matched,
                      _display(original, folded, mention.start, mention.end)))
    kind_hits: list[tuple[int, Kind]] = []
    scope = ""
    region_hits = [(match.start(), region) for pattern, region in _REGION_PHRASE
                   for match in pattern.finditer(folded)]
    for mention in scan.mentions:  # "AirDrop" names the iPhone and says what about it
        said = _fold(mention.matched)
        if (topic := _kind_of(said)) is not None:
            kind_hits.append((mention.start - 10_000, topic))
            scope = scope or W.TOPIC_SCOPES.get(said, "")
        for feature in mention.company.features:
            if _fold(feature.alias) == _fold(mention.matched):
                kind_hits.append((mention.start - 10_000, feature.kind))
                scope = scope or feature.scope
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
    for index, token in enumerate(rest):
        word = token.text
        start, end = token.start, token.start + len(word)
        if not command and len(word) >= 4 and word not in _STOPWORDS and _kind_of(word) is None:
            near = process.extractOne(word, _VOCABULARY, scorer=OSA.normalized_similarity,
                                      score_cutoff=NEAR_WORD)
            if near is not None:
                word = near[0]  # "acept" reads as "accept": a kind word, not an unknown name
        kind = _kind_of(word)
        if kind is not None:  # a topic word ("files") says more than a verb ("share")
            kind_hits.append((start - 5_000 if word in W.TOPIC_SCOPES else start, kind))
            scope = scope or W.TOPIC_SCOPES.get(word, "")
        if word in W.OWNERSHIP_WORDS:
            ownership = True
        if word in _REGION_OF:
            region_hits.append((start, _REGION_OF[word]))
        name_like = (kind is None and word not in W.OWNERSHIP_WORDS and word not in _GLUE
                     and word not in _REGION_WORDS and word not in _TALK_WORDS and not word.isdigit()
                     and (command or (word not in _STOPWORDS and word not in W.COMMON_WORDS
                                      and word not in W.GREETINGS and len(word) >= 3)))
        if command and (word in W.ALTERNATIVE_WORDS or word in W.SIDE_WORDS):
            name_like = False
        if index in glued:
            name_like = True
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
    for parts in runs:
        start, end = parts[0][0], parts[-1][1]
        slots.append(_leftover(resolver, original, folded, start, end, command))
    # Leftover Han characters: kinds and glue taken out, what remains is an unknown name.
    covered = [(m.start, m.end) for m in scan.mentions]
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
            for s, e in _residue(piece):
                if e - s >= 2:
                    slots.append(_leftover(resolver, original, folded, start + s, start + e, True))
    if " part of " in f" {folded} " or " member of " in f" {folded} ":
        ownership = True
    if _ZH_OWNERSHIP.search(folded) and len(scan.mentions) >= 1:
        ownership = True
    slots.sort(key=lambda s: s[0])
    names = _sides(folded, slots)
    kind = min(kind_hits)[1] if kind_hits else None
    intent = Intent.ASK
    if not names:
        intent = _small_talk(folded)
    elif ownership and any(n.company is not None for n in names):
        intent = Intent.OWNERSHIP
    region = min(region_hits)[1].value if region_hits else ""
    return Reading(original, names, kind, scope, intent, region)


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
    return (start, end, None, resolution.candidates, "", display)


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
                   *(w for ws in W.REGION_WORDS.values() for w in ws if has_han(w)), *W.ZH_PLACES},
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
