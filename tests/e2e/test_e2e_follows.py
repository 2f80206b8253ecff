"""Follows, reports, suggestions and misses against the real bot process and the fake Telegram,
including a kill in the middle of delivering notifications (nothing lost, nothing sent twice)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from tests.fakebot import Call, FakeTelegram

from .harness import (
    OWNER_IDS,
    REPLY_TIMEOUT,
    BotProcess,
    button,
    new_fake,
    press,
    say_group,
    say_private,
    visible,
)

BELL = "🔔"


def fact_line(subject: str, obj: str, n: int) -> str:
    return (f"/addfact {subject} | {obj} | messaging | live | 2025-0{n} | "
            f"E2E follow {n}: {subject} and {obj} linked. | https://example.org/e2e/follow/{n}")


def bells(fake: FakeTelegram, chat_id: int, since: int = 0, contains: str = "E2E") -> list[str]:
    """Notifications (🔔 messages about an E2E fact) the bot delivered to a chat since a mark."""
    return [visible(c.result) for c in fake.calls[since:]
            if c.ok and c.method == "sendMessage" and c.result["chat"]["id"] == chat_id
            and visible(c.result).startswith(BELL) and contains in visible(c.result)]


async def notified(fake: FakeTelegram, chat_id: int, contains: str, since: int) -> str:
    message = await fake.await_for_message(chat_id, contains=contains, since=since,
                                           timeout=REPLY_TIMEOUT)
    return visible(message)


async def admin_says(fake: FakeTelegram, admin: int, text: str, contains: str) -> dict[str, Any]:
    """An admin command's reply, skipping feedback notices that reach admins at any moment."""
    since = fake.mark()
    fake.private_message(admin, text)
    return await fake.await_for_message(admin, contains=contains, since=since, timeout=REPLY_TIMEOUT)


async def test_follow_then_a_new_fact_arrives_and_unfollow_stops_it(bot: BotProcess) -> None:
    fake, admin = bot.fake, OWNER_IDS[0]
    follower, witness = 310_001, 310_002  # the follower's rows come first in every pass
    reply = await say_private(fake, follower, "/follow meituan")
    assert visible(reply).startswith("🔔 This chat now follows Meituan."), visible(reply)

    since = fake.mark()
    saved = await say_private(fake, admin, fact_line("Meituan", "BirdyChat", 1))
    assert visible(saved).startswith("✅ Saved as fact #"), visible(saved)
    text = await notified(fake, follower, "E2E follow 1", since)
    assert "Meituan" in text and "BirdyChat" in text and "✅ live" in text

    assert visible(await say_private(fake, follower, "/unfollow meituan")).startswith(
        "This chat no longer follows Meituan.")
    await say_private(fake, witness, "/follow meituan")
    since = fake.mark()
    await say_private(fake, admin, fact_line("Meituan", "Haiket", 2))
    await notified(fake, witness, "E2E follow 2", since)  # the pass that would have told the follower
    assert bells(fake, follower, since) == []


async def test_the_report_button_reaches_the_admins_and_reports_lists_it(bot: BotProcess) -> None:
    fake, reader, admin = bot.fake, 310_010, OWNER_IDS[1]
    answer = await say_private(fake, reader, "/check meituan alipay")
    since = fake.mark()
    query = fake.press_button(reader, answer["message_id"], button(answer, "Report"), user_id=reader)
    assert query
    prompt = await fake.await_for_message(reader, contains="What is wrong", since=since,
                                          timeout=REPLY_TIMEOUT)
    since = fake.mark()
    fake.private_message(reader, "E2E report: the Alipay link is out of date.",
                         reply_to=prompt["message_id"])
    thanks = await fake.await_for_message(reader, contains="Thank you", since=since,
                                          timeout=REPLY_TIMEOUT)
    assert "Report #" in visible(thanks)
    to_admin = await fake.await_for_message(admin, contains="E2E report", since=since,
                                            timeout=REPLY_TIMEOUT)
    assert "Meituan × Alipay" in visible(to_admin)
    queue = await admin_says(fake, admin, "/reports", "Waiting for an admin")
    assert "E2E report: the Alipay link is out of date." in visible(queue)


async def test_a_suggestion_is_queued_and_accept_makes_it_visible(bot: BotProcess) -> None:
    fake, suggester, admin, reader = bot.fake, 310_020, OWNER_IDS[2], 310_021
    line = ("/suggest Temu | Haiket | messaging | live | 2025-04 | E2E suggested: Temu chats "
            "with Haiket. | https://example.org/e2e/suggested")
    thanks = await say_private(fake, suggester, line)
    assert "Suggestion #" in visible(thanks), visible(thanks)
    number = visible(thanks).split("#", 1)[1].split()[0]
    before = await say_private(fake, reader, "/check temu haiket")
    assert "E2E suggested" not in visible(before)
    queue = await admin_says(fake, admin, "/reports", "Waiting for an admin")
    assert "E2E suggested: Temu chats with Haiket." in visible(queue)
    since = fake.mark()
    await press(fake, queue, f"q:acc:{number}", admin)
    told = await fake.await_for_message(suggester, contains="accepted", since=since,
                                        timeout=REPLY_TIMEOUT)
    assert f"#{number}" in visible(told)
    after = await say_private(fake, reader, "/check temu haiket")
    assert "E2E suggested: Temu chats with Haiket." in visible(after)


async def test_misses_show_an_unknown_name_asked_twice(bot: BotProcess) -> None:
    fake, admin = bot.fake, OWNER_IDS[3]
    await say_private(fake, 310_030, "/check qwzorbl alipay")
    await say_private(fake, 310_031, "/check Qwzorbl alipay")
    misses = await admin_says(fake, admin, "/misses", "What people asked")
    assert "• qwzorbl — 2" in visible(misses), visible(misses)


def _add_meituan_fact(database: Path, n: int) -> None:
    """A write from another process (like ``python -m bot import``): the triggers fill the outbox."""
    with sqlite3.connect(database) as db:
        db.execute("PRAGMA foreign_keys = ON")
        ids = dict(db.execute("SELECT name, id FROM company WHERE name IN ('Meituan', 'Threads')"))
        db.execute("INSERT INTO fact (subject_id, object_id, kind, status, date, summary) "
                   "VALUES (?, ?, 'messaging', 'live', '2025-05', ?)",
                   (ids["Meituan"], ids["Threads"], f"E2E kill {n}: Meituan and Threads linked."))


async def test_a_kill_mid_delivery_loses_nothing_and_sends_nothing_twice(tmp_path: Path) -> None:
    """Own processes (not ``launch``): the injected 429 is a refused call on purpose."""
    database = tmp_path / "kill.sqlite3"
    fake, fake2 = new_fake(), new_fake()
    first = BotProcess(fake, database, tmp_path / "bot-1.log")
    second = BotProcess(fake2, database, tmp_path / "bot-2.log")
    try:
        await first.astart()
        early, late = 320_001, 320_002
        await say_private(fake, early, "/follow meituan")
        await say_private(fake, late, "/follow meituan")
        # The second chat's message gets "retry after 60 s": the bot holds it pending; then SIGKILL.
        fake.inject_error("sendMessage", "Too Many Requests: retry after 60", error_code=429,
                          retry_after=60, chat_id=late)
        since = fake.mark()
        _add_meituan_fact(database, 1)
        await notified(fake, early, "E2E kill 1", since)

        def refused(call: Call) -> bool:
            return (call.method == "sendMessage" and not call.ok
                    and call.params.get("chat_id") == late)

        await fake.await_for(refused, REPLY_TIMEOUT, since=since)
        first.kill()  # SIGKILL: no shutdown, no chance to tidy up
        first.assert_log_clean()

        for chat in (early, late):  # the same Telegram, as the second server sees it
            fake2.add_chat(chat)
        await second.astart()
        await notified(fake2, late, "E2E kill 1", 0)
        assert len(bells(fake, early)) == 1 and bells(fake2, early) == []  # not twice
        assert bells(fake, late) == []  # the refused one was really not delivered before the kill
        assert len(bells(fake2, late)) == 1  # ...and is not lost
        assert await second.astop() == 0
        second.assert_log_clean()
    finally:
        first.kill()
        second.kill()
        fake.stop()
        fake2.stop()


async def test_in_a_group_only_its_admins_follow_and_removing_the_bot_stops_it(bot: BotProcess) -> None:
    fake, admin = bot.fake, OWNER_IDS[4]
    group, member, group_admin, witness = -100_310_050, 310_051, 310_052, 310_053
    refused = await say_group(fake, group, member, "/follow meituan")
    assert "only the group's admins" in visible(refused), visible(refused)
    fake.set_member(group, group_admin, "administrator")
    done = await say_group(fake, group, group_admin, "/follow meituan")
    assert visible(done).startswith("🔔 This chat now follows Meituan."), visible(done)

    since = fake.mark()
    await say_private(fake, admin, fact_line("Meituan", "Bluesky", 3))
    assert "E2E follow 3" in await notified(fake, group, "E2E follow 3", since)

    fake.enqueue_update({"my_chat_member": {
        "chat": fake.add_chat(group, chat_type="supergroup", title="Interop Test Group"),
        "from": {"id": group_admin, "is_bot": False, "first_name": "Ann"}, "date": 0,
        "old_chat_member": {"user": fake.bot_user, "status": "member"},
        "new_chat_member": {"user": fake.bot_user, "status": "kicked", "until_date": 0}}})
    await say_private(fake, witness, "/follow meituan")  # after the removal, in update order
    since = fake.mark()
    await say_private(fake, admin, fact_line("Meituan", "Bluesky", 4))
    await notified(fake, witness, "E2E follow 4", since)
    assert bells(fake, group, since) == []
