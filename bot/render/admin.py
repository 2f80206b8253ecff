"""Admin output: fact cards, refusals, import reports, fact history, the roster and the /stale queue."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from bot.domain import (
    EDITABLE_FIELDS,
    Company,
    Conflict,
    FactView,
    HistoryEntry,
    ImportReport,
    InteropError,
    InvalidValue,
    Kind,
    Roster,
    Status,
    StorageError,
    UnknownCompany,
)
from bot.i18n import age_text, number
from bot.render.markup import HTML, Markup, sentence
from bot.render.words import AUDIT_ACTIONS, human_date, relation, source_label, status_text, thread_headline
from bot.texts import field_label, t
from bot.upkeep import StalePage

MAX_REJECTED_SHOWN = 15
MAX_FINDINGS_SHOWN = 10  # the linter's lines, each clipped: the report stays one message
MAX_FINDING_LINE = 200
MAX_HISTORY = 40
MAX_DIFF_VALUE = 160
MAX_CANDIDATES = 4


def render_usage(key: str, m: Markup = HTML) -> str:
    """"Use: /command ..." for an admin command, with the allowed kinds, statuses and fields."""
    text = t(f"admin.usage.{key}", kinds=", ".join(k.value for k in Kind),
             statuses=", ".join(s.value for s in Status), fields=", ".join(EDITABLE_FIELDS))
    return m.t("admin.usage", usage=m.code(text))


def render_fact_card(view: FactView, m: Markup = HTML, *, numbered: bool = True) -> str:
    """The full fact as an admin needs to check it: every field and every source."""
    fact = view.fact
    pair = relation(m, view)
    lines = [m.join(" ", [m.b(f"#{fact.id}"), pair]) if numbered else pair]
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
        action = t(f"admin.action.{change.action}") if change.action in AUDIT_ACTIONS else change.action
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


FactReply = Literal["fact_saved", "source_added", "edited", "restored", "verified", "retract_confirm"]
"""What an admin verb did to a fact; its reply names it above the fact as it now stands."""


def render_fact_reply(done: FactReply, view: FactView, m: Markup = HTML, *, field: str = "") -> str:
    """"✅ Fact #12: status changed. It now reads:" and the fact's card: the one reply of every
    verb that changes a fact (``field``: the field /editfact changed), in Telegram and the console."""
    head = m.t(f"admin.{done}", id=view.fact.id, field=field_label(field) if field else "")
    return m.join("\n\n", [head, render_fact_card(view, m)])


def render_retracted(fact_id: int, m: Markup = HTML) -> str:
    return m.t("admin.retracted", id=fact_id)


def render_duplicate(fact_id: int, m: Markup = HTML) -> str:
    """A fact refused because the same one exists already: which one."""
    return m.t("admin.duplicate", id=fact_id)


def render_company_added(company: Company, parent: Company | None, m: Markup = HTML) -> str:
    """/addcompany: the new company's name and id, and its parent when it has one."""
    text = m.t("admin.company_added", name=m.b(company.name), id=company.id)
    if parent is None:
        return text
    return m.join(" ", [text, m.t("admin.company_parent", parent=parent.name)])


def render_alias(company: Company, alias: str, m: Markup = HTML, *, added: bool) -> str:
    """/alias and /unalias: the company and the name it gained or lost."""
    key = "admin.alias_added" if added else "admin.alias_removed"
    return m.t(key, company=m.b(company.name), alias=alias)


def render_admin_change(user_id: int, m: Markup = HTML, *, granted: bool, changed: bool) -> str:
    """/grant and /revoke: whether the user is an admin now, and whether that changed anything."""
    if granted:
        key = "admin.granted" if changed else "admin.already_admin"
    else:
        key = "admin.revoked" if changed else "admin.not_admin"
    return m.t(key, user=m.code(user_id))
