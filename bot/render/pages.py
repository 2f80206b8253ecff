"""Pagination: blocks packed into pages (and digest lines into messages) that fit Telegram's
limit, counted in UTF-16 code units as Telegram counts its 4096.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from bot.render.markup import HTML, Html, Markup, utf16_len, visible_len, visible_text

TELEGRAM_LIMIT = 4096  # UTF-16 code units of visible text, as Telegram counts them
PAGE_BUDGET = 3500  # leaves room for the page footer and for entity expansion


def _utf16_chunks(text: str, budget: int) -> list[str]:
    """``text`` in pieces of at most ``budget`` UTF-16 units, never splitting a character."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for ch in text:
        units = 2 if ord(ch) > 0xFFFF else 1
        if size + units > budget and current:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(ch)
        size += units
    if current:
        chunks.append("".join(current))
    return chunks


def paginate(blocks: Iterable[str], budget: int = PAGE_BUDGET, m: Markup = HTML) -> list[str]:
    """Pack blocks into pages of at most ``budget`` visible UTF-16 units, never inside markup.

    Blocks are split at line boundaries when needed; a single line longer than a page is cut
    as plain text (its markup dropped, its text escaped once more as text).
    """
    return Pages(blocks, budget, m).all()


LOOKAHEAD_BLOCKS = 60
"""Answers expected to have up to this many blocks (~3 ms) are rendered whole and counted exactly
at once (most of the seed's profiles); a longer one (Alibaba's group) says "~" until someone pages to
its end."""


class Pages:
    """Blocks packed into pages as they are needed, the same pages ``paginate`` makes.

    A company with thousands of facts has thousands of blocks, and rendering them all would
    hold the event loop for every other user for a tenth of a second. Blocks whose ``expected``
    number is within ``LOOKAHEAD_BLOCKS`` are rendered at once; more, and page k renders only
    the blocks up to its end. Until the last block is rendered the page count is an estimate
    (``count`` says which), from the blocks still to come. ``lookahead=0`` renders no block
    past the asked page's (an inline article sends page 1 and only asks whether there is more).
    """

    def __init__(self, blocks: Iterable[str], budget: int = PAGE_BUDGET, m: Markup = HTML,
                 expected: int | None = None, lookahead: int | None = None) -> None:
        self._blocks = iter(blocks)
        self._lookahead = LOOKAHEAD_BLOCKS if lookahead is None else lookahead
        self._budget = budget
        self._m = m
        self._size = visible_len if m.html else utf16_len
        self._expected = expected
        self._packer = _Packer("\n\n", budget, self._size, m)
        self._pages = self._packer.chunks  # the closed pages; the packer's pending one follows
        self._consumed = 0
        self._done = False
        self.failed = False
        """A block raised (``NotLoaded``): these pages are unusable, render them anew."""

    def page(self, number: int) -> str:
        """Page ``number`` (1-based; clamped to the pages there are)."""
        self._fill(number)
        return self._pages[min(max(number, 1), len(self._pages)) - 1]

    def count(self, number: int = 1) -> tuple[int, bool]:
        """How many pages, having rendered what page ``number`` needs; and whether that is exact."""
        self._fill(number)
        if self._done:
            return len(self._pages), True
        made = len(self._pages) + self._packer.pending_size / self._budget
        remaining = max(0, (self._expected or 0) - self._consumed)
        estimate = made + remaining * made / self._consumed if self._consumed else made
        return max(len(self._pages) + 1, round(estimate)), False

    def all(self) -> list[str]:
        self._fill(None)
        return self._pages

    def _fill(self, number: int | None) -> None:
        # An answer expected to fit in the lookahead is rendered whole (its count is exact at
        # once); a longer one only as far as the asked page.
        small = self._expected is None or self._expected <= self._lookahead
        want = self._consumed + self._lookahead if small else 0
        while not self._done and (number is None or len(self._pages) < number
                                  or self._consumed < want):
            try:
                block = next(self._blocks, None)
            except BaseException:  # the blocks ended early (a fact not loaded): not a last page
                self.failed = True
                raise
            if block is None:
                self._done = True
                self._packer.close()
                if not self._pages:
                    self._pages.append(self._m.text(""))
                break
            self._consumed += 1
            block_size = self._size(block)
            if block_size <= self._budget:  # the common case, measured once
                safe = block if type(block) is Html or not self._m.html else Html(block)  # markup already
                self._packer.add(safe, block_size)
                continue
            for piece in self._pieces(block):
                self._packer.add(piece)

    def _pieces(self, block: str) -> list[str]:
        """A block longer than a page, cut at its lines (a line longer than a page as text)."""
        m, budget, size = self._m, self._budget, self._size
        lines: list[str] = []
        for line in block.split("\n"):
            if size(line) <= budget:
                lines.append(Html(line) if m.html else line)
            else:
                flat = visible_text(line) if m.html else line
                lines += [m.text(piece) for piece in _utf16_chunks(flat, budget)]
        return _pack(lines, "\n", budget, size, m)


class _Packer:
    """Greedily joins items with ``sep`` into chunks no larger than ``budget``, one item at a time
    (pages of blocks, and the lines of a block too long for one page)."""

    def __init__(self, sep: str, budget: int, size: Callable[[str], int], m: Markup) -> None:
        self.sep, self.budget, self.size, self.m = sep, budget, size, m
        self.chunks: list[str] = []
        self.pending: list[str] = []
        self.pending_size = 0

    def add(self, item: str, item_size: int | None = None) -> None:
        if item_size is None:
            item_size = self.size(item)
        if self.pending and self.pending_size + len(self.sep) + item_size > self.budget:
            self.chunks.append(self.m.join(self.sep, self.pending))
            self.pending, self.pending_size = [], 0
        self.pending_size += item_size + (len(self.sep) if self.pending else 0)
        self.pending.append(item)

    def close(self) -> list[str]:
        if self.pending:
            self.chunks.append(self.m.join(self.sep, self.pending))
            self.pending, self.pending_size = [], 0
        return self.chunks


def _pack(items: Sequence[str], sep: str, budget: int, size: Callable[[str], int], m: Markup) -> list[str]:
    """Greedily join items with ``sep`` into chunks no larger than ``budget``."""
    packer = _Packer(sep, budget, size, m)
    for item in items:
        packer.add(item)
    return packer.close()


def pack_lines(lines: Sequence[str], budget: int = PAGE_BUDGET, m: Markup = HTML) -> list[tuple[str, int]]:
    """Lines joined into messages of at most ``budget`` visible UTF-16 units, measured as pages
    are, never splitting a line; each message with how many lines it holds (a digest settles
    what each message lists only when Telegram accepted that message)."""
    packer = _Packer("\n", budget, visible_len if m.html else utf16_len, m)
    counts: list[int] = []
    for line in lines:
        closed = len(packer.chunks)
        packer.add(line)
        if not counts or len(packer.chunks) > closed:
            counts.append(0)
        counts[-1] += 1
    return list(zip(packer.close(), counts, strict=True))
