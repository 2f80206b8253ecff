"""Domain objects -> Telegram HTML or plain text, from ONE set of render functions.

Each renderer writes through a ``Markup`` (bold, italic, link, text). ``HTML`` escapes every
string it is given, so stored text can never break or inject markup; ``PLAIN`` writes links as
"title <url>" for the terminal. Answers come back as blocks so adapters can paginate them.
"""

from __future__ import annotations

import html
import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.domain import (
    CheckHint,
    CheckResult,
    Company,
    FactView,
    Profile,
    Resolution,
    SearchResult,
    Source,
    Thread,
    Unresolved,
)
from bot.i18n import company_kind, display_name, fact_date, number, summary
from bot.i18n import current as current_locale
from bot.texts import t

TELEGRAM_LIMIT = 4096
PAGE_BUDGET = 3500  # leaves room for the page footer and for entity expansion


@dataclass(frozen=True, slots=True)
class Markup:
    """How to write emphasis and links in one output format."""

    html: bool

    def text(self, value: str) -> str:
        return html.escape(value, quote=False) if self.html else value

    def b(self, value: str) -> str:
        return f"<b>{self.text(value)}</b>" if self.html else value

    def i(self, value: str) -> str:
        return f"<i>{self.text(value)}</i>" if self.html else value

    def link(self, label: str, url: str) -> str:
        if self.html:
            return f'<a href="{html.escape(url, quote=True)}">{self.text(label)}</a>'
        return f"{label} <{url}>"


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
    return " · ".join(m.link(source_label(s), s.url) for s in sources)


def _relation(m: Markup, view: FactView | Thread) -> str:
    kind = view.fact.kind if isinstance(view, FactView) else view.kind
    s, o = display_name(view.subject), display_name(view.object)
    return t(f"verb.{kind.value}", s=m.b(s), o=m.b(o)) if m.html else t(f"verb.{kind.value}", s=s, o=o)


def _event_line(m: Markup, view: FactView, *, with_parties: bool = False) -> str:
    fact = view.fact
    head = f"{m.text(human_date(fact.date))} {t('status.' + fact.status.value)}"
    if with_parties:
        head += f" · {_relation(m, view)}"
    line = f"• {head} — {m.text(summary(fact))}"
    if fact.sources:
        line += f" {_sources(m, fact.sources)}"
    return line


def _thread_block(m: Markup, thread: Thread, asked: tuple[Company, Company] | None = None) -> str:
    current = thread.current.fact
    head = t("check.thread", kind=m.text(t("kind." + thread.kind.value)), relation=_relation(m, thread),
             status=t("status." + current.status.value),
             since=m.text(t("check.since", date=human_date(current.date))))
    if asked is not None:
        members = [display_name(c) for c in (thread.subject, thread.object)
                   if c.id not in {x.id for x in asked}]
        if members:
            head += " " + m.i(t("check.via", names=t("list.separator").join(members)))
    lines = [head]
    lines += [_event_line(m, v) for v in reversed(thread.events)]
    return "\n".join(lines)


_RENDERED: OrderedDict[tuple[int, bool, str], tuple[CheckResult, list[str]]] = OrderedDict()
_RENDERED_SIZE = 1024


def render_check(result: CheckResult, m: Markup = HTML) -> list[str]:
    """Verdict first, then each thread's history with sources, then the group roll-up.

    Popular answers are cached objects (see Interop.check), so their rendering is remembered by
    identity: the same object always renders the same way (in each locale).
    """
    key = (id(result), m.html, current_locale())
    hit = _RENDERED.get(key)
    if hit is not None and hit[0] is result:
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
        return [m.text(t("check.no_record", a=a, b=b))]
    headline = t("check.headline", verdict=t(f"verdict.{result.verdict.value}"),
                 a="{a}", b="{b}").format(a=m.b(a), b=m.b(b))
    blocks = [headline]
    blocks += [_thread_block(m, th) for th in result.threads]
    if result.rollup:
        intro = t("check.rollup") if result.threads else t("check.rollup_only", a=a, b=b)
        blocks.append(m.i(intro))
        blocks += [_thread_block(m, th, (result.a, result.b)) for th in result.rollup]
    return blocks


def render_check_hint(hint: CheckHint, m: Markup = HTML) -> str:
    """The usage line for ``/check``, naming the company when only one (or one twice) was given."""
    if hint.same is not None:
        return m.text(f"{t('same.company', name=display_name(hint.same))}\n{t('usage.check')}")
    if hint.single is not None and hint.partner is not None:
        return m.text(t("check.one_name", name=display_name(hint.single),
                        partner=display_name(hint.partner)))
    if hint.single is not None:
        return m.text(t("check.one_name_alone", name=display_name(hint.single)))
    return m.text(t("usage.check"))


def render_profile(profile: Profile, m: Markup = HTML) -> list[str]:
    c = profile.company
    head = [m.b(display_name(c)) + (f" — {m.text(company_kind(c))}" if c.kind else "")]
    if c.description:
        head.append(m.text(c.description))
    if profile.parent:
        head.append(m.text(t("profile.parent", parent=display_name(profile.parent))))
    if profile.children:
        head.append(m.text(t("profile.children", names=_names(profile.children))))
    if profile.affiliates:
        head.append(m.text(t("profile.affiliates", names=_names(profile.affiliates))))
    shown = display_name(c)
    aliases = c.aliases if shown == c.name else (c.name, *(a for a in c.aliases if a != c.name_zh))
    if aliases:
        head.append(m.text(t("profile.aliases", names=t("list.separator").join(aliases[:12]))))
    blocks = ["\n".join(head)]
    if not profile.facts:
        blocks.append(m.text(t("profile.no_facts", name=display_name(c))))
        return blocks
    current_kind = None
    for view in profile.facts:
        if view.fact.kind != current_kind:
            current_kind = view.fact.kind
            blocks.append(m.b(t("kind." + current_kind.value)))
        blocks.append(_event_line(m, view, with_parties=True))
    return blocks


def _names(companies: Sequence[Company]) -> str:
    return t("list.separator").join(display_name(c) for c in companies)


def render_search(result: SearchResult, m: Markup = HTML) -> list[str]:
    if not result.hits:
        return [m.text(t("search.none", query=result.query))]
    blocks = [m.b(t("search.header", n=number(len(result.hits)), query=result.query))]
    blocks += [_event_line(m, v, with_parties=True) for v in result.hits]
    return blocks


def render_recent(views: Sequence[FactView], m: Markup = HTML) -> list[str]:
    if not views:
        return [m.text(t("recent.none"))]
    return [m.b(t("recent.header"))] + [_event_line(m, v, with_parties=True) for v in views]


def render_unresolved(unresolved: Unresolved, m: Markup = HTML) -> list[str]:
    """Explain each name that did not resolve; adapters add the did-you-mean choices."""
    blocks = []
    for r in unresolved.resolutions:
        if r.company is not None:
            continue
        blocks.append(m.text(_unresolved_line(r)))
    return blocks


def _unresolved_line(r: Resolution) -> str:
    if r.candidates and len(r.candidates) > 1 and r.candidates[0].score >= 90:
        return t("unknown.ambiguous", name=r.query)
    line = t("unknown.name", name=r.query)
    if r.candidates:
        return f"{line} {t('unknown.suggest')}"
    return f"{line} {t('unknown.nothing_close')}"


def render_suggestions_plain(unresolved: Unresolved) -> list[str]:
    """The console's did-you-mean: candidates as a numbered list."""
    lines = []
    for r in unresolved.resolutions:
        if r.company is None and r.candidates:
            lines += [f"  - {display_name(c.company)}" for c in r.candidates[:5]]
    return lines


_TAG = re.compile(r"<[^>]*>")


def visible_len(text: str) -> int:
    """Length as Telegram counts it: after tags are removed and entities decoded."""
    return len(html.unescape(_TAG.sub("", text)))


def _cut(line: str, budget: int) -> list[str]:
    """Split one over-long line without breaking markup: drop its tags, re-escape, then cut."""
    flat = html.unescape(_TAG.sub("", line))
    return [html.escape(flat[i:i + budget], quote=False) for i in range(0, len(flat), budget)]


def paginate(blocks: Sequence[str], budget: int = PAGE_BUDGET, m: Markup = HTML) -> list[str]:
    """Pack blocks into pages of at most ``budget`` visible characters, never inside markup.

    Blocks are split at line boundaries when needed; a single line longer than a page is cut
    as plain text.
    """
    size = visible_len if m.html else len

    def cut(line: str) -> list[str]:
        if m.html:
            return _cut(line, budget)
        return [line[i:i + budget] for i in range(0, len(line), budget)]

    pieces: list[str] = []
    for block in blocks:
        if size(block) <= budget:
            pieces.append(block)
        else:
            lines = [part for line in block.split("\n")
                     for part in ([line] if size(line) <= budget else cut(line))]
            pieces += _pack(lines, "\n", budget, size)
    return _pack(pieces, "\n\n", budget, size) or [""]


def _pack(items: Sequence[str], sep: str, budget: int, size: Callable[[str], int]) -> list[str]:
    """Greedily join items with ``sep`` into chunks no larger than ``budget``."""
    chunks: list[str] = []
    current = ""
    for item in items:
        if current and size(current) + len(sep) + size(item) > budget:
            chunks.append(current)
            current = ""
        current = f"{current}{sep}{item}" if current else item
    if current:
        chunks.append(current)
    return chunks


def plain(blocks: Sequence[str]) -> str:
    return "\n\n".join(blocks)
