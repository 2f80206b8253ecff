"""Answers to a question: a pair checked, several pairs, a kind, ownership, and what went unread."""

from __future__ import annotations

from bot.domain import (
    CheckHint,
    CheckResult,
    Checks,
    Company,
    Decision,
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
    Substitution,
    Thread,
    Unresolved,
)
from bot.i18n import display_name
from bot.render.lists import render_profile, render_recent, render_search
from bot.render.markup import HTML, Markup
from bot.render.words import (
    event_line,
    human_date,
    link_label,
    link_labels,
    relation,
    since,
    status_text,
    thread_headline,
    verdict_text,
)
from bot.texts import t


def _thread_block(m: Markup, thread: Thread, asked: tuple[Company, Company] | None = None) -> str:
    current = thread.standing.fact
    head = thread_headline(m, thread)
    if thread.links:
        head = m.join(" ", [head, m.i(m.t("answers.via", labels=link_labels(thread.links)))])
    elif asked is not None:
        members = [display_name(c) for c in (thread.subject, thread.object)
                   if c.id not in {x.id for x in asked}]
        if members:
            head = m.join(" ", [head, m.i(m.t("check.via", names=t("list.separator").join(members)))])
    lines = [head]
    if current.note:  # the caveat, in one line under the verdict
        lines.append(m.i(m.t("fact.note", note=current.note)))
    lines += [event_line(m, v, note=v is not thread.standing) for v in reversed(thread.events)]
    return m.join("\n", lines)


def render_check(result: CheckResult, m: Markup = HTML) -> list[str]:
    """Verdict first, then each thread's history with sources, then the group roll-up."""
    a, b = display_name(result.a), display_name(result.b)
    if not result.threads and not result.rollup:
        if result.group is not None:
            return [m.t("check.no_record", a=a, b=b),
                    m.t("check.same_group", a=a, b=b, group=display_name(result.group))]
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
        focus = result.of_feature(focus)
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
    line = m.t("answers.brief", kind=m.t("kind." + thread.kind.value), relation=relation(m, thread),
               status=status_text(m, current), since=since(m, thread))
    if thread.links:
        line = m.join(" ", [line, m.i(m.t("answers.via", labels=link_labels(thread.links)))])
    return line


def render_checks(result: Checks, m: Markup = HTML) -> list[str]:
    """Several pairs: one verdict line each, naming both parties, then what was left out."""
    lines = []
    for r in result.results:
        focus = r.of_kind(r.kind) if r.kind is not None else (r.threads or r.rollup)
        if r.scope:  # the asked scope's thread gave the verdict: its state follows it
            focus = tuple(sorted(focus, key=lambda th: th.scope.casefold() != r.scope.casefold()))
        # The detail after the pair says how old an announcement is; the verdict stays short.
        line = m.t("answers.pair_line", verdict=m.t(f"verdict.{r.verdict.value}"),
                   a=m.b(display_name(r.a)), b=m.b(display_name(r.b)))
        if focus:
            current = focus[0].standing.fact
            line = m.join("", [line, m.t("answers.pair_detail", kind=m.t("kind." + focus[0].kind.value),
                                         status=status_text(m, current), since=since(m, focus[0]))])
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
        # The owner is the top of the owning links: a minority stake above it owns nothing
        # ("Alipay belongs to Ant Group", and Ant Group is an Alibaba affiliate).
        weak = next((i for i, x in enumerate(result.chain) if x.relation is Relation.AFFILIATE), None)
        if weak == 0:
            head = m.t("answers.own.affiliate", child=child, parent=display_name(result.chain[0].parent))
        else:
            top = result.chain[-1 if weak is None else weak - 1].parent
            head = m.t("answers.own.chain", child=child, top=display_name(top))
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
    if note.topic:
        return m.t("answers.default_topic", asked=display_name(note.asked), topic=display_name(note.used))
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
