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
    Checks,
    Company,
    Decision,
    FactView,
    KindFacts,
    Latest,
    Link,
    Ownership,
    OwnershipVerdict,
    Profile,
    Relation,
    Resolution,
    SearchResult,
    SmallTalk,
    Source,
    Substitution,
    Thread,
    Unresolved,
)
from bot.texts import t

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
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
    """Keep the stored precision: 2024 -> 2024, 2024-10 -> Oct 2024, 2024-10-16 -> 16 Oct 2024."""
    if not value:
        return t("date.unknown")
    parts = value.split("-")
    if len(parts) == 1:
        return parts[0]
    month = _MONTHS[int(parts[1]) - 1]
    if len(parts) == 2:
        return f"{month} {parts[0]}"
    return f"{int(parts[2])} {month} {parts[0]}"


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
    return t(f"verb.{kind.value}", s=m.b(view.subject.name), o=m.b(view.object.name)) \
        if m.html else t(f"verb.{kind.value}", s=view.subject.name, o=view.object.name)


def _event_line(m: Markup, view: FactView, *, with_parties: bool = False) -> str:
    fact = view.fact
    head = f"{m.text(human_date(fact.date))} {t('status.' + fact.status.value)}"
    if with_parties:
        head += f" · {_relation(m, view)}"
    line = f"• {head} — {m.text(fact.summary)}"
    if fact.sources:
        line += f" {_sources(m, fact.sources)}"
    return line


def _thread_block(m: Markup, thread: Thread, asked: tuple[Company, Company] | None = None) -> str:
    current = thread.standing.fact
    head = (f"{m.text(t('kind.' + thread.kind.value))}: {_relation(m, thread)} — "
            f"{t('status.' + current.status.value)} "
            f"{m.text(t('check.since', date=human_date(current.date)))}")
    if thread.scope:
        head += f" · {m.text(thread.scope)}"
    latest = thread.current.fact
    if latest is not current:
        head += " " + m.text(t("answers.next", status=t("status." + latest.status.value),
                               date=human_date(latest.date)))
    if thread.links:
        head += " " + m.i(t("answers.via", labels="; ".join(link_label(x) for x in thread.links)))
    elif asked is not None:
        members = [c.name for c in (thread.subject, thread.object) if c.id not in {x.id for x in asked}]
        if members:
            head += " " + m.i(t("check.via", names=", ".join(members)))
    lines = [head]
    lines += [_event_line(m, v) for v in reversed(thread.events)]
    return "\n".join(lines)


_RENDERED: OrderedDict[tuple[int, bool], tuple[CheckResult, list[str]]] = OrderedDict()
_RENDERED_SIZE = 1024


def render_check(result: CheckResult, m: Markup = HTML) -> list[str]:
    """Verdict first, then each thread's history with sources, then the group roll-up.

    Popular answers are cached objects (see Interop.check), so their rendering is remembered by
    identity: the same object always renders the same way.
    """
    key = (id(result), m.html)
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
    a, b = result.a.name, result.b.name
    if not result.threads and not result.rollup:
        return [m.text(t("check.no_record", a=a, b=b))]
    if result.kind is not None:
        return _render_kind_check(result, m)
    headline = t("check.headline", verdict=t(f"verdict.{result.verdict.value}"),
                 a="{a}", b="{b}").format(a=m.b(a), b=m.b(b))
    blocks = [headline]
    blocks += [_thread_block(m, th) for th in result.threads]
    if result.rollup:
        intro = t("check.rollup") if result.threads else t("check.rollup_only", a=a, b=b)
        blocks.append(m.i(intro))
        blocks += [_thread_block(m, th, (result.a, result.b)) for th in result.rollup]
    return blocks


def _render_kind_check(result: CheckResult, m: Markup) -> list[str]:
    """The asked kind first (its verdict in the headline), the pair's other kinds briefly."""
    assert result.kind is not None
    a, b = result.a.name, result.b.name
    kind_label = t("kind." + result.kind.value)
    focus = result.of_kind(result.kind)
    if result.scope:
        focus = tuple(sorted(focus, key=lambda th: th.scope != result.scope))
    if focus:
        headline = t("answers.headline_kind", verdict=t(f"verdict.{result.verdict.value}"),
                     kind=kind_label, a="{a}", b="{b}")
        blocks = [m.text(headline).format(a=m.b(a), b=m.b(b))]
        rolled = focus[0] not in result.threads
        blocks += [_thread_block(m, th, (result.a, result.b) if rolled else None) for th in focus]
    else:
        blocks = [m.text(t("answers.no_kind", kind=kind_label, a=a, b=b))]
    others = [th for th in (*result.threads, *result.rollup) if th.kind is not result.kind]
    if others:
        blocks.append(m.i(t("answers.other_kinds")))
        blocks.append("\n".join(f"• {_brief(m, th)}" for th in others))
    return blocks


def _brief(m: Markup, thread: Thread) -> str:
    """One line for a thread: kind, parties, where it stands."""
    current = thread.standing.fact
    line = m.text(t("answers.brief", kind=t("kind." + thread.kind.value), relation="{r}",
                    status=t("status." + current.status.value),
                    since=t("check.since", date=human_date(current.date))))
    line = line.replace("{r}", _relation(m, thread))
    if thread.links:
        line += " " + m.i(t("answers.via", labels="; ".join(link_label(x) for x in thread.links)))
    return line


def link_label(link: Link) -> str:
    """What a tree link is, in words: "WeChat Pay, WeChat's payment service"."""
    child, parent = link.company.name, link.parent.name
    if link.relation is Relation.PRODUCT:
        service = t(f"answers.service.{link.company.kind}") if link.company.kind in {
            "payments", "logistics", "messaging"} else t("answers.service.other")
        return t("answers.link.product", child=child, parent=parent, service=service)
    key = link.relation.value if link.relation is not None else "none"
    return t(f"answers.link.{key}", child=child, parent=parent)


def render_checks(result: Checks, m: Markup = HTML) -> list[str]:
    """Several pairs: one verdict line each, naming both parties, then what was left out."""
    lines = []
    for r in result.results:
        line = m.text(t("answers.pair_line", verdict=t(f"verdict.{r.verdict.value}"), a="{a}", b="{b}"))
        line = line.format(a=m.b(r.a.name), b=m.b(r.b.name))
        focus = r.of_kind(r.kind) if r.kind is not None else (r.threads or r.rollup)
        if focus:
            current = focus[0].standing.fact
            line += m.text(t("answers.pair_detail", kind=t("kind." + focus[0].kind.value),
                             status=t("status." + current.status.value),
                             since=t("check.since", date=human_date(current.date))))
        lines.append(line)
    blocks = ["\n".join(lines)]
    if result.more:
        blocks.append(m.i(t("answers.more_pairs", n=result.more)))
    return blocks


def render_kind_facts(result: KindFacts, m: Markup = HTML) -> list[str]:
    kind = t("kind." + result.kind.value)
    if not result.threads:
        return [m.text(t("answers.kind_none", kind=kind, name=result.company.name))]
    blocks = [m.b(t("answers.kind_header", kind=kind, name=result.company.name))]
    blocks += [_thread_block(m, th) for th in result.threads]
    return blocks


def render_ownership(result: Ownership, m: Markup = HTML) -> list[str]:
    child = result.child.name
    if result.verdict is OwnershipVerdict.CHAIN:
        if not result.chain:
            return [m.text(t("answers.own.top", child=child))]
        head = t("answers.own.chain", child=child, top=result.chain[-1].parent.name)
    else:
        assert result.parent is not None
        head = t(f"answers.own.{result.verdict.value}", child=child, parent=result.parent.name)
    lines = [m.text(head)] + [m.text(_own_line(x)) for x in result.chain]
    lines += [m.text(_own_line(x)) for x in result.other_chain]
    return ["\n".join(lines)]


def _own_line(link: Link) -> str:
    key = link.relation.value if link.relation is not None else "none"
    return t(f"answers.own.line.{key}", child=link.company.name, parent=link.parent.name)


def render_decision(decision: Decision, m: Markup = HTML) -> list[str]:
    """Any decision: first the names the bot does not know (never dropped silently) and what
    was answered in place of what, then the answer itself."""
    return render_preamble(decision, m) + render_meaning(decision.result, m)


def render_preamble(decision: Decision, m: Markup = HTML) -> list[str]:
    """The lines that go before any answer: unknown names, and substitutions."""
    blocks = [m.text(_unknown_line(r)) for r in decision.unknown]
    return blocks + [m.text(_note(n)) for n in decision.notes]


def _unknown_line(r: Resolution) -> str:
    if r.candidates:
        return t("answers.unknown_suggest", name=r.query,
                 names=", ".join(c.company.name for c in r.candidates[:3]))
    return t("answers.unknown", name=r.query)


def _note(note: Substitution) -> str:
    label = link_label(Link(note.used, note.asked, note.relation or Relation.PRODUCT))
    return t("answers.substituted", asked=note.asked.name, label=label)


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
        return [m.text(t("answers.hello"))]
    if isinstance(result, Latest):
        return render_recent(result.views, m)
    if isinstance(result, SearchResult):
        return render_search(result, m)
    if isinstance(result, CheckHint):
        return [render_check_hint(result, m)]
    if isinstance(result, Unresolved):
        return render_unresolved(result, m) or [m.text(t("usage.check"))]
    raise TypeError(result)


def render_check_hint(hint: CheckHint, m: Markup = HTML) -> str:
    """The usage line for ``/check``, naming the company when only one (or one twice) was given."""
    if hint.same is not None:
        return m.text(f"{t('same.company', name=hint.same.name)}\n{t('usage.check')}")
    if hint.single is not None and hint.partner is not None:
        return m.text(t("check.one_name", name=hint.single.name, partner=hint.partner.name))
    if hint.single is not None:
        return m.text(t("check.one_name_alone", name=hint.single.name))
    return m.text(t("usage.check"))


def render_profile(profile: Profile, m: Markup = HTML) -> list[str]:
    c = profile.company
    head = [m.b(c.name) + (f" — {m.text(c.kind)}" if c.kind else "")]
    if c.description:
        head.append(m.text(c.description))
    if profile.parent:
        head.append(m.text(t("profile.parent", parent=profile.parent.name)))
    if profile.children:
        head.append(m.text(t("profile.children", names=_names(profile.children))))
    if profile.affiliates:
        head.append(m.text(t("profile.affiliates", names=_names(profile.affiliates))))
    if c.aliases:
        head.append(m.text(t("profile.aliases", names=", ".join(c.aliases[:12]))))
    blocks = ["\n".join(head)]
    if not profile.facts:
        blocks.append(m.text(t("profile.no_facts", name=c.name)))
        return blocks
    current_kind = None
    for view in profile.facts:
        if view.fact.kind != current_kind:
            current_kind = view.fact.kind
            blocks.append(m.b(t("kind." + current_kind.value)))
        blocks.append(_event_line(m, view, with_parties=True))
    return blocks


def _names(companies: Sequence[Company]) -> str:
    return ", ".join(c.name for c in companies)


def render_search(result: SearchResult, m: Markup = HTML) -> list[str]:
    if not result.hits:
        return [m.text(t("search.none", query=result.query))]
    blocks = [m.b(t("search.header", n=len(result.hits), query=result.query))]
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
            lines += [f"  - {c.company.name}" for c in r.candidates[:5]]
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
