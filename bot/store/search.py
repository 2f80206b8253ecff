"""Full-text search: turning a query into FTS5 terms (stop-words out, short terms aside) and its SQL.

The index is FTS5 with the trigram tokenizer, so Chinese text (no spaces between words) is
found by substring, and so are Latin words. Trigrams need three characters: shorter terms
(京东, "qr") are matched with LIKE on the rows the long terms found or, alone, through the
companies whose names contain them and then a bounded scan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "has",
    "have", "how", "i", "in", "is", "it", "its", "of", "on", "or", "the", "this", "to", "was",
    "what", "when", "where", "which", "who", "why", "will", "with", "work", "works", "you", "your",
})
"""English words that carry no meaning in a search and would match nearly every fact."""

MAX_TERMS = 12
TRIGRAM = 3
_WORD_RE = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class Query:
    """The terms of one search: ``long`` go to the FTS index, ``short`` to LIKE."""

    long: tuple[str, ...]
    short: tuple[str, ...]
    order: tuple[str, ...] = ()
    """Every term in the order typed (the last one may be a prefix)."""

    @property
    def empty(self) -> bool:
        return not self.long and not self.short

    def match(self, joiner: str) -> str:
        """An FTS5 query: each term a quoted phrase (quotes doubled, operators neutralised)."""
        return joiner.join('"' + term.replace('"', '""') + '"' for term in self.long)

    def words_ok(self, text: str) -> bool:
        """Word semantics for Latin terms over the trigram hits: every term whole, except the
        last, which may be a prefix ("pay" finds "WeChat Pay", not "Alipay"; "wech" finds
        "WeChat"). Terms with other scripts (Chinese has no word breaks) stay substrings."""
        folded = text.casefold()
        return all(pattern is None or pattern.search(folded) for pattern in self.patterns)

    @property
    def patterns(self) -> list[re.Pattern[str] | None]:
        last = self.order[-1] if self.order else ""
        return [re.compile(rf"(?<![a-z0-9]){re.escape(term)}" + ("" if term == last else r"(?![a-z0-9])"))
                if term.isascii() else None for term in self.order]

    def likes(self) -> list[str]:
        return ["%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                for term in self.short]


def parse_query(text: str) -> Query:
    """Words of the query, casefolded, without stop-words, at most ``MAX_TERMS``."""
    words = [w for w in _WORD_RE.findall(text.casefold().replace("_", " ")) if w not in STOP_WORDS]
    words = list(dict.fromkeys(words))[:MAX_TERMS]
    return Query(tuple(w for w in words if len(w) >= TRIGRAM),
                 tuple(w for w in words if len(w) < TRIGRAM), tuple(words))


FTS_TEXT = ("fact_fts.summary || ' ' || fact_fts.summary_zh || ' ' || fact_fts.sources || ' ' "
            "|| fact_fts.names")
"""A hit's indexed text, selected beside the fact so ``Query.words_ok`` can check it."""
OVERFETCH = 5
"""Trigram hits fetched per wanted result, since the word check drops some."""


_TEXT_LIKE = ("(fact_fts.summary LIKE ? ESCAPE '\\' OR fact_fts.summary_zh LIKE ? ESCAPE '\\' "
              "OR fact_fts.sources LIKE ? ESCAPE '\\' OR fact_fts.names LIKE ? ESCAPE '\\')")


def like_clause(query: Query) -> tuple[str, list[str]]:
    """Every short term somewhere in the fact's indexed text."""
    params: list[str] = []
    for pattern in query.likes():
        params.extend([pattern] * 4)
    return " AND ".join([_TEXT_LIKE] * len(query.short)), params


COMPANIES_NAMED = """
SELECT id FROM company WHERE name LIKE :p ESCAPE '\\'
UNION SELECT company_id FROM alias WHERE alias LIKE :p ESCAPE '\\'
"""
"""Companies whose name or an alias contains a (short) term: a small table, scanned cheaply."""
