"""The Chinese journey against the real bot process: language_code, the question's script, /language, inline.

The bot runs on the real seed plus Chinese display names for JD.com and Alipay and one Chinese
summary, so the journey can show "京东 × 支付宝" whatever the seed's own state.
"""

from __future__ import annotations

from pathlib import Path

from tests.zh_seed import write_zh_seed

from .harness import REPLY_TIMEOUT, BotProcess, Launch, say_group, say_private, visible

ZH_HANS_USER = 300_001
EN_USER = 300_002
TW_USER = 300_003
INLINE_USER = 300_004


async def _bot(launch: Launch, tmp_path: Path) -> BotProcess:
    return await launch(tmp_path / "interop.sqlite3", extra_env={"SEED_PATH": str(write_zh_seed(tmp_path))})


async def test_a_chinese_journey(launch: Launch, tmp_path: Path) -> None:
    bot = await _bot(launch, tmp_path)
    fake = bot.fake

    # the menus and profile exist in both languages
    assert [c["command"] for c in fake.commands_for({"type": "all_private_chats"}, "zh")] == \
        [c["command"] for c in fake.commands_for({"type": "all_private_chats"})]
    assert "language" in [c["command"] for c in fake.commands_for({"type": "all_private_chats"}, "zh")]

    # a zh-hans user: /start -> Chinese; /check jd alipay -> a Chinese verdict; /language en -> English
    fake.set_language(ZH_HANS_USER, "zh-hans")
    welcome = await say_private(fake, ZH_HANS_USER, "/start")
    assert "命令：" in visible(welcome) and "/check A B — A 和 B 能互通吗？" in visible(welcome)
    verdict = visible(await say_private(fake, ZH_HANS_USER, "/check jd alipay"))
    assert verdict.startswith("🟡 部分可以：京东 × 支付宝"), verdict[:200]
    assert "2024年10月 ✅ 已上线 — 京东在结账时开始支持支付宝付款。" in verdict
    switched = visible(await say_private(fake, ZH_HANS_USER, "/language en"))
    assert switched == "OK: from now on I reply in English in this chat."
    english = visible(await say_private(fake, ZH_HANS_USER, "京东支持支付宝吗？"))
    assert english.startswith("🟡 Partly: JD.com × Alipay"), english[:200]
    assert "16 Oct 2024" in english or "Oct 2024" in english

    # an English user asking in Chinese -> Chinese
    fake.set_language(EN_USER, "en")
    chinese = visible(await say_private(fake, EN_USER, "京东支持支付宝吗？"))
    assert chinese.startswith("🟡 部分可以：京东 × 支付宝"), chinese[:200]
    assert visible(await say_private(fake, EN_USER, "/check jd alipay")).startswith("🟡 Partly")

    # a zh-tw user -> Traditional
    fake.set_language(TW_USER, "zh-tw")
    traditional = visible(await say_private(fake, TW_USER, "/check jd alipay"))
    assert traditional.startswith("🟡 部分可以：京東 × 支付寶"), traditional[:200]
    assert "京東在結賬時開始支援支付寶付款。" in traditional

    # inline mode in Chinese
    since = fake.mark()
    query_id = fake.inline_query(INLINE_USER, "京东 支付宝")
    await fake.await_for(
        lambda c: c.method == "answerInlineQuery" and c.params.get("inline_query_id") == query_id,
        REPLY_TIMEOUT, since=since)
    (answer,) = [a for a in fake.inline_answers if a["inline_query_id"] == query_id]
    first = answer["results"][0]
    assert first["title"].startswith("🟡 部分可以：京东 × 支付宝"), first["title"]
    text = first["input_message_content"]["message_text"]
    assert text.startswith("🟡 部分可以：<b>京东</b> × <b>支付宝</b>"), text[:200]


async def test_the_chat_language_survives_a_restart(launch: Launch, tmp_path: Path) -> None:
    first = await _bot(launch, tmp_path)
    assert visible(await say_private(first.fake, EN_USER, "/language zh")).startswith("好的")
    assert await first.astop() == 0
    second = await _bot(launch, tmp_path)
    reply = visible(await say_private(second.fake, EN_USER, "/check jd alipay"))
    assert reply.startswith("🟡 部分可以：京东 × 支付宝"), reply[:200]


async def test_in_a_group_only_its_admins_set_the_language(launch: Launch, tmp_path: Path) -> None:
    bot = await _bot(launch, tmp_path)
    fake = bot.fake
    group, member, admin = -100_900_800_700, 300_010, 300_011
    refused = await say_group(fake, group, member, "/language zh")
    assert visible(refused) == "Only this group's admins can change the language I reply in here."
    assert visible(await say_group(fake, group, member, "/check jd alipay")).startswith("🟡 Partly")

    fake.set_member(group, admin, "administrator")
    fake.group_message(group, admin, "hello")  # (not delivered: privacy mode) makes the user known
    done = await say_group(fake, group, admin, "/language zh")
    assert visible(done) == "好的：从现在起我在这个聊天里用中文回复。"
    reply = visible(await say_group(fake, group, member, "/check jd alipay"))
    assert reply.startswith("🟡 部分可以：京东 × 支付宝"), reply[:200]
    private = visible(await say_private(fake, member, "/check jd alipay"))
    assert private.startswith("🟡 Partly"), private[:200]  # the group's setting stays in the group
