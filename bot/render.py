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
    Verdict,
)
from bot.maps import MAX_COMPARE, CompareProblem, CompareResult, MapResult
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
    current = thread.current.fact
    head = (f"{m.text(t('kind.' + thread.kind.value))}: {_relation(m, thread)} — "
            f"{t('status.' + current.status.value)} "
            f"{m.text(t('check.since', date=human_date(current.date)))}")
    if asked is not None:
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


# -- pictures: the text that goes with (or instead of) /map and /compare ----------------------

MAP_TEXT_LINKS = 60  # links listed in a map's text answer


def map_caption(result: MapResult, m: Markup = HTML) -> str:
    """One line: "JD.com: 9 links · 5 live · 2 partial · 1 announced · 1 ended" (zero counts left out)."""
    parts = [t("map.caption_one" if result.total == 1 else "map.caption", name=result.centre.name,
               n=result.total)]
    parts += [t("map.count", n=n, verdict=t(f"picture.verdict.{v.value}"))
              for v in (Verdict.LIVE, Verdict.PARTIAL, Verdict.ANNOUNCED, Verdict.ENDED)
              if (n := result.counts.get(v, 0))]
    line = m.b(" · ".join(parts))
    if result.left_out:
        key = "map.left_out_one" if result.left_out == 1 else "map.left_out"
        line += "\n" + m.text(t(key, shown=len(result.partners), n=result.left_out))
    return line


def render_map(result: MapResult, m: Markup = HTML) -> list[str]:
    """The map as text, with the same edges and verdicts: for screen readers and the console."""
    if result.empty:
        return [m.text(t("map.no_facts", name=result.centre.name))]
    blocks = [map_caption(result, m)]
    if result.data_date:
        blocks[0] += "\n" + m.i(t("map.data_date", date=human_date(result.data_date)))
    lines = [m.text(t("map.link", status=t(f"status.{x.verdict.value}"), a=x.member.name,
                      b=x.partner.name, kinds=", ".join(t(f"kind.{k.value}") for k in x.kinds)))
             for x in result.links[:MAP_TEXT_LINKS]]
    if len(result.links) > MAP_TEXT_LINKS:
        lines.append(m.text(t("map.more_links", n=len(result.links) - MAP_TEXT_LINKS)))
    blocks.append("\n".join(lines))
    return blocks


def render_compare(result: CompareResult, m: Markup = HTML) -> list[str]:
    """The table as text, one row per platform: the same cells as the picture."""
    head = m.b(t("compare.header", rows=len(result.rows), cols=len(result.cols)))
    if result.data_date:
        head += "\n" + m.i(t("map.data_date", date=human_date(result.data_date)))
    rows = []
    for i, row in enumerate(result.rows):
        cells = []
        for j, col in enumerate(result.cols):
            verdict = result.verdict(i, j)
            mark = t(f"mark.{verdict.value}") if verdict is not None else t("mark.same")
            cells.append(m.text(t("compare.cell", name=col.name, mark=mark)))
        rows.append(t("compare.row", name="{name}", cells="{cells}").format(
            name=m.b(row.name), cells=" · ".join(cells)))
    return [head, "\n".join(rows), m.text(t("compare.legend"))]


def render_compare_problem(problem: CompareProblem, m: Markup = HTML) -> str:
    if problem.reason == "too_big":
        return m.text(t("compare.too_big", rows=problem.rows, cols=problem.cols, max=MAX_COMPARE))
    return m.text(t("usage.compare"))


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
