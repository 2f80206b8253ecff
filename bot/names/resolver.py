"""Turn names, /check arguments and free-text questions into companies.

``Resolver`` is the name index (``bot.names.index``) with the two readings built on it: a /check
argument split into the two names it most likely holds, and a sentence scanned for every name
it mentions (``bot.names.scan``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

from bot.domain import Company, Resolution
from bot.names.keys import (
    DROPPED,
    MAX_SPLITS,
    PAIR_RE,
    PAIR_WORDS,
    name_keys,
    normalize,
)
from bot.names.lookup import NameLookup
from bot.names.scan import Mention, Scan, Scanner

__all__ = ["Mention", "Resolver", "Scan", "normalize"]


@dataclass(frozen=True, slots=True)
class _Piece:
    text: str
    start: int
    end: int
    kind: str  # "word", "cjk", "sep" (punctuation) or "sepword" ("and", "vs", ...)


class Resolver(NameLookup):
    """The name index, read for /check arguments and free text."""

    def __init__(self, companies: Iterable[Company] = ()) -> None:
        super().__init__(companies)
        self._scanner = Scanner(self)

    # --- /check arguments --------------------------------------------------------------------

    def split_pair(self, text: str) -> tuple[Resolution, Resolution] | None:
        """Split a /check argument into two names, choosing the split whose sides resolve best.

        Trying every boundary (not just the first separator) is what lets multi-word names
        ("taobao jd logistics") and unspaced Chinese ("京东支付宝") come out right.
        """
        # NFKC without case folding: sides keep the user's spelling for "did you mean" replies.
        folded = unicodedata.normalize("NFKC", text).translate(DROPPED)
        pieces = [_Piece(m.group(), m.start(), m.end(), _piece_kind(m)) for m in PAIR_RE.finditer(folded)]
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
                loose, core = name_keys(part)
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
        return self._scanner.find_in_text(text, limit)

    def scan(self, text: str) -> Scan:
        """Every name in a sentence with where it stands, and the words left over."""
        return self._scanner.scan(text)


def _piece_kind(match: re.Match[str]) -> str:
    if match.lastgroup == "word" and match.group().casefold() in PAIR_WORDS:
        return "sepword"
    return match.lastgroup or "sep"
