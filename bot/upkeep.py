"""The admins' maintenance queue (``/stale``): the threads most in need of a look, oldest first.

Data goes stale unless someone is asked to look. A thread waits when its newest fact is

* "announced" and more than 6 months old (did it launch?),
* "partial" and more than 18 months old (is it complete now?),
* never checked with ``/verify`` and more than 2 years old.

A ``/verify`` (the queue's ✔ Still true) restarts the first two clocks and ends the third;
a follow-up fact or a retraction changes the thread's newest fact. Nothing here knows
Telegram: both adapters page through ``stale_page`` and render it with ``bot.render``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from bot.domain import FactView, Source, Status, Thread, last_day

if TYPE_CHECKING:
    from bot.answers import Interop

ANNOUNCED_AFTER = timedelta(days=183)
PARTIAL_AFTER = timedelta(days=548)
UNCHECKED_AFTER = timedelta(days=730)
PER_PAGE = 5
"""Threads on one page: each brings a row of three buttons and a few lines of text."""


def stale_cutoffs(today: date) -> dict[str, str]:
    """The ISO days before which each rule's fact is too old (the store's queue parameters)."""
    return {"announced_before": (today - ANNOUNCED_AFTER).isoformat(),
            "partial_before": (today - PARTIAL_AFTER).isoformat(),
            "unchecked_before": (today - UNCHECKED_AFTER).isoformat()}


@dataclass(frozen=True, slots=True)
class StaleEntry:
    """One waiting thread: why it waits, how old its newest fact is, and its best source."""

    thread: Thread
    reason: str  # "announced", "partial" or "unchecked"
    age: timedelta
    source: Source | None

    @property
    def newest(self) -> FactView:
        return self.thread.current


@dataclass(frozen=True, slots=True)
class StalePage:
    """One page of the queue (``page`` of ``pages``) and how many threads wait in all."""

    entries: tuple[StaleEntry, ...]
    total: int
    page: int
    pages: int
    first: int  # the number of the page's first entry in the whole queue (1-based)


def _reason(thread: Thread, today: date) -> tuple[str, timedelta]:
    fact = thread.current.fact
    dated = last_day(fact.date) or today  # the queue holds dated facts only
    age = today - dated
    fresh = today - max(dated, last_day(fact.verified) or dated)
    if fact.status is Status.ANNOUNCED and fresh > ANNOUNCED_AFTER:
        return "announced", age
    if fact.status is Status.PARTIAL and fresh > PARTIAL_AFTER:
        return "partial", age
    return "unchecked", age


def best_source(thread: Thread) -> Source | None:
    """The newest fact's first source (where importers and /addfact put the primary one), else
    the newest source any fact of the thread has."""
    if thread.current.fact.sources:
        return thread.current.fact.sources[0]
    for view in reversed(thread.events):
        if view.fact.sources:
            return view.fact.sources[0]
    return None


async def waiting(interop: Interop, today: date) -> int:
    """How many threads wait for a look (``/about`` says it)."""
    return await interop.store.stale_count(stale_cutoffs(today))


async def stale_page(interop: Interop, page: int, today: date) -> StalePage:
    """Page ``page`` (clamped to the pages there are) of the waiting threads, oldest first."""
    cutoffs = stale_cutoffs(today)
    page = max(page, 1)
    ids, total = await interop.store.stale_fact_ids(cutoffs, PER_PAGE, (page - 1) * PER_PAGE)
    if not ids and page > 1:  # past the end (threads left the queue): its last page
        total = await interop.store.stale_count(cutoffs)
        page = max(1, -(-total // PER_PAGE))
        ids, total = await interop.store.stale_fact_ids(cutoffs, PER_PAGE, (page - 1) * PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    entries = []
    for fact_id in ids:
        fact = await interop.store.fact(fact_id)
        if fact is None:  # retracted meanwhile
            continue
        thread = await interop.thread_of(fact)
        reason, age = _reason(thread, today)
        entries.append(StaleEntry(thread, reason, age, best_source(thread)))
    return StalePage(tuple(entries), total, page, pages, (page - 1) * PER_PAGE + 1)
