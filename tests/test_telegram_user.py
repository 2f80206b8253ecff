"""The bot as users meet it: app wiring, commands, deep links, private and group questions,
menus, link previews, typing, rate limiting, the error handler and HTML escaping.

Every test runs the real Application (tests/tg.py) on a seeded SQLite file in tmp_path and
asserts the exact Bot API calls it makes.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application

from bot.domain import Company, Kind, Source, Status
from bot.ratelimit import RateLimiter
from bot.store import FactDraft
from bot.telegram import app as tg_app
from bot.telegram import errors
from bot.telegram.admin import ADMIN_COMMANDS
from bot.telegram.menus import FEEDBACK_ADMIN_COMMANDS, USER_COMMANDS
from bot.texts import EXAMPLES, t
from tests.core import check_text
from tests.fakebot.html_check import check_telegram_html
from tests.tg import (
    ADMIN,
    BOT_USER,
    GROUP,
    JD_ALIPAY,
    OTHER,
    SUPERGROUP,
    TOKEN,
    USER,
    Harness,
    UpdateFactory,
    make_app,
    only,
    settings_for,
    visible,
)


def cid(h: Harness, name: str) -> int:
    company = h.interop.resolve(name).company
    assert company is not None, name
    return company.id


# -- wiring ---------------------------------------------------------------------------------------


async def test_application_is_built_with_html_defaults_rate_limiter_and_lifecycle(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, base_url="http://localhost:8081/bot",
                            base_file_url="http://localhost:8081/file/bot")
    app = tg_app.build_application(settings)
    assert app.bot.defaults is not None and app.bot.defaults.parse_mode == ParseMode.HTML
    assert isinstance(app.bot.rate_limiter, AIORateLimiter)
    assert app.bot.rate_limiter._max_retries >= 3  # a 429 is retried, not an error
    assert app.concurrent_updates > 1 and app.update_processor.slot_limit == tg_app.MAX_CONCURRENT_UPDATES
    assert app.post_init is tg_app.post_init and app.post_shutdown is tg_app.post_shutdown
    assert app.job_queue is not None
    assert app.bot.base_url.startswith("http://localhost:8081/bot")
    assert app.bot.base_file_url.startswith("http://localhost:8081/file/bot")
    assert app.bot_data.interop is None  # opened in post_init


async def test_post_init_opens_the_store_and_post_shutdown_closes_it(tmp_path: Path) -> None:
    async with make_app(tmp_path) as h:
        assert await h.interop.store.counts()
        interop = h.interop
    assert h.bot_data.interop is None
    with pytest.raises(Exception):  # noqa: B017 - closed store: any error will do
        await interop.store.counts()


async def test_updates_run_in_order_per_chat_and_concurrently_across_chats() -> None:
    processor = tg_app.PerChatOrder()
    factory = UpdateFactory(BOT_USER)
    first, second = (Update.de_json(factory.message(t, user=USER), None) for t in ("a", "b"))
    elsewhere = Update.de_json(factory.message("c", user=OTHER), None)
    order: list[str] = []
    gate = asyncio.Event()

    async def slow() -> None:
        await gate.wait()
        order.append("first")

    async def fast() -> None:
        order.append("second")

    async def other_chat() -> None:
        order.append("other chat")
        gate.set()

    await asyncio.gather(processor.process_update(first, slow()), processor.process_update(second, fast()),
                         processor.process_update(elsewhere, other_chat()))
    assert order == ["other chat", "first", "second"]
    assert processor.waiting_keys == 0  # nothing left behind


async def test_updates_without_a_chat_are_ordered_per_user_only() -> None:
    """Inline queries have no chat: one user's wait in turn, different users run at once."""
    processor = tg_app.PerChatOrder()
    factory = UpdateFactory(BOT_USER)
    users = [{"id": 60_000 + i, "is_bot": False, "first_name": f"U{i}"} for i in range(5)]
    queries = [Update.de_json(factory.inline(f"q{i}", user=u), None) for i, u in enumerate(users)]
    again = Update.de_json(factory.inline("again", user=users[0]), None)
    started: list[str] = []
    all_in = asyncio.Event()

    async def query(name: str) -> None:
        started.append(name)
        if len(started) == len(users):
            all_in.set()
        await all_in.wait()  # more than CHAT_ADMISSION at once, or this never ends

    await asyncio.wait_for(asyncio.gather(
        *(processor.process_update(q, query(f"q{i}")) for i, q in enumerate(queries)),
        processor.process_update(again, query("again"))), 10)
    assert started[:5] == ["q0", "q1", "q2", "q3", "q4"] and started[5] == "again"
    assert processor.waiting_keys == 0


async def test_after_close_a_busy_chats_backlog_is_dropped_and_in_flight_and_quiet_chats_finish(
        caplog: pytest.LogCaptureFixture) -> None:
    """A stop signal must not wait out a busy group's queue at Telegram's 20 replies a minute."""
    processor = tg_app.PerChatOrder(chat_admission=1)
    factory = UpdateFactory(BOT_USER)
    members = [{"id": 70_000 + i, "is_bot": False, "first_name": f"M{i}"} for i in range(4)]
    asks = [Update.de_json(factory.message(f"q{i}", chat=GROUP, user=m), None)
            for i, m in enumerate(members)]
    quiet = Update.de_json(factory.message("private", user=OTHER), None)
    ran: list[str] = []
    sending = asyncio.Event()
    release = asyncio.Event()

    async def answer(name: str) -> None:
        ran.append(name)
        sending.set()
        await release.wait()  # the reply waits for the group's send spacing

    flood = [asyncio.ensure_future(processor.process_update(u, answer(f"q{i}")))
             for i, u in enumerate(asks)]
    await sending.wait()
    await asyncio.sleep(0)  # the other three are queued behind the chat's one admission slot
    processor.close()
    release.set()
    await asyncio.wait_for(asyncio.gather(*flood, processor.process_update(quiet, answer("private"))),
                           10)
    assert ran == ["q0", "private"]  # the one in flight and the quiet chat; the backlog is not
    assert processor.not_answered == 3 and processor.waiting_keys == 0
    with caplog.at_level(logging.WARNING):
        await processor.shutdown()
    assert "3 updates of busy chats not answered" in caplog.text


async def _group_flood_then_private(h: Harness, group_updates: list[dict[str, Any]], guard_s: float
                                    ) -> tuple[list[str], bool, int]:
    """Every group send waits (as for Telegram's 20 a minute) while the group's updates queue,
    then one private /check: the send order, whether it was answered while the group's sends
    were still held, and how many updates held a slot meanwhile."""
    group_stuck, release = asyncio.Event(), asyncio.Event()
    order: list[str] = []

    async def on_send(call: Any) -> None:
        if call.chat_id == GROUP["id"]:
            order.append("group")
            group_stuck.set()
            await release.wait()
        else:
            order.append("private")

    h.rec.on("sendMessage", on_send)
    processor = h.app.update_processor
    tasks = []
    for raw in group_updates:
        update = Update.de_json(raw, h.app.bot)
        tasks.append(asyncio.create_task(processor.process_update(update, h.app.process_update(update))))
    await asyncio.wait_for(group_stuck.wait(), 60)
    private = Update.de_json(h.updates.message("/check jd alipay"), h.app.bot)
    answered = asyncio.create_task(processor.process_update(private, h.app.process_update(private)))
    done, _ = await asyncio.wait({answered}, timeout=guard_s)  # a hang guard, not a speed assert
    in_slots = processor.current_concurrent_updates
    release.set()
    await asyncio.gather(*tasks, answered)
    return order, answered in done, in_slots


async def test_a_busy_group_never_holds_the_slots_a_private_chat_needs(tmp_path: Path) -> None:
    """300 queued updates from one group wait for their chat's turn without a global slot, so a
    private /check is answered while the group's first answer is still stuck."""
    async with make_app(tmp_path) as h:
        h.rec.clear()
        assert h.app.update_processor.slot_limit < 300  # the group alone could fill every slot
        order, in_time, _ = await _group_flood_then_private(
            h, [h.updates.message(f"/check jd alipay {i}", chat=GROUP) for i in range(300)], 60)
        assert in_time, "the private /check waited behind the group"
        assert order[:2] == ["group", "private"]
        assert order.count("group") == 300 and order.count("private") == 1
        assert h.app.update_processor.waiting_keys == 0


async def test_300_members_of_one_group_asking_once_never_hold_the_slots_a_private_chat_needs(
        tmp_path: Path) -> None:
    """Ordered per (chat, user), 300 members each asking once are 300 different turns: a group
    holds at most ``CHAT_ADMISSION`` slots while its sends wait, the rest wait without one."""
    async with make_app(tmp_path) as h:
        h.rec.clear()
        members = [{"id": 50_000 + i, "is_bot": False, "first_name": f"Member {i}"} for i in range(300)]
        order, in_time, in_slots = await _group_flood_then_private(
            h, [h.updates.message("/check@InteropTestBot jd alipay", chat=GROUP, user=member)
                for member in members], 30)
        assert in_time, "the private /check waited behind the group's members"
        assert in_slots <= tg_app.CHAT_ADMISSION  # the group's, while its sends waited
        assert order.index("private") <= tg_app.CHAT_ADMISSION
        assert order.count("group") == 300 and order.count("private") == 1  # none dropped
        assert h.app.update_processor.waiting_keys == 0


def test_run_bot_polls_by_default_and_returns_0(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(Application, "run_polling", lambda self, **kw: seen.update(kw))
    assert tg_app.run_bot(settings_for(tmp_path)) == 0
    assert seen["allowed_updates"] == tg_app.Update.ALL_TYPES
    assert seen["drop_pending_updates"] is False
    assert seen["stop_signals"] is None  # run_bot installs its own, which tolerate a repeated signal


def test_run_bot_uses_the_builtin_webhook_when_configured(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(Application, "run_webhook", lambda self, **kw: seen.update(kw))
    monkeypatch.setattr(Application, "run_polling", lambda self, **kw: pytest.fail("polled"))
    settings = settings_for(tmp_path, webhook_url="https://bot.example.com/tg/hook",
                            webhook_secret="s3cret-token", webhook_listen="0.0.0.0", webhook_port=8443)
    assert tg_app.run_bot(settings) == 0
    assert seen["listen"] == "0.0.0.0" and seen["port"] == 8443
    assert seen["url_path"] == "tg/hook"
    assert seen["webhook_url"] == "https://bot.example.com/tg/hook"
    assert seen["secret_token"] == "s3cret-token"


async def test_command_menus_per_scope_with_admin_commands_for_admins(tmp_path: Path) -> None:
    async with make_app(tmp_path, admin_ids={42, 43}) as h:
        calls = h.rec.of("setMyCommands")
    by_scope = {(c.params["scope"]["type"], c.params["scope"].get("chat_id")): c for c in calls}
    assert set(by_scope) == {("all_private_chats", None), ("all_group_chats", None),
                             ("chat", 42), ("chat", 43)}
    user_names = [name for name, _ in USER_COMMANDS]
    assert [c["command"] for c in by_scope["all_private_chats", None].params["commands"]] == user_names
    assert [c["command"] for c in by_scope["all_group_chats", None].params["commands"]] == user_names
    admin_menu = [c["command"] for c in by_scope["chat", 42].params["commands"]]
    assert admin_menu == user_names + [name for name, _ in ADMIN_COMMANDS] + [
        name for name, _ in FEEDBACK_ADMIN_COMMANDS]


async def test_a_failing_admin_menu_is_logged_and_the_bot_still_starts(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)

    def arm(h: Harness) -> None:
        h.rec.fail_when("setMyCommands", lambda p: p["scope"].get("chat_id") == 42)

    async with make_app(tmp_path, admin_ids={42, 43}, before_post_init=arm) as h:
        scopes = [c.params["scope"].get("chat_id") for c in h.rec.of("setMyCommands")]
        assert scopes[-2:] == [42, 43]  # 43 is still set after 42 failed
        [answer] = await h.send("/check jd alipay")
        assert visible(answer).startswith(JD_ALIPAY)
    assert any("42" in r.getMessage() and "chat not found" in r.getMessage().lower() for r in caplog.records)


# -- /start, /help and examples -----------------------------------------------------------------


@pytest.mark.parametrize("command", ["/start", "/help"])
async def test_start_and_help_explain_with_tappable_examples(tg: Harness, command: str) -> None:
    call = only(await tg.send(command))
    assert call.chat_id == USER["id"] and call.params["parse_mode"] == ParseMode.HTML
    assert "reply_parameters" not in call.params  # private chats are not quoted
    assert visible(call).startswith("I answer “does X work with Y?”")
    assert call.buttons == [(e, f"ex:{i}") for i, e in enumerate(EXAMPLES)]


async def test_pressing_an_example_runs_it(tg: Harness) -> None:
    help_call = only(await tg.send("/help"))
    calls = await tg.press(help_call, "/check jd alipay")
    assert [c.method for c in calls] == ["sendMessage", "answerCallbackQuery"]
    assert visible(calls[0]).startswith(JD_ALIPAY)
    assert calls[0].chat_id == USER["id"]
    chinese = await tg.press(help_call, "/company 微信")
    assert visible(chinese[0]).startswith("WeChat")


async def test_deep_links_open_straight_into_an_answer(tg: Harness) -> None:
    jd, alipay = cid(tg, "jd"), cid(tg, "alipay")
    for payload in ("check_jd_alipay", f"check_{jd}_{alipay}", "check_JD_Alipay"):
        call = only(await tg.send(f"/start {payload}"))
        assert visible(call).startswith(JD_ALIPAY), payload
    assert visible(only(await tg.send("/start check_taobao_jd-logistics"))).startswith(
        "✅ Yes: Taobao × JD Logistics")
    assert visible(only(await tg.send("/start company_alipay"))).startswith("Alipay")
    assert visible(only(await tg.send(f"/start company_{alipay}"))).startswith("Alipay")
    assert visible(only(await tg.send("/start company_wechat_pay"))).startswith("WeChat Pay")
    for junk in ("nonsense", "check_999998_999999", "company_999999", "check_jd"):
        assert visible(only(await tg.send(f"/start {junk}"))).startswith("I answer"), junk


# -- /check, /company, /search, /recent ---------------------------------------------------------


@pytest.mark.parametrize("args", ["jd alipay", "jd, alipay", "jd | alipay", "jd vs alipay",
                                  "jd with alipay", "JD on Alipay"])  # 京东 支付宝: tests/test_i18n.py
async def test_check_accepts_every_separator(tg: Harness, args: str) -> None:
    call = only(await tg.send(f"/check {args}"))
    assert visible(call).startswith(JD_ALIPAY)
    assert call.params["link_preview_options"] == {"is_disabled": True}  # several sources


@pytest.mark.parametrize("args", ["", "jd jd", "京东 JD.com"])
async def test_check_without_a_pair_shows_the_usage_line(tg: Harness, args: str) -> None:
    call = only(await tg.send(f"/check {args}".strip()))
    assert t("usage.check") in visible(call)
    if args.count(" ") == 1:
        assert visible(call).startswith(t("same.company", name="JD.com"))
    assert call.reply_markup is None


async def test_check_with_an_unknown_name_explains_it(tg: Harness) -> None:
    call = only(await tg.send("/check jd xyzzyq"))
    assert "I don't know “xyzzyq”" in visible(call)


async def test_company_search_and_recent(tg: Harness) -> None:
    profile = only(await tg.send("/company alipay"))
    assert visible(profile).startswith("Alipay — payments")
    assert visible(only(await tg.send("/company"))) == t("usage.company")

    found = only(await tg.send("/search typing"))
    assert visible(found).startswith("🔎 1 result(s) for “typing”")
    assert visible(only(await tg.send("/search"))) == t("usage.search")
    nothing = only(await tg.send("/search zzzqqq"))
    assert visible(nothing) == t("search.none", query="zzzqqq")

    latest = only(await tg.send("/recent 3"))
    assert visible(latest).startswith("🆕 Latest changes")
    assert visible(latest).count("\n• ") == 3
    first = only(await tg.send("/recent"))  # ten by default, over as many pages as they need
    shown = visible(first).count("\n• ")
    if "▶" in [label for label, _ in first.buttons]:
        [page_two] = [c for c in await tg.press(first, "▶") if c.method == "editMessageText"]
        shown += visible(page_two).count("• ")
    assert shown == 10
    assert visible(only(await tg.send("/recent lots"))) == t("usage.recent", max=50)
    assert visible(only(await tg.send("/recent 0"))).count("\n• ") == 1


async def test_unknown_commands_get_a_pointer_to_help_in_private_only(tg: Harness) -> None:
    call = only(await tg.send("/frobnicate"))
    assert visible(call) == t("tg.unknown_command", cmd="/frobnicate")
    assert await tg.send("/frobnicate", chat=GROUP) == []


# -- private questions -------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["does JD accept Alipay?",  # in Chinese: tests/test_i18n.py
                                      "does jd acept alipy?", "Can I pay on JD.com with alipay"])
async def test_private_free_text_is_a_question(tg: Harness, question: str) -> None:
    call = only(await tg.send(question))
    misspelt = "alipy" in question  # a name read from a misspelling is said first
    read_as = t("answers.read_as", typed="alipy", name="Alipay") + "\n\n" if misspelt else ""
    assert visible(call).startswith(read_as + JD_ALIPAY)
    assert "reply_parameters" not in call.params


async def test_private_free_text_with_one_name_is_a_profile_and_none_a_search(tg: Harness) -> None:
    assert visible(only(await tg.send("tell me about wechat pay"))).startswith("WeChat Pay")
    assert visible(only(await tg.send("typing"))).startswith("🔎 1 result(s)")


async def test_empty_and_overlong_messages_get_a_friendly_answer(tg: Harness) -> None:
    assert visible(only(await tg.send("   "))) == t("tg.empty")
    assert visible(only(await tg.send("x" * 4097))) == t("too_long", max=4096)
    sticker = tg.updates.message("", user=USER)
    del sticker["message"]["text"]
    sticker["message"]["sticker"] = {"file_id": "s1", "file_unique_id": "u1", "type": "regular",
                                     "width": 512, "height": 512, "is_animated": False,
                                     "is_video": False}
    assert visible(only(await tg.process(sticker))) == t("tg.empty")


async def test_edited_messages_are_not_answered_again(tg: Harness) -> None:
    payload = tg.updates.message("does jd accept alipay?")
    payload["edited_message"] = payload.pop("message")
    payload["edited_message"]["edit_date"] = payload["edited_message"]["date"]
    assert await tg.process(payload) == []


# -- groups ----------------------------------------------------------------------------------


@pytest.mark.parametrize("chat", [GROUP, SUPERGROUP], ids=["group", "supergroup"])
async def test_group_answers_commands_for_this_bot_quoting_the_asker(tg: Harness,
                                                                    chat: dict[str, Any]) -> None:
    for text in ("/check jd alipay", "/check@InteropTestBot jd alipay", "/check@interoptestbot jd alipay"):
        call = only(await tg.send(text, chat=chat))
        assert call.chat_id == chat["id"]
        quote = call.params["reply_parameters"]
        assert quote["message_id"] == tg.last_update_message_id
        assert quote["allow_sending_without_reply"] is True
        assert visible(call).startswith(JD_ALIPAY)


@pytest.mark.parametrize("chat", [GROUP, SUPERGROUP], ids=["group", "supergroup"])
async def test_group_ignores_other_bots_commands_and_chatter(tg: Harness, chat: dict[str, Any]) -> None:
    assert await tg.send("/check@OtherBot jd alipay", chat=chat) == []
    assert await tg.send("does jd accept alipay?", chat=chat) == []
    assert await tg.send("hey @someone, does jd accept alipay?", chat=chat) == []
    assert await tg.send("/frobnicate", chat=chat) == []


async def test_group_answers_mentions_and_replies_to_the_bot(tg: Harness) -> None:
    mention = only(await tg.send("@InteropTestBot does jd accept alipay?", chat=SUPERGROUP))
    assert visible(mention).startswith(JD_ALIPAY)
    assert mention.params["reply_parameters"]["message_id"] == tg.last_update_message_id
    middle = only(await tg.send("so does JD take alipay @interoptestbot ?", chat=SUPERGROUP))
    assert visible(middle).startswith(JD_ALIPAY)

    follow_up = only(await tg.send("and taobao with wechat pay?", chat=SUPERGROUP, reply_to=mention))
    assert visible(follow_up).startswith("✅ Yes: Taobao × WeChat Pay")
    assert follow_up.params["reply_parameters"]["message_id"] == tg.last_update_message_id

    human = tg.updates.message("hi", chat=SUPERGROUP, user=OTHER)["message"]
    assert await tg.send("does jd accept alipay?", chat=SUPERGROUP, reply_to=human) == []
    only_mention = only(await tg.send("@InteropTestBot", chat=GROUP))
    assert visible(only_mention) == t("tg.empty")


# -- links and typing ----------------------------------------------------------------------------


async def _add_fact(h: Harness, subject: str, obj: str, summary: str, sources: tuple[Source, ...],
                    date: str = "2024-05") -> None:
    draft = FactDraft(subject_id=cid(h, subject), object_id=cid(h, obj), kind=Kind.PAYMENTS,
                      status=Status.LIVE, date=date, summary=summary, sources=sources)
    await h.interop.store.add_fact(draft, "test")


async def test_link_previews_only_disabled_with_several_sources(tg: Harness) -> None:
    await _add_fact(tg, "youku", "temu", "Youku sells Temu vouchers.",
                    (Source(url="https://example.com/one", publisher="Example"),))
    single = only(await tg.send("/check youku temu"))
    assert single.text.count("<a href=") == 1
    assert "link_preview_options" not in single.params
    several = only(await tg.send("/check jd alipay"))
    assert several.params["link_preview_options"] == {"is_disabled": True}


async def test_fast_answers_send_no_typing_action(tg: Harness) -> None:
    tg.bot_data.typing_delay = 3600  # nothing in a test takes an hour
    calls = await tg.send("does jd accept alipay?")
    assert [c.method for c in calls] == ["sendMessage"]


async def test_slow_answers_show_typing_first(tg: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    tg.bot_data.typing_delay = 0
    typing_sent = asyncio.Event()
    tg.rec.on("sendChatAction", lambda call: typing_sent.set())
    real_decide = tg.interop.decide

    async def slow_decide(text: str, mode: str = "ask") -> Any:
        await typing_sent.wait()  # "slow" = still computing when the typing timer fires
        return await real_decide(text, mode)

    monkeypatch.setattr(tg.interop, "decide", slow_decide)
    calls = await tg.send("does jd accept alipay?")
    assert [c.method for c in calls] == ["sendChatAction", "sendMessage"]
    assert calls[0].params == {"chat_id": USER["id"], "action": "typing"}


# -- rate limiting ------------------------------------------------------------------------------


async def test_fast_askers_are_told_once_per_cooldown(tg: Harness) -> None:
    now = [1000.0]
    tg.bot_data.limiter = RateLimiter(3, 1.0, clock=lambda: now[0])
    for _ in range(3):
        assert visible(only(await tg.send("does jd accept alipay?"))).startswith(JD_ALIPAY)
    slow_down = only(await tg.send("/company alipay"))
    assert visible(slow_down) == t("rate_limited", seconds=1)
    assert await tg.send("/search rcs") == []  # told once, not per message
    assert await tg.send("does jd accept alipay?") == []
    assert visible(only(await tg.send("/check jd alipay"))).startswith(JD_ALIPAY)  # /check is cheap
    now[0] += 2
    assert visible(only(await tg.send("does jd accept alipay?"))).startswith(JD_ALIPAY)
    # others are unaffected, and admins are exempt
    assert visible(only(await tg.send("/company alipay", user=OTHER))).startswith("Alipay")
    for _ in range(5):
        assert visible(only(await tg.send("/company alipay", user=ADMIN))).startswith("Alipay")


# -- errors --------------------------------------------------------------------------------------


async def test_errors_are_reported_without_the_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    async with make_app(tmp_path, error_chat_id=-100777) as h:
        h.rec.clear()

        async def broken(text: str, mode: str = "ask") -> Any:
            raise RuntimeError(f"boom <{TOKEN}> & more")

        monkeypatch.setattr(h.interop, "decide", broken)
        calls = await h.send("/check jd alipay", chat=SUPERGROUP)
    to_user = [c for c in calls if c.chat_id == SUPERGROUP["id"]]
    assert [visible(c) for c in to_user] == [t("error.generic")]
    [report] = [c for c in calls if c.chat_id == -100777]
    check_telegram_html(report.text)
    assert TOKEN not in report.text and TOKEN.split(":")[1] not in report.text
    assert "RuntimeError" in report.text and "boom &lt;[REDACTED]&gt; &amp; more" in report.text
    assert "/check jd alipay" in report.text and "-1001234567890" in report.text
    assert len(visible(report)) < 4096
    [record] = [r for r in caplog.records if r.name == "bot.telegram.errors"]
    assert record.exc_info is not None and '"update_id"' in record.getMessage()
    assert TOKEN not in record.getMessage()


async def test_error_reports_are_trimmed_to_one_message(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    async with make_app(tmp_path, error_chat_id=-100777) as h:
        async def broken(text: str, mode: str = "ask") -> Any:
            raise ValueError("<&>" * 5000)

        monkeypatch.setattr(h.interop, "decide", broken)
        calls = await h.send("q" * 4000)
    [report] = [c for c in calls if c.chat_id == -100777]
    assert len(visible(report)) < 4096


async def test_polling_network_hiccups_are_logged_not_reported(tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    """PTB retries getUpdates by itself; a 502 must not page the operators every time."""
    from telegram.error import NetworkError

    from bot.telegram.context import BotContext

    caplog.set_level(logging.WARNING)
    async with make_app(tmp_path, error_chat_id=-100777) as h:
        h.rec.clear()
        app = h.app
        for error, update in ((NetworkError(f"Bad Gateway at /bot{TOKEN}/getUpdates"), None),
                              (RuntimeError("a real bug"), None)):
            context = BotContext.from_error(update, error, app)
            await errors.on_error(update, context)
        reports = [c for c in h.rec.calls if c.chat_id == -100777]
    assert len(reports) == 1 and "RuntimeError" in reports[0].text
    warning = [r for r in caplog.records if r.levelno == logging.WARNING and "retrying" in r.getMessage()]
    assert warning and TOKEN not in warning[0].getMessage()


async def test_without_an_error_chat_the_user_is_still_told(tg: Harness,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(name: str, mode: str = "ask") -> Any:
        raise KeyError(name)

    monkeypatch.setattr(tg.interop, "decide", broken)
    call = only(await tg.send("/company alipay"))
    assert visible(call) == t("error.generic")


# -- escaping --------------------------------------------------------------------------------------


async def test_hostile_stored_text_is_escaped_everywhere(tg: Harness) -> None:
    evil = await tg.interop.store.add_company(
        Company(id=0, name="<b>Evil</b>", kind="<i>corp</i>", aliases=("evilcorp",)), "test")
    await tg.interop.refresh_companies([evil.id])
    await tg.interop.store.add_fact(FactDraft(
        subject_id=evil.id, object_id=cid(tg, "alipay"), kind=Kind.PAYMENTS, status=Status.LIVE,
        date="2026-11", summary="<script>alert(1)</script> & co",
        sources=(Source(url="https://example.com/?a=1&b=\"2\"", publisher="Ev<il> & Sons"),
                 Source(url="https://example.org/x", publisher="Other"))), "test")
    answers = [
        only(await tg.send("/company evilcorp")),
        only(await tg.send("/check evilcorp alipay")),
        only(await tg.send(f"/start company_{evil.id}")),
        only(await tg.send("/search alert")),
        only(await tg.send("/recent 1")),
    ]
    for call in answers:
        check_telegram_html(call.text)
        assert "<script>" not in call.text and "<b>Evil</b>" not in call.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in call.text, call.text
    assert "&lt;b&gt;Evil&lt;/b&gt;" in answers[0].text
    assert "<script>alert(1)</script> & co" in visible(answers[0])
    assert 'href="https://example.com/?a=1&amp;b=&quot;2&quot;"' in answers[0].text

    echoed = only(await tg.send("/search <u>zzq</u> & <x>"))
    check_telegram_html(echoed.text)
    assert "“<u>zzq</u> & <x>”" in visible(echoed)  # echoed back literally, whatever was found
    inline = only(await tg.inline("evilcorp alipay"), "answerInlineQuery")
    content = inline.params["results"][0]["input_message_content"]["message_text"]
    check_telegram_html(content)
    assert "&lt;script&gt;" in content


# -- the limiter on its own ----------------------------------------------------------------------


def test_token_bucket_refills_and_notifies_once_per_cooldown() -> None:
    now = [0.0]
    limiter = RateLimiter(2, 0.5, clock=lambda: now[0])
    assert [limiter.hit("u").allowed for _ in range(2)] == [True, True]
    first = limiter.hit("u")
    assert not first.allowed and first.notify and first.retry_after == pytest.approx(2.0)
    assert not limiter.hit("u").notify  # same cooldown: stay quiet
    now[0] += 2.0
    assert limiter.hit("u").allowed
    again = limiter.hit("u")
    assert not again.allowed and again.notify  # a new cooldown: say it once more
    assert limiter.hit("other").allowed


def test_token_bucket_forgets_idle_users() -> None:
    now = [0.0]
    limiter = RateLimiter(1, 1.0, clock=lambda: now[0], max_keys=3)
    for key in range(3):
        limiter.hit(key)
    now[0] += 10
    limiter.hit("new")
    assert len(limiter) == 1
    with pytest.raises(ValueError):
        RateLimiter(0, 1.0)


async def test_check_with_one_name_suggests_a_real_pair(tg: Harness) -> None:
    """"/check whatsapp" names the company and offers a pair that has facts, not a bare usage line."""
    text = visible(only(await tg.send("/check whatsapp")))
    assert text.startswith("Check WhatsApp with what?")
    assert "/check WhatsApp, " in text and "/company WhatsApp" in text
    partner = text.split("/check WhatsApp, ")[1].split(" —")[0]
    result = await check_text(tg.interop, f"WhatsApp, {partner}")
    assert result is not None and not hasattr(result, "resolutions") and result.threads  # a real pair
    unknown = visible(only(await tg.send("/check zzqx")))
    assert unknown == f"{t('answers.unknown', name='zzqx')}\n\n{t('usage.check')}"
