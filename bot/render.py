"""Domain objects -> Telegram HTML or plain text, from ONE set of render functions.

Each renderer writes through a ``Markup`` flavour (``m.text``, ``m.b``, ``m.i``, ``m.link``,
``m.t`` for catalogue sentences, ``m.join``). For ``HTML`` every piece is an ``Html`` string
(``markupsafe.Markup``): a plain ``str`` that meets one is escaped exactly once, an ``Html`` never
again, so stored text can neither break nor inject markup nor show up as "AT&amp;T". Adapters
turn pages into ``str`` only when they send them. ``PLAIN`` writes links as "title <url>" for the
terminal. Answers come back as blocks so adapters can paginate them; page sizes are counted in
UTF-16 code units, as Telegram counts its 4096 limit. Admin output (fact cards, history, import
reports, refusals) is rendered here too, so the console's admin mode shows the same thing.
"""

from __future__ import annotations

import contextlib
import functools
import html
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import markupsafe

from bot.admin import EDITABLE_FIELDS, HistoryEntry, Roster, UnknownCompany
from bot.dataset import ImportReport
from bot.domain import (
    CheckHint,
    CheckResult,
    Checks,
    Company,
    Conflict,
    Decision,
    Fact,
    FactView,
    InteropError,
    InvalidValue,
    Kind,
    KindFacts,
    Latest,
    Link,
    Ownership,
    OwnershipVerdict,
    Profile,
    Region,
    Relation,
    Resolution,
    SearchResult,
    SmallTalk,
    Source,
    Status,
    StorageError,
    Substitution,
    Thread,
    Unresolved,
    Verdict,
    last_day,
)
from bot.i18n import age_text, company_kind, display_name, fact_date, is_chinese, number, summary
from bot.i18n import current as current_locale
from bot.maps import MAX_COMPARE, CompareProblem, CompareResult, MapResult
from bot.store import About, Edit
from bot.texts import field_label, t
from bot.upkeep import ANNOUNCED_AFTER, StalePage

TELEGRAM_LIMIT = 4096  # UTF-16 code units of visible text, as Telegram counts them
PAGE_BUDGET = 3500  # leaves room for the page footer and for entity expansion
_CATALOGUE_TAGS = re.compile(r"&lt;(/?)(b|i|code)&gt;")
_PLAIN_TAGS = re.compile(r"</?(?:b|i|code)>")


class Html(markupsafe.Markup):
    """Telegram HTML that is already safe: markupsafe's string type, escaping as Telegram needs.

    Text is escaped with ``&lt; &gt; &amp;`` only (quotes need no escaping outside attributes);
    link URLs, the one attribute we write, are escaped with quotes as well.
    """

    __slots__ = ()

    @classmethod
    def escape(cls, s: Any) -> Html:
        if type(s) is cls:  # already safe: the common case in a rendered answer, kept as is
            return s
        if type(s) is str:  # the next most common: a stored or user string
            return cls(html.escape(s, quote=False))
        if hasattr(s, "__html__"):
            return cls(s.__html__())
        return cls(html.escape(str(s), quote=False))


def _format_value(value: object) -> object:
    """A value for ``str.format`` into a safe template: numbers keep their format specs, the
    rest is escaped (once: an ``Html`` value passes unchanged)."""
    if type(value) is int or type(value) is float:
        return value
    return Html.escape(value)


_CONVERSION = re.compile(r"\{[^{}]*![rsa]")


@functools.lru_cache(maxsize=8192)
def _html_template(template: str) -> tuple[Html, bool]:
    """A catalogue sentence as a safe template (its own b/i/code tags are markup), and whether
    ``str.format`` may fill it: one with a ``!r`` conversion goes through markupsafe's
    formatter, which converts before it escapes. Rendering a long answer fills thousands."""
    prepared = Html(_CATALOGUE_TAGS.sub(r"<\1\2>", html.escape(template, quote=False)))
    return prepared, _CONVERSION.search(template) is None


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (an emoji outside the BMP counts 2), as Telegram counts."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True, slots=True)
class Markup:
    """How to write text, emphasis, links and catalogue sentences in one output format."""

    html: bool

    def text(self, value: object) -> str:
        """``value`` as text: escaped once for HTML (an ``Html`` value passes unchanged)."""
        return Html.escape(value) if self.html else str(value)

    def b(self, value: object) -> str:
        return Html(f"<b>{Html.escape(value)}</b>") if self.html else str(value)

    def i(self, value: object) -> str:
        return Html(f"<i>{Html.escape(value)}</i>") if self.html else str(value)

    def code(self, value: object) -> str:
        return Html(f"<code>{Html.escape(value)}</code>") if self.html else str(value)

    def link(self, label: object, url: str) -> str:
        if self.html:
            return Html(f'<a href="{html.escape(url, quote=True)}">{Html.escape(label)}</a>')
        return f"{label} <{url}>"

    def t(self, key: str, /, **values: object) -> str:
        """A catalogue sentence. Its own ``<b>``, ``<i>`` and ``<code>`` are markup (dropped in
        plain text); everything else in it is text, and every value is escaped exactly once."""
        template = t(key)
        if self.html:
            prepared, plain_fields = _html_template(template)
            if plain_fields:
                return Html(str.format(prepared, **{k: _format_value(v) for k, v in values.items()}))
            return prepared.format(**values)
        template = _PLAIN_TAGS.sub("", template)
        return template.format(**values) if values else template

    def join(self, sep: str, items: Iterable[str]) -> str:
        """``sep.join(items)``; for HTML each plain item is escaped, each ``Html`` kept."""
        if self.html:
            return Html(str.join(sep, [Html.escape(item) for item in items]))
        return sep.join(str(item) for item in items)


HTML = Markup(html=True)
PLAIN = Markup(html=False)


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


def _relation(m: Markup, view: FactView | Thread) -> str:
    kind = view.fact.kind if isinstance(view, FactView) else view.kind
    return _relation_text(m, kind, display_name(view.subject), display_name(view.object), current_locale())


@functools.lru_cache(maxsize=8192)
def _relation_text(m: Markup, kind: Kind, s: str, o: str, locale: str) -> str:
    """"<b>JD.com</b> accepts <b>Alipay</b>": the same few pairs fill a long answer (``locale`` is
    the cache key: the catalogue reads it from the context)."""
    return m.t(f"verb.{kind.value}", s=m.b(s), o=m.b(o))


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


def _since(m: Markup, thread: Thread) -> str:
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
    return _status_text(m, fact.status, fact.region, current_locale())


@functools.lru_cache(maxsize=1024)
def _status_text(m: Markup, status: Status, region_value: str, locale: str) -> str:
    text = m.t("status." + status.value)
    region = _region(region_value)
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
    return list(_qualifiers(m, medium, reporter, fact.verified, fact.date if unchecked else "",
                            today or today_utc(), current_locale()))


@functools.lru_cache(maxsize=4096)
def _qualifiers(m: Markup, medium: bool, reporter: str, verified: str, fact_date: str, on: date,
                locale: str) -> tuple[str, ...]:
    """``qualifiers`` from what it depends on: many facts share a date and a freshness."""
    out: list[str] = []
    if medium:
        out.append(m.t("fact.reported", source=reporter) if reporter else m.t("fact.reported_plain"))
    if verified:
        out.append(m.t("fact.checked", date=human_date(verified)))
    elif fact_date:
        last = last_day(fact_date)
        if last is not None and on - last > NOT_RECHECKED_AFTER:
            out.append(m.t("fact.unchecked", date=human_date(fact_date)))
    return tuple(out)


_BULLET, _SPACE, _DOT, _DASH = Html("• "), Html(" "), Html(" · "), Html(" — ")
"""The separators of a fact line, safe already: a profile page joins hundreds of them."""


def _event_line(m: Markup, view: FactView, *, with_parties: bool = False, note: bool = True) -> str:
    """"• date status · relation — summary (note) sources · qualifiers": one join, as a profile
    renders thousands of these."""
    fact = view.fact
    parts = [_BULLET, human_date(fact.date), _SPACE, status_text(m, fact)]
    if with_parties:
        parts += [_DOT, _relation(m, view)]
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
    parts = [m.t("kind." + thread.kind.value), ": ", _relation(m, thread), " — ",
             status_text(m, current), " ", _since(m, thread)]
    if thread.scope:
        parts += [" · ", thread.scope]
    for mark in qualifiers(m, current, dated=bool(stale_announcement(thread))):
        parts += [" · ", mark]
    latest = thread.current.fact
    if latest is not current:  # an announced extension after the live fact
        parts += [" ", m.t("answers.next", status=m.t("status." + latest.status.value),
                           date=human_date(latest.date))]
    return m.join("", parts)


def _thread_block(m: Markup, thread: Thread, asked: tuple[Company, Company] | None = None) -> str:
    current = thread.standing.fact
    head = thread_headline(m, thread)
    if thread.links:
        head = m.join(" ", [head, m.i(m.t("answers.via", labels=_labels(thread.links)))])
    elif asked is not None:
        members = [display_name(c) for c in (thread.subject, thread.object)
                   if c.id not in {x.id for x in asked}]
        if members:
            head = m.join(" ", [head, m.i(m.t("check.via", names=t("list.separator").join(members)))])
    lines = [head]
    if current.note:  # the caveat, in one line under the verdict
        lines.append(m.i(m.t("fact.note", note=current.note)))
    lines += [_event_line(m, v, note=v is not thread.standing) for v in reversed(thread.events)]
    return m.join("\n", lines)


def _labels(links: Sequence[Link]) -> str:
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


_RenderKey = tuple[int, int, Kind | None, str, str, bool, bool, str, date]
_RENDERED: OrderedDict[_RenderKey, tuple[CheckResult, list[str]]] = OrderedDict()
_RENDERED_SIZE = 4096
"""As many as Interop keeps checks: a popular pair's answer is rendered once, not per ask."""


def render_check(result: CheckResult, m: Markup = HTML) -> list[str]:
    """Verdict first, then each thread's history with sources, then the group roll-up.

    The same answer renders the same way (in each locale), so its rendering is remembered by
    the pair and the kind asked, and reused while the result is equal. A result built anew
    around a cached check (a kind or region asked) holds the very same threads, so that
    comparison stops at identity and costs next to nothing.
    """
    key = (result.a.id, result.b.id, result.kind, result.scope, result.feature, result.negated, m.html,
           current_locale(), today_utc())
    hit = _RENDERED.get(key)
    if hit is not None and (hit[0] is result or hit[0] == result):
        _RENDERED.move_to_end(key)
        return list(hit[1])
    blocks = _render_check(result, m)
    _RENDERED[key] = (result, blocks)
    if len(_RENDERED) > _RENDERED_SIZE:
        _RENDERED.popitem(last=False)
    return list(blocks)


def _render_check(result: CheckResult, m: Markup) -> list[str]:
    a, b = display_name(result.a), display_name(result.b)
    if not result.threads and not result.rollup:
        return [m.t("check.no_record", a=a, b=b)]
    if result.kind is not None:
        return _render_kind_check(result, m)
    lead = (result.threads or result.rollup)[0]
    headline = m.t("check.headline", verdict=verdict_text(m, result.verdict, lead), a=m.b(a), b=m.b(b))
    blocks = [headline]
    blocks += [_thread_block(m, th) for th in result.threads]
    if result.rollup:
        intro = m.t("check.rollup") if result.threads else m.t("check.rollup_only", a=a, b=b)
        blocks.append(m.i(intro))
        blocks += [_thread_block(m, th, (result.a, result.b)) for th in result.rollup]
    return blocks


def _render_kind_check(result: CheckResult, m: Markup) -> list[str]:
    """The asked kind first (its verdict in the headline), the pair's other kinds briefly."""
    assert result.kind is not None
    a, b = display_name(result.a), display_name(result.b)
    kind_label = t("kind." + result.kind.value)
    focus = result.of_kind(result.kind)
    if result.scope:
        focus = tuple(sorted(focus, key=lambda th: th.scope.casefold() != result.scope.casefold()))
    if result.feature:  # a named feature: its own threads only
        focus = tuple(th for th in focus if th.scope.casefold() == result.scope.casefold())
    if focus and result.negated:  # "does X block Y?": where it stands, never a yes or no
        current = focus[0].standing.fact
        blocks = [m.t("answers.headline_state", a=m.b(a), b=m.b(b), kind=kind_label,
                      state=status_text(m, current), since=m.t("check.since", date=human_date(current.date)))]
        rolled = focus[0] not in result.threads
        blocks += [_thread_block(m, th, (result.a, result.b) if rolled else None) for th in focus]
    elif focus:
        blocks = [m.t("answers.headline_kind", verdict=verdict_text(m, result.verdict, focus[0]),
                      kind=kind_label, a=m.b(a), b=m.b(b))]
        rolled = focus[0] not in result.threads
        blocks += [_thread_block(m, th, (result.a, result.b) if rolled else None) for th in focus]
    elif result.feature:
        blocks = [m.t("answers.no_feature", feature=result.feature, a=a, b=b)]
    else:
        blocks = [m.t("answers.no_kind", kind=kind_label, a=a, b=b)]
    others = [th for th in (*result.threads, *result.rollup) if th not in focus]
    if others:
        blocks.append(m.i(m.t("answers.other_kinds")))
        blocks.append(m.join("\n", [m.join("", ["• ", _brief(m, th)]) for th in others]))
    return blocks


def _brief(m: Markup, thread: Thread) -> str:
    """One line for a thread: kind, parties, where it stands."""
    current = thread.standing.fact
    line = m.t("answers.brief", kind=m.t("kind." + thread.kind.value), relation=_relation(m, thread),
               status=status_text(m, current), since=_since(m, thread))
    if thread.links:
        line = m.join(" ", [line, m.i(m.t("answers.via", labels=_labels(thread.links)))])
    return line


def render_checks(result: Checks, m: Markup = HTML) -> list[str]:
    """Several pairs: one verdict line each, naming both parties, then what was left out."""
    lines = []
    for r in result.results:
        focus = r.of_kind(r.kind) if r.kind is not None else (r.threads or r.rollup)
        # The detail after the pair says how old an announcement is; the verdict stays short.
        line = m.t("answers.pair_line", verdict=m.t(f"verdict.{r.verdict.value}"),
                   a=m.b(display_name(r.a)), b=m.b(display_name(r.b)))
        if focus:
            current = focus[0].standing.fact
            line = m.join("", [line, m.t("answers.pair_detail", kind=m.t("kind." + focus[0].kind.value),
                                         status=status_text(m, current), since=_since(m, focus[0]))])
        lines.append(line)
    blocks = [m.join("\n", lines)]
    if result.more:
        blocks.append(m.i(m.t("answers.more_pairs", n=result.more)))
    return blocks


def render_kind_facts(result: KindFacts, m: Markup = HTML) -> list[str]:
    kind = t("kind." + result.kind.value)
    if not result.threads:
        return [m.t("answers.kind_none", kind=kind, name=display_name(result.company))]
    blocks = [m.b(m.t("answers.kind_header", kind=kind, name=display_name(result.company)))]
    blocks += [_thread_block(m, th) for th in result.threads]
    return blocks


def render_ownership(result: Ownership, m: Markup = HTML) -> list[str]:
    child = display_name(result.child)
    if result.verdict is OwnershipVerdict.CHAIN:
        if not result.chain:
            return [m.t("answers.own.top", child=child)]
        head = m.t("answers.own.chain", child=child, top=display_name(result.chain[-1].parent))
    else:
        assert result.parent is not None
        other = display_name(result.other) if result.other is not None else ""
        head = m.t(f"answers.own.{result.verdict.value}", child=child, parent=display_name(result.parent),
                   **({"other": other} if result.verdict is OwnershipVerdict.RELATED else {}))
    lines = [head] + [_own_line(m, x) for x in (*result.chain, *result.other_chain)]
    return [m.join("\n", lines)]


def _own_line(m: Markup, link: Link) -> str:
    key = link.relation.value if link.relation is not None else "none"
    return m.t(f"answers.own.line.{key}", child=display_name(link.company), parent=display_name(link.parent))


def render_decision(decision: Decision, m: Markup = HTML) -> list[str]:
    """Any decision: first the names the bot does not know (never dropped silently) and what
    was answered in place of what, then the answer itself."""
    return render_preamble(decision, m) + render_meaning(decision.result, m)


def render_preamble(decision: Decision, m: Markup = HTML) -> list[str]:
    """The lines that go before any answer: unknown names, and substitutions."""
    blocks = [_unknown_line(m, r) for r in decision.unknown]
    blocks += [m.t("answers.read_as", typed=typed, name=display_name(c)) for typed, c in decision.corrected]
    return blocks + [_note(m, n) for n in decision.notes]


def _unknown_line(m: Markup, r: Resolution) -> str:
    if r.candidates:
        return m.t("answers.unknown_suggest", name=r.query,
                   names=t("list.separator").join(display_name(c.company) for c in r.candidates[:3]))
    return m.t("answers.unknown", name=r.query)


def _note(m: Markup, note: Substitution) -> str:
    label = link_label(Link(note.used, note.asked, note.relation or Relation.PRODUCT))
    return m.t("answers.substituted", asked=display_name(note.asked), label=label)


def render_meaning(result: object, m: Markup = HTML) -> list[str]:
    """The blocks of one result of ``Interop.decide``."""
    if isinstance(result, CheckResult):
        return render_check(result, m)
    if isinstance(result, Checks):
        return render_checks(result, m)
    if isinstance(result, Profile):
        return render_profile(result, m)
    if isinstance(result, KindFacts):
        return render_kind_facts(result, m)
    if isinstance(result, Ownership):
        return render_ownership(result, m)
    if isinstance(result, SmallTalk):
        return [m.t("answers.hello")]
    if isinstance(result, Latest):
        return render_recent(result.views, m)
    if isinstance(result, SearchResult):
        return render_search(result, m)
    if isinstance(result, CheckHint):
        return [render_check_hint(result, m)]
    if isinstance(result, Unresolved):
        return render_unresolved(result, m) or [m.t("usage.check")]
    raise TypeError(result)


def render_check_hint(hint: CheckHint, m: Markup = HTML) -> str:
    """The usage line for ``/check``, naming the company when only one (or one twice) was given."""
    if hint.same is not None:
        return m.join("\n", [m.t("same.company", name=display_name(hint.same)), m.t("usage.check")])
    if hint.single is not None and hint.partner is not None:
        return m.t("check.one_name", name=display_name(hint.single), partner=display_name(hint.partner))
    if hint.single is not None:
        return m.t("check.one_name_alone", name=display_name(hint.single))
    return m.t("usage.check")


def render_profile(profile: Profile, m: Markup = HTML) -> list[str]:
    return list(iter_profile(profile, m))


def iter_profile(profile: Profile, m: Markup = HTML) -> Iterator[str]:
    """The profile's blocks one by one: its card, then each kind's heading and facts (``Pages``
    renders only as many as the asked page needs)."""
    c = profile.company
    shown = display_name(c)
    head = [m.join(" — ", [m.b(shown), company_kind(c)]) if c.kind else m.b(shown)]
    if c.description:
        head.append(m.text(c.description))
    if profile.parent:
        head.append(m.t("profile.parent", parent=display_name(profile.parent)))
    if profile.children:
        head.append(m.t("profile.children", names=_names(profile.children)))
    if profile.affiliates:
        head.append(m.t("profile.affiliates", names=_names(profile.affiliates)))
    aliases = c.aliases if shown == c.name else (c.name, *(a for a in c.aliases if a != c.name_zh))
    if aliases:
        head.append(m.t("profile.aliases", names=t("list.separator").join(aliases[:12])))
    yield m.join("\n", head)
    if not profile.facts:
        yield m.t("profile.no_facts", name=display_name(c))
        return
    current_kind = None
    for view in profile.facts:
        if view.fact.kind != current_kind:
            current_kind = view.fact.kind
            yield m.b(m.t("kind." + current_kind.value))
        yield _event_line(m, view, with_parties=True)


def profile_blocks_estimate(profile: Profile) -> int:
    """About how many blocks ``iter_profile`` yields, reading no fact: the card and the facts
    (each kind's heading adds one more, at most seven; a page estimate needs no more)."""
    return 2 + len(profile.facts)


def _names(companies: Sequence[Company]) -> str:
    return t("list.separator").join(display_name(c) for c in companies)


def render_search(result: SearchResult, m: Markup = HTML) -> list[str]:
    if not result.hits:
        return [m.t("search.fallback_none" if result.fallback else "search.none", query=result.query)]
    header = "search.fallback" if result.fallback else "search.header"
    blocks = [m.b(m.t(header, n=number(len(result.hits)), query=result.query))]
    blocks += [_event_line(m, v, with_parties=True) for v in result.hits]
    return blocks


def render_recent(views: Sequence[FactView], m: Markup = HTML) -> list[str]:
    if not views:
        return [m.t("recent.none")]
    return [m.b(m.t("recent.header"))] + [_event_line(m, v, with_parties=True) for v in views]


CHANGE_SUMMARY = 140
"""Characters of a fact's summary shown in /changes: the line names the fact, /check tells all."""


def render_changes(edits: Sequence[tuple[Edit, FactView]], m: Markup = HTML) -> list[str]:
    """/changes: the latest admin edits, newest first: when, what happened, and to which fact.

    ``Edit`` carries no actor, so no admin's identity can reach a user.
    """
    if not edits:
        return [m.t("changes.none")]
    lines = []
    for edit, view in edits:
        fact = view.fact
        text = summary(fact)
        if len(text) > CHANGE_SUMMARY:
            text = text[:CHANGE_SUMMARY - 1].rstrip() + "…"
        action = t(f"changes.action.{edit.action}") if edit.action in _ACTIONS else edit.action
        lines.append(m.t("changes.line", date=human_date(edit.at[:10]), action=action,
                         relation=_relation(m, view),
                         summary=m.join(" ", [status_text(m, fact), human_date(fact.date), "—", text])))
    return [m.b(m.t("changes.header")), m.join("\n", lines)]


def render_about(about: About, m: Markup = HTML) -> list[str]:
    """/about: what the bot covers (companies, facts per area), how fresh, how sourced, how to report."""
    covers = [m.t("about.covers", companies=number(about.companies), facts=number(about.facts))]
    covers += [m.t("about.kind_line", kind=m.t("kind." + kind.value), n=number(n))
               for kind, n in about.facts_per_kind]
    updated = (m.t("about.updated", date=human_date(about.last_change[:10])) if about.last_change
               else m.t("about.never"))
    blocks = [m.b(m.t("about.header")), m.join("\n", covers), updated, m.t("about.sources")]
    if about.waiting:
        blocks.append(m.t("about.waiting", n=number(about.waiting)))
    return [*blocks, m.t("about.report")]


def render_stale(page: StalePage, m: Markup = HTML, *, commands: bool = False) -> list[str]:
    """/stale: a header, then each waiting thread with its headline, age, why it waits and its
    best source; ``commands`` (the console) names the verbs that act on it, and the next page."""
    if not page.total:
        return [m.t("stale.empty")]
    blocks = [m.b(m.t("stale.header", n=number(page.total)))]
    for number_, entry in enumerate(page.entries, page.first):
        fact = entry.newest.fact
        lines = [m.join("", [m.b(f"{number_}. "), thread_headline(m, entry.thread)]),
                 m.t("stale.age", age=age_text(entry.age), reason=m.t(f"stale.reason.{entry.reason}"),
                     id=fact.id)]
        if entry.source is not None:
            lines.append(m.t("stale.source", source=m.link(entry.source.title or source_label(entry.source),
                                                            entry.source.url)))
        if commands:
            lines.append(m.t("stale.commands", id=fact.id))
        blocks.append(m.join("\n", lines))
    if commands and page.page < page.pages:
        blocks.append(m.t("stale.more", page=page.page, pages=page.pages, next=page.page + 1))
    return blocks


def render_unresolved(unresolved: Unresolved, m: Markup = HTML) -> list[str]:
    """Explain each name that did not resolve; adapters add the did-you-mean choices."""
    blocks = []
    for r in unresolved.resolutions:
        if r.company is not None:
            continue
        blocks.append(_unresolved_line(m, r))
    return blocks


def _unresolved_line(m: Markup, r: Resolution) -> str:
    if r.candidates and len(r.candidates) > 1 and r.candidates[0].score >= 90:
        return m.t("unknown.ambiguous", name=r.query)
    line = m.t("unknown.name", name=r.query)
    if r.candidates:
        return m.join(" ", [line, m.t("unknown.suggest")])
    return m.join(" ", [line, m.t("unknown.nothing_close")])


def render_suggestions_plain(unresolved: Unresolved) -> list[str]:
    """The console's did-you-mean: candidates as a numbered list."""
    lines = []
    for r in unresolved.resolutions:
        if r.company is None and r.candidates:
            lines += [f"  - {display_name(c.company)}" for c in r.candidates[:5]]
    return lines


# -- pictures: the text that goes with (or instead of) /map and /compare ----------------------

MAP_TEXT_LINKS = 60  # links listed in a map's text answer


def map_caption(result: MapResult, m: Markup = HTML) -> str:
    """One line: "JD.com: 9 links · 5 live · 2 partial · 1 announced · 1 ended" (zero counts left out)."""
    key = "map.caption_one" if result.total == 1 else "map.caption"
    parts = [m.t(key, name=display_name(result.centre), n=result.total)]
    parts += [m.t("map.count", n=n, verdict=t(f"picture.verdict.{v.value}"))
              for v in (Verdict.LIVE, Verdict.PARTIAL, Verdict.ANNOUNCED, Verdict.ENDED)
              if (n := result.counts.get(v, 0))]
    line = m.b(m.join(" · ", parts))
    if result.left_out:
        key = "map.left_out_one" if result.left_out == 1 else "map.left_out"
        line = m.join("\n", [line, m.t(key, shown=len(result.partners), n=result.left_out)])
    return line


def render_map(result: MapResult, m: Markup = HTML) -> list[str]:
    """The map as text, with the same edges and verdicts: for screen readers and the console."""
    if result.empty:
        return [m.t("map.no_facts", name=display_name(result.centre))]
    head = [map_caption(result, m)]
    if result.data_date:
        head.append(m.i(m.t("map.data_date", date=human_date(result.data_date))))
    sep = t("list.separator")
    lines = [m.t("map.link", status=t(f"status.{x.verdict.value}"), a=display_name(x.member),
                 b=display_name(x.partner), kinds=sep.join(t(f"kind.{k.value}") for k in x.kinds))
             for x in result.links[:MAP_TEXT_LINKS]]
    if len(result.links) > MAP_TEXT_LINKS:
        lines.append(m.t("map.more_links", n=len(result.links) - MAP_TEXT_LINKS))
    return [m.join("\n", head), m.join("\n", lines)]


def render_compare(result: CompareResult, m: Markup = HTML) -> list[str]:
    """The table as text, one row per platform: the same cells as the picture."""
    head = [m.b(m.t("compare.header", rows=len(result.rows), cols=len(result.cols)))]
    if result.data_date:
        head.append(m.i(m.t("map.data_date", date=human_date(result.data_date))))
    rows = []
    for i, row in enumerate(result.rows):
        cells = []
        for j, col in enumerate(result.cols):
            verdict = result.verdict(i, j)
            mark = t(f"mark.{verdict.value}") if verdict is not None else t("mark.same")
            cells.append(m.t("compare.cell", name=display_name(col), mark=mark))
        rows.append(m.t("compare.row", name=m.b(display_name(row)), cells=m.join(" · ", cells)))
    return [m.join("\n", head), m.join("\n", rows), m.t("compare.legend")]


def render_compare_problem(problem: CompareProblem, m: Markup = HTML) -> str:
    if problem.reason == "too_big":
        return m.t("compare.too_big", rows=problem.rows, cols=problem.cols, max=MAX_COMPARE)
    return m.t("usage.compare")


# -- admin output ---------------------------------------------------------------------------

MAX_REJECTED_SHOWN = 15
MAX_FINDINGS_SHOWN = 10  # the linter's lines, each clipped: the report stays one message
MAX_FINDING_LINE = 200
MAX_HISTORY = 40
MAX_DIFF_VALUE = 160
MAX_CANDIDATES = 4
_ACTIONS = frozenset(("add", "edit", "add_source", "retract", "restore", "import", "verify"))


def sentence(message: str) -> str:
    """Core error messages start lower-case so they can be embedded; as a reply they stand alone."""
    message = message.strip()
    if not message:
        return message
    message = message[0].upper() + message[1:]
    if message.endswith((".", "?", "!", ")", "。", "？", "！", "）")):
        return message
    return message + ("。" if is_chinese() else ".")


def render_usage(key: str, m: Markup = HTML) -> str:
    """"Use: /command ..." for an admin command, with the allowed kinds, statuses and fields."""
    text = t(f"admin.usage.{key}", kinds=", ".join(k.value for k in Kind),
             statuses=", ".join(s.value for s in Status), fields=", ".join(EDITABLE_FIELDS))
    return m.t("admin.usage", usage=m.code(text))


def render_fact_card(view: FactView, m: Markup = HTML, *, numbered: bool = True) -> str:
    """The full fact as an admin needs to check it: every field and every source."""
    fact = view.fact
    relation = _relation(m, view)
    lines = [m.join(" ", [m.b(f"#{fact.id}"), relation]) if numbered else relation]
    head = [m.t("kind." + fact.kind.value), status_text(m, fact), human_date(fact.date)]
    if fact.retracted:
        head.append(m.t("admin.card.retracted"))
    lines.append(m.join(" · ", head))
    lines.append(m.text(fact.summary))
    if fact.kind_detail:
        lines.append(m.t("admin.card.detail", text=fact.kind_detail))
    if fact.date_note:
        lines.append(m.i(m.t("admin.card.date_note", text=fact.date_note)))
    if fact.confidence:
        lines.append(m.t("admin.card.confidence", text=fact.confidence))
    if fact.note:
        lines.append(m.t("fact.note", note=fact.note))
    if fact.verified:
        lines.append(m.t("fact.checked", date=human_date(fact.verified)))
    if fact.sources:
        lines.append(m.t("admin.card.sources"))
        for s in fact.sources:
            lines.append(m.join("", ["• ", m.link(s.title or source_label(s), s.url)]))
            if s.quote:
                lines.append(m.t("admin.card.quote", quote=s.quote))
    return m.join("\n", lines)


def render_error(exc: InteropError, usage: str | None = None, m: Markup = HTML) -> str:
    """A polite, specific message for any refusal, with the right form when it helps."""
    if isinstance(exc, InvalidValue):
        text = m.t("admin.invalid_value", field=field_label(exc.field_name), value=exc.value,
                   allowed=", ".join(exc.allowed))
    elif isinstance(exc, UnknownCompany):
        text = m.t("admin.unknown_company", role=field_label(exc.role), name=exc.name)
        if exc.candidates:
            names = ", ".join(c.company.name for c in exc.candidates[:MAX_CANDIDATES])
            text = m.join("\n", [text, m.t("admin.did_you_mean", names=names)])
    else:
        text = m.t("admin.error", error=sentence(str(exc)))
    if usage and not isinstance(exc, StorageError | Conflict):
        text = m.join("\n\n", [text, render_usage(usage, m)])
    return text


MAX_DIFFS_SHOWN = 30
"""Changed fields listed in an import report; the rest are counted."""


def render_import_report(report: ImportReport, filename: str, m: Markup = HTML) -> str:
    """N new, M updated, K unchanged, and each rejected row with its reason."""
    head = m.t("admin.import.dry_run" if report.dry_run else "admin.import.applied", name=filename)
    lines = [m.t("admin.import.report", head=head, new=report.new, updated=report.updated,
                 unchanged=report.unchanged, new_companies=report.new_companies,
                 updated_companies=report.updated_companies, rejected=len(report.rejected))]
    lines += [m.t("admin.import.older", label=label, when=when) for label, when in report.older]
    if report.diffs:
        lines.append(m.t("admin.import.changes_head"))
        lines += [m.t("admin.import.sources_line", label=label) if field == "sources" else
                  m.t("admin.import.change_line", label=label, field=field, old=_clip(old), new=_clip(new))
                  for label, field, old, new in report.diffs[:MAX_DIFFS_SHOWN]]
        if len(report.diffs) > MAX_DIFFS_SHOWN:
            lines.append(m.t("admin.import.more_changes", n=len(report.diffs) - MAX_DIFFS_SHOWN))
    if report.rejected:
        lines.append(m.t("admin.import.rejected_head"))
        lines += [m.t("admin.import.rejected_line", label=label, reason=reason)
                  for label, reason in report.rejected[:MAX_REJECTED_SHOWN]]
        if len(report.rejected) > MAX_REJECTED_SHOWN:
            lines.append(m.t("admin.import.more_rejected", n=len(report.rejected) - MAX_REJECTED_SHOWN))
    if report.findings:  # the data linter's, errors first (bot.datacheck)
        findings = sorted(report.findings, key=lambda f: not f.is_error)
        errors = sum(f.is_error for f in findings)
        lines.append(m.t("admin.import.lint_head", errors=errors, warnings=len(findings) - errors))
        lines += [m.t("admin.import.lint_line", line=_clip_line(f.line()))
                  for f in findings[:MAX_FINDINGS_SHOWN]]
        if len(findings) > MAX_FINDINGS_SHOWN:
            lines.append(m.t("admin.import.more_rejected", n=len(findings) - MAX_FINDINGS_SHOWN))
        if report.blocked:
            lines.append(m.t("admin.import.lint_blocked"))
    return m.join("\n", lines)


def _clip_line(value: str) -> str:
    return value if len(value) <= MAX_FINDING_LINE else value[:MAX_FINDING_LINE - 1] + "…"


def _clip(value: str) -> str:
    return value if len(value) <= MAX_DIFF_VALUE else value[:MAX_DIFF_VALUE - 1] + "…"


def render_history(fact_id: int, changes: Sequence[HistoryEntry], m: Markup = HTML) -> list[str]:
    """The audit trail as readable diffs, newest last, one block per change."""
    blocks = [m.b(m.t("admin.history.header", id=fact_id))]
    shown = list(changes)[-MAX_HISTORY:]
    if len(changes) > len(shown):
        blocks.append(m.t("admin.history.older", n=len(changes) - len(shown)))
    for change in shown:
        action = t(f"admin.action.{change.action}") if change.action in _ACTIONS else change.action
        lines = [m.t("admin.history.entry", at=change.at.replace("T", " ").removesuffix("Z") + " UTC",
                     actor=change.actor, action=action)]
        for field in change.fields:
            if not field.before:
                key = "admin.history.set"
            elif not field.after:
                key = "admin.history.removed"
            else:
                key = "admin.history.change"
            lines.append(m.t(key, field=field.field, before=_clip(field.before), after=_clip(field.after)))
        blocks.append(m.join("\n", lines))
    return blocks


def render_roster(roster: Roster, m: Markup = HTML) -> str:
    """/admins: the owners from ADMIN_IDS and the admins they granted."""
    none = m.t("admin.roster_none")
    owners = m.join(", ", (m.code(o) for o in roster.owners)) if roster.owners else none
    granted = m.join(", ", (m.t("admin.roster_grant", user=m.code(uid), by=by, at=at[:10])
                            for uid, by, at in roster.granted)) if roster.granted else none
    return m.t("admin.roster", owners=owners, granted=granted)


_TAG = re.compile(r"<[^>]*>")


def visible_text(text: str) -> str:
    """What Telegram shows of HTML: tags removed, entities decoded."""
    return html.unescape(_TAG.sub("", text))


def visible_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units of the visible text."""
    return utf16_len(visible_text(text))


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
            block = next(self._blocks, None)
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


def plain(blocks: Sequence[str]) -> str:
    return "\n\n".join(blocks)
