"""The words every answer shares: dates, sources, relations, statuses, freshness and fact lines."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from bot.domain import (
    Company,
    Fact,
    FactView,
    InvalidValue,
    Link,
    Region,
    Relation,
    Source,
    Status,
    Thread,
    Verdict,
    last_day,
)
from bot.i18n import display_name, fact_date, summary
from bot.render.markup import Html, Markup
from bot.texts import t
from bot.upkeep import ANNOUNCED_AFTER


def human_date(value: str) -> str:
    """Keep the stored precision, in the reader's locale (Babel): 2024-10 -> Oct 2024 / 2024年10月,
    2024-10-16 -> 16 Oct 2024 / 2024年10月16日."""
    return fact_date(value) if value else t("date.unknown")


def source_label(source: Source) -> str:
    """A short publisher name, falling back to the link's host."""
    label = source.publisher.split(" (")[0].split(",")[0].strip()
    if not label:
        label = (urlsplit(source.url).hostname or source.url).removeprefix("www.")
    return label[:60]


def _sources(m: Markup, sources: Sequence[Source]) -> str:
    return m.join(" · ", (m.link(source_label(s), s.url) for s in sources))


def relation(m: Markup, view: FactView | Thread) -> str:
    kind = view.fact.kind if isinstance(view, FactView) else view.kind
    return m.t(f"verb.{kind.value}", s=m.b(display_name(view.subject)), o=m.b(display_name(view.object)))


AUDIT_ACTIONS = frozenset(("add", "edit", "add_source", "retract", "restore", "import", "verify"))
"""Audit actions with a word in the catalogue (history, /changes); any other is shown as stored."""


NOT_RECHECKED_AFTER = timedelta(days=365)
"""An announced or partial fact dated longer ago than this, never confirmed by an admin, says
it was not re-checked: such a state is the one most likely to have moved on since."""
UNCHECKED_STATUSES = frozenset({Status.ANNOUNCED, Status.PARTIAL})


_AS_OF: ContextVar[date | None] = ContextVar("as_of", default=None)


@contextlib.contextmanager
def as_of(day: date | None) -> Iterator[None]:
    """Render freshness ("not re-checked since") as of ``day`` instead of today: the web table
    renders as of the data's last change, so two builds of the same data are the same bytes."""
    token = _AS_OF.set(day)
    try:
        yield
    finally:
        _AS_OF.reset(token)


def today_utc() -> date:
    """The reader's today (UTC), which freshness is measured against (``as_of`` sets another)."""
    return _AS_OF.get() or datetime.now(UTC).date()


def stale_announcement(thread: Thread, on: date | None = None) -> str:
    """When the thread's newest fact is an announcement over ``ANNOUNCED_AFTER`` (6 months) old
    with no later fact, its date as readers see it ("Nov 2024"); "" otherwise. The same age puts
    the thread in the admins' queue (``bot.upkeep``)."""
    fact = thread.current.fact
    if fact.status is not Status.ANNOUNCED or thread.standing is not thread.current:
        return ""
    last = last_day(fact.date) if fact.date else None
    if last is None or (on or today_utc()) - last <= ANNOUNCED_AFTER:
        return ""
    return human_date(fact.date[:7])  # "in Nov 2024": the month says it, a day reads oddly


def since(m: Markup, thread: Thread) -> str:
    """"since Nov 2024", or for an old announcement with nothing after it "in Nov 2024; no launch
    reported since"."""
    stale = stale_announcement(thread)
    if stale:
        return m.t("check.announced_stale", date=stale)
    return m.t("check.since", date=human_date(thread.standing.fact.date))


def verdict_text(m: Markup, verdict: Verdict, lead: Thread | None) -> str:
    """The headline's verdict; an old announcement (the ``lead`` thread's) says how old it is."""
    stale = stale_announcement(lead) if lead is not None and verdict is Verdict.ANNOUNCED else ""
    if stale:
        return m.t("verdict.announced_stale", date=stale)
    return m.t(f"verdict.{verdict.value}")


def status_text(m: Markup, fact: Fact) -> str:
    """The status, with where it holds when that is not everywhere: "🟡 partial (EU/EEA only)"."""
    text = m.t("status." + fact.status.value)
    region = _region(fact.region)
    return m.t("fact.region", status=text, region=t(f"region.{region.name}")) if region else text


def _region(value: str) -> Region | None:
    try:
        region = Region.parse(value) if value else None
    except InvalidValue:
        return None
    return None if region is Region.GLOBAL else region


def qualifiers(m: Markup, fact: Fact, *, today: date | None = None, dated: bool = False) -> list[str]:
    """How far to trust a fact: "reported by X" for a medium-confidence one, and its freshness
    where it changes what a reader should believe: "checked 1 Dec 2026" when an admin confirmed
    it, or "not re-checked since <its date>" for an announced or partial fact over a year old
    (``dated``: the line says how old it is already, as an old announcement's does)."""
    medium = fact.confidence.strip().casefold() == "medium"
    reporter = source_label(fact.sources[0]) if medium and fact.sources else ""
    unchecked = fact.status in UNCHECKED_STATUSES and not dated
    fact_date, on = fact.date if unchecked else "", today or today_utc()
    out: list[str] = []
    if medium:
        out.append(m.t("fact.reported", source=reporter) if reporter else m.t("fact.reported_plain"))
    if fact.verified:
        out.append(m.t("fact.checked", date=human_date(fact.verified)))
    elif fact_date:
        last = last_day(fact_date)
        if last is not None and on - last > NOT_RECHECKED_AFTER:
            out.append(m.t("fact.unchecked", date=human_date(fact_date)))
    return out


_BULLET, _SPACE, _DOT, _DASH = Html("• "), Html(" "), Html(" · "), Html(" — ")
"""The separators of a fact line, safe already: a profile page joins hundreds of them."""


def event_line(m: Markup, view: FactView, *, with_parties: bool = False, note: bool = True) -> str:
    """"• date status · relation — summary (note) sources · qualifiers": one join, as a profile
    renders thousands of these."""
    fact = view.fact
    parts = [_BULLET, human_date(fact.date), _SPACE, status_text(m, fact)]
    if with_parties:
        parts += [_DOT, relation(m, view)]
    parts += [_DASH, summary(fact)]
    if fact.note and note:
        parts += [_SPACE, m.i(m.t("fact.note", note=fact.note))]
    if fact.sources:
        parts += [_SPACE, _sources(m, fact.sources)]
    if with_parties:
        for mark in qualifiers(m, fact):
            parts += [_DOT, mark]
    return m.join("", parts)


def thread_headline(m: Markup, thread: Thread) -> str:
    """"💳 Payments: JD.com accepts Alipay — 🟡 partial since 7 Jan 2025 · …": where it stands."""
    current = thread.standing.fact
    parts = [m.t("kind." + thread.kind.value), ": ", relation(m, thread), " — ",
             status_text(m, current), " ", since(m, thread)]
    if thread.scope:
        parts += [" · ", thread.scope]
    for mark in qualifiers(m, current, dated=bool(stale_announcement(thread))):
        parts += [" · ", mark]
    latest = thread.current.fact
    if latest is not current:  # an announced extension after the live fact
        parts += [" ", m.t("answers.next", status=m.t("status." + latest.status.value),
                           date=human_date(latest.date))]
    return m.join("", parts)


def link_labels(links: Sequence[Link]) -> str:
    return t("list.label_separator").join(link_label(x) for x in links)


def link_label(link: Link) -> str:
    """What a tree link is, in words (plain text): "WeChat Pay, WeChat's payment service"."""
    child, parent = display_name(link.company), display_name(link.parent)
    if link.relation is Relation.PRODUCT:
        service = t(f"answers.service.{link.company.kind}") if link.company.kind in {
            "payments", "logistics", "messaging"} else t("answers.service.other")
        return t("answers.link.product", child=child, parent=parent, service=service)
    key = link.relation.value if link.relation is not None else "none"
    return t(f"answers.link.{key}", child=child, parent=parent)


def company_names(companies: Sequence[Company]) -> str:
    return t("list.separator").join(display_name(c) for c in companies)
