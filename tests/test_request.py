"""The Bot API client posts JSON bodies (objects, not JSON strings) and still uploads files."""

from __future__ import annotations

import io
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions

from bot.telegram import request
from bot.telegram.request import JsonRequest
from tests.e2e.harness import OWNER_ID, TOKEN, new_fake
from tests.fakebot import FakeTelegram


def _json_bot(fake: FakeTelegram) -> Bot:
    """A Bot on the fake Bot API with the project's client, as the bot builds it."""
    return Bot(TOKEN, base_url=fake.base_url, request=JsonRequest(connection_pool_size=4),
               get_updates_request=JsonRequest(connection_pool_size=1))


async def test_calls_post_json_and_uploads_keep_the_form(monkeypatch: pytest.MonkeyPatch) -> None:
    as_json: list[str] = []
    original = request._json_body

    def spied(data: Any) -> bytes:
        as_json.append(",".join(sorted(data.parameters)))
        return original(data)

    monkeypatch.setattr(request, "_json_body", spied)
    fake = new_fake()
    try:
        bot = _json_bot(fake)
        async with bot:
            keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("▶ 第 2 页", callback_data="pf:1:2:0")]])
            sent = await bot.send_message(OWNER_ID, "<b>京东</b> &amp; <i>Alipay</i> 🟡", parse_mode="HTML",
                                          reply_markup=keyboard,
                                          link_preview_options=LinkPreviewOptions(is_disabled=True))
            assert sent.text == "京东 & Alipay 🟡"
            document = await bot.send_document(OWNER_ID, io.BytesIO(b'{"facts": []}'), filename="x.json")
            assert document.document is not None
        message, upload = [c for c in fake.calls if c.method in ("sendMessage", "sendDocument")]
        assert message.ok and message.params["reply_markup"] == {
            "inline_keyboard": [[{"text": "▶ 第 2 页", "callback_data": "pf:1:2:0"}]]}
        assert message.params["link_preview_options"] == {"is_disabled": True}
        assert upload.ok
        assert any("reply_markup" in names for names in as_json)  # the message went as JSON
        assert not any("document" in names for names in as_json)  # the upload did not
    finally:
        fake.stop()


async def test_a_sent_message_comes_back_without_what_the_bot_never_reads() -> None:
    """Its entities and keyboard are not parsed back (they cost ~0.7 ms a page); updates keep theirs."""
    fake = new_fake()
    try:
        bot = _json_bot(fake)
        async with bot:
            keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("▶", callback_data="pf:1:2:0")]])
            sent = await bot.send_message(OWNER_ID, "<b>JD.com</b> × <a href='https://a.example/'>a</a>",
                                          parse_mode="HTML", reply_markup=keyboard)
            assert sent.message_id and sent.chat.id == OWNER_ID and sent.text == "JD.com × a"
            assert sent.entities == () and sent.reply_markup is None
            edited = await bot.edit_message_text("<b>page 2</b>", OWNER_ID, sent.message_id,
                                                 parse_mode="HTML", reply_markup=keyboard)
            assert not isinstance(edited, bool) and edited.message_id == sent.message_id
            assert edited.entities == () and edited.reply_markup is None
            # Telegram itself keeps them: the user sees the bold name, the link and the button.
            stored = fake.message(OWNER_ID, sent.message_id)
            assert stored["entities"] and stored["reply_markup"]
            fake.private_message(OWNER_ID, "/check @InteropTestBot jd alipay")
            [update] = await bot.get_updates(timeout=1)
            assert update.message is not None and update.message.entities  # incoming: whole
    finally:
        fake.stop()
