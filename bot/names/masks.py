"""Chinese names with one character masked ("淘宝" -> "淘?"), to find a name one character away.

A 2-4 character Chinese leftover that nothing else matched ("淘包") may be a one-character typo
of a known name; looking up each of its masks finds the names that differ in that character.
At 100k companies there are ~200k masks. As a dict of strings they took 21 MB (15 MB keyed by
hash), so each (mask, alias id) is packed into one 64-bit C integer, kept sorted: 1.6 MB, and a
lookup is two bisections. The mask's hash is shortened to fit, so a lookup may return an alias
that does not fit: callers check the name itself (``han_masks(alias)`` holds the mask).
"""

from __future__ import annotations

import heapq
from array import array
from bisect import bisect_left, insort

from bot.names.keys import fold, has_cjk

ID_BITS = 28
"""Alias ids below 268M; the other 36 bits (with the sign) hold the top of the mask's hash."""
_ID_MASK = (1 << ID_BITS) - 1


def han_masks(alias: str) -> list[str]:
    """A 2-4 character Chinese name with each character masked in turn ("淘宝" -> "淘?"); a
    2-character name keeps its first (never "?宝")."""
    key = fold(alias) if alias else ""
    if 2 <= len(key) <= 4 and all(has_cjk(ch) for ch in key):
        return [key[:at] + "?" + key[at + 1:] for at in range(1 if len(key) == 2 else 0, len(key))]
    return []


def _prefix(mask: str) -> int:
    return hash(mask) >> ID_BITS


class HanMasks:
    """Every indexed name's masks -> its alias ids, as sorted packed integers.

    Bulk indexing adds a sorted run per chunk and ``settle`` merges the runs once, at the end;
    a single change (an admin's edit) is inserted in place.
    """

    __slots__ = ("_packed", "_runs")

    def __init__(self) -> None:
        self._packed = array("q")
        self._runs: list[array[int]] = []

    def __len__(self) -> int:
        self.settle()
        return len(self._packed)

    @staticmethod
    def _pack(mask: str, aid: int) -> int:
        if not 0 <= aid <= _ID_MASK:
            raise ValueError(f"alias id {aid} does not fit in {ID_BITS} bits")
        return _prefix(mask) << ID_BITS | aid

    def add_run(self, names: list[tuple[str, int]]) -> None:
        """The masks of many (name, alias id) at once; merged into the rest by ``settle``."""
        run = sorted(self._pack(mask, aid) for name, aid in names for mask in han_masks(name))
        if run:
            self._runs.append(array("q", run))

    def settle(self) -> None:
        """Merge the runs added in bulk (no list of every entry is made on the way)."""
        if self._runs:
            self._packed = array("q", heapq.merge(self._packed, *self._runs))
            self._runs = []

    def add(self, name: str, aid: int) -> None:
        self.settle()
        for mask in han_masks(name):
            insort(self._packed, self._pack(mask, aid))

    def remove(self, name: str, aid: int) -> None:
        self.settle()
        for mask in han_masks(name):
            packed = self._pack(mask, aid)
            at = bisect_left(self._packed, packed)
            if at < len(self._packed) and self._packed[at] == packed:
                del self._packed[at]

    def ids(self, mask: str) -> list[int]:
        """Alias ids filed under ``mask``: every name with that mask, and perhaps a stranger."""
        self.settle()
        start = _prefix(mask) << ID_BITS
        low = bisect_left(self._packed, start)
        high = bisect_left(self._packed, start + _ID_MASK + 1, low)
        return [packed & _ID_MASK for packed in self._packed[low:high]]
