"""The fake Telegram server must behave like the real Bot API for the real PTB client.

End-to-end tests of the bot are only as trustworthy as this fake, so every behaviour the
other tests rely on (long polling, validation errors, uploads and downloads) is proven here
with python-telegram-bot itself, not with hand-written HTTP.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputFile,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, EndPointNotFound, InvalidToken
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

try:  # tests/ is not a package today; keep working if it becomes one
    from fakebot import FakeTelegram, TelegramHTMLError, check_telegram_html
except ImportError:  # pragma: no cover
    from tests.fakebot import FakeTelegram, TelegramHTMLError, check_telegram_html

USER = 4242
GROUP = -1001234567890


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as b:
        yield b


def _keyboard(*datas: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d, callback_data=d) for d in datas]])


def _article(result_id: str, text: str, parse_mode: str | None = None) -> InlineQueryResultArticle:
    content = InputTextMessageContent(text, parse_mode=parse_mode)
    return InlineQueryResultArticle(result_id, title=f"Result {result_id}", input_message_content=content)


# ---------------------------------------------------------------- check_telegram_html


@pytest.mark.parametrize(
    "html",
    [
        "plain text",
        "<b>Slack</b> works with <i>Teams</i>",
        "Tom &amp; Jerry &lt;3 &gt; &quot;quoted&quot;",
        "&#128512; and &#x1F600;",
        '<a href="https://example.com/?a=1&amp;b=2">source</a>',
        '<pre><code class="language-python">print("hi")</code></pre>',
        "<blockquote expandable>long quote</blockquote>",
        '<span class="tg-spoiler">secret</span> <tg-spoiler>also</tg-spoiler>',
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
        "<b>bold <i>italic <u>underline</u></i></b> <s>x</s><del>y</del><strike>z</strike>",
        '<a href="https://a.example"><b>bold link</b></a>',
        "a > b is fine",
    ],
)
def test_html_accepted(html: str) -> None:
    check_telegram_html(html)


@pytest.mark.parametrize(
    ("html", "fragment"),
    [
        ("<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("Tom & Jerry", "Character '&'"),
        ("<script>alert(1)</script>", 'Unsupported start tag "script" at byte offset 0'),
        ('<a href="https://a"><a href="https://b">x</a></a>', "can't be nested"),
        ("a&nbsp;b", 'Unsupported HTML entity "&nbsp;"'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b><i>x</b></i>", 'expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'must have class "tg-spoiler"'),
        ("<b", "Unclosed start tag"),
        ("<code><b>x</b></code>", "can't contain other entities"),
        ("<blockquote><blockquote>x</blockquote></blockquote>", "can't be nested"),
        ("<br>", 'Unsupported start tag "br"'),
        ("&#0;", "Invalid numeric HTML entity"),
        ("é<p>", "byte offset 2"),  # offsets are in UTF-8 bytes, as Telegram reports them
    ],
)
def test_html_rejected(html: str, fragment: str) -> None:
    with pytest.raises(TelegramHTMLError) as caught:
        check_telegram_html(html)
    assert isinstance(caught.value, ValueError)
    assert fragment in str(caught.value)


# ---------------------------------------------------------------- basic methods


async def test_get_me_describes_the_configured_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert me.username == "InteropTestBot"
    assert me.is_bot
    assert me.can_read_all_group_messages is False
    assert me.supports_inline_queries is True


async def test_wrong_token_is_unauthorized(fake: FakeTelegram) -> None:
    with pytest.raises(InvalidToken, match="rejected by the server"):
        async with Bot("99:wrong", base_url=fake.base_url):
            pass


async def test_unknown_method_is_not_found(bot: Bot, fake: FakeTelegram) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("noSuchMethod")
    assert fake.calls[-1].error_code == 404


async def test_send_message_html_is_stored_as_text_and_entities(bot: Bot, fake: FakeTelegram) -> None:
    fake.add_chat(USER)
    sent = await bot.send_message(
        USER,
        "<b>Slack</b> works with Teams",
        parse_mode=ParseMode.HTML,
        reply_markup=_keyboard("more"),
    )
    assert sent.text == "Slack works with Teams"
    assert sent.from_user is not None and sent.from_user.username == "InteropTestBot"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 5)]
    assert sent.reply_markup == _keyboard("more")
    second = await bot.send_message(USER, "again")
    assert second.message_id == sent.message_id + 1
    assert [m["text"] for m in fake.sent(USER)] == ["Slack works with Teams", "again"]
    assert fake.wait_for_message(USER, contains="<b>Slack</b>")["message_id"] == sent.message_id


async def test_bad_html_is_rejected_with_telegram_description(bot: Bot, fake: FakeTelegram) -> None:
    fake.add_chat(USER)
    with pytest.raises(BadRequest, match="Can't parse entities: unsupported start tag"):
        await bot.send_message(USER, "<script>x</script>", parse_mode=ParseMode.HTML)
    failed = fake.calls[-1]
    assert failed.method == "sendMessage" and not failed.ok
    assert failed.description == (
        'Bad Request: can\'t parse entities: Unsupported start tag "script" at byte offset 0'
    )
    assert fake.sent(USER) == []


async def test_text_rules(bot: Bot, fake: FakeTelegram) -> None:
    fake.add_chat(USER)
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_message(777, "hello")
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(USER, "  <b> </b> ", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(USER, "x" * 4097)
    # the limit applies to the visible text, not the markup
    long_ok = await bot.send_message(USER, "<b>" + "x" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    assert len(long_ok.text) == 4096


async def test_edit_message_text(bot: Bot, fake: FakeTelegram) -> None:
    fake.add_chat(USER)
    sent = await bot.send_message(USER, "v1", reply_markup=_keyboard("a"))
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("v1", USER, sent.message_id, reply_markup=_keyboard("a"))
    edited = await bot.edit_message_text("<i>v2</i>", USER, sent.message_id, parse_mode="HTML")
    assert isinstance(edited, type(sent)) and edited.text == "v2"
    assert edited.reply_markup is None  # omitting reply_markup removes the keyboard
    assert fake.sent(USER)[0]["text"] == "v2"
    assert fake.edits[-1]["params"]["text"] == "<i>v2</i>"
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", USER, 999)
    markup = await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=_keyboard("b"))
    assert markup.reply_markup == _keyboard("b")  # type: ignore[union-attr]
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=_keyboard("b"))


async def test_callback_data_over_64_bytes_is_rejected(bot: Bot, fake: FakeTelegram) -> None:
    fake.add_chat(USER)
    await bot.send_message(USER, "ok", reply_markup=_keyboard("x" * 64))
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "too long", reply_markup=_keyboard("x" * 65))


async def test_button_press_and_callback_answers(bot: Bot, fake: FakeTelegram) -> None:
    fake.add_chat(USER)
    sent = await bot.send_message(USER, "pick", reply_markup=_keyboard("yes", "no"))
    with pytest.raises(ValueError, match="no button"):
        fake.press_button(USER, sent.message_id, "maybe", user_id=USER)
    query_id = fake.press_button(USER, sent.message_id, "yes", user_id=USER)
    (update,) = await bot.get_updates(timeout=0)
    assert update.callback_query is not None
    assert update.callback_query.id == query_id and update.callback_query.data == "yes"
    assert update.callback_query.message.message_id == sent.message_id  # type: ignore[union-attr]
    assert await update.callback_query.answer("Saved")
    assert fake.answers_to_callbacks == [{"callback_query_id": query_id, "text": "Saved"}]
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match="query id is invalid"):
        await bot.answer_callback_query("123")


async def test_inline_query_answers(bot: Bot, fake: FakeTelegram) -> None:
    query_id = fake.inline_query(USER, "slack")
    (update,) = await bot.get_updates(timeout=0)
    assert update.inline_query is not None and update.inline_query.query == "slack"
    too_many = [_article(str(n), f"answer {n}") for n in range(51)]
    with pytest.raises(BadRequest, match=r"(?i)RESULTS_TOO_MUCH"):
        await bot.answer_inline_query(query_id, too_many)
    with pytest.raises(BadRequest, match=r"(?i)RESULT_ID_DUPLICATE"):
        await bot.answer_inline_query(query_id, [_article("1", "a"), _article("1", "b")])
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.answer_inline_query(query_id, [_article("1", "<b>x", ParseMode.HTML)])
    assert await bot.answer_inline_query(query_id, too_many[:50], cache_time=0)
    (answer,) = fake.inline_answers
    assert len(answer["results"]) == 50
    assert answer["results"][0]["input_message_content"]["message_text"] == "answer 0"


async def test_bot_document_upload_can_be_downloaded(bot: Bot, fake: FakeTelegram) -> None:
    fake.add_chat(USER)
    payload = b'{"facts": []}\r\n\x00\xff binary-safe'
    sent = await bot.send_document(
        USER, InputFile(payload, filename="export.json"), caption="<b>Export</b>", parse_mode="HTML"
    )
    assert sent.document is not None and sent.document.file_name == "export.json"
    assert sent.caption == "Export"
    (document,) = fake.documents
    assert document["content"] == payload
    assert (document["filename"], document["chat_id"]) == ("export.json", USER)
    telegram_file = await bot.get_file(sent.document.file_id)
    assert bytes(await telegram_file.download_as_bytearray()) == payload
    message = fake.wait_for_message(USER, contains="Export")
    assert message["document"]["file_name"] == "export.json"


async def test_user_uploaded_document_can_be_fetched(bot: Bot, fake: FakeTelegram) -> None:
    content = json.dumps({"company": "Slack"}).encode()
    fake.upload_document(USER, USER, "facts.json", content, caption="/import")
    (update,) = await bot.get_updates(timeout=0)
    message = update.message
    assert message is not None and message.document is not None
    assert message.caption == "/import"
    assert message.document.mime_type == "application/json"
    telegram_file = await message.document.get_file()
    assert bytes(await telegram_file.download_as_bytearray()) == content
    (downloaded,) = fake.downloads
    assert str(telegram_file.file_path).endswith(f"{fake.token}/{downloaded}")
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("nope")


async def test_commands_are_stored_per_scope(bot: Bot, fake: FakeTelegram) -> None:
    await bot.set_my_commands([BotCommand("check", "Does X work with Y?")])
    await bot.set_my_commands(
        [BotCommand("check", "Prüfen")], scope=BotCommandScopeAllGroupChats(), language_code="de"
    )
    assert fake.commands_for() == [{"command": "check", "description": "Does X work with Y?"}]
    assert fake.commands_for({"type": "all_group_chats"}, "de")[0]["description"] == "Prüfen"
    assert [c.command for c in await bot.get_my_commands()] == ["check"]
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Check-It", "bad name")])


# ---------------------------------------------------------------- updates from users


async def test_user_messages_carry_real_entities(bot: Bot, fake: FakeTelegram) -> None:
    text = "/check@InteropTestBot slack teams, ask @someone_else"
    fake.private_message(USER, text)
    (update,) = await bot.get_updates(timeout=0)
    message = update.message
    assert message is not None and message.chat.type == "private"
    assert message.from_user is not None and message.from_user.first_name == "Ann"
    kinds = [(e.type, e.offset, e.length) for e in message.entities]
    assert kinds == [("bot_command", 0, len("/check@InteropTestBot")), ("mention", text.rindex("@"), 13)]


async def test_group_privacy_and_replies_to_the_bot(bot: Bot, fake: FakeTelegram) -> None:
    fake.group_message(GROUP, USER, "just chatting")  # privacy mode: not for the bot
    fake.group_message(GROUP, USER, "/check@OtherBot a b")  # someone else's command
    fake.group_message(GROUP, USER, "/check a b")
    (update,) = await bot.get_updates(timeout=0)
    assert update.message is not None and update.message.text == "/check a b"
    assert len(fake.undelivered) == 2
    await bot.get_updates(offset=update.update_id + 1, timeout=0)

    answer = await bot.send_message(GROUP, "Yes, it works")
    fake.group_message(GROUP, USER, "thanks!", reply_to_message_id=answer.message_id)
    (reply_update,) = await bot.get_updates(offset=update.update_id + 1, timeout=0)
    reply = reply_update.message
    assert reply is not None and reply.reply_to_message is not None
    assert reply.reply_to_message.message_id == answer.message_id
    assert reply.reply_to_message.from_user.id == bot.id  # type: ignore[union-attr]


# ---------------------------------------------------------------- long polling


async def test_long_poll_wakes_when_an_update_arrives(bot: Bot, fake: FakeTelegram) -> None:
    def user_writes_once_bot_is_waiting() -> None:
        fake.wait_until_polling(timeout=5)
        fake.private_message(USER, "/ping")

    writer = threading.Thread(target=user_writes_once_bot_is_waiting)
    writer.start()
    updates = await bot.get_updates(timeout=5)
    writer.join(timeout=5)
    assert [u.message.text for u in updates if u.message] == ["/ping"]
    # confirming with offset drops it; a further poll with nothing queued returns []
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()
    assert fake.pending_updates == []


async def test_long_poll_times_out_empty(bot: Bot) -> None:
    assert await bot.get_updates(timeout=1) == ()


async def test_second_poller_terminates_the_first(bot: Bot, fake: FakeTelegram) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await fake.await_polling()
    async with Bot(fake.token, base_url=fake.base_url) as other:
        second = asyncio.create_task(other.get_updates(timeout=1))
        with pytest.raises(Conflict, match="terminated by other getUpdates"):
            await asyncio.wait_for(first, 5)
        assert await second == ()


async def test_stop_releases_a_waiting_long_poll(fake: FakeTelegram) -> None:
    async with Bot(fake.token, base_url=fake.base_url) as b:
        poll = asyncio.create_task(b.get_updates(timeout=30))
        await fake.await_polling()
        await asyncio.to_thread(fake.stop)
        assert await asyncio.wait_for(poll, 5) == ()


async def test_application_polling_end_to_end(fake: FakeTelegram) -> None:
    async def ping(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Reply so the test can see the whole polling loop worked."""
        assert update.message is not None
        await update.message.reply_text("<b>pong</b>", parse_mode=ParseMode.HTML)

    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("ping", ping))
    async with app:
        await app.start()
        await app.updater.start_polling(timeout=5)  # type: ignore[union-attr]
        try:
            fake.private_message(USER, "/ping")
            reply = await fake.await_for_message(USER, contains="pong")
        finally:
            await app.updater.stop()  # type: ignore[union-attr]
            await app.stop()
    assert reply["text"] == "pong"
    assert reply["entities"] == [{"type": "bold", "offset": 0, "length": 4}]
    assert fake.pending_updates == []  # the updater confirmed what it processed


# ---------------------------------------------------------------- raw HTTP and sync waiting


def _post(url: str, data: bytes, content_type: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_json_bodies_and_sync_waiting(fake: FakeTelegram) -> None:
    fake.add_chat(USER)
    url = f"{fake.base_url}{fake.token}/sendMessage"
    body = json.dumps({"chat_id": USER, "text": "hi", "reply_markup": {"inline_keyboard": []}})
    status, payload = _post(url, body.encode(), "application/json")
    assert status == 200 and payload["result"]["text"] == "hi"
    assert fake.wait_for(lambda c: c.method == "sendMessage").params["chat_id"] == USER
    status, payload = _post(f"{fake.base_url}bad/getMe", b"", "application/json")
    assert (status, payload) == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    status, payload = _post(f"{fake.base_url}{fake.token}/nope", b"", "application/json")
    assert (status, payload["description"]) == (404, "Not Found")
    with pytest.raises(TimeoutError, match="recent calls"):
        fake.wait_for(lambda c: c.method == "sendMessage", timeout=0.2, since=fake.mark())
    with pytest.raises(TimeoutError, match=r"sendMessage\(4242\) 'hi' -> ok"):
        fake.wait_for(lambda c: c.method == "sendDocument", timeout=0.2)


def test_injected_errors_reach_the_client(fake: FakeTelegram) -> None:
    fake.add_chat(USER)
    fake.inject_error("sendMessage", "Too Many Requests: retry after 3", error_code=429, retry_after=3)
    form = f"chat_id={USER}&text=hi".encode()
    url = f"{fake.base_url}{fake.token}/sendMessage"
    status, payload = _post(url, form, "application/x-www-form-urlencoded")
    assert (status, payload["parameters"]) == (429, {"retry_after": 3})
    assert _post(url, form, "application/x-www-form-urlencoded")[0] == 200


async def test_update_timestamps_and_call_listeners(bot: Bot, fake: FakeTelegram) -> None:
    """What load drivers rely on: when an update was available, when it was fetched, every call seen."""
    seen: list[str] = []

    def listener(call: Any) -> None:
        seen.append(call.method)

    fake.add_listener(listener)
    update_id = fake.private_message(USER, "hello")["update_id"]
    available = fake.available_at(update_id)
    assert available is not None and fake.delivered_at(update_id) is None
    (update,) = await bot.get_updates(timeout=0)
    delivered = fake.delivered_at(update_id)
    assert update.update_id == update_id and delivered is not None and delivered >= available
    await bot.send_message(USER, "hi")
    assert fake.calls[-1].time >= delivered
    assert seen == ["getUpdates", "sendMessage"]
    fake.remove_listener(listener)
    await bot.send_message(USER, "again")
    assert seen == ["getUpdates", "sendMessage"]
    assert fake.available_at(update_id + 1000) is None
    query_id = fake.inline_query(USER, "slack")
    assert (fake.available_at(query_id) or 0) >= delivered
