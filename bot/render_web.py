"""Domain objects -> the web table's pages (HTML, Atom), beside ``render``'s Telegram HTML.

The answers on a page are ``render``'s own blocks (``render_check``, ``render_profile``,
``render_about``): Telegram's HTML is a subset of the web's (b, i, code, a), so a pair's page says
exactly what /check says. Everything here is composed as ``markupsafe.Markup``: stored text is
escaped once when it meets markup, a rendered block never again. Each page carries the three
readings (English, Simplified, Traditional through the bot's OpenCC conversion) and the page's
script shows one; nothing is loaded from another host.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import NamedTuple

from markupsafe import Markup, escape

from bot import texts
from bot.domain import (
    CheckResult,
    Company,
    Fact,
    FactView,
    InvalidValue,
    Kind,
    Profile,
    Region,
    Source,
    Status,
    Verdict,
)
from bot.i18n import EN, ZH_HANS, ZH_HANT, display_name, summary, to_traditional, traditional_block, using
from bot.render import (
    HTML,
    PLAIN,
    human_date,
    render_about,
    render_check,
    render_profile,
    source_label,
    status_text,
)
from bot.store import About, Edit
from bot.table import Cell, CompanyRow, Table, search_keys
from bot.texts import t

LOCALES = (("en", EN), ("zh", ZH_HANS), ("hant", ZH_HANT))
"""The page's language codes and the bot's locales they render in."""
FEED_ID = "urn:interop-bot:changes"


class SiteLinks(NamedTuple):
    """What every page needs to link out: where pairs live and the bot's username."""

    pair_path: Callable[[int, int], str]
    bot_username: str | None = None


def tri(render: Callable[[], object], tag: str = "span") -> Markup:
    """``render()`` in English and Simplified, and the Simplified through the bot's OpenCC
    conversion for Traditional (what the bot's Traditional catalogue, names and summaries are):
    once when all three agree, else one element per language (the stylesheet shows the reader's).
    Markup survives the conversion: it only changes Han characters."""
    with using(EN):
        en = escape(render())
    with using(ZH_HANS):
        zh = escape(render())
    hant = Markup(traditional_block(zh)) if not zh.isascii() else zh
    if zh == en and hant == zh:
        return en
    # f-strings of escaped values: markupsafe's own format costs more than the page's answers
    return Markup(f'<{tag} class="l-en">{en}</{tag}><{tag} class="l-zh">{zh}</{tag}>'
                  f'<{tag} class="l-hant">{hant}</{tag}>')


@functools.lru_cache(maxsize=64)
def said(key: str) -> Markup:
    """A catalogue sentence without values in the three languages (the same on every page)."""
    return tri(lambda: t(key))


NAMES = 32768
"""Companies, cell titles and fact heads remembered: a whole-site build at 10k companies
meets each of them on many pages."""


@functools.lru_cache(maxsize=NAMES)
def _name(company: Company) -> Markup:
    return tri(lambda: display_name(company))


@functools.lru_cache(maxsize=NAMES)
def _name3(company: Company) -> tuple[str, str, str]:
    """The company's name as each language reads it, escaped (Traditional as ``tri`` makes it:
    the Simplified through OpenCC)."""
    zh = display_name(company, ZH_HANS)
    return (str(escape(company.name)), str(escape(zh)), str(escape(to_traditional(zh))))


def _pair_title(a: Company, b: Company) -> Markup:
    """"A × B" in the three languages, as ``tri`` would render it, from the remembered names."""
    (a_en, a_zh, a_hant), (b_en, b_zh, b_hant) = _name3(a), _name3(b)
    en, zh, hant = f"{a_en} × {b_en}", f"{a_zh} × {b_zh}", f"{a_hant} × {b_hant}"
    if zh == en and hant == zh:
        return Markup(en)
    return Markup(f'<span class="l-en">{en}</span><span class="l-zh">{zh}</span>'
                  f'<span class="l-hant">{hant}</span>')


@functools.lru_cache(maxsize=16)
def _kind(kind: Kind) -> Markup:
    return tri(lambda: t(f"kind.{kind.value}"))


def _blocks(blocks: Sequence[str]) -> Markup:
    return Markup("".join(f'<p class="block">{escape(b)}</p>' for b in blocks))


@functools.lru_cache(maxsize=NAMES)
def _traditional(block: str) -> str:
    """One rendered block through OpenCC, remembered: a group's facts are the same lines on
    each member's page."""
    return traditional_block(block) if not block.isascii() else block


def tri_blocks(render: Callable[[], Sequence[str]]) -> Markup:
    """``tri(lambda: _blocks(render()), "div")``, the Traditional converted block by block (a
    phrase never spans the markup between two blocks, so the text is the same)."""
    with using(EN):
        en = _blocks(render())
    with using(ZH_HANS):
        zh_blocks = [str(escape(b)) for b in render()]
    zh = Markup("".join(f'<p class="block">{b}</p>' for b in zh_blocks))
    hant = Markup("".join(f'<p class="block">{_traditional(b)}</p>' for b in zh_blocks))
    if zh == en and hant == zh:
        return en
    return Markup(f'<div class="l-en">{en}</div><div class="l-zh">{zh}</div><div class="l-hant">{hant}</div>')


@functools.lru_cache(maxsize=256)
def short_region(value: str) -> str:
    """"EU" for a fact limited to the EU/EEA; "" when it holds everywhere."""
    try:
        region = Region.parse(value) if value else None
    except InvalidValue:
        return ""
    return region.name if region is not None and region is not Region.GLOBAL else ""


def _keys(company: Company) -> str:
    return "|" + "|".join(search_keys(company)) + "|"


def _company_href(root: str, company: Company) -> str:
    return f"{root}company/{company.id}.html"


def _lang_switch() -> Markup:
    return Markup('<nav class="lang" aria-label="Language"><button type="button" data-set-lang="en">'
                  'English</button><button type="button" data-set-lang="zh">简体中文</button>'
                  '<button type="button" data-set-lang="hant">繁體中文</button></nav>')


@functools.lru_cache(maxsize=4)
def _shell(root: str, back: bool) -> tuple[str, str]:
    """What every page in one folder shares: before its title, and between title and body."""
    home = f'<a class="back" href="{root}index.html">{said("site.back")}</a>' if back else ""
    return ('<!DOCTYPE html>\n<html lang="en" data-lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>',
            f'</title>\n<link rel="icon" href="data:,">\n<link rel="stylesheet" href="{root}site.css">\n'
            f'<link rel="alternate" type="application/atom+xml" href="{root}changes.atom">\n'
            f'</head>\n<body>\n<header>{home}{_lang_switch()}</header>\n<main>\n')


def page(title: str, body: Markup, root: str = "", back: bool = True) -> str:
    """The shell every page shares: its stylesheet and script from the same site. ``title`` is
    plain text (escaped here)."""
    before, between = _shell(root, back)
    return (f'{before}{escape(title)}{between}{body}\n</main>\n<script src="{root}site.js"></script>\n'
            "</body>\n</html>\n")


@functools.lru_cache(maxsize=NAMES)
def _titles(status: Status, region: str, day: str) -> Markup:
    """A cell's title in the three languages, as attributes (the script shows the reader's)."""
    fact = Fact(id=0, subject_id=0, object_id=0, kind=Kind.OTHER, status=status, date=day, summary="",
                region=region)
    titles = []
    for locale in (EN, ZH_HANS, ZH_HANT):
        with using(locale):
            titles.append(escape(t("site.cell", status=status_text(PLAIN, fact), date=human_date(day))))
    en, zh, hant = titles
    extra = f' data-hant="{hant}"' if hant != zh else ""
    return Markup(f'title="{en}" data-zh="{zh}"{extra}')


@functools.lru_cache(maxsize=16)
def _mark(verdict: Verdict) -> Markup:
    return escape(t(f"mark.{verdict.value}", EN))


def _cell_link(root: str, site: SiteLinks, cell: Cell) -> Markup:
    """"✅" (and "EU" when limited) linking to the pair's page, its status and date as a title."""
    region = short_region(cell.fact.region)
    href = escape(root + site.pair_path(cell.row.id, cell.col.id))
    titles = _titles(cell.fact.status, cell.fact.region, cell.fact.date)
    mark = _mark(cell.verdict)
    small = f"<small>{escape(region)}</small>" if region else ""
    return Markup(f'<a href="{href}" {titles}>{mark}{small}</a>')


def _table(table: Table, site: SiteLinks) -> Markup:
    head = [Markup('<th class="corner">{}</th>').format(said("site.platforms"))]
    for col in table.cols:
        head.append(Markup('<th class="col" data-keys="{keys}"><a href="{href}"><span class="vt">{name}'
                           '</span></a></th>').format(keys=_keys(col), href=_company_href("", col),
                                           name=_name(col)))
    body: list[Markup] = []
    group_size: dict[int, int] = {}
    for row in table.rows:
        group = table.groups.get(row.id, row)
        group_size[group.id] = group_size.get(group.id, 0) + 1
    current_group = None
    for row in table.rows:
        group = table.groups.get(row.id, row)
        if group.id != current_group:
            current_group = group.id
            if group_size[group.id] > 1:
                body.append(Markup('<tr class="grp"><th colspan="{}">{}</th></tr>').format(
                    len(table.cols) + 1, _name(group)))
        cells = [Markup('<th class="row"><a href="{}">{}</a></th>').format(
            _company_href("", row), _name(row))]
        for col in table.cols:
            found = table.cells.get((row.id, col.id))
            if found is None:
                cells.append(Markup("<td></td>"))
            else:
                link = _cell_link("", site, found)
                cells.append(Markup(f'<td class="v-{found.verdict.value}">{link}</td>'))
        body.append(Markup(f'<tr data-keys="{escape(_keys(row))}">{"".join(cells)}</tr>'))
    note = Markup("")
    some_rows, some_cols = len(table.rows) < table.all_rows, len(table.cols) < table.all_cols
    if some_rows or some_cols:  # what is left out, and only that: "all 44 platforms", never "44 of 44"
        key = ("site.shown" if some_rows and some_cols else "site.shown_rows" if some_rows
               else "site.shown_cols")
        note = Markup('<p class="note">{}</p>').format(tri(lambda: t(
            key, rows=len(table.rows), all_rows=table.all_rows, cols=len(table.cols),
            all_cols=table.all_cols)))
    return Markup(
        '<section class="kind" id="k-{slug}" data-kind="{kind}">\n<h2>{title}</h2>\n{note}'
        '<div class="scroll"><table class="matrix">\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n'
        '</tbody></table></div>\n<p class="none" hidden>{none}</p>\n</section>').format(
            slug=_slug(table.kind), kind=table.kind.value, title=_kind(table.kind),
            note=note, head=Markup("").join(head), body=Markup("\n").join(body),
            none=said("site.no_match"))


def _slug(kind: Kind) -> str:
    return kind.value.replace("/", "-")


def index_page(tables: Sequence[Table], about: About, site: SiteLinks) -> str:
    """The table: a tab per kind, a filter over the names the bot knows, the legend."""
    tabs = Markup("").join(
        Markup('<a href="#k-{}" data-tab="{}">{}</a>').format(_slug(x.kind), x.kind.value,
                                                            _kind(x.kind))
        for x in tables)
    updated = (Markup('<p class="note">{}</p>').format(
        tri(lambda: t("site.data_date", date=human_date(about.last_change[:10]))))
        if about.last_change else Markup(""))
    body = Markup(
        '<h1>{title}</h1>\n<p class="intro">{intro}</p>\n{updated}'
        '<input id="filter" type="search" autocomplete="off" aria-label="{label}" placeholder="{label}">\n'
        '<div id="elsewhere" hidden><span>{elsewhere}</span> <span class="found"></span></div>\n'
        '<nav class="tabs">{tabs}</nav>\n<p class="legend">{legend}</p>\n{sections}\n{footer}').format(
            title=said("site.title"), intro=said("site.intro"), updated=updated,
            label=t("site.filter", EN), elsewhere=said("site.elsewhere"), tabs=tabs,
            legend=said("site.legend"),
            sections=Markup("\n").join(_table(x, site) for x in tables), footer=_footer(""))
    return page(t("site.title", EN), body, back=False)


@functools.lru_cache(maxsize=4)
def _footer(root: str) -> Markup:
    def data() -> Markup:
        return Markup(t("site.data")).format(
            json=Markup('<a href="{}data/interop.json">interop.json</a>').format(root),
            csv=Markup('<a href="{}data/interop.csv">interop.csv</a>').format(root),
            feed=Markup('<a href="{}changes.atom">changes.atom</a>').format(root))
    return Markup('<footer><p>{}</p><p><a href="{}about.html">{}</a></p></footer>').format(
        tri(data), root, said("site.about"))


@functools.lru_cache(maxsize=4)
def _footer_links(root: str) -> Markup:
    """The footer of the many pair and company pages: the same links as the index's footer,
    without its sentence about them (a few hundred bytes on each of 100k pages)."""
    return Markup('<footer><p><a href="{root}data/interop.json">interop.json</a> · '
                  '<a href="{root}data/interop.csv">interop.csv</a> · '
                  '<a href="{root}changes.atom">changes.atom</a> · <a href="{root}about.html">{about}</a>'
                  '</p></footer>').format(root=root, about=said("site.about"))


def _deep_link(bot_username: str, a: int, b: int) -> str:
    """The bot's own deep link for a pair (``/start check_<a>_<b>``)."""
    return f"https://t.me/{bot_username}?start=check_{a}_{b}"


def _source_item(source: Source) -> Markup:
    label = source.title or source_label(source)
    meta = [x for x in (source.publisher, source.date) if x]
    quote = source.quote
    extra = f' <span class="meta">{escape(" · ".join(meta))}</span>' if meta else ""
    if quote:
        extra += f"<blockquote>{escape(quote)}</blockquote>"
    url = escape(source.url)
    return Markup(f'<li><a href="{url}" rel="nofollow noopener">{escape(label)}</a>{extra}</li>')


@functools.lru_cache(maxsize=NAMES)
def _fact_head(day: str, status: Status, region: str) -> Markup:
    fact = Fact(id=0, subject_id=0, object_id=0, kind=Kind.OTHER, status=status, date=day, summary="",
                region=region)
    return tri(lambda: Markup(f"{escape(human_date(day))} {escape(status_text(HTML, fact))}"))


def _fact_sources(view: FactView) -> str:
    """A fact's date and status (its summary is in the answer above) and its sources in full."""
    fact = view.fact
    items = "".join(_source_item(s) for s in fact.sources)
    return (f'<li class="fact">{_fact_head(fact.date, fact.status, fact.region)}'
            f'<ul class="sources">{items}</ul></li>')


def pair_page(result: CheckResult, site: SiteLinks) -> str:
    """Everything /check shows for the pair, then every fact's sources with their quotes, and a
    link that opens the bot on the same pair."""
    a, b = result.a, result.b
    title = _pair_title(a, b)
    answer = tri_blocks(lambda: render_check(result, HTML))
    views = sorted({v.fact.id: v for th in (*result.threads, *result.rollup) for v in th.events}.values(),
                   key=lambda v: (v.fact.date, v.fact.id), reverse=True)
    sources = ""
    if views:
        facts = "\n".join(_fact_sources(v) for v in views)
        sources = f'<h2>{said("site.sources")}</h2>\n<ul class="facts">{facts}</ul>'
    links = [f'<a href="../{_company_href("", c)}">{_name(c)}</a>' for c in (a, b)]
    if site.bot_username:
        url = escape(_deep_link(site.bot_username, a.id, b.id))
        links.append(f'<a class="bot" href="{url}">{said("site.open_bot")}</a>')
    body = Markup(f'<h1>{title}</h1>\n<div class="answer">{answer}</div>\n'
                  f'<p class="links">{" · ".join(links)}</p>\n{sources}\n{_footer_links("../")}')
    return page(f"{a.name} × {b.name}", body, "../")


PROFILE_FACTS = 30
"""Facts of the profile a company page shows (kind by kind, newest first; Telegram shows ten a
page): every pair's page holds all of its facts, and the company's rows below link to them."""


def _row_table(cells: Sequence[Cell], more: int, site: SiteLinks, platform: bool) -> Markup:
    rows = []
    kind = None
    for found in cells:  # in kind order: each kind named once, above its partners
        if found.kind is not kind:
            kind = found.kind
            rows.append(f'<tr class="kind"><th colspan="2">{_kind(kind)}</th></tr>')
        other = found.col if platform else found.row
        href = _company_href("../", other)
        rows.append(f'<tr><th class="row"><a href="{href}">{_name(other)}</a></th>'
                    f'<td class="v-{found.verdict.value}">{_cell_link("../", site, found)}</td></tr>')
    left = f'<p class="note">… +{more}</p>' if more else ""
    head = said("site.as_platform" if platform else "site.as_service")
    return Markup(f'<h2>{head}</h2>\n<table class="row-table">{"".join(rows)}</table>{left}')


def company_page(profile: Profile, row: CompanyRow, site: SiteLinks) -> str:
    """The company's /company profile (its first facts), then its row and column of the table."""
    company = profile.company
    shown = replace(profile, facts=profile.facts[:PROFILE_FACTS])
    parts = [f"<h1>{_name(company)}</h1>",
             f'<div class="answer">{tri_blocks(lambda: render_profile(shown, HTML))}</div>']
    if len(profile.facts) > PROFILE_FACTS:
        parts.append(f'<p class="note">… +{len(profile.facts) - PROFILE_FACTS}</p>')
    if row.as_platform:
        parts.append(_row_table(row.as_platform, row.more_platform, site, True))
    if row.as_service:
        parts.append(_row_table(row.as_service, row.more_service, site, False))
    parts.append(_footer_links("../"))
    return page(company.name, Markup("\n".join(parts)), "../")


def about_page(about: About) -> str:
    """/about on the web: counts, the last change, how facts are sourced, how to report."""
    body = Markup('<div class="answer">{}</div>\n{}').format(
        tri_blocks(lambda: render_about(about, HTML)), _footer(""))
    return page(t("site.about", EN), body)


def _atom_time(stamp: str) -> str:
    """An audit time ("2026-12-07T01:02:03Z" or "2026-12-07 01:02:03") as RFC 3339."""
    stamp = stamp.strip().replace(" ", "T")
    if len(stamp) == 10:
        stamp += "T00:00:00"
    return stamp if stamp.endswith("Z") or "+" in stamp[10:] else stamp + "Z"


def atom_feed(edits: Iterable[tuple[Edit, FactView]], last_change: str, site: SiteLinks) -> str:
    """The /changes log as Atom, newest first, in English: what happened to which fact, and no
    admin's identity (``Edit`` carries none)."""
    entries = []
    with using(EN):
        for edit, view in edits:
            fact: Fact = view.fact
            key = f"changes.action.{edit.action}"
            action = t(key) if key in texts.EN else edit.action
            relation = PLAIN.t(f"verb.{fact.kind.value}", s=display_name(view.subject),
                               o=display_name(view.object))
            text = " ".join([status_text(PLAIN, fact), human_date(fact.date), "—", summary(fact)])
            entries.append(Markup(
                "<entry>\n <id>urn:interop-bot:fact:{id}:{at}</id>\n <title>{action}: {relation}</title>\n"
                ' <updated>{updated}</updated>\n <link href="{href}"/>\n <summary>{text}</summary>\n'
                "</entry>").format(id=fact.id, at=_atom_time(edit.at), action=action, relation=relation,
                                   updated=_atom_time(edit.at),
                                   href=site.pair_path(fact.subject_id, fact.object_id), text=text))
    return str(Markup(
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
        "<title>{title}</title>\n<id>{id}</id>\n<updated>{updated}</updated>\n"
        "<author><name>interop-bot</name></author>\n"
        '<link rel="self" href="changes.atom"/>\n<link rel="alternate" href="index.html"/>\n'
        "{entries}\n</feed>\n").format(title=t("changes.header", EN), id=FEED_ID,
                                       updated=_atom_time(last_change or "1970-01-01"),
                                       entries=Markup("\n").join(entries)))

