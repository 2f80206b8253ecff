"""Escaping exactly once, in every adapter path: a company called AT&T <Corp> "Q" and a summary full
of markup characters reach the user as typed, never as "&amp;", never as broken HTML.

The harness validates every call's HTML the way Telegram parses it (tests/fakebot), so a missing
escape fails the call; ``visible`` shows what the user reads, so a double escape shows up as "&amp;".
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.texts import t
from tests.tg import ADMIN, Call, Harness, make_app, visible

pytestmark = pytest.mark.filterwarnings("ignore:Ignoring `conversation_timeout`")

NAME = 'AT&T <Corp> "Q"'
SUMMARY = 'Pays & <b>ships</b> "fast" at AT&T.'
TITLE = "T&C <x>"


def texts(calls: list[Call]) -> list[str]:
    return [visible(c) for c in calls if c.method in {"sendMessage", "editMessageText"}]


def assert_once(seen: str) -> None:
    assert "&amp;" not in seen and "&lt;" not in seen and "&quot;" not in seen and "&#" not in seen, seen


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with make_app(tmp_path, admin_ids={ADMIN["id"]}) as harness:
        harness.user = dict(ADMIN)
        [added] = texts(await harness.send(f"/addcompany {NAME}"))
        assert NAME in added, added
        [saved] = texts(await harness.send(
            f"/addfact {NAME} | Alipay | payments | live | 2025-01 | {SUMMARY} | "
            f"https://example.com/att?a=1&b=2 | {TITLE}"))
        assert NAME in saved and SUMMARY in saved and TITLE in saved, saved  # the admin card
        assert_once(saved)
        [aliased] = texts(await harness.send(f"/alias {NAME} | attcorp"))
        assert NAME in aliased, aliased
        harness.rec.clear()
        yield harness


async def test_check_company_and_hint_show_the_name_as_typed(h: Harness) -> None:
    company = h.interop.resolve(NAME).company
    assert company is not None and company.name == NAME
    [check] = texts(await h.send(f"/check {NAME} | alipay"))
    assert NAME in check and SUMMARY in check and "Alipay" in check, check
    [profile] = texts(await h.send(f"/company {NAME}"))
    assert NAME in profile and SUMMARY in profile, profile
    [hint] = texts(await h.send("/check attcorp"))  # one name: the hint names it, escaped once
    assert hint.startswith(f"Check {NAME} with what?"), hint
    for seen in (check, profile, hint):
        assert_once(seen)


async def test_inline_results_show_the_name_as_typed(h: Harness) -> None:
    [answer] = await h.inline("AT&T alipay")
    results = answer.params["results"]
    assert results
    from tests.fakebot.html_check import parse_telegram_html

    shown = [parse_telegram_html(r["input_message_content"]["message_text"])[0] for r in results]
    assert any(NAME in s and SUMMARY in s for s in shown), shown
    for s in shown:
        assert_once(s)
    assert any(NAME in r["title"] or NAME in r.get("description", "") for r in results)


async def test_history_and_form_show_names_and_kinds_as_typed(h: Harness) -> None:
    company = h.interop.resolve(NAME).company
    assert company is not None
    [fact] = await h.interop.store.facts_involving([company.id])
    [history] = texts(await h.send(f"/history {fact.id}"))
    assert NAME in history and SUMMARY in history, history
    assert_once(history)
    await h.send("/addfact")
    [step2] = texts(await h.send(NAME))
    assert NAME in step2 and "Step 2/8" in step2, step2
    assert_once(step2)
    [kinds] = [c for c in await h.send("Alipay") if c.method == "sendMessage"]
    labels = [label for label, _ in kinds.buttons]
    assert t("kind.shopping/links") in labels  # "🔗 Shopping & links", not "Shopping &amp; links"
    assert not any("&amp;" in label for label in labels)


async def test_follows_and_reports_show_the_name_as_typed(h: Harness) -> None:
    """A follow notification, /following, the admins' report message and /reports: escaped once."""
    from bot.telegram.follow import deliver
    from tests.tg import USER

    [followed] = texts(await h.send(f"/follow {NAME}"))
    assert NAME in followed, followed
    [listing] = texts(await h.send("/following"))
    assert f"• {NAME}" in listing, listing
    [added] = texts(await h.send(f"/addfact {NAME} | WeChat Pay | payments | live | 2025-02 | {SUMMARY} | "
                 f"https://example.com/att-wechat | {TITLE}"))
    assert SUMMARY in added, added
    start = len(h.rec.calls)
    await deliver(h.app.bot, h.interop)
    [notice] = texts([c for c in h.rec.calls[start:] if c.chat_id == ADMIN["id"]])
    assert NAME in notice and SUMMARY in notice and "WeChat Pay" in notice, notice

    [check] = [c for c in await h.send(f"/check {NAME} | alipay", user=USER)
               if c.method == "sendMessage"]
    [prompt] = [c for c in await h.press(check, t("feedback.button.report"), user=USER)
                if c.method == "sendMessage"]
    assert NAME in visible(prompt), visible(prompt)
    calls = await h.send(f"{NAME} & <i>co</i> is wrong", user=USER, reply_to=prompt)
    [to_admin] = texts([c for c in calls if c.chat_id == ADMIN["id"]])
    assert f"{NAME} × Alipay" in to_admin and f"{NAME} & <i>co</i> is wrong" in to_admin, to_admin
    [queue] = texts(await h.send("/reports"))
    assert f"{NAME} × Alipay" in queue and f"{NAME} & <i>co</i> is wrong" in queue, queue
    for seen in (followed, listing, notice, visible(prompt), to_admin, queue):
        assert_once(seen)
