"""Answers that list facts: a company's profile, search hits, recent facts, /changes and /about."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from bot.domain import (
    FactView,
    Profile,
    SearchResult,
)
from bot.i18n import company_kind, display_name, number, summary
from bot.render.markup import HTML, Markup
from bot.render.words import AUDIT_ACTIONS, company_names, event_line, human_date, relation, status_text
from bot.store import About, Edit
from bot.texts import t


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
        head.append(m.t("profile.children", names=company_names(profile.children)))
    if profile.affiliates:
        head.append(m.t("profile.affiliates", names=company_names(profile.affiliates)))
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
        yield event_line(m, view, with_parties=True)


def profile_blocks_estimate(profile: Profile) -> int:
    """About how many blocks ``iter_profile`` yields, reading no fact: the card and the facts
    (each kind's heading adds one more, at most seven; a page estimate needs no more)."""
    return 2 + len(profile.facts)


def render_search(result: SearchResult, m: Markup = HTML) -> list[str]:
    if not result.hits:
        return [m.t("search.fallback_none" if result.fallback else "search.none", query=result.query)]
    header = "search.fallback" if result.fallback else "search.header"
    blocks = [m.b(m.t(header, n=number(len(result.hits)), query=result.query))]
    blocks += [event_line(m, v, with_parties=True) for v in result.hits]
    return blocks


def render_recent(views: Sequence[FactView], m: Markup = HTML) -> list[str]:
    if not views:
        return [m.t("recent.none")]
    return [m.b(m.t("recent.header"))] + [event_line(m, v, with_parties=True) for v in views]


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
        action = t(f"changes.action.{edit.action}") if edit.action in AUDIT_ACTIONS else edit.action
        lines.append(m.t("changes.line", date=human_date(edit.at[:10]), action=action,
                         relation=relation(m, view),
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
