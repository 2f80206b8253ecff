"""Rendering: verdict lines, date precision, escaping of hostile text, pagination limits."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import (
    CheckResult,
    Checks,
    Company,
    Fact,
    FactView,
    Kind,
    Profile,
    Source,
    Status,
    Thread,
    Verdict,
)
from bot.render import (
    HTML,
    PLAIN,
    TELEGRAM_LIMIT,
    human_date,
    paginate,
    render_check,
    render_checks,
    render_profile,
    visible_len,
)
from tests.fakebot.html_check import check_telegram_html

EVIL = Company(id=1, name="<b>Evil</b> & Co", kind="<i>x")
ALI = Company(id=2, name="Alipay", kind="payments")


def fact(i: int, status: Status = Status.LIVE, date: str = "2024-10", summary: str = "s",
         sources: tuple[Source, ...] = (Source("https://example.com/a?x=1&y=\"2\"", "T", "SCMP, by X"),)
         ) -> Fact:
    return Fact(id=i, subject_id=1, object_id=2, kind=Kind.PAYMENTS, status=status, date=date,
                summary=summary, sources=sources)


def check_result(*facts: Fact) -> CheckResult:
    views = tuple(FactView(f, EVIL, ALI) for f in facts)
    thread = Thread(EVIL, ALI, Kind.PAYMENTS, views)
    return CheckResult(EVIL, ALI, Verdict(facts[-1].status.value), (thread,))


@pytest.mark.parametrize(("raw", "shown"), [
    ("2024", "2024"), ("2024-10", "Oct 2024"), ("2025-01-07", "7 Jan 2025"), ("", "date unknown"),
])
def test_dates_keep_their_precision(raw: str, shown: str) -> None:
    assert human_date(raw) == shown


def test_check_leads_with_verdict_then_history_newest_first() -> None:
    blocks = render_check(check_result(fact(1, Status.ENDED, "2011"), fact(2, Status.PARTIAL, "2025-01-07")))
    assert blocks[0].startswith("🟡 Partly")
    thread = blocks[1]
    assert thread.index("7 Jan 2025") < thread.index("2011")
    assert "🟡 partial since 7 Jan 2025" in thread


def test_no_record_is_not_ended() -> None:
    empty = CheckResult(EVIL, ALI, Verdict.NO_RECORD)
    text = render_check(empty, PLAIN)[0]
    assert text.startswith("❔ No record between <b>Evil</b> & Co and Alipay")
    assert "not the same as “ended”" in text


def test_hostile_text_is_escaped_and_parses_as_telegram_html() -> None:
    hostile = fact(1, summary="<script>alert(1)</script> & co &amp; </b>",
                   sources=(Source('https://e.com/"><script>', "<t>", "<pub>"),))
    for block in render_check(check_result(hostile)):
        check_telegram_html(block)
    text = "\n\n".join(render_check(check_result(hostile)))
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co &amp;amp; &lt;/b&gt;" in text
    assert "&lt;b&gt;Evil&lt;/b&gt; &amp; Co" in text
    assert 'href="https://e.com/&quot;&gt;&lt;script&gt;"' in text
    assert "<script>" not in text


def test_plain_text_has_no_markup_and_shows_urls() -> None:
    text = "\n".join(render_check(check_result(fact(1))), )
    plain_text = "\n".join(render_check(check_result(fact(1)), PLAIN))
    assert "<a href" in text
    assert "<a href" not in plain_text and "SCMP <https://example.com/a?x=1&y=\"2\">" in plain_text


def test_profile_groups_by_kind_and_names_the_family() -> None:
    parent = Company(id=9, name="Ant Group")
    views = tuple(FactView(fact(i, date=f"20{10 + i}"), EVIL, ALI) for i in range(3))
    blocks = render_profile(Profile(ALI, parent, (), (EVIL,), views), PLAIN)
    assert "Part of Ant Group" in blocks[0] and "Sister companies: <b>Evil</b> & Co" in blocks[0]
    assert blocks[1] == "💳 Payments"
    assert len(blocks) == 5


def test_pagination_never_exceeds_the_limit_and_loses_nothing() -> None:
    many = tuple(fact(i, date=f"{2000 + i % 25}", summary=f"fact {i} " + "& <x> " * 150) for i in range(60))
    views = tuple(FactView(f, EVIL, ALI) for f in many)
    blocks = render_profile(Profile(EVIL, None, (), (), views))
    pages = paginate(blocks)
    assert len(pages) > 1
    for page in pages:
        assert visible_len(page) <= 3500 < TELEGRAM_LIMIT
        check_telegram_html(page)
    joined = "\n\n".join(pages)
    assert all(f"fact {i} " in joined for i in range(60))


@settings(max_examples=200, deadline=None)
@given(summary=st.text(max_size=1000), name=st.text(min_size=1, max_size=60),
       url_tail=st.text(max_size=50))
def test_any_stored_text_renders_to_valid_html(summary: str, name: str, url_tail: str) -> None:
    company = Company(id=1, name=name)
    f = fact(1, summary=summary, sources=(Source("https://example.com/" + url_tail, name, name),))
    view = FactView(f, company, ALI)
    result = CheckResult(company, ALI, Verdict.LIVE, (Thread(company, ALI, Kind.PAYMENTS, (view,)),))
    profile = Profile(company, None, (), (), (view,))
    for page in paginate(render_check(result)) + paginate(render_profile(profile)):
        check_telegram_html(page)
        assert visible_len(page) <= 3500


def test_oversized_single_line_is_cut_without_breaking_markup() -> None:
    line = HTML.b("x") + HTML.text("& " * 5000)
    pages = paginate([line], budget=1000)
    assert len(pages) >= 10
    for page in pages:
        check_telegram_html(page)
        assert visible_len(page) <= 1000


def test_check_hint_escapes_stored_names_and_names_the_partner() -> None:
    from bot.domain import CheckHint
    from bot.render import render_check_hint

    same = render_check_hint(CheckHint(same=EVIL))
    check_telegram_html(same)
    assert "&lt;b&gt;Evil&lt;/b&gt; &amp; Co" in same and "<b>" not in same
    one = render_check_hint(CheckHint(single=EVIL, partner=ALI))
    check_telegram_html(one)
    assert "/check &lt;b&gt;Evil&lt;/b&gt; &amp; Co, Alipay" in one
    assert render_check_hint(CheckHint(single=ALI), PLAIN).startswith("Check Alipay with what?")
    assert render_check_hint(CheckHint(), PLAIN).startswith("Tell me two names")


def test_emoji_pages_fit_telegram_in_utf16_units() -> None:
    """Telegram counts UTF-16 code units: 2809 emoji-heavy characters can be 5510 units.
    Every page must fit in those units, a cut line never splits a surrogate pair."""
    from bot.render import utf16_len

    blocks = [f"🟡 <b>{i}</b> " + "🕓✅⛔" * 40 for i in range(60)] + ["🟡" * 5000]
    pages = paginate(blocks)
    assert len(pages) > 1
    for page in pages:
        assert visible_len(page) <= 3500 and utf16_len(page) <= TELEGRAM_LIMIT
    seen = "".join(page for page in pages)
    assert seen.count("🟡") == 60 + 5000  # nothing lost, no emoji cut in half


def test_pages_without_lookahead_render_page_one_and_the_block_that_did_not_fit() -> None:
    """An inline article sends page 1 and asks only whether there is more: a profile small
    enough to be rendered whole for an exact count is rendered no further than that."""
    from bot.render import Pages, iter_profile, profile_blocks_estimate

    facts = tuple(fact(i, date=f"{2000 + i % 25}", summary=f"fact {i} " + "word " * 60) for i in range(40))
    profile = Profile(EVIL, None, (), (), tuple(FactView(f, EVIL, ALI) for f in facts))
    expected = paginate(render_profile(profile))
    assert len(expected) > 2

    def counted(into: list[int]) -> Iterator[str]:
        for block in iter_profile(profile):
            into.append(1)
            yield block

    whole: list[int] = []
    pages = Pages(counted(whole), expected=profile_blocks_estimate(profile))
    assert pages.page(1) == expected[0] and len(whole) == len(render_profile(profile))
    first: list[int] = []
    inline = Pages(counted(first), lookahead=0)
    assert inline.page(1) == expected[0]
    on_page_one = expected[0].count("\n\n") + 1
    assert len(first) == on_page_one + 1  # page 1's blocks, and the one that starts page 2
    assert inline.count(1)[0] > 1


def test_pages_render_only_what_the_asked_page_needs_and_match_paginate(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A company with thousands of facts: page k renders the blocks up to its end (and a
    lookahead), the count is an estimate until the end, and every page equals paginate's."""
    from bot.render import Pages, iter_profile, profile_blocks_estimate
    from bot.render import pages as paging

    monkeypatch.setattr(paging, "LOOKAHEAD_BLOCKS", 5)
    many = tuple(fact(i, date=f"{2000 + i % 25}", summary=f"fact {i} " + "word " * 60) for i in range(300))
    profile = Profile(EVIL, None, (), (), tuple(FactView(f, EVIL, ALI) for f in many))
    rendered: list[int] = []

    def counted() -> Iterator[str]:
        for block in iter_profile(profile):
            rendered.append(1)
            yield block

    expected = paginate(render_profile(profile))
    pages = Pages(counted(), expected=profile_blocks_estimate(profile))
    assert pages.page(1) == expected[0]
    assert len(rendered) < 40  # page 1 and the lookahead, not 300 facts
    count, exact = pages.count(1)
    assert not exact and abs(count - len(expected)) <= len(expected) // 4  # a rough estimate
    assert pages.page(3) == expected[2]
    assert pages.count(len(expected)) == (len(expected), True)
    assert [pages.page(n) for n in range(1, len(expected) + 1)] == expected
    assert len(rendered) == len(render_profile(profile))  # each block rendered once


def test_a_pair_line_among_several_shows_the_asked_scope_threads_state() -> None:
    """The verdict came from the asked scope's thread, so the state after it must be that thread's."""
    live = replace(fact(1, Status.LIVE, "2022-06-29"), scope="shopping entry")
    partial = replace(fact(2, Status.PARTIAL, "2025-09-30"), scope="Discover shopping entry")
    threads = tuple(Thread(EVIL, ALI, Kind.PAYMENTS, (FactView(f, EVIL, ALI),)) for f in (live, partial))
    asked = CheckResult(EVIL, ALI, Verdict.PARTIAL, threads, kind=Kind.PAYMENTS,
                        scope="Discover shopping entry")
    line = render_checks(Checks((asked, asked), Kind.PAYMENTS, 0), PLAIN)[0].split("\n")[0]
    assert "partial since 30 Sep 2025" in line and "live" not in line
