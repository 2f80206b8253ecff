"""What admins read of reader feedback: report and suggestion cards, the /reports queue, /misses."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import Company, Miss, Report, Suggestion
from bot.render.follows import pair_label
from bot.render.markup import HTML, Markup

QUEUE_BUDGET = 3500
"""Characters of markup in one /reports page: the visible text is shorter, Telegram's limit is 4096."""


def render_report(report: Report, subject: Company | None, other: Company | None, link: str | None,
                  m: Markup = HTML, *, new: bool = False) -> str:
    """A report as admins read it: what it is about, who sent it, its text, and ``link`` (a link
    that opens the answer it is about, when the adapter has one)."""
    label = pair_label(subject, other) if subject is not None else "—"
    head = m.t("feedback.report_new" if new else "feedback.report_item", id=report.id, name=label,
               user=report.user_id, chat=report.chat_id, at=report.created_at.replace("T", " "))
    lines = [m.b(head), m.text(report.text)]
    if link:
        lines.append(m.link(m.t("feedback.open_answer"), link))
    if new:
        lines.append(m.t("feedback.see_queue"))
    return m.join("\n", lines)


def render_suggestion(suggestion: Suggestion, m: Markup = HTML, *, new: bool = False) -> str:
    """A suggested fact as admins read it: who sent it, when, and its line as typed."""
    head = m.t("feedback.suggestion_new" if new else "feedback.suggestion_item", id=suggestion.id,
               user=suggestion.user_id, at=suggestion.created_at.replace("T", " "))
    lines = [m.b(head), m.code(suggestion.line)]
    if new:
        lines.append(m.t("feedback.see_queue"))
    return m.join("\n", lines)


def render_queue(cards: Sequence[str], waiting: int, m: Markup = HTML,
                 budget: int = QUEUE_BUDGET) -> tuple[str, int]:
    """One /reports page: its head and as many ``cards`` (newest first) as fit ``budget``, at
    least one; "more wait" when fewer than ``waiting`` are shown. Returns the page and how many
    cards it shows (the adapter puts one row of buttons under each)."""
    if not cards:
        return m.t("feedback.queue_empty"), 0
    blocks = [m.b(m.t("feedback.queue_head"))]
    size = len(blocks[0])
    shown = 0
    for card in cards:
        if size + len(card) > budget and shown:
            break
        blocks.append(card)
        size += len(card) + 2
        shown += 1
    if waiting > shown:
        blocks.append(m.t("feedback.queue_more"))
    return m.join("\n\n", blocks), shown


def render_misses(names: Sequence[Miss], pairs: Sequence[Miss], m: Markup = HTML) -> str:
    """/misses: the unknown names and the pairs with no record, most asked first."""
    lines = [m.b(m.t("feedback.misses_head")), m.t("feedback.misses_names")]
    lines += [m.text(f"• {x.text} — {x.count}") for x in names] or [m.t("feedback.misses_none")]
    lines.append(m.t("feedback.misses_pairs"))
    lines += [m.text(f"• {x.text} — {x.count}") for x in pairs] or [m.t("feedback.misses_none")]
    return m.join("\n", lines)
