"""What ordinary users do, against one real bot process: ask, search inline, choose, page.

All journeys share the module's bot (see conftest.py) and stay apart by their own user and
chat ids, so one process start serves the whole module.
"""

from __future__ import annotations

import pytest

from tests.fakebot import FakeTelegram

from .harness import (
    BOT_USERNAME,
    REPLY_TIMEOUT,
    BotProcess,
    Launch,
    button,
    buttons,
    edits_of,
    links,
    press,
    replies_in,
    say_group,
    say_private,
    visible,
)

JD_ALIPAY = "🟡 Partly: JD.com × Alipay"
ALIPAY_JD = "🟡 Partly: Alipay × JD.com"
GROUP = -100_200_300_400


def assert_sourced(message: dict[str, object], headline: str) -> None:
    """A real answer: the verdict first, then the facts with at least one source link."""
    text = visible(message)  # type: ignore[arg-type]
    assert text.startswith(headline), text[:200]
    urls = links(message)  # type: ignore[arg-type]
    assert urls and all(u.startswith(("https://", "http://")) for u in urls), urls
    assert "https://shoujike.com.cn/w/1642.html" in urls  # the source of the current JD × Alipay state


@pytest.mark.parametrize(
    ("user_id", "question", "headline"),
    [
        (100_001, "does JD accept Alipay?", JD_ALIPAY),
        (100_002, "京东支持支付宝吗？", "🟡 部分可以："),  # asked in Chinese: answered in Chinese
        (100_003, "/check alipya jd", ALIPAY_JD),
        (100_004, "/check jd alipay", JD_ALIPAY),
    ],
    ids=["english", "chinese", "typo", "command"],
)
async def test_private_question_gets_a_sourced_verdict(
    bot: BotProcess, user_id: int, question: str, headline: str
) -> None:
    reply = await say_private(bot.fake, user_id, question)
    assert_sourced(reply, headline)
    assert "reply_to_message" not in reply  # private answers do not quote


async def test_group_command_for_this_bot_is_answered_quoting_the_asker(bot: BotProcess) -> None:
    fake = bot.fake
    since = fake.mark()
    asked = fake.group_message(GROUP, 100_010, f"/check@{BOT_USERNAME} jd alipay")["message"]
    reply = await fake.await_for_message(GROUP, since=since, timeout=REPLY_TIMEOUT)
    assert_sourced(reply, JD_ALIPAY)
    assert reply["reply_to_message"]["message_id"] == asked["message_id"]
    (call,) = replies_in(fake, GROUP, since)
    assert call.params["reply_parameters"]["message_id"] == asked["message_id"]


async def _fetched(fake: FakeTelegram, update_id: int) -> None:
    """Wait until the bot has taken an update from the long poll."""
    await fake.await_for(
        lambda c: c.ok and c.method == "getUpdates" and any(u["update_id"] == update_id for u in c.result),
        REPLY_TIMEOUT,
    )


async def test_group_chatter_and_other_bots_commands_are_ignored(bot: BotProcess) -> None:
    """Privacy mode keeps chatter and /cmd@OtherBot from the bot; the next real command is answered alone."""
    fake, chat = bot.fake, GROUP - 1
    since = fake.mark()
    other = fake.group_message(chat, 100_011, "/check@OtherBot jd alipay")
    chatter = fake.group_message(chat, 100_012, "does jd accept alipay? anyone?")
    hidden = {u["update_id"] for u in fake.undelivered}
    assert {other["update_id"], chatter["update_id"]} <= hidden
    asked = await say_group(fake, chat, 100_013, "/check jd alipay")
    assert_sourced(asked, JD_ALIPAY)
    replies = replies_in(fake, chat, since)
    assert [c.result["reply_to_message"]["text"] for c in replies] == ["/check jd alipay"]


async def test_bot_that_sees_all_group_messages_still_answers_only_what_is_for_it(launch: Launch) -> None:
    """As a group admin (no privacy filter) the bot receives everything and must filter itself."""
    fake = (await launch(privacy_mode=False)).fake
    chat = GROUP - 4
    since = fake.mark()
    for text in ("/check@OtherBot jd alipay", "does jd accept alipay? anyone?", "jd alipay"):
        update = fake.group_message(chat, 100_015, text)
        await _fetched(fake, update["update_id"])  # the bot has it in hand
    mention = await say_group(fake, chat, 100_016, f"@{BOT_USERNAME} does jd accept alipay?")
    assert_sourced(mention, JD_ALIPAY)
    command = await say_group(fake, chat, 100_017, f"/check@{BOT_USERNAME} jd alipay")
    assert_sourced(command, JD_ALIPAY)
    quoted = [c.result["reply_to_message"]["text"] for c in replies_in(fake, chat, since)]
    assert quoted == [f"@{BOT_USERNAME} does jd accept alipay?", f"/check@{BOT_USERNAME} jd alipay"]


async def test_group_reply_to_the_bot_is_a_question(bot: BotProcess) -> None:
    """Replying to the bot's message in a group reaches it despite privacy mode, and is answered."""
    fake, chat, user = bot.fake, GROUP - 2, 100_014
    first = await say_group(fake, chat, user, "/check jd alipay")
    reply = await say_group(fake, chat, user, "and taobao wechat pay?",
                            reply_to_message_id=first["message_id"])
    assert visible(reply).startswith("✅ Yes: Taobao × WeChat Pay"), visible(reply)[:200]


async def test_inline_query_offers_the_answer_as_articles(bot: BotProcess) -> None:
    fake = bot.fake
    since = fake.mark()
    query_id = fake.inline_query(100_020, "jd alipay")
    await fake.await_for(
        lambda c: c.method == "answerInlineQuery" and c.params.get("inline_query_id") == query_id,
        REPLY_TIMEOUT,
        since=since,
    )
    (answer,) = [a for a in fake.inline_answers if a["inline_query_id"] == query_id]
    results = answer["results"]
    assert results and all(r["type"] == "article" for r in results)
    first = results[0]
    assert "JD.com" in first["title"] and "Alipay" in first["title"], first["title"]
    content = first["input_message_content"]
    assert content["message_text"].startswith("🟡 Partly: <b>JD.com</b> × <b>Alipay</b>")
    assert content.get("parse_mode") == "HTML"
    assert '<a href="https://shoujike.com.cn/w/1642.html">' in content["message_text"]


async def test_empty_inline_query_lists_the_latest_facts(bot: BotProcess) -> None:
    fake = bot.fake
    since = fake.mark()
    query_id = fake.inline_query(100_021, "")
    await fake.await_for(
        lambda c: c.method == "answerInlineQuery" and c.params.get("inline_query_id") == query_id,
        REPLY_TIMEOUT,
        since=since,
    )
    (answer,) = [a for a in fake.inline_answers if a["inline_query_id"] == query_id]
    assert len(answer["results"]) >= 10
    for result in answer["results"]:
        assert result["type"] == "article" and result["input_message_content"]["message_text"]


async def test_did_you_mean_pair_button_edits_the_message_into_the_answer(bot: BotProcess) -> None:
    fake, user = bot.fake, 100_030
    question = await say_private(fake, user, "/check jd ali")
    assert "ali" in visible(question) and "Did you mean" in visible(question), visible(question)
    labels = [label for label, _ in buttons(question)]
    assert "JD.com × Alipay" in labels and "JD.com × Alibaba Group" in labels, labels
    since = fake.mark()
    answer = await press(fake, question, button(question, "JD.com × Alipay"), user)
    assert len(edits_of(fake, question, since)) == 1
    assert not replies_in(fake, user, since)  # edited in place, nothing new sent
    assert_sourced(answer, JD_ALIPAY)


async def test_did_you_mean_company_button_shows_the_profile(bot: BotProcess) -> None:
    fake, user = bot.fake, 100_031
    question = await say_private(fake, user, "/company ali")
    labels = [label for label, _ in buttons(question)]
    assert {"Alipay", "Alibaba Group", "Alimama"} <= set(labels), labels
    answer = await press(fake, question, button(question, "Alimama"), user)
    assert visible(answer).startswith("Alimama"), visible(answer)[:200]
    assert not any(label == "Alipay" for label, _ in buttons(answer))


async def test_long_answer_pages_forward_and_back_in_the_same_message(bot: BotProcess) -> None:
    fake, user = bot.fake, 100_040
    page1 = await say_private(fake, user, "/company alibaba")
    assert visible(page1).startswith("Alibaba Group"), visible(page1)[:200]
    labels = [label for label, data in buttons(page1) if not data.startswith(("fw:", "rp:"))]
    assert labels[0].startswith("Page 1/") and labels[-1] == "▶", labels
    pages = labels[0].split("/")[1]  # "~7" while a long profile is counted only as far as paged
    assert int(pages.removeprefix("~")) >= 2

    since = fake.mark()
    page2 = await press(fake, page1, button(page1, "▶"), user)
    assert page2["message_id"] == page1["message_id"]
    assert len(edits_of(fake, page1, since)) == 1 and not replies_in(fake, user, since)
    assert visible(page2) != visible(page1)
    labels2 = [label for label, _ in buttons(page2)]
    assert labels2[0] == "◀" and any(label.startswith("Page 2/") for label in labels2), labels2

    back = await press(fake, page2, button(page2, "◀"), user)
    assert visible(back) == visible(page1)
    assert [data for _, data in buttons(back)] == [data for _, data in buttons(page1)]
    assert buttons(back)[0][0].startswith("Page 1/")  # the count firms up as pages are seen


async def test_only_the_asker_may_page_a_group_answer(bot: BotProcess) -> None:
    fake, chat, asker, other = bot.fake, GROUP - 3, 100_041, 100_042
    page1 = await say_group(fake, chat, asker, f"/company@{BOT_USERNAME} alibaba")
    since = fake.mark()
    unchanged = await press(fake, page1, button(page1, "▶"), other)
    assert unchanged == page1 and not edits_of(fake, page1, since)
    toast = fake.answers_to_callbacks[-1]
    assert "Only the person who asked" in (toast.get("text") or ""), toast
    page2 = await press(fake, page1, button(page1, "▶"), asker)
    assert "Page 2/" in " ".join(label for label, _ in buttons(page2))


async def test_long_inline_answer_links_to_the_whole_answer_in_the_bot(bot: BotProcess) -> None:
    """Inline results hold one page; their "Open all pages" deep link starts a paged answer in private."""
    fake, user = bot.fake, 100_050
    since = fake.mark()
    query_id = fake.inline_query(user, "alibaba")
    await fake.await_for(
        lambda c: c.method == "answerInlineQuery" and c.params.get("inline_query_id") == query_id,
        REPLY_TIMEOUT,
        since=since,
    )
    (answer,) = [a for a in fake.inline_answers if a["inline_query_id"] == query_id]
    first = answer["results"][0]
    assert first["title"] == "Alibaba Group"
    (link,) = [b["url"] for row in first["reply_markup"]["inline_keyboard"] for b in row]
    prefix = f"https://t.me/{BOT_USERNAME}?start="
    assert link.startswith(prefix), link

    page1 = await say_private(fake, user, f"/start {link.removeprefix(prefix)}")  # what Telegram sends
    assert visible(page1).startswith("Alibaba Group"), visible(page1)[:200]
    assert first["input_message_content"]["message_text"].startswith("<b>Alibaba Group</b>")
    page2 = await press(fake, page1, button(page1, "▶"), user)
    assert "Page 2/" in " ".join(label for label, _ in buttons(page2))


async def test_help_example_button_sends_its_answer(bot: BotProcess) -> None:
    fake, user = bot.fake, 100_060
    help_message = await say_private(fake, user, "/help")
    assert "/check A B" in visible(help_message)
    since = fake.mark()
    example = button(help_message, "/check jd alipay")
    fake.press_button(user, help_message["message_id"], example, user_id=user)
    answer = await fake.await_for_message(user, since=since, timeout=REPLY_TIMEOUT)
    assert_sourced(answer, JD_ALIPAY)
    assert fake.message(user, help_message["message_id"]) == help_message  # the help stays as it was
