"""Reader feedback: the ⚠️ Report flow, /suggest and the admin queue (/reports with its buttons),
/misses, /privacy and /forgetme, with rights and refusals."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.feedback import MAX_FEEDBACK, PER_HOUR
from bot.follows import Follows
from bot.texts import t
from tests.tg import ADMIN, GROUP, OTHER, SEED_PATH, USER, Call, Harness, make_app, only, visible

LINE = ("Meituan | WeChat Pay | payments | live | 2025-03 | Meituan & co take WeChat Pay. | "
        "https://example.com/meituan-wechat | Meituan news")


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with make_app(tmp_path, admin_ids={ADMIN["id"]}) as harness:
        harness.rec.clear()
        yield harness


def rows(h: Harness, sql: str) -> list[Any]:
    with sqlite3.connect(h.settings.database_path) as db:
        return db.execute(sql).fetchall()


def sends(calls: list[Call], chat_id: int | None = None) -> list[Call]:
    return [c for c in calls if c.method == "sendMessage" and (chat_id is None or c.chat_id == chat_id)]


def toast(calls: list[Call]) -> str | None:
    [answer] = [c for c in calls if c.method == "answerCallbackQuery"]
    return answer.params.get("text")


async def report(h: Harness, text: str, *, user: dict[str, Any] = USER,
                 chat: dict[str, Any] | None = None) -> list[Call]:
    answer = sends(await h.send("/check meituan alipay", user=user, chat=chat))[0]
    prompt = sends(await h.press(answer, t("feedback.button.report"), user=user))[0]
    assert prompt.params["reply_markup"]["force_reply"] is True
    return await h.send(text, user=user, chat=chat, reply_to=prompt)


# -- reports --------------------------------------------------------------------------------------


async def test_a_report_is_stored_thanked_and_sent_to_the_admins(h: Harness) -> None:
    calls = await report(h, "The <date> is wrong & the link is dead.")
    [thanks] = sends(calls, USER["id"])
    assert visible(thanks) == t("feedback.thanks_report", id=1)
    [to_admin] = sends(calls, ADMIN["id"])
    assert "The <date> is wrong & the link is dead." in visible(to_admin)
    assert "Meituan × Alipay" in visible(to_admin)
    assert "start=check_" in to_admin.text  # a link that opens the answer
    [(_, _, chat, user, text, status)] = rows(
        h, "SELECT subject_id, object_id, chat_id, user_id, text, status FROM report")
    assert (chat, user, status) == (USER["id"], USER["id"], "open") and text.startswith("The <date>")


async def test_an_unrelated_reply_is_not_taken_for_a_report(h: Harness) -> None:
    answer = sends(await h.send("/check meituan alipay"))[0]
    calls = await h.send("meituan alipay", reply_to=answer)
    assert rows(h, "SELECT count(*) FROM report") == [(0,)]
    assert "Meituan" in visible(sends(calls)[0])  # answered as a question, as before


async def test_reports_in_groups_work_for_anyone(h: Harness) -> None:
    calls = await report(h, "Wrong status.", user=OTHER, chat=GROUP)
    assert visible(sends(calls, GROUP["id"])[0]) == t("feedback.thanks_report", id=1)
    assert rows(h, "SELECT chat_id, user_id FROM report") == [(GROUP["id"], OTHER["id"])]


async def test_too_long_reports_and_too_many_reports_are_refused(h: Harness) -> None:
    calls = await report(h, "x" * (MAX_FEEDBACK + 1))
    assert visible(sends(calls)[0]) == t("feedback.too_long", n=MAX_FEEDBACK + 1, max=MAX_FEEDBACK)
    for i in range(PER_HOUR):
        await report(h, f"Problem {i}")
    calls = await report(h, "One more")
    assert visible(sends(calls)[0]) == t("feedback.rate_report", n=PER_HOUR)
    assert rows(h, "SELECT count(*) FROM report") == [(PER_HOUR,)]


async def test_reports_queue_resolve_and_dismiss_are_audited_and_rechecked(h: Harness) -> None:
    await report(h, "First problem")
    await report(h, "Second problem")
    assert visible(only(await h.send("/reports"))) == t("feedback.admins_only")
    queue = only(await h.send("/reports", user=ADMIN))
    text = visible(queue)
    assert text.index("Second problem") < text.index("First problem")  # newest first
    assert (t("feedback.button.resolve", id=2), "q:res:2") in queue.buttons
    assert toast(await h.press(queue, t("feedback.button.resolve", id=2), user=OTHER)) == t(
        "admin.button_refused")
    assert rows(h, "SELECT status FROM report ORDER BY id") == [("open",), ("open",)]
    calls = await h.press(queue, t("feedback.button.resolve", id=2), user=ADMIN)
    assert toast(calls) == t("feedback.resolved", id=2)
    await h.press(queue, t("feedback.button.dismiss", id=1), user=ADMIN)
    assert rows(h, "SELECT status FROM report ORDER BY id") == [("dismissed",), ("resolved",)]
    assert rows(h, "SELECT action, entity, entity_id FROM audit WHERE entity = 'report' ORDER BY id") == [
        ("resolve", "report", 2), ("dismiss", "report", 1)]
    assert visible(only(await h.send("/reports", user=ADMIN))) == t("feedback.queue_empty")


# -- suggestions ----------------------------------------------------------------------------------


async def test_a_suggestion_waits_and_accept_writes_it_through_the_write_path(h: Harness) -> None:
    facts = rows(h, "SELECT count(*) FROM fact")
    calls = await h.send(f"/suggest {LINE}")
    assert visible(sends(calls, USER["id"])[0]) == t("feedback.thanks_suggestion", id=1)
    assert sends(calls, ADMIN["id"])  # admins hear about it
    assert rows(h, "SELECT count(*) FROM fact") == facts  # nothing written yet
    queue = only(await h.send("/reports", user=ADMIN))
    assert "Meituan &amp; co take WeChat Pay." in queue.text
    calls = await h.press(queue, t("feedback.button.accept", id=1), user=ADMIN)
    [(fact_id, actor)] = rows(h, "SELECT id, created_by FROM fact WHERE summary LIKE 'Meituan & co%'")
    assert toast(calls) == t("feedback.accepted", id=1, fact=fact_id)
    assert "suggested by a user" in actor and actor.startswith(f"tg:{ADMIN['id']}")
    assert visible(sends(calls, USER["id"])[0]) == t("feedback.accepted_user", id=1, fact=fact_id)
    answer = only(await h.send("/check meituan wechat pay", user=OTHER))
    assert "Meituan &amp; co take WeChat Pay." in answer.text  # visible to everyone
    assert rows(h, "SELECT status, fact_id FROM suggestion") == [("accepted", fact_id)]


@pytest.mark.parametrize(("line", "expected"), [
    (LINE.replace("https://example.com/meituan-wechat", "javascript:alert(1)"),
     "Source URL must start with http:// or https://."),
    (LINE.replace("https://example.com/meituan-wechat", ""), "The source URL is empty."),
    (LINE.replace("Meituan |", "Zorblaxq |", 1), "Subject “Zorblaxq” is not a known company."),
    (LINE.replace("take WeChat Pay.", "x" * MAX_FEEDBACK), "please keep it to"),
])
async def test_bad_suggestions_are_refused_with_the_reason(h: Harness, line: str, expected: str) -> None:
    reply = only(await h.send(f"/suggest {line}"))
    assert expected in visible(reply)
    assert rows(h, "SELECT count(*) FROM suggestion") == [(0,)]


async def test_suggestions_are_rate_limited(h: Harness) -> None:
    for i in range(PER_HOUR):
        await h.send(f"/suggest {LINE.replace('2025-03', f'2025-0{i + 1}')}")
    reply = sends(await h.send(f"/suggest {LINE}"))[0]
    assert t("feedback.rate_suggestion", n=PER_HOUR) in visible(reply)


async def test_guided_suggest_takes_the_line_as_a_reply(h: Harness) -> None:
    prompt = only(await h.send("/suggest"))
    assert prompt.params["reply_markup"]["force_reply"] is True
    calls = await h.send(LINE, reply_to=prompt)
    assert visible(sends(calls, USER["id"])[0]) == t("feedback.thanks_suggestion", id=1)


async def test_edit_then_accept_and_reject_with_a_reason(h: Harness) -> None:
    await h.send(f"/suggest {LINE}")
    await h.send(f"/suggest {LINE.replace('live', 'announced')}", user=OTHER)
    queue = only(await h.send("/reports", user=ADMIN))
    prompt = sends(await h.press(queue, t("feedback.button.edit", id=1), user=ADMIN))[0]
    assert "Meituan &amp; co" in prompt.text
    fixed = LINE.replace("2025-03", "2025-04")
    refused = await h.send(fixed, user=OTHER, reply_to=prompt)  # not their question
    assert rows(h, "SELECT status FROM suggestion WHERE id = 1") == [("open",)]
    assert "Meituan" in visible(sends(refused)[0])
    calls = await h.send(fixed, user=ADMIN, reply_to=prompt)
    assert rows(h, "SELECT status, line FROM suggestion WHERE id = 1") == [("accepted", fixed)]
    assert rows(h, "SELECT date FROM fact WHERE summary LIKE 'Meituan & co%'") == [("2025-04",)]
    assert sends(calls, USER["id"])
    prompt = sends(await h.press(queue, t("feedback.button.reject", id=2), user=ADMIN))[0]
    calls = await h.send("No source says it was announced.", user=ADMIN, reply_to=prompt)
    assert visible(sends(calls, OTHER["id"])[0]) == t(
        "feedback.rejected_user", id=2, reason="No source says it was announced.")
    assert rows(h, "SELECT status, reason FROM suggestion WHERE id = 2") == [
        ("rejected", "No source says it was announced.")]
    assert rows(h, "SELECT action FROM audit WHERE entity = 'suggestion' ORDER BY id") == [
        ("accept",), ("reject",)]
    again = await h.press(queue, t("feedback.button.accept", id=2), user=ADMIN)
    assert toast(again) == "Suggestion #2 was already rejected by @owner."


# -- misses ---------------------------------------------------------------------------------------


async def test_misses_count_unknown_names_and_no_record_pairs_without_who(h: Harness) -> None:
    await h.send("/check zorblaxq alipay")
    await h.send("/check Zorblaxq  alipay", user=OTHER)
    await h.send("/check weibo pinduoduo")
    refused = only(await h.send("/misses", user=OTHER))
    assert visible(refused) == t("feedback.admins_only")
    text = visible(only(await h.send("/misses", user=ADMIN)))
    names = text[text.index(t("feedback.misses_names")):text.index(t("feedback.misses_pairs"))]
    assert "• zorblaxq — 2" in names
    stored = rows(h, "SELECT * FROM miss_daily")
    assert all(str(USER["id"]) not in str(r) and str(OTHER["id"]) not in str(r) for r in stored)


async def test_each_service_keeps_its_own_miss_counts(tmp_path: Path) -> None:
    """Misses belong to one Interop, not to the process: a second bot (or test) starts at zero."""
    from bot.startup import open_interop

    first = await open_interop(tmp_path / "one.sqlite3", seed=SEED_PATH)
    second = await open_interop(tmp_path / "two.sqlite3", seed=SEED_PATH)
    try:
        await first.decide("zorblaxq alipay", "check")
        assert [key[1:] for key in first.misses.counts] == [("name", "zorblaxq")]
        assert second.misses.counts == {}
        await second.decide("qxalbroz alipay", "check")
        assert [key[2] for key in second.misses.counts] == ["qxalbroz"]
        assert [key[2] for key in first.misses.counts] == ["zorblaxq"]
    finally:
        await first.close()
        await second.close()


async def test_no_record_pairs_are_counted(h: Harness) -> None:
    companies = [c for c in await h.interop.store.companies() if " " not in c.name][:12]
    pair = None
    for a in companies:
        for b in companies:
            if a.id != b.id and pair is None:
                result = await h.interop.check(a, b)
                if result.verdict.value == "no_record":
                    pair = (a.name, b.name)
    assert pair is not None
    await h.send(f"/check {pair[0]} {pair[1]}")
    await h.send(f"/check {pair[1]} {pair[0]}")
    text = visible(only(await h.send("/misses", user=ADMIN)))
    first, second = sorted(pair, key=str.casefold)
    assert f"• {first.casefold()} × {second.casefold()} — 2" in text


# -- privacy --------------------------------------------------------------------------------------


async def test_privacy_and_forgetme(h: Harness) -> None:
    assert visible(only(await h.send("/privacy"))) == t("feedback.privacy")
    await h.send("/follow meituan")
    await report(h, "Wrong.")
    await h.send(f"/suggest {LINE}")
    await h.send("/follow alipay", user=OTHER)
    reply = only(await h.send("/forgetme"))
    assert visible(reply) == t("feedback.forgotten", follows=1, reports=2)
    assert rows(h, "SELECT count(*) FROM report") == [(0,)]
    assert rows(h, "SELECT count(*) FROM suggestion") == [(0,)]
    assert await Follows(h.interop.store).following(USER["id"]) == []
    assert len(await Follows(h.interop.store).following(OTHER["id"])) == 1


async def test_a_long_queue_fits_one_message(h: Harness) -> None:
    users = [{"id": 2000 + i, "is_bot": False, "first_name": f"U{i}"} for i in range(10)]
    for user in users:
        await report(h, f"<{user['id']}> " + "long & detailed " * 60, user=user)
    queue = only(await h.send("/reports", user=ADMIN))
    assert len(visible(queue)) <= 4096
    shown = [data for _, data in queue.buttons if data.startswith("q:res:")]
    assert 1 <= len(shown) < 10 and t("feedback.queue_more") in visible(queue)
    assert shown[0] == "q:res:10"  # newest first


async def test_granted_admins_hear_about_reports_too(h: Harness) -> None:
    await h.interop.store.set_grant(OTHER["id"], True, "test")
    calls = await report(h, "Granted admins see this.")
    assert {c.chat_id for c in sends(calls)} == {USER["id"], ADMIN["id"], OTHER["id"]}
    queue = only(await h.send("/reports", user=OTHER))
    assert "Granted admins see this." in visible(queue)
