"""Offline Telegram harness: the real Application, a recording Bot API, real Update payloads.

Nothing here talks to Telegram. ``RecordingRequest`` is a ``telegram.request.BaseRequest``
that records every Bot API call and answers it the way Telegram would (a Message for
sendMessage/editMessageText, True for the rest). When ``tests/fakebot/checks.py`` is present it
also validates each call as Telegram does (HTML must parse, text <= 4096, callback_data <= 64
bytes, <= 50 inline results, valid commands/scopes, a callback query answered at most once);
a call that fails validation is answered with Telegram's error AND marked ``rejected``, and
``Harness.process`` raises ``AssertionError`` for it (unless ``allow_rejected=True``).

Typical use (pytest-asyncio, asyncio_mode=auto)::

    from tests.tg import make_app, GROUP, OTHER

    async def test_check(tmp_path):
        async with make_app(tmp_path, admin_ids={42}) as h:
            [call] = await h.send("/check jd alipay")             # private chat by default
            assert call.method == "sendMessage" and call.chat_id == h.user["id"]
            assert "Alipay" in call.text and call.params["parse_mode"] == "HTML"
            calls = await h.send("/check@InteropTestBot jd alipay", chat=GROUP)
            assert calls[0].params["reply_parameters"]["message_id"] == h.last_update_message_id
            edits = await h.press(call, "▶")                      # press a button by label...
            edits = await h.press(call, data="pf:1:2:1001")       # ...or by raw callback data
            [answer] = await h.inline("jd alipay")                # answerInlineQuery
            results = answer.params["results"]

``make_app(tmp_path, *, admin_ids=(), error_chat_id=None, interop=None, seed=True,
strict=True, before_post_init=None, **settings)`` builds the app with
``bot.telegram.app.build_application`` (the rate limiter off unless ``rate_limiter=True``:
it spaces a group's replies 3.1 s apart) against a fresh SQLite file
``tmp_path / "interop.sqlite3"`` seeded from ``data/seed.json`` (``seed=False`` for an empty
store), enters ``async with app`` (getMe is answered by the recorder), runs
``post_init`` (so set_my_commands is recorded; ``h.rec.clear()`` if you do not care), yields a
``Harness`` and runs ``post_shutdown`` on exit. ``before_post_init(harness)`` (sync or async)
runs just before ``post_init``, e.g. to arm ``h.rec.fail_when`` for setMyCommands. Extra
keyword arguments become ``Settings`` fields (``base_url=...``, ``webhook_url=...``).

Harness API:

* ``h.app``, ``h.bot_data``, ``h.interop`` (the live Interop), ``h.settings``, ``h.rec``,
  ``h.user`` / ``h.bot`` (user dicts), ``h.updates`` (the UpdateFactory).
* ``await h.send(text, *, chat=None, user=None, reply_to=None)`` -> list[Call] made while
  processing; ``chat`` is a chat dict (default: the user's private chat; ``GROUP`` /
  ``SUPERGROUP`` are ready), ``reply_to`` a message dict or a Call whose message to reply to.
* ``await h.press(call_or_message, label=None, *, data=None, user=None)`` -> list[Call]: presses
  a button (by label or callback_data) on a message the bot sent (its latest edited version).
* ``await h.inline(query, *, user=None)`` -> list[Call].
* ``await h.process(update_dict)`` for any other payload (``h.updates`` builds them).
* ``h.message_of(call)`` -> the message dict the recorder stored for a send/edit call.

RecordingRequest API: ``calls`` (list[Call]), ``of(method)``, ``last(method)``, ``clear()``,
``fail_when(method, predicate, description="Bad Request: chat not found", code=400)``,
``on(method, callback)`` (called with the Call before answering; may be async: use it to block
or to set an asyncio.Event), ``messages`` ((chat_id, message_id) -> message dict),
``rejected`` (calls that failed validation), ``members`` ((chat_id, user_id) -> the status that
getChatMember answers: "member" unless set to "administrator", "creator", "left"...).

``Call``: ``method``, ``params`` (decoded like ``RequestData.parameters``), and helpers
``text``, ``chat_id``, ``reply_markup``, ``buttons`` ([(label, callback_data or url)]),
``callback_data`` (list), ``result`` (what the recorder answered).

``sendPhoto`` is answered with a Message carrying ``photo`` (the uploaded PNG is checked against
Telegram's photo limits) and every uploaded part is kept in ``Call.files`` (name -> (filename,
bytes, mime type)); ``Call.caption`` is the caption.

For benchmarks: ``make_app(..., strict=False)`` skips the HTML/markup validation (recording
stays), and ``h.app.process_update(Update.de_json(payload, h.app.bot))`` is the raw path; build
payloads up front with ``h.updates.message(...)``. For admin handler tests: pass
``admin_ids={ADMIN["id"]}`` and send as ``user=ADMIN``; admin buttons (``a:...``) are pressed
with ``h.press(call, label)`` like any other.

``UpdateFactory`` builds real payloads with correct entities: ``message(text, chat=, user=,
reply_to=, message_id=)`` adds ``bot_command`` (leading ``/cmd`` or ``/cmd@Bot``) and
``mention`` entities with UTF-16 offsets; ``callback(data, message, user=)``;
``inline(query, user=)``. ``private_chat(user)``, ``GROUP``, ``SUPERGROUP``, ``USER``,
``OTHER``, ``ADMIN`` and ``TOKEN`` are module constants.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import re
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.request import BaseRequest, RequestData

from bot.answers import Interop
from bot.config import SEED_PATH, Settings
from bot.telegram.app import build_application
from bot.telegram.context import BotApp
from tests.core import seeded_database
from tests.fakebot.html_check import parse_telegram_html

try:  # the strict fake-server checks, when that module is around
    from tests.fakebot import checks as _checks
    from tests.fakebot.wire import ApiError
except ImportError:  # pragma: no cover - fall back to recording without validation
    _checks = None

    class ApiError(Exception):  # type: ignore[no-redef]
        def __init__(self, description: str, error_code: int = 400) -> None:
            super().__init__(description)
            self.description = description
            self.error_code = error_code

        def payload(self) -> dict[str, Any]:
            return {"ok": False, "error_code": self.error_code, "description": self.description}


TOKEN = "123456789:AAH-fake-token-for-tests_0123456789abcdef"
BOT_USER: dict[str, Any] = {
    "id": 123456789, "is_bot": True, "first_name": "Interop", "username": "InteropTestBot",
    "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": True,
}
USER: dict[str, Any] = {"id": 1001, "is_bot": False, "first_name": "Ada", "username": "ada",
                        "language_code": "en"}
OTHER: dict[str, Any] = {"id": 1002, "is_bot": False, "first_name": "Bob", "username": "bob"}
ADMIN: dict[str, Any] = {"id": 42, "is_bot": False, "first_name": "Owner", "username": "owner"}
GROUP: dict[str, Any] = {"id": -4001, "type": "group", "title": "Interop chat"}
SUPERGROUP: dict[str, Any] = {"id": -1001234567890, "type": "supergroup", "title": "Interop fans"}

_COMMAND = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{3,32}")


def private_chat(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": user["id"], "type": "private", "first_name": user.get("first_name", "")}


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Call:
    """One Bot API call as the bot made it."""

    method: str
    params: dict[str, Any]
    result: Any = None
    rejected: str | None = None
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)  # name -> (filename, bytes, mime)

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def caption(self) -> str:
        return str(self.params.get("caption", ""))

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        return self.params.get("reply_markup")

    @property
    def buttons(self) -> list[tuple[str, str]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data") or b.get("url") or "") for row in rows for b in row]

    @property
    def callback_data(self) -> list[str]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


@dataclass
class _Failure:
    method: str
    predicate: Callable[[dict[str, Any]], bool]
    error: ApiError


class RecordingRequest(BaseRequest):
    """Records every Bot API call and answers like Telegram (see the module docstring)."""

    def __init__(self, bot_user: dict[str, Any] | None = None, *, strict: bool = True) -> None:
        self.bot_user = dict(bot_user or BOT_USER)
        self.strict = strict and _checks is not None
        self.calls: list[Call] = []
        self.rejected: list[Call] = []
        self.messages: dict[tuple[Any, int], dict[str, Any]] = {}
        self.chats: dict[Any, dict[str, Any]] = {}
        self._failures: list[_Failure] = []
        self._hooks: dict[str, list[Callable[[Call], Any]]] = {}
        self._answered: set[str] = set()
        self._ids = itertools.count(5001)
        # getChatMember: (chat_id, user_id) -> status; anyone else is a plain "member".
        self.members: dict[tuple[Any, Any], str] = {}

    # BaseRequest
    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = None, write_timeout: Any = None,
                         connect_timeout: Any = None, pool_timeout: Any = None) -> tuple[int, bytes]:
        call = Call(url.rsplit("/", 1)[-1], dict(request_data.parameters) if request_data else {})
        if request_data is not None and request_data.contains_files:
            for name, part in request_data.multipart_data.items():
                content = part[1] if isinstance(part[1], bytes) else part[1].read()
                call.files[name] = (str(part[0]), content, str(part[2]) if len(part) > 2 else "")
        if call.method not in {"getMe", "getUpdates", "deleteWebhook", "setWebhook", "close"}:
            self.calls.append(call)
        for hook in self._hooks.get(call.method, []):
            outcome = hook(call)
            if inspect.isawaitable(outcome):
                await outcome
        try:
            for failure in self._failures:
                if failure.method == call.method and failure.predicate(call.params):
                    raise failure.error
            if self.strict:
                try:
                    self._validate(call)
                except ApiError as exc:
                    call.rejected = exc.description
                    self.rejected.append(call)
                    raise
            call.result = self._result(call)
        except ApiError as exc:
            return exc.error_code, json.dumps(exc.payload()).encode()
        return 200, json.dumps({"ok": True, "result": call.result}).encode()

    # test API
    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def last(self, method: str) -> Call:
        found = self.of(method)
        assert found, f"no {method} call among {[c.method for c in self.calls]}"
        return found[-1]

    def clear(self) -> None:
        self.calls.clear()

    def fail_when(self, method: str, predicate: Callable[[dict[str, Any]], bool] = lambda p: True,
                  description: str = "Bad Request: chat not found", code: int = 400,
                  **parameters: Any) -> None:
        """``parameters``: ``retry_after=`` or ``migrate_to_chat_id=``, as Telegram sends them."""
        self._failures.append(_Failure(method, predicate, ApiError(description, code, **parameters)))

    def on(self, method: str, callback: Callable[[Call], Any]) -> None:
        self._hooks.setdefault(method, []).append(callback)

    # answering
    def _validate(self, call: Call) -> None:
        assert _checks is not None
        p = call.params
        if call.method in {"sendMessage", "editMessageText"}:
            _checks.render_text(p.get("text"), p.get("parse_mode"), p.get("entities"))
            _checks.check_reply_markup(p.get("reply_markup"), inline_only=call.method != "sendMessage")
        elif call.method == "sendPhoto":
            _checks.render_caption(p.get("caption"), p.get("parse_mode"), p.get("caption_entities"))
            _checks.check_reply_markup(p.get("reply_markup"))
            if "photo" not in call.files:
                raise ApiError("Bad Request: there is no photo in the request")
            _checks.check_photo(call.files["photo"][1])
        elif call.method == "editMessageReplyMarkup":
            _checks.check_reply_markup(p.get("reply_markup"), inline_only=True)
        elif call.method == "answerInlineQuery":
            _checks.check_inline_results(p.get("results"))
        elif call.method == "setMyCommands":
            _checks.check_commands(p.get("commands"))
            _checks.check_scope(p.get("scope"))
        elif call.method == "answerCallbackQuery":
            query_id = str(p.get("callback_query_id"))
            if query_id in self._answered:
                raise ApiError("Bad Request: query is too old and response timeout expired or "
                               "query ID is invalid")
            self._answered.add(query_id)
            if len(str(p.get("text") or "")) > 200:
                raise ApiError("Bad Request: MESSAGE_TOO_LONG")

    def _chat(self, chat_id: Any) -> dict[str, Any]:
        if chat_id in self.chats:
            return self.chats[chat_id]
        if isinstance(chat_id, int) and chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "User"}
        return {"id": chat_id, "type": "supergroup", "title": "Chat"}

    def _result(self, call: Call) -> Any:
        p = call.params
        if call.method == "getMe":
            return self.bot_user
        if call.method == "getUpdates":
            return []
        if call.method == "sendPhoto":
            photo = call.files.get("photo", ("", b"", ""))[1]
            width, height = _checks.check_photo(photo) if _checks is not None and photo else (1, 1)
            message_id = next(self._ids)
            sent: dict[str, Any] = {
                "message_id": message_id, "date": int(time.time()), "chat": self._chat(p["chat_id"]),
                "from": self.bot_user, "caption": p.get("caption", ""),
                "photo": [{"file_id": f"photo{message_id}", "file_unique_id": f"p{message_id}",
                           "width": width, "height": height, "file_size": len(photo)}]}
            if p.get("reply_markup"):
                sent["reply_markup"] = p["reply_markup"]
            self.messages[(p["chat_id"], message_id)] = sent
            return sent
        if call.method == "getChatMember":
            user_id = int(p["user_id"])
            status = self.members.get((int(p["chat_id"]), user_id), "member")
            member: dict[str, Any] = {"status": status, "user": {
                "id": user_id, "is_bot": False, "first_name": "User"}}
            if status == "administrator":
                member.update(can_be_edited=False, is_anonymous=False, can_manage_chat=True,
                              can_delete_messages=True, can_manage_video_chats=True,
                              can_restrict_members=True, can_promote_members=False,
                              can_change_info=True, can_invite_users=True,
                              can_post_stories=False, can_edit_stories=False,
                              can_delete_stories=False)
            elif status == "creator":
                member["is_anonymous"] = False
            return member
        if call.method in {"sendMessage", "editMessageText", "editMessageReplyMarkup"}:
            if "inline_message_id" in p:
                return True
            chat_id = p["chat_id"]
            if call.method == "sendMessage":
                message_id = next(self._ids)
                message: dict[str, Any] = {"message_id": message_id, "date": int(time.time()),
                                           "chat": self._chat(chat_id), "from": self.bot_user}
            else:
                message_id = int(p["message_id"])
                message = dict(self.messages.get((chat_id, message_id)) or {
                    "message_id": message_id, "date": int(time.time()),
                    "chat": self._chat(chat_id), "from": self.bot_user})
                message["edit_date"] = int(time.time())
            if call.method != "editMessageReplyMarkup":
                text = p.get("text", "")
                if _checks is not None and self.strict:
                    text, entities = _checks.render_text(text, p.get("parse_mode"), p.get("entities"))
                    message["entities"] = entities
                message["text"] = text
                message["html"] = p.get("text", "")  # not a Bot API field; PTB ignores it
            if p.get("reply_markup") and "inline_keyboard" in p["reply_markup"]:
                message["reply_markup"] = p["reply_markup"]  # Telegram echoes inline keyboards only
            else:
                message.pop("reply_markup", None)
            if "reply_parameters" in p:
                message["reply_to_message"] = self.messages.get(
                    (chat_id, p["reply_parameters"].get("message_id")),
                    {"message_id": p["reply_parameters"].get("message_id"), "date": 0,
                     "chat": self._chat(chat_id)})
            self.messages[(chat_id, message_id)] = message
            return message
        return True


class UpdateFactory:
    """Real Update payloads, with the entities Telegram would add."""

    def __init__(self, bot_user: dict[str, Any]) -> None:
        self.bot_user = bot_user
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)
        self._query_ids = itertools.count(1)

    def message(self, text: str, *, chat: dict[str, Any] | None = None, user: dict[str, Any] | None = None,
                reply_to: dict[str, Any] | None = None, message_id: int | None = None,
                entities: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        user = user or USER
        chat = chat or private_chat(user)
        message: dict[str, Any] = {
            "message_id": message_id or next(self._message_ids), "date": int(time.time()),
            "chat": chat, "from": user, "text": text,
        }
        found = entities if entities is not None else self.entities(text)
        if found:
            message["entities"] = found
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        return {"update_id": next(self._update_ids), "message": message}

    @staticmethod
    def entities(text: str) -> list[dict[str, Any]]:
        found = []
        command = _COMMAND.match(text)
        if command:
            found.append({"type": "bot_command", "offset": 0, "length": _utf16(command.group())})
        for mention in _MENTION.finditer(text):
            if command and mention.start() < command.end():
                continue
            found.append({"type": "mention", "offset": _utf16(text[: mention.start()]),
                          "length": _utf16(mention.group())})
        return found

    def callback(self, data: str, message: dict[str, Any], *,
                 user: dict[str, Any] | None = None) -> dict[str, Any]:
        clean = {k: v for k, v in message.items() if k != "html"}
        return {"update_id": next(self._update_ids), "callback_query": {
            "id": str(next(self._query_ids)), "from": user or USER, "chat_instance": "ci-1",
            "data": data, "message": clean}}

    def inline(self, query: str, *, user: dict[str, Any] | None = None) -> dict[str, Any]:
        return {"update_id": next(self._update_ids), "inline_query": {
            "id": f"iq{next(self._query_ids)}", "from": user or USER, "query": query, "offset": "",
            "chat_type": "sender"}}


@dataclass
class Harness:
    """The running app plus helpers to feed it updates and read what it sent."""

    app: BotApp
    rec: RecordingRequest
    settings: Settings
    user: dict[str, Any] = field(default_factory=lambda: dict(USER))
    allow_rejected: bool = False
    last_update_message_id: int | None = None

    def __post_init__(self) -> None:
        self.updates = UpdateFactory(self.rec.bot_user)

    @property
    def bot(self) -> dict[str, Any]:
        return self.rec.bot_user

    @property
    def bot_data(self) -> dict[Any, Any]:
        return self.app.bot_data

    @property
    def interop(self) -> Interop:
        return self.app.bot_data.interop

    async def process(self, payload: dict[str, Any]) -> list[Call]:
        """Feed one update through Application.process_update; the calls it made."""
        start = len(self.rec.calls)
        rejected = len(self.rec.rejected)
        for key in ("message", "edited_message"):
            if key in payload:
                self.rec.chats[payload[key]["chat"]["id"]] = payload[key]["chat"]
                self.last_update_message_id = payload[key]["message_id"]
        # In its own task, as PTB runs each update: what one update sets in its context (the reply
        # language) never leaks into the test or the next update.
        await asyncio.create_task(self.app.process_update(Update.de_json(payload, self.app.bot)))
        if not self.allow_rejected and len(self.rec.rejected) > rejected:
            bad = self.rec.rejected[rejected]
            raise AssertionError(f"Telegram would reject {bad.method}: {bad.rejected}\n{bad.params}")
        return self.rec.calls[start:]

    async def send(self, text: str, *, chat: dict[str, Any] | None = None,
                   user: dict[str, Any] | None = None,
                   reply_to: dict[str, Any] | Call | None = None) -> list[Call]:
        if isinstance(reply_to, Call):
            reply_to = self.message_of(reply_to)
        payload = self.updates.message(text, chat=chat, user=user or self.user, reply_to=reply_to)
        return await self.process(payload)

    async def inline(self, query: str, *, user: dict[str, Any] | None = None) -> list[Call]:
        return await self.process(self.updates.inline(query, user=user or self.user))

    def message_of(self, call: Call) -> dict[str, Any]:
        """The latest stored version of the message a sendMessage/edit call produced."""
        assert isinstance(call.result, dict), f"{call.method} produced no message"
        return self.rec.messages[(call.result["chat"]["id"], call.result["message_id"])]

    async def press(self, target: Call | dict[str, Any], label: str | None = None, *,
                    data: str | None = None, user: dict[str, Any] | None = None) -> list[Call]:
        message = self.message_of(target) if isinstance(target, Call) else target
        if data is None:
            rows = message.get("reply_markup", {}).get("inline_keyboard", [])
            buttons = {b["text"]: b.get("callback_data") for row in rows for b in row}
            assert label in buttons, f"no button {label!r} among {list(buttons)}"
            data = buttons[label]
            assert data is not None
        return await self.process(self.updates.callback(data, message, user=user or self.user))


def settings_for(tmp_path: Path, *, admin_ids: Iterable[int] = (), error_chat_id: int | None = None,
                 **overrides: Any) -> Settings:
    return Settings(token=TOKEN, database_path=tmp_path / "interop.sqlite3",
                    admin_ids=frozenset(admin_ids), error_chat_id=error_chat_id,
                    seed_path=overrides.pop("seed_path", SEED_PATH), **overrides)


@asynccontextmanager
async def make_app(tmp_path: Path, *, admin_ids: Iterable[int] = (), error_chat_id: int | None = None,
                   interop: Interop | None = None, seed: bool = True, strict: bool = True,
                   before_post_init: Callable[[Harness], Any] | None = None,
                   **settings: Any) -> AsyncIterator[Harness]:
    """The real application on a temp database, initialised and post_init'ed (see module doc)."""
    if not seed:
        settings["seed_path"] = tmp_path / "no-seed.json"
        settings["seed_path"].write_text('{"format": "interop-bot/1", "companies": [], "facts": []}')
    settings.setdefault("rate_limiter", False)  # Telegram's flood limits: on only where tested
    config = settings_for(tmp_path, admin_ids=admin_ids, error_chat_id=error_chat_id, **settings)
    if interop is None and config.seed_path == SEED_PATH and not config.database_path.exists():
        await seeded_database(config.database_path)  # what post_init's first start would write
    rec = RecordingRequest(strict=strict)
    app = build_application(config, interop, request=rec, get_updates_request=RecordingRequest())
    harness = Harness(app, rec, config)
    async with app:
        try:
            assert app.post_init is not None
            if before_post_init is not None:
                outcome = before_post_init(harness)
                if inspect.isawaitable(outcome):
                    await outcome
            await app.post_init(app)
            yield harness
        finally:
            if app.post_shutdown is not None:
                await app.post_shutdown(app)


# -- assertions shared by the handler tests ------------------------------------------------------

JD_ALIPAY = "🟡 Partly: JD.com × Alipay"


def visible(call: Call) -> str:
    """The text as the user sees it: HTML parsed the way Telegram parses it."""
    return parse_telegram_html(call.text)[0]


def only(calls: list[Call], method: str = "sendMessage") -> Call:
    """The single call an update caused, which must be ``method``."""
    assert [c.method for c in calls] == [method], [(c.method, c.text[:80]) for c in calls]
    return calls[0]
