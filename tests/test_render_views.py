"""Renderings that used to be written in the adapters: follow digests, the /reports queue, and
admin replies, which the console and Telegram now take from the same render functions."""

from __future__ import annotations

from bot.domain import Company, Fact, FactChange, FactView, Kind, Report, Source, Status, Suggestion
from bot.render import (
    HTML,
    PLAIN,
    render_admin_change,
    render_alias,
    render_company_added,
    render_fact_reply,
    render_messages,
    render_queue,
    render_report,
    render_suggestion,
    visible_len,
    visible_text,
)
from tests.fakebot.html_check import check_telegram_html

EVIL = Company(id=1, name="<b>Evil</b> & Co", kind="payments")
ALI = Company(id=2, name="Alipay", kind="payments")
HOSTILE = "<a href='x'>AT&T</a> & <i>"


def fact(i: int, *, sources: tuple[Source, ...] = (), status: Status = Status.LIVE) -> Fact:
    return Fact(id=i, subject_id=1, object_id=2, kind=Kind.PAYMENTS, status=status, date="2024-10",
                summary=f"{HOSTILE} fact {i}", sources=sources)


def escaped_once(html: str) -> None:
    check_telegram_html(html)
    assert "&amp;amp;" not in html and "&amp;lt;" not in html
    assert "<b>Evil</b>" not in html  # a stored name never becomes markup


def test_a_follow_digest_lists_each_change_with_its_source_escaped_once() -> None:
    source = Source("https://example.com/a?x=1&y=2", "T", "SCMP & Co")
    facts = [fact(i, sources=(source,)) for i in range(1, 4)]
    changes = [(FactChange("add" if f.id % 2 else "edit", f, Status.ANNOUNCED, row_id=f.id),
                FactView(f, EVIL, ALI))
               for f in facts]
    messages = render_messages(changes)
    assert len(messages) == 1
    text, held = messages[0]
    escaped_once(text)
    assert [c.row_id for c in held] == [1, 2, 3]
    shown = visible_text(text)
    assert shown.startswith("🔔 3 changes to what this chat follows:")
    assert shown.count("<b>Evil</b> & Co") == 3 and shown.count("SCMP & Co") == 3
    assert "(new)" in shown
    plain = render_messages(changes, m=PLAIN)[0][0]
    assert plain == shown.replace("SCMP & Co", "SCMP & Co <https://example.com/a?x=1&y=2>")


def test_a_long_digest_is_split_into_messages_that_each_settle_what_they_list() -> None:
    changes = [(FactChange("add", fact(i), None, row_id=i), FactView(fact(i), EVIL, ALI))
               for i in range(1, 26)]
    messages = render_messages(changes, total=40, budget=600)
    assert len(messages) > 1
    for text, _ in messages:
        escaped_once(text)
        assert visible_len(text) <= 600
    assert [c.row_id for _, held in messages for c in held] == list(range(1, 26))
    assert visible_text(messages[-1][0]).endswith("…and 15 more. /recent shows the latest.")


def test_a_report_queue_page_shows_what_fits_and_says_more_wait() -> None:
    reports = [Report(i, 1, 2, -100, 7, f"{HOSTILE} " + "wrong " * 60, "open", "2026-12-01T10:00:00")
               for i in range(1, 9)]
    cards = [render_report(r, EVIL, ALI, f"https://t.me/bot?start=check_1_2&x={r.id}") for r in reports]
    cards.append(render_suggestion(Suggestion(9, -100, 7, f"{HOSTILE} | Alipay", "open", "", None,
                                              "2026-12-01T11:00:00")))
    page, shown = render_queue(cards, waiting=11, budget=1500)
    escaped_once(page)
    assert 1 <= shown < len(cards)
    seen = visible_text(page)
    assert seen.startswith("Waiting for an admin, newest first:")
    assert seen.count("⚠️ Report #") == shown
    assert "about <b>Evil</b> & Co × Alipay" in seen and HOSTILE in seen
    assert seen.endswith("…and more; deal with these first.")
    everything, all_shown = render_queue(cards, waiting=len(cards), budget=100_000)
    assert all_shown == len(cards) and "and more" not in everything
    assert "💡 Suggestion #9" in everything
    assert "<code>&lt;a href='x'&gt;AT&amp;T&lt;/a&gt; &amp; &lt;i&gt; | Alipay</code>" in str(everything)
    assert render_queue([], waiting=0) == (HTML.t("feedback.queue_empty"), 0)


def test_admin_replies_read_the_same_in_the_console_and_in_telegram() -> None:
    """The console prints the plain flavour of the very reply Telegram sends as HTML."""
    view = FactView(fact(12, status=Status.PARTIAL), EVIL, ALI)
    group = Company(id=3, name="Ant & <Group>")
    replies = [
        lambda m: render_fact_reply("edited", view, m, field="status"),
        lambda m: render_fact_reply("fact_saved", view, m),
        lambda m: render_company_added(EVIL, group, m),
        lambda m: render_alias(EVIL, HOSTILE, m, added=True),
        lambda m: render_admin_change(42, m, granted=False, changed=True),
    ]
    for reply in replies:
        html, plain = reply(HTML), reply(PLAIN)
        escaped_once(html)
        assert visible_text(html) == plain
    edited = replies[0](PLAIN)
    assert edited.startswith("✅ Fact #12: status changed. It now reads:\n\n#12 <b>Evil</b> & Co")
    assert replies[2](PLAIN).endswith("Part of Ant & <Group>.")
