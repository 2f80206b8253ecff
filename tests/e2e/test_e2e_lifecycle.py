"""The process itself: it stops cleanly on a signal and never writes the token to its logs.

Each test here needs a process of its own (``launch``), because stopping one, or running it at
another log level, is the point of the test.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from .harness import (
    ERROR_CHAT_ID,
    OWNER_ID,
    REPLY_TIMEOUT,
    STOP_TIMEOUT,
    TOKEN,
    TOKEN_SECRET,
    Launch,
    button,
    links,
    press,
    replies_in,
    say_private,
    visible,
)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_signal_stops_the_bot_within_5_s_with_exit_code_0(launch: Launch, signum: int) -> None:
    bot = await launch()
    reply = await say_private(bot.fake, 200_001, "/check jd alipay")  # fully up, not just polling
    assert visible(reply).startswith("🟡 Partly: JD.com × Alipay")
    await bot.fake.await_polling()  # the signal lands while a long poll is parked, as in production
    code = await bot.astop(STOP_TIMEOUT, signum)  # fails if the process outlives the timeout
    assert code == 0, bot.log()
    assert bot.stop_seconds is not None and bot.stop_seconds < STOP_TIMEOUT
    assert "Application.stop() complete" in bot.log()
    log = bot.log()
    frozen = log.find("loaded objects set aside from the garbage collector")
    assert frozen != -1, log  # gc.freeze ran, and during start-up: a job scheduled for it after
    assert frozen < log.find("Application started"), log  # start was skipped on a slow start


@pytest.mark.parametrize("signals", [(signal.SIGTERM, signal.SIGTERM), (signal.SIGINT, signal.SIGTERM)],
                         ids=["TERM-TERM", "INT-TERM"])
async def test_a_repeated_stop_signal_still_shuts_down_cleanly(launch: Launch,
                                                              signals: tuple[int, int]) -> None:
    """An impatient operator (or a supervisor) signalling twice must not hang the shutdown."""
    bot = await launch()
    reply = await say_private(bot.fake, 200_003, "/check jd alipay")
    assert visible(reply).startswith("🟡 Partly: JD.com × Alipay")
    await bot.fake.await_polling()
    assert bot.proc is not None
    bot.proc.send_signal(signals[0])  # the second arrives while the first is being handled
    code = await bot.astop(STOP_TIMEOUT, signals[1])
    assert code == 0, bot.log()
    assert bot.stop_seconds is not None and bot.stop_seconds < STOP_TIMEOUT
    assert "Store closed" in bot.log()  # post_shutdown ran to the end


async def test_an_update_taken_just_before_sigterm_is_never_lost(launch: Launch) -> None:
    """SIGTERM as the bot receives a question: PTB either finishes it before exiting, or (if the
    signal beat the poll's response) leaves it unconfirmed so Telegram delivers it again. Both
    happen, depending on timing; what must never happen is a question confirmed but unanswered."""
    bot = await launch()
    fake, user = bot.fake, 200_002
    since = fake.mark()
    update_id = fake.private_message(user, "/company alibaba")["update_id"]
    await fake.await_for(
        lambda c: c.ok and c.method == "getUpdates" and any(u["update_id"] == update_id for u in c.result),
        REPLY_TIMEOUT,
    )
    assert await bot.astop() == 0, bot.log()
    if not replies_in(fake, user, since):
        assert update_id in [u["update_id"] for u in fake.pending_updates], "confirmed but never answered"
        await launch(bot.database, fake=fake)
        await fake.await_for_message(user, since=since, timeout=REPLY_TIMEOUT)
    answers = replies_in(fake, user, since)
    assert len(answers) == 1 and visible(answers[0].result).startswith("Alibaba Group")


async def test_debug_log_never_contains_the_token(launch: Launch) -> None:
    """At DEBUG every request and update is logged; a failed poll logs a traceback: still no token."""
    bot = await launch(log_level="DEBUG", failures_expected=True)
    fake, user = bot.fake, 200_010

    since = fake.mark()
    fake.inject_error("getUpdates", "Bad Gateway", error_code=502)
    await say_private(fake, user, "does JD accept Alipay?")  # wakes the parked poll; the next one fails
    await fake.await_for(lambda c: c.method == "getUpdates" and not c.ok, REPLY_TIMEOUT, since=since)
    await fake.await_polling(REPLY_TIMEOUT)  # PTB backed off and polls again (no poll was parked)

    question = await say_private(fake, user, "/check jd ali")
    await press(fake, question, button(question, "JD.com × Alipay"), user)
    await say_private(fake, user, "/nosuchcommand")
    query_id = fake.inline_query(user, "wechat taobao")
    await fake.await_for(lambda c: c.params.get("inline_query_id") == query_id, REPLY_TIMEOUT)
    await say_private(fake, OWNER_ID, "/help")
    since = fake.mark()  # an admin upload: the bot downloads it from a URL that embeds the token
    fake.upload_document(OWNER_ID, OWNER_ID, "debug.json", b'{"companies": [], "facts": []}',
                         caption="/import")
    await fake.await_for_message(OWNER_ID, contains="Dry run", since=since, timeout=REPLY_TIMEOUT)
    assert fake.downloads

    assert await bot.astop() == 0
    log = bot.log()
    assert " DEBUG " in log, "LOG_LEVEL=DEBUG was not applied"
    assert "Bad Gateway" in log  # the failure was logged, with its traceback
    assert TOKEN not in log and TOKEN_SECRET not in log
    assert TOKEN.replace(":", "%3A") not in log
    # A polling hiccup is logged (redacted) and retried; it does not page the operators.
    assert "Network problem while polling, retrying" in log and "Bad Gateway" in log
    reports = [visible(m) for m in fake.sent(ERROR_CHAT_ID)]
    assert not any("Bad Gateway" in r for r in reports), reports
    assert not any(TOKEN_SECRET in r for r in reports)


async def test_a_fact_added_through_the_bot_survives_a_restart(launch: Launch, tmp_path: Path) -> None:
    """Stop, start again on the same database and the same Telegram: the fact is still there,
    a question sent while the bot was down is answered, and nothing is handled twice."""
    database, reader = tmp_path / "persistent.sqlite3", 200_020
    first = await launch(database)
    fake = first.fake
    url = "https://example.org/e2e/persisted"
    saved = await say_private(fake, OWNER_ID,
                              f"/addfact Temu | Haiket | messaging | live | 2025-05 | "
                              f"E2E: Temu chats open in Haiket. | {url}")
    assert visible(saved).startswith("✅ Saved as fact #"), visible(saved)
    assert await first.astop() == 0, first.log()

    since = fake.mark()
    fake.private_message(reader, "/check temu haiket")  # while the bot is down
    second = await launch(database, fake=fake)  # same file, new process, same server
    reply = await fake.await_for_message(reader, since=since, timeout=REPLY_TIMEOUT)
    assert visible(reply).startswith("✅ Yes: Temu × Haiket"), visible(reply)[:200]
    assert url in links(reply)

    # Updates of one chat run in order: once this is answered, a re-delivered /addfact would have been.
    again = await say_private(fake, OWNER_ID, "/check temu haiket")
    assert visible(again).startswith("✅ Yes: Temu × Haiket")
    assert len(replies_in(fake, OWNER_ID, since)) == 1, "an update was handled again after the restart"
    assert "Loaded seed" in first.log() and "Loaded seed" not in second.log(), "seeded over existing data"


async def test_the_guided_form_goes_on_after_a_restart(launch: Launch, tmp_path: Path) -> None:
    """Start /addfact, restart the bot process, continue: the form is where it was."""
    database = tmp_path / "form.sqlite3"
    first = await launch(database)
    fake = first.fake
    start = await say_private(fake, OWNER_ID, "/addfact")
    assert "step 1/8" in visible(start), visible(start)
    subject = await say_private(fake, OWNER_ID, "Temu")
    assert "Step 2/8" in visible(subject), visible(subject)
    assert await first.astop() == 0, first.log()

    second = await launch(database, fake=fake)
    kind = await say_private(fake, OWNER_ID, "Haiket")
    assert "Step 3/8" in visible(kind), (visible(kind), second.log()[-2000:])
    assert "Messaging" in str(kind.get("reply_markup"))
