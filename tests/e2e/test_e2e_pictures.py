"""/map and /compare against the real bot process: photos go out through a real multipart upload."""

from __future__ import annotations

import struct

from tests.fakebot import FakeTelegram

from .harness import REPLY_TIMEOUT, BotProcess, button, press, say_private, visible


def _png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def _photo(fake: FakeTelegram, message: dict[str, object]) -> dict[str, object]:
    [photo] = [p for p in fake.photos if p["message_id"] == message["message_id"]
               and p["chat_id"] == message["chat"]["id"]]  # type: ignore[index]
    return photo


async def test_map_jd_sends_a_photo_with_a_caption_and_a_text_button(bot: BotProcess) -> None:
    fake, user = bot.fake, 160_001
    reply = await say_private(fake, user, "/map jd")
    assert "photo" in reply, reply
    assert reply["caption"].startswith("JD.com: ") and " live" in reply["caption"]
    photo = _photo(fake, reply)
    width, height = _png_size(photo["content"])  # type: ignore[arg-type]
    assert (width, height) == (photo["width"], photo["height"]) and 1200 <= width <= 1400
    since = fake.mark()
    await press(fake, reply, button(reply, "text"), user)
    text = await fake.await_for_message(user, since=since, timeout=REPLY_TIMEOUT)
    assert visible(text).startswith(reply["caption"])
    assert "JD.com × Alipay" in visible(text)


async def test_compare_sends_the_table_picture_then_its_text(bot: BotProcess) -> None:
    fake, user = bot.fake, 160_002
    since = fake.mark()
    fake.private_message(user, "/compare taobao, jd | alipay, wechat pay")
    picture = await fake.await_for_message(user, since=since, timeout=REPLY_TIMEOUT)
    assert "photo" in picture
    text = await fake.await_for_message(user, contains="WeChat Pay", since=since, timeout=REPLY_TIMEOUT)
    assert "photo" not in text and visible(text).splitlines()[0].startswith("2 × 2")
