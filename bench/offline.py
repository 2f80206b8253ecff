"""An offline Bot API for throughput runs: a recording request and Update payload builders.

The real ``telegram.Bot`` serialises every call and parses every reply exactly as in
production; only the network hop is replaced, so the figure measures the bot, not a socket.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from telegram import Bot, Update
from telegram.request import BaseRequest, RequestData

BOT_ID = 777000111
TOKEN = f"{BOT_ID}:AAbenchbenchbenchbenchbenchbenchbe"
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Interop", "username": "interop_bench_bot",
            "can_join_groups": True, "can_read_all_group_messages": False,
            "supports_inline_queries": False}


class RecordingRequest(BaseRequest):
    """Answers every Bot API method locally and counts calls (and sent bytes) per method."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}
        self.sent_chars = 0
        self._message_ids = itertools.count(1)

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        self.calls[api_method] = self.calls.get(api_method, 0) + 1
        params = request_data.parameters if request_data is not None else {}
        result: Any = True
        if api_method == "getMe":
            result = BOT_USER
        elif api_method in {"sendMessage", "editMessageText", "sendDocument"}:
            text = str(params.get("text", ""))
            self.sent_chars += len(text)
            chat_id = int(params.get("chat_id", 1) or 1)
            result = {"message_id": next(self._message_ids), "date": int(time.time()),
                      "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                      "from": BOT_USER, "text": text}
        elif api_method == "getMyCommands":
            result = []
        return 200, json.dumps({"ok": True, "result": result}).encode()


_update_ids = itertools.count(1)


def message_update(bot: Bot, text: str, *, user_id: int = 5001, chat_id: int | None = None) -> Update:
    """A private-chat text message; commands get their ``bot_command`` entity as Telegram sends."""
    update_id = next(_update_ids)
    chat = chat_id if chat_id is not None else user_id
    message: dict[str, Any] = {
        "message_id": update_id, "date": int(time.time()), "text": text,
        "chat": {"id": chat, "type": "private" if chat > 0 else "supergroup", "first_name": "Bench"},
        "from": {"id": user_id, "is_bot": False, "first_name": "Bench", "language_code": "en"},
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0,
                                "length": len(text.split(maxsplit=1)[0])}]
    return Update.de_json({"update_id": update_id, "message": message}, bot)
