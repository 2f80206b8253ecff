"""Reading a sentence for names: word windows and CJK runs looked up exactly, then a few
uncommon leftover words looked up fuzzily, each name found with where it stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.domain import Company
from bot.names.keys import (
    CORPORATE,
    MAX_TEXT,
    MAX_TEXT_FUZZY,
    MAX_VOLUME,
    MAX_WINDOW,
    MIN_FUZZY_LEN,
    PAIR_ACCEPT_SCORE,
    STOPWORD_LIST,
    STOPWORDS,
    TEXT_ACCEPT_SCORE,
    TEXT_RE,
    TLDS,
    WORD_RE,
    fold,
)
from bot.names.words import COMMON_NAMES

if TYPE_CHECKING:
    from bot.names.index import Hit
    from bot.names.lookup import NameLookup


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    start: int
    cjk: bool
    segment: int
    """Words in different segments (split by ",", "?"...) never join into one name."""
    glued: bool = False
    """Written right after the previous word with one mark between, no space ("at&t", "h&m")."""


Found = tuple[int, int, int, int, bool]
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
    rest: tuple[Token, ...]


class Scanner:
    """Finds the names of ``index`` in free text."""

    def __init__(self, index: NameLookup) -> None:
        self.index = index


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
        folded = fold(text[:MAX_TEXT])
        # The user's own capitals, where folding kept positions: "Find My" written as the name.
        cased = text[:MAX_TEXT] if len(folded) == len(text[:MAX_TEXT]) else None
        tokens = _tokens(folded)
        found: list[Found] = []
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
        mentions = tuple(Mention(start, end, self.index._companies[cid], self.index._alias_text[aid], fuzzy)
                         for start, end, cid, aid, fuzzy in found)
        covered = [(m.start, m.end) for m in mentions]
        rest = tuple(t for t in tokens if not t.cjk and not any(s <= t.start < e for s, e in covered))
        return Scan(folded, mentions, rest)

    def _match_window(self, tokens: list[Token], i: int, found: list[Found],
                      cased: str | None = None) -> int:
        """Longest run of 1..MAX_WINDOW words at ``i`` that is exactly one company's name."""
        segment = tokens[i].segment
        exact = self.index._exact
        for width in range(min(MAX_WINDOW, len(tokens) - i), 0, -1):
            window = tokens[i : i + width]
            if window[-1].segment != segment or any(t.cjk for t in window):
                continue
            words = [t.text for t in window]
            loose = "".join(words)
            core = loose
            if width > 1 and (words[-1] in CORPORATE or words[-1] in TLDS):
                core = "".join(words[:-1])
            if loose not in exact and core not in exact:
                continue  # most windows of a sentence are no name: one probe each
            common = all(w in STOPWORDS or len(w) < 2 for w in words)
            if common and width == 1:
                continue
            hits = self.index._exact_hits(loose, core)
            if len(hits) != 1:
                continue
            # Common words that spell a name word for word ("find my") are just words; split
            # differently from the name ("whats app", "we chat pay") they are the name.
            alias = self.index._alias_text[hits[0].alias_id]
            alias_words = WORD_RE.findall(fold(alias))
            end = window[-1].start + len(window[-1].text)
            capitalised = (cased is not None and alias != alias.lower()
                           and cased[tokens[i].start:end] == alias)  # "Find My", not "find my"
            if common and alias_words == words and not all(t.glued for t in window[1:]) \
                    and not capitalised and " ".join(words) not in COMMON_NAMES:
                continue
            found.append((tokens[i].start, end, hits[0].company_id, hits[0].alias_id, False))
            return width
        return 0

    def _scan_cjk(self, token: Token) -> list[Found]:
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
            for size in range(2, min(self.index._max_cjk, end) + 1):
                sub = run[end - size : end]
                if sub not in self.index._exact:
                    continue
                hits = self.index._exact_hits(sub, sub)
                if len(hits) != 1:
                    continue
                covered, neg_names = best[end - size]
                option = (covered + size, neg_names - 1)
                if option > best[end]:
                    best[end] = option
                    back[end] = (size, hits[0].company_id, hits[0].alias_id)
        found: list[Found] = []
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
        self, tokens: list[Token], leftovers: list[int], found: list[Found]
    ) -> None:
        """Typos: single uncommon words first, then two adjacent unmatched words glued."""
        budget = MAX_TEXT_FUZZY
        matched: set[int] = set()
        for i in leftovers:
            word = tokens[i].text
            if len(word) < MIN_FUZZY_LEN or word in STOPWORDS or word.isdigit():
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
            if first in STOPWORDS and second in STOPWORDS:
                continue
            if len(first) + len(second) < 5 or budget == 0:
                continue
            budget -= 1
            hit = self._text_fuzzy(first + second, PAIR_ACCEPT_SCORE)
            if hit is not None:
                found.append((tokens[i].start, tokens[j].start + len(second), hit.company_id,
                              hit.typo_alias, True))
                spare -= {i, j}

    def _text_fuzzy(self, word: str, accept: float) -> Hit | None:
        hits, _ = self.index._fuzzy(word, MAX_VOLUME)
        best = self.index._confident(word, hits, accept)
        if best is None:
            return None
        # "acept" is a typo of "accept", not of some company that happens to be close.
        if process.extractOne(
            word, STOPWORD_LIST, scorer=OSA.normalized_similarity, score_cutoff=best.typo / 100
        ):
            return None
        return best


def _tokens(folded: str) -> list[Token]:
    tokens: list[Token] = []
    segment = 0
    for match in TEXT_RE.finditer(folded):
        kind = match.lastgroup
        if kind == "brk":
            segment += 1
            continue
        start = match.start()
        glued = bool(tokens) and start >= 2 and not folded[start - 1].isspace() \
            and tokens[-1].start + len(tokens[-1].text) == start - 1
        tokens.append(Token(match.group(), start, kind == "cjk", segment, glued))
    return tokens
