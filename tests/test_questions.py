"""The question table (tests/questions.py) through the core, the console and the Telegram handlers.

Each question must get its expected answer from ``Interop.decide``; the console and the Telegram
handlers (private chat, and inline mode for pairs) must show the same verdict lines.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.console import answer_line
from bot.domain import (
    CheckHint,
    CheckResult,
    Checks,
    Decision,
    KindFacts,
    Latest,
    Ownership,
    Profile,
    SearchResult,
    SmallTalk,
    Unresolved,
)
from bot.render import PLAIN, plain, render_decision
from tests import question_fixture
from tests.questions import HELD_OUT, TUNING, Expect
from tests.tg import USER, Harness, make_app, visible

_HEADLINE = re.compile(r"^(✅|🟡|🕓|⛔|❔|🏢)")


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[Harness]:
    """The bot over the question fixture, answering in English."""
    seed = question_fixture.write(tmp_path / "fixture.json")
    async with make_app(tmp_path, admin_ids={USER["id"]}, seed_path=seed) as harness:
        # The chat's language setting beats the script of the question, so Telegram answers in
        # the same words as the core and the console here (Chinese replies: tests/test_i18n.py).
        await harness.send("/language en")
        yield harness


def mismatch(decision: Decision, expect: Expect) -> str | None:
    """Why the decision is not the expected answer, or None when it is."""
    result = decision.result
    unknown = {r.query.casefold() for r in decision.unknown}
    if expect.what != "unknown" and not {u.casefold() for u in expect.unknown} <= unknown:
        return f"unknown names {sorted(unknown)} lack {expect.unknown}"
    if expect.clean and unknown:
        return f"reported as unknown: {sorted(unknown)}"
    if expect.says or expect.never:
        text = plain(render_decision(decision, PLAIN))
        missing = [word for word in expect.says if word not in text]
        if missing:
            return f"the answer does not say {missing}: {text[:120]!r}"
        first = text.split("\n", 1)[0]
        if any(word in first for word in expect.never):
            return f"the first line reads as a yes or no: {first!r}"
    match expect.what:
        case "unknown":  # each name said, nothing searched
            named = result.resolutions if isinstance(result, Unresolved) else ()
            said = {r.query.casefold() for r in named}
            if not isinstance(result, Unresolved) or not {u.casefold() for u in expect.unknown} <= said:
                return f"not the unknown names {expect.unknown}: {type(result).__name__}"
        case "pair":
            if not isinstance(result, CheckResult):
                return f"not a check: {type(result).__name__}"
            a, b, verdict = expect.pairs[0]
            if {result.a.name, result.b.name} != {a, b}:
                return f"pair {result.a.name} × {result.b.name}"
            if result.verdict.value != verdict:
                return f"verdict {result.verdict.value}"
            if expect.kind is not None and (result.kind is None or result.kind.value != expect.kind):
                return f"kind {result.kind}"
        case "pairs":
            if not isinstance(result, Checks):
                return f"not several pairs: {type(result).__name__}"
            got = {(frozenset((r.a.name, r.b.name)), r.verdict.value) for r in result.results}
            want = {(frozenset((a, b)), v) for a, b, v in expect.pairs}
            if got != want:
                return f"pairs {sorted((sorted(p), v) for p, v in got)}"
        case "owner":
            assert expect.owner is not None
            child, parent, verdict = expect.owner
            if not isinstance(result, Ownership):
                return f"not ownership: {type(result).__name__}"
            got = (result.child.name, result.parent.name if result.parent else None, result.verdict.value)
            if got != (child, parent, verdict):
                return f"ownership {got}"
        case "help" | "latest":
            wanted = SmallTalk if expect.what == "help" else Latest
            if not isinstance(result, wanted):
                return f"not {expect.what}: {type(result).__name__}"
        case "suggest":
            offered = result if isinstance(result, Unresolved) else decision.suggest
            if offered is None or not any(r.candidates for r in offered.resolutions):
                return f"not a suggestion: {type(result).__name__}"
        case "search":
            if not isinstance(result, SearchResult | Unresolved):
                return f"answered as {type(result).__name__}"
        case "hint":
            single = result.single if isinstance(result, CheckHint) else None
            if single is None or single.name != expect.name:
                return f"not the one-name hint: {result}"
        case "kind":
            if not isinstance(result, KindFacts) or result.company.name != expect.name \
                    or result.kind.value != expect.kind:
                return f"not {expect.name}'s {expect.kind}: {type(result).__name__}"
        case "profile":
            if not isinstance(result, Profile) or result.company.name != expect.name:
                return f"not {expect.name}'s profile: {type(result).__name__}"
    return None


def headlines(text: str) -> list[str]:
    """The verdict lines of an answer: what every adapter must show alike."""
    return [line.strip() for line in text.split("\n") if _HEADLINE.match(line.strip())]


def _mode(question: str) -> tuple[str, str]:
    command, _, args = question.partition(" ")
    if command in ("/check", "/company"):
        return command[1:], args
    return "ask", question


async def _run(world: Harness, table: list[tuple[str, Expect]]) -> list[str]:
    interop = world.interop
    failures: list[str] = []
    for question, expect in table:
        mode, text = _mode(question)
        decision = await interop.decide(text, mode)
        why = mismatch(decision, expect)
        core = headlines(plain(render_decision(decision, PLAIN)))
        if why is None and headlines(await answer_line(interop, question)) != core:
            why = "console differs from the core"
        if why is None:
            calls = [c for c in await world.send(question) if c.method == "sendMessage"]
            if len(calls) != 1 or headlines(visible(calls[0])) != core:
                why = f"Telegram differs from the core: {[visible(c)[:80] for c in calls]}"
        if why is None and mode == "ask" and expect.what in ("pair", "pairs"):
            calls = [c for c in await world.inline(question) if c.method == "answerInlineQuery"]
            ids = {r["id"] for r in calls[0].params["results"]} if calls else set()
            results = decision.result.results if isinstance(decision.result, Checks) else (decision.result,)
            for r in results:
                assert isinstance(r, CheckResult)
                if f"ck:{r.a.id}:{r.b.id}" not in ids:
                    why = f"inline lacks {r.a.name} × {r.b.name}: {sorted(ids)}"
        if why is None and mode == "ask" and decision.unknown:  # inline says them first, as /check
            calls = [c for c in await world.inline(question) if c.method == "answerInlineQuery"]
            first = calls[0].params["results"][0] if calls and calls[0].params["results"] else {}
            title = f"{first.get('title', '')} {first.get('description', '')}".casefold()
            if not all(r.query.casefold() in title for r in decision.unknown):
                why = f"inline's first result does not name {[r.query for r in decision.unknown]}: {title!r}"
        if why is not None:
            failures.append(f"{question!r}: {why}")
    return failures


def _report(name: str, table: list[tuple[str, Expect]], failures: list[str]) -> None:
    rate = 100 * (len(table) - len(failures)) / len(table)
    print(f"\n{name}: {len(table) - len(failures)}/{len(table)} ({rate:.1f}%)")
    assert not failures, "\n".join(failures)


def test_the_table_is_big_and_varied() -> None:
    table = TUNING + HELD_OUT
    assert len(table) >= 300 and len(HELD_OUT) >= 150
    assert not {q for q, _ in TUNING} & {q for q, _ in HELD_OUT}
    text = " ".join(q for q, _ in table)
    for needle in ("京東", "支付寶", "淘寶", "騰訊", "weixin zhifu", "jingdong wuliu", "最新", "你好"):
        assert needle in text, needle
    kinds = {e.what for _, e in table}
    assert {"pair", "pairs", "owner", "help", "latest", "suggest", "hint", "kind", "profile"} <= kinds
    assert sum(1 for _, e in table if e.pairs and e.pairs[0][2] == "no_record") >= 20  # negatives
    assert sum(1 for _, e in table if e.unknown) >= 5


async def test_tuning_half(world: Harness) -> None:
    _report("tuning", TUNING, await _run(world, TUNING))


async def test_held_out_half(world: Harness) -> None:
    _report("held-out", HELD_OUT, await _run(world, HELD_OUT))
