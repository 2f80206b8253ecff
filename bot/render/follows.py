"""What a chat that follows a company or a pair is sent: one change, or a digest in messages that fit."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import Company, FactChange, FactView
from bot.i18n import display_name, summary
from bot.render.markup import HTML, Markup
from bot.render.pages import PAGE_BUDGET, pack_lines
from bot.render.words import human_date, source_label

MAX_DIGEST_LINES = 25
"""Changes a digest lists; it counts the rest."""


def pair_label(company: Company, other: Company | None) -> str:
    """A company or a pair by the reader's names: "Meituan" or "Meituan × Alipay" (follows, reports)."""
    name = display_name(company)
    return f"{name} × {display_name(other)}" if other is not None else name


# -- what a chat reads ---------------------------------------------------------------------------


def _change_note(m: Markup, change: FactChange) -> str:
    fact = change.fact
    if change.action == "edit" and change.before_status and change.before_status != fact.status:
        return m.t("follows.change.status", before=m.t("status." + change.before_status.value))
    return m.t("follows.change." + change.action)


def _state_line(m: Markup, change: FactChange, view: FactView) -> str:
    """The pair with its new state and what changed: "JD.com accepts Alipay — ✅ live (new)"."""
    fact = view.fact
    state = m.t("follows.retracted") if fact.retracted else m.t("status." + fact.status.value)
    verb = m.t("verb." + fact.kind.value, s=m.b(display_name(view.subject)),
               o=m.b(display_name(view.object)))
    return m.join("", [verb, " — ", state, " ", m.i(_change_note(m, change))])


def render_change(change: FactChange, view: FactView, m: Markup = HTML) -> str:
    """One followed fact that changed: the pair, its new state, what changed, the source."""
    fact = view.fact
    where = [m.t("kind." + fact.kind.value), *([fact.scope] if fact.scope else []), human_date(fact.date)]
    lines = [m.join("", ["🔔 ", _state_line(m, change, view)]), m.join(" · ", where), summary(fact)]
    if fact.sources:
        links = m.join(" · ", (m.link(source_label(s), s.url) for s in fact.sources[:3]))
        lines.append(m.join(" ", [m.t("follows.source"), links]))
    return m.join("\n", lines)


def render_messages(changes: Sequence[tuple[FactChange, FactView]], total: int | None = None,
                    budget: int = PAGE_BUDGET,
                    m: Markup = HTML) -> list[tuple[str, tuple[FactChange, ...]]]:
    """What a chat is sent: the change itself, or a digest of ``total`` changes, in messages of at
    most ``budget`` visible UTF-16 units (as pages are measured), each with the changes it lists.
    The digest's head opens the first message and its "and N more" closes the last."""
    total = len(changes) if total is None else total
    if total == 1 and changes:
        return [(render_change(*changes[0], m=m), (changes[0][0],))]
    listed = changes[:MAX_DIGEST_LINES]
    lines = [m.b(m.t("follows.digest", n=total))]
    for change, view in listed:
        fact = view.fact
        line = m.join("", ["• ", _state_line(m, change, view)])
        if fact.sources:
            line = m.join(" ", [line, m.link(source_label(fact.sources[0]), fact.sources[0].url)])
        lines.append(line)
    if total > len(listed):
        lines.append(m.t("follows.digest_more", n=total - len(listed)))
    messages = []
    first = 0
    for text, count in pack_lines(lines, budget, m):
        # line 0 is the head; line i (1..len(listed)) lists change i-1
        held = tuple(c for c, _ in listed[max(0, first - 1):first + count - 1])
        messages.append((text, held))
        first += count
    return messages
