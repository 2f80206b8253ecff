"""A local fake of the Telegram Bot API, for end-to-end tests of the real bot process.

The bot under test talks HTTP to this server exactly as it would to api.telegram.org (start it
with ``TELEGRAM_BASE_URL=fake.base_url`` and ``TELEGRAM_BASE_FILE_URL=fake.base_file_url``),
while the test plays the users: it enqueues updates (messages, button presses, inline queries,
uploaded documents) and then waits for the bot's API calls.  Requests are validated the way
Telegram validates them, so formatting and keyboard bugs fail here instead of in production.

The server runs in a background thread (``ThreadingHTTPServer``), so it can be used from sync
tests, from async tests (``await_for``/``await_for_message``) and from a bot in a subprocess.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

from .checks import (
    check_commands,
    check_inline_results,
    check_photo,
    check_reply_markup,
    check_scope,
    render_caption,
    render_text,
)
from .html_check import utf16_len
from .wire import ApiError, UploadedFile, decode_body, decode_params

__all__ = ["Call", "FakeTelegram"]

Predicate = Callable[["Call"], bool]

_SEND_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
_DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")
_MENTION = re.compile(r"(?<![\w@/])@[A-Za-z][A-Za-z0-9_]{4,31}(?![A-Za-z0-9_])")
_URL = re.compile(r"(?<!\S)https?://[^\s<>\"]+")
_MAX_UPLOAD_BYTES = 50 * 1024 * 1024
# Telegram's stand-in senders for anonymous group admins and channel posts in groups.
_GROUP_ANONYMOUS_BOT = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
_CHANNEL_BOT = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


@dataclass(frozen=True)
class Call:
    """One Bot API request the bot made, with its decoded parameters and the outcome."""

    method: str
    params: dict[str, Any]
    time: float
    ok: bool
    result: Any = None
    error_code: int | None = None
    description: str | None = None

    def short(self) -> str:
        """A one-line summary for timeout messages."""
        detail = self.params.get("text") or self.params.get("caption") or ""
        outcome = "ok" if self.ok else f"{self.error_code} {self.description}"
        return f"{self.method}({self.params.get('chat_id', '')}) {str(detail)[:60]!r} -> {outcome}"


@dataclass
class _Waiter:
    """A pending wait_for: fired from the server thread when a matching call is recorded."""

    predicate: Predicate
    since: int
    deliver: Callable[[Call | None, BaseException | None], None]
    fired: bool = False


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    file_name: str
    mime_type: str


@dataclass
class _ApiMethod:
    name: str
    handler: Callable[[dict[str, Any]], Any]


@dataclass
class _Injected:
    error: ApiError
    remaining: int = 1
    chat_id: int | None = None  # only calls to this chat (None: any call)


@dataclass
class _PollState:
    """Long-polling bookkeeping: who is waiting and which poll is the current one."""

    waiting: int = 0
    generation: int = 0
    allowed: frozenset[str] = field(default_factory=lambda: _DEFAULT_UPDATE_TYPES)


class FakeTelegram:
    """A fake Bot API server plus the test-side controls that play Telegram's users."""

    def __init__(
        self,
        token: str = "123456789:AAFakeTokenForInteropBotTests_0123456",
        *,
        bot_username: str = "InteropTestBot",
        bot_first_name: str = "Interop Test Bot",
        bot_id: int | None = None,
        can_join_groups: bool = True,
        privacy_mode: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        prefix = token.split(":", 1)[0]
        self.bot_id = bot_id if bot_id is not None else (int(prefix) if prefix.isdigit() else 1)
        self.bot_first_name = bot_first_name
        self.can_join_groups = can_join_groups
        self.privacy_mode = privacy_mode
        self._host = host
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._closing = False

        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._calls: list[Call] = []
        self._waiters: list[_Waiter] = []
        self._injected: dict[str, list[_Injected]] = {}

        self._pending: list[dict[str, Any]] = []
        self._available_at: dict[int | str, float] = {}  # update or query id -> time.time() enqueued
        self._delivered_at: dict[int, float] = {}  # update_id -> first getUpdates that returned it
        self._listeners: list[Callable[[Call], None]] = []
        self._next_update_id = 100000
        self._poll = _PollState()
        self._webhook_url = ""

        self._users: dict[int, dict[str, Any]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._blocked: set[int] = set()
        self._members: dict[tuple[int, int], str] = {}  # (chat, user) -> status; else "member"
        self._messages: dict[int, dict[int, dict[str, Any]]] = {}
        self._last_message_id: dict[int, int] = {}
        self._bot_messages: list[tuple[int, int]] = []
        self._deleted: set[tuple[int, int]] = set()
        self._callbacks: dict[str, bool] = {}  # query id -> answered
        self._inline_queries: dict[str, bool] = {}
        self._next_query_id = 4_000_000_000_000_000_000
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._undelivered: list[dict[str, Any]] = []

        self._answers_to_callbacks: list[dict[str, Any]] = []
        self._inline_answers: list[dict[str, Any]] = []
        self._documents: list[dict[str, Any]] = []
        self._photos: list[dict[str, Any]] = []
        self._edits: list[dict[str, Any]] = []
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._downloads: list[str] = []

        self._methods = {
            m.name.lower(): m
            for m in (
                _ApiMethod("getMe", self._get_me),
                _ApiMethod("getUpdates", self._get_updates),
                _ApiMethod("deleteWebhook", self._delete_webhook),
                _ApiMethod("setWebhook", self._set_webhook),
                _ApiMethod("getWebhookInfo", self._get_webhook_info),
                _ApiMethod("logOut", lambda p: True),
                _ApiMethod("close", lambda p: True),
                _ApiMethod("setMyCommands", self._set_my_commands),
                _ApiMethod("getMyCommands", self._get_my_commands),
                _ApiMethod("deleteMyCommands", self._delete_my_commands),
                _ApiMethod("setMyDescription", lambda p: True),
                _ApiMethod("setMyShortDescription", lambda p: True),
                _ApiMethod("setMyName", lambda p: True),
                _ApiMethod("setChatMenuButton", lambda p: True),
                _ApiMethod("getChat", self._get_chat),
                _ApiMethod("getChatMember", self._get_chat_member),
                _ApiMethod("sendMessage", self._send_message),
                _ApiMethod("sendDocument", self._send_document),
                _ApiMethod("sendPhoto", self._send_photo),
                _ApiMethod("sendChatAction", self._send_chat_action),
                _ApiMethod("editMessageText", self._edit_message_text),
                _ApiMethod("editMessageReplyMarkup", self._edit_message_reply_markup),
                _ApiMethod("deleteMessage", self._delete_message),
                _ApiMethod("answerCallbackQuery", self._answer_callback_query),
                _ApiMethod("answerInlineQuery", self._answer_inline_query),
                _ApiMethod("getFile", self._get_file),
            )
        }

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeTelegram:
        """Bind to a free port and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("FakeTelegram is already running")
        self._closing = False
        server = _Server((self._host, self._port), _make_handler(self))
        server.daemon_threads = True
        server.block_on_close = False  # a blocked long poll must not delay stop()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name=f"FakeTelegram:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release pending long polls (they answer ``[]``) and shut the server down."""
        with self._lock:
            self._closing = True
            self._changed.notify_all()
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeTelegram is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """Value for ``TELEGRAM_BASE_URL`` / ``Bot(base_url=...)``; the token is appended."""
        return f"http://{self._host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Value for ``TELEGRAM_BASE_FILE_URL`` / ``Bot(base_file_url=...)``."""
        return f"http://{self._host}:{self.port}/file/bot"

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot as it appears in ``from`` of its own messages."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # ------------------------------------------------------------------ playing the users

    def add_chat(
        self,
        chat_id: int,
        *,
        chat_type: str = "private",
        title: str | None = None,
        first_name: str = "Ann",
        username: str | None = None,
    ) -> dict[str, Any]:
        """Make a chat known (the bot may then message it) without sending anything."""
        with self._lock:
            return copy.deepcopy(self._ensure_chat(chat_id, chat_type, title, first_name, username))

    def set_language(self, user_id: int, language_code: str | None, *, first_name: str = "Ann") -> None:
        """The user's app language, sent as ``language_code`` in their updates (None: not sent)."""
        with self._lock:
            user = self._ensure_user(user_id, first_name, None)
            if language_code is None:
                user.pop("language_code", None)
            else:
                user["language_code"] = language_code

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """What getChatMember reports for a user in a group: "administrator", "creator", "left"..."""
        with self._lock:
            self._members[(chat_id, user_id)] = status

    def block_bot(self, user_id: int) -> None:
        """The user blocks the bot: further sends to the private chat get 403."""
        with self._lock:
            self._blocked.add(user_id)

    def private_message(
        self,
        user_id: int,
        text: str,
        *,
        first_name: str = "Ann",
        username: str | None = None,
        reply_to: int | None = None,
    ) -> dict[str, Any]:
        """A user writes to the bot in private; returns the enqueued Update."""
        with self._lock:
            user = self._ensure_user(user_id, first_name, username)
            chat = self._ensure_chat(user_id, "private", None, first_name, username)
            message = self._new_user_message(chat, user, reply_to=reply_to)
            _set_text(message, "text", text)
            return self._deliver_message(message)

    def group_message(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        chat_type: str = "supergroup",
        title: str = "Interop Test Group",
        first_name: str = "Ann",
        username: str | None = None,
        reply_to_message_id: int | None = None,
        sender_chat: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """A user (or, with sender_chat, an anonymous admin/channel) writes in a group.

        With privacy mode on (the default, as getMe reports), Telegram only delivers commands
        (``/cmd`` or ``/cmd@ThisBot``) and replies to the bot's messages; anything else is
        recorded in ``undelivered`` instead of the update queue.  The Update is returned
        either way.
        """
        if chat_type not in ("group", "supergroup"):
            raise ValueError("chat_type must be 'group' or 'supergroup'")
        with self._lock:
            chat = self._ensure_chat(chat_id, chat_type, title, first_name, None)
            user = self._ensure_user(user_id, first_name, username)
            if sender_chat is not None:
                user = copy.deepcopy(
                    _GROUP_ANONYMOUS_BOT if sender_chat.get("id") == chat_id else _CHANNEL_BOT
                )
            message = self._new_user_message(chat, user, reply_to=reply_to_message_id)
            if sender_chat is not None:
                message["sender_chat"] = copy.deepcopy(sender_chat)
            _set_text(message, "text", text)
            return self._deliver_message(message)

    def upload_document(
        self,
        chat_id: int,
        user_id: int,
        filename: str,
        content: bytes,
        *,
        caption: str | None = None,
        mime_type: str = "application/json",
        reply_to_message_id: int | None = None,
        first_name: str = "Ann",
    ) -> dict[str, Any]:
        """A user sends a document; the bot can getFile it and download the bytes."""
        with self._lock:
            user = self._ensure_user(user_id, first_name, None)
            chat = self._chats.get(chat_id) or self._ensure_chat(
                chat_id,
                "private" if chat_id == user_id else "supergroup",
                None if chat_id == user_id else "Interop Test Group",
                first_name,
                None,
            )
            stored = self._store_file(filename, content, mime_type)
            message = self._new_user_message(chat, user, reply_to=reply_to_message_id)
            message["document"] = _document_payload(stored)
            if caption:
                _set_text(message, "caption", caption)
            return self._deliver_message(message)

    def press_button(
        self,
        chat_id: int,
        message_id: int,
        callback_data: str,
        *,
        user_id: int,
        first_name: str = "Ann",
        check_button: bool = True,
    ) -> str:
        """A user presses an inline button of a bot message; returns the callback query id.

        By default the button must exist in the message's current keyboard, as a real client
        can only press what it shows (``check_button=False`` forges arbitrary data).
        """
        with self._lock:
            message = self._messages.get(chat_id, {}).get(message_id)
            if message is None or (chat_id, message_id) in self._deleted:
                raise ValueError(f"no message {message_id} in chat {chat_id}")
            if check_button and callback_data not in _callback_datas(message):
                raise ValueError(
                    f"message {message_id} has no button with callback_data {callback_data!r}; "
                    f"it has {_callback_datas(message)}"
                )
            user = self._ensure_user(user_id, first_name, None)
            query_id = self._new_query_id()
            self._callbacks[query_id] = False
            self._enqueue(
                "callback_query",
                {
                    "id": query_id,
                    "from": copy.deepcopy(user),
                    "message": copy.deepcopy(message),
                    "chat_instance": str(-abs(chat_id) * 31 - 7),
                    "data": callback_data,
                },
            )
            return query_id

    def inline_query(
        self,
        user_id: int,
        query: str,
        *,
        offset: str = "",
        chat_type: str = "sender",
        first_name: str = "Ann",
    ) -> str:
        """A user types ``@bot query`` in some chat; returns the inline query id."""
        with self._lock:
            user = self._ensure_user(user_id, first_name, None)
            query_id = self._new_query_id()
            self._inline_queries[query_id] = False
            self._enqueue(
                "inline_query",
                {
                    "id": query_id,
                    "from": copy.deepcopy(user),
                    "query": query,
                    "offset": offset,
                    "chat_type": chat_type,
                },
            )
            return query_id

    def enqueue_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Escape hatch: enqueue a hand-written update (update_id is assigned)."""
        kinds = [key for key in update if key != "update_id"]
        if len(kinds) != 1:
            raise ValueError("an update has exactly one payload field")
        with self._lock:
            return self._enqueue(kinds[0], copy.deepcopy(update[kinds[0]]))

    def inject_error(
        self,
        method: str,
        description: str,
        *,
        error_code: int = 400,
        retry_after: int | None = None,
        count: int = 1,
        chat_id: int | None = None,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` (to ``chat_id``, if given) fail, e.g. 429
        with retry_after, or a group's "upgraded to a supergroup" with migrate_to_chat_id."""
        with self._lock:
            canonical = self._methods[method.lower()].name
            self._injected.setdefault(canonical, []).append(
                _Injected(ApiError(description, error_code, retry_after, migrate_to_chat_id),
                          count, chat_id)
            )

    # ------------------------------------------------------------------ observing the bot

    @property
    def calls(self) -> list[Call]:
        """Every API call so far (snapshot), including failed and unknown-method ones."""
        with self._lock:
            return list(self._calls)

    def mark(self) -> int:
        """A position in ``calls``; pass it as ``since=`` to ignore everything before now."""
        with self._lock:
            return len(self._calls)

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Messages the bot sent, in order, as they are now (after edits, minus deletions)."""
        with self._lock:
            return [
                copy.deepcopy(self._messages[chat][mid])
                for chat, mid in self._bot_messages
                if (chat_id is None or chat == chat_id) and (chat, mid) not in self._deleted
            ]

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        """Any stored message (user's or bot's) in its current state."""
        with self._lock:
            return copy.deepcopy(self._messages[chat_id][message_id])

    @property
    def answers_to_callbacks(self) -> list[dict[str, Any]]:
        """Parameters of each successful answerCallbackQuery."""
        with self._lock:
            return copy.deepcopy(self._answers_to_callbacks)

    @property
    def inline_answers(self) -> list[dict[str, Any]]:
        """Parameters (with decoded ``results``) of each successful answerInlineQuery."""
        with self._lock:
            return copy.deepcopy(self._inline_answers)

    @property
    def documents(self) -> list[dict[str, Any]]:
        """Documents the bot sent: chat_id, message_id, filename, content, mime_type, caption."""
        with self._lock:
            return copy.deepcopy(self._documents)

    @property
    def photos(self) -> list[dict[str, Any]]:
        """Photos the bot sent: chat_id, message_id, content, width, height, caption."""
        with self._lock:
            return copy.deepcopy(self._photos)

    @property
    def edits(self) -> list[dict[str, Any]]:
        """Successful edits: method, chat_id, message_id, params and the resulting message."""
        with self._lock:
            return copy.deepcopy(self._edits)

    @property
    def commands(self) -> dict[tuple[str, str], list[dict[str, Any]]]:
        """setMyCommands state keyed by (scope as canonical JSON, language_code)."""
        with self._lock:
            return copy.deepcopy(self._commands)

    def commands_for(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        """The command list the bot set for one scope (default scope when None)."""
        with self._lock:
            return copy.deepcopy(self._commands.get(_scope_key(scope, language_code), []))

    @property
    def downloads(self) -> list[str]:
        """file_paths the bot downloaded from the file URL."""
        with self._lock:
            return list(self._downloads)

    @property
    def undelivered(self) -> list[dict[str, Any]]:
        """Group updates that privacy mode kept from the bot."""
        with self._lock:
            return copy.deepcopy(self._undelivered)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot (via a later getUpdates offset)."""
        with self._lock:
            return copy.deepcopy(self._pending)

    def available_at(self, update_id: int | str) -> float | None:
        """When an update became available to getUpdates (``time.time()``, as ``Call.time``).

        ``update_id`` may also be the id of an inline or callback query (what ``inline_query``
        and ``press_button`` return).
        """
        with self._lock:
            return self._available_at.get(update_id)

    def delivered_at(self, update_id: int) -> float | None:
        """When a getUpdates first returned the update; None while it is still queued."""
        with self._lock:
            return self._delivered_at.get(update_id)

    def add_listener(self, listener: Callable[[Call], None]) -> None:
        """Call ``listener`` with every recorded call, in order, from the server thread.

        For load drivers that follow thousands of replies: cheaper than one waiter each. The
        listener runs under the server's lock, so it must be quick and must not call back in.
        """
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[Call], None]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def wait_for(self, predicate: Predicate, timeout: float = 10, *, since: int = 0) -> Call:
        """Block until a call at index >= ``since`` matches ``predicate``; past calls count.

        Do not use from the event loop that runs the bot (that would block it); use
        ``await_for`` there.
        """
        done = threading.Event()
        box: dict[str, Any] = {}

        def deliver(call: Call | None, error: BaseException | None) -> None:
            box["call"], box["error"] = call, error
            done.set()

        waiter = self._add_waiter(predicate, since, deliver)
        if not done.wait(timeout):
            self._remove_waiter(waiter)
            if not done.is_set():
                raise TimeoutError(self._timeout_message(timeout, since))
        if box["error"] is not None:
            raise box["error"]
        return box["call"]

    async def await_for(
        self,
        predicate: Predicate,
        timeout: float = 10,  # noqa: ASYNC109 - same signature as wait_for on purpose
        *,
        since: int = 0,
    ) -> Call:
        """``wait_for`` for async tests: waits without blocking the event loop."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Call] = loop.create_future()

        def settle(call: Call | None, error: BaseException | None) -> None:
            if future.done():
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(call)  # type: ignore[arg-type]

        def deliver(call: Call | None, error: BaseException | None) -> None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(settle, call, error)

        waiter = self._add_waiter(predicate, since, deliver)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise TimeoutError(self._timeout_message(timeout, since)) from None
        finally:
            self._remove_waiter(waiter)

    def wait_for_message(
        self,
        chat_id: int,
        *,
        contains: str | None = None,
        timeout: float = 10,
        since: int = 0,
    ) -> dict[str, Any]:
        """Block until the bot sent a message to ``chat_id`` (optionally containing a string).

        ``contains`` is matched against the visible text/caption and the raw parameter, so both
        ``"works with"`` and ``"<b>Slack</b>"`` find an HTML message.  Returns the message in
        its current state.
        """
        call = self.wait_for(_sent_to(chat_id, contains), timeout, since=since)
        return self._current(call)

    async def await_for_message(
        self,
        chat_id: int,
        *,
        contains: str | None = None,
        timeout: float = 10,  # noqa: ASYNC109 - mirrors wait_for_message
        since: int = 0,
    ) -> dict[str, Any]:
        """``wait_for_message`` for async tests."""
        call = await self.await_for(_sent_to(chat_id, contains), timeout, since=since)
        return self._current(call)

    def wait_until_polling(self, timeout: float = 10) -> None:
        """Block until some getUpdates long poll is waiting on the server (bot is up)."""
        with self._lock:
            if not self._changed.wait_for(lambda: self._poll.waiting > 0, timeout):
                raise TimeoutError(f"no getUpdates long poll within {timeout} s")

    async def await_polling(self, timeout: float = 10) -> None:  # noqa: ASYNC109
        """``wait_until_polling`` for async tests."""
        await asyncio.to_thread(self.wait_until_polling, timeout)

    # ------------------------------------------------------------------ internals: state

    def _ensure_user(self, user_id: int, first_name: str, username: str | None) -> dict[str, Any]:
        user = self._users.get(user_id)
        if user is None:
            user = {"id": user_id, "is_bot": False, "first_name": first_name}
            name = username if username is not None else f"{first_name.lower()}{user_id}"
            if name:
                user["username"] = name
            user["language_code"] = "en"
            self._users[user_id] = user
        return user

    def _ensure_chat(
        self,
        chat_id: int,
        chat_type: str,
        title: str | None,
        first_name: str,
        username: str | None,
    ) -> dict[str, Any]:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = {"id": chat_id, "type": chat_type}
            if chat_type == "private":
                chat["first_name"] = first_name
                name = username if username is not None else f"{first_name.lower()}{chat_id}"
                if name:
                    chat["username"] = name
            else:
                chat["title"] = title or "Interop Test Group"
            self._chats[chat_id] = chat
        return chat

    def _new_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _new_query_id(self) -> str:
        self._next_query_id += 1
        return str(self._next_query_id)

    def _reply_copy(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """The replied-to message as Telegram embeds it (one level, no nested reply)."""
        original = self._messages.get(chat_id, {}).get(message_id)
        if original is None or (chat_id, message_id) in self._deleted:
            return None
        embedded = copy.deepcopy(original)
        embedded.pop("reply_to_message", None)
        return embedded

    def _new_user_message(
        self, chat: dict[str, Any], user: dict[str, Any], *, reply_to: int | None
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat["id"]),
            "from": copy.deepcopy(user),
            "chat": copy.deepcopy(chat),
            "date": int(time.time()),
        }
        if reply_to is not None:
            embedded = self._reply_copy(chat["id"], reply_to)
            if embedded is None:
                raise ValueError(f"no message {reply_to} in chat {chat['id']} to reply to")
            message["reply_to_message"] = embedded
        return message

    def _deliver_message(self, message: dict[str, Any]) -> dict[str, Any]:
        """Store a user message and enqueue it, unless group privacy mode hides it."""
        chat_id = message["chat"]["id"]
        self._messages.setdefault(chat_id, {})[message["message_id"]] = message
        if self._hidden_by_privacy(message):
            self._next_update_id += 1
            update = {"update_id": self._next_update_id, "message": copy.deepcopy(message)}
            self._undelivered.append(update)
            return copy.deepcopy(update)
        return self._enqueue("message", copy.deepcopy(message))

    def _hidden_by_privacy(self, message: dict[str, Any]) -> bool:
        if not self.privacy_mode or message["chat"]["type"] not in ("group", "supergroup"):
            return False
        reply = message.get("reply_to_message")
        if reply is not None and reply.get("from", {}).get("id") == self.bot_id:
            return False
        body = message.get("text") or message.get("caption") or ""
        for entity in message.get("entities") or message.get("caption_entities") or []:
            if entity["type"] != "bot_command":
                continue
            command = _utf16_slice(body, entity["offset"], entity["length"])
            _, _, addressee = command.partition("@")
            if not addressee or addressee.lower() == self.bot_username.lower():
                return False
        return True

    def _enqueue(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        self._next_update_id += 1
        update = {"update_id": self._next_update_id, kind: payload}
        now = time.time()
        self._available_at[self._next_update_id] = now
        if kind in ("inline_query", "callback_query"):
            self._available_at[payload["id"]] = now
        self._pending.append(update)
        self._changed.notify_all()
        return copy.deepcopy(update)

    def _store_file(self, filename: str, content: bytes, mime_type: str) -> _StoredFile:
        number = len(self._files) + 1
        suffix = re.sub(r"[^A-Za-z0-9.]", "", filename.rsplit(".", 1)[-1]) if "." in filename else ""
        stored = _StoredFile(
            file_id=f"BQACAgIAAxkBAAI{number:06d}FakeTelegramDocument",
            file_unique_id=f"AgAD{number:06d}",
            file_path=f"documents/file_{number}" + (f".{suffix}" if suffix else ""),
            content=bytes(content),
            file_name=filename,
            mime_type=mime_type,
        )
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _current(self, call: Call) -> dict[str, Any]:
        message = call.result
        return self.message(message["chat"]["id"], message["message_id"])

    # ------------------------------------------------------------------ internals: waiting

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)
            index = len(self._calls) - 1
            for waiter in list(self._waiters):
                if index >= waiter.since:
                    self._try_fire(waiter, call)
            for listener in self._listeners:
                listener(call)
            self._changed.notify_all()

    def _try_fire(self, waiter: _Waiter, call: Call) -> None:
        """Deliver ``call`` if it matches; a predicate that raises is reported to the waiter."""
        if waiter.fired:
            return
        try:
            matched = waiter.predicate(call)
        except Exception as exc:  # reported to the test, not swallowed
            waiter.fired = True
            self._waiters.remove(waiter)
            waiter.deliver(None, exc)
            return
        if matched:
            waiter.fired = True
            self._waiters.remove(waiter)
            waiter.deliver(call, None)

    def _add_waiter(
        self,
        predicate: Predicate,
        since: int,
        deliver: Callable[[Call | None, BaseException | None], None],
    ) -> _Waiter:
        with self._lock:
            waiter = _Waiter(predicate, since, deliver)
            self._waiters.append(waiter)
            for call in self._calls[since:]:
                self._try_fire(waiter, call)
                if waiter.fired:
                    break
            return waiter

    def _remove_waiter(self, waiter: _Waiter) -> None:
        with self._lock:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def _timeout_message(self, timeout: float, since: int) -> str:
        with self._lock:
            recent = [c.short() for c in self._calls[since:] if c.method != "getUpdates"][-10:]
        listing = "\n  ".join(recent) or "(no calls besides getUpdates)"
        return f"no matching Bot API call within {timeout} s; recent calls:\n  {listing}"

    # ------------------------------------------------------------------ internals: HTTP

    def handle_api(
        self, token: str, method: str, content_type: str, body: bytes, query: str
    ) -> tuple[int, dict[str, Any]]:
        """Run one Bot API request and record it; returns (HTTP status, JSON payload)."""
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        entry = self._methods.get(method.lower())
        name = entry.name if entry else method
        params: dict[str, Any] = {}
        try:
            params = decode_params(decode_body(content_type, body, query))
            if entry is None:
                raise ApiError("Not Found", 404)
            injected = self._take_injected(entry.name, params.get("chat_id"))
            if injected is not None:
                raise injected
            if entry.name == "getUpdates":
                result = entry.handler(params)  # waits on the condition, releasing the lock
            else:
                with self._lock:
                    result = entry.handler(params)
        except ApiError as exc:
            self._record(Call(name, params, time.time(), False, None, exc.error_code, exc.description))
            return exc.error_code, exc.payload()
        except Exception as exc:  # a fake-server bug must be visible, not a hang
            description = f"Internal Server Error: fake server bug: {exc!r}"
            self._record(Call(name, params, time.time(), False, None, 500, description))
            return 500, {"ok": False, "error_code": 500, "description": description}
        result = copy.deepcopy(result)
        self._record(Call(name, params, time.time(), True, copy.deepcopy(result)))
        return 200, {"ok": True, "result": result}

    def serve_file(self, token: str, file_path: str) -> tuple[int, bytes, str]:
        """Answer a file download: (status, body, content type)."""
        if token != self.token:
            body = {"ok": False, "error_code": 401, "description": "Unauthorized"}
            return 401, json.dumps(body).encode(), "application/json"
        with self._lock:
            stored = self._files_by_path.get(file_path)
            if stored is None:
                body = {"ok": False, "error_code": 404, "description": "Not Found"}
                return 404, json.dumps(body).encode(), "application/json"
            self._downloads.append(file_path)
            return 200, stored.content, stored.mime_type

    def _take_injected(self, method: str, chat_id: Any = None) -> ApiError | None:
        with self._lock:
            queue = self._injected.get(method)
            if not queue:
                return None
            head = next((i for i in queue if i.chat_id is None or i.chat_id == chat_id), None)
            if head is None:
                return None
            head.remaining -= 1
            if head.remaining <= 0:
                queue.remove(head)
            return head.error

    # ------------------------------------------------------------------ Bot API methods

    def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": self.can_join_groups,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Real long polling: block until an update is deliverable, the timeout, or stop()."""
        offset = params.get("offset")
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        timeout = max(float(params.get("timeout", 0)), 0.0)
        deadline = time.monotonic() + timeout
        with self._lock:
            if self._webhook_url:
                raise ApiError(
                    "Conflict: can't use getUpdates method while webhook is active; use "
                    "deleteWebhook to delete the webhook first",
                    409,
                )
            allowed = params.get("allowed_updates")
            if isinstance(allowed, list):
                self._poll.allowed = frozenset(allowed) if allowed else _DEFAULT_UPDATE_TYPES
            self._poll.generation += 1
            generation = self._poll.generation
            self._changed.notify_all()  # an older poll still waiting now gets 409
            if offset is not None:
                self._confirm(int(offset))
            self._poll.waiting += 1
            self._changed.notify_all()
            try:
                while True:
                    if self._closing:
                        return []
                    if generation != self._poll.generation:
                        raise ApiError(
                            "Conflict: terminated by other getUpdates request; make sure that "
                            "only one bot instance is running",
                            409,
                        )
                    self._pending = [u for u in self._pending if _kind(u) in self._poll.allowed]
                    remaining = deadline - time.monotonic()
                    if self._pending or remaining <= 0:
                        batch = self._pending[:limit]
                        now = time.time()
                        for update in batch:
                            self._delivered_at.setdefault(update["update_id"], now)
                        return copy.deepcopy(batch)
                    self._changed.wait(remaining)
            finally:
                self._poll.waiting -= 1
                self._changed.notify_all()

    def _confirm(self, offset: int) -> None:
        """Forget updates confirmed by ``offset`` (negative: keep only the last -offset)."""
        if offset < 0:
            self._pending = self._pending[offset:]
        else:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]

    def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self._webhook_url = ""
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    def _set_webhook(self, params: dict[str, Any]) -> bool:
        self._webhook_url = str(params.get("url") or "")
        if params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self._webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }

    def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        check_commands(commands)
        key = _scope_key(check_scope(params.get("scope")), params.get("language_code") or "")
        if commands:
            self._commands[key] = commands
        else:
            self._commands.pop(key, None)
        return True

    def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        key = _scope_key(check_scope(params.get("scope")), params.get("language_code") or "")
        return self._commands.get(key, [])

    def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        key = _scope_key(check_scope(params.get("scope")), params.get("language_code") or "")
        self._commands.pop(key, None)
        return True

    def _require_chat(self, chat_id: Any) -> dict[str, Any]:
        if chat_id is None or chat_id == "":
            raise ApiError("Bad Request: chat_id is empty")
        chat = None
        if isinstance(chat_id, int):
            chat = self._chats.get(chat_id)
        elif isinstance(chat_id, str) and chat_id.startswith("@"):
            wanted = chat_id[1:].lower()
            chat = next((c for c in self._chats.values() if c.get("username", "").lower() == wanted), None)
        if chat is None:
            raise ApiError("Bad Request: chat not found")
        if chat["type"] == "private" and chat["id"] in self._blocked:
            raise ApiError("Forbidden: bot was blocked by the user", 403)
        return chat

    def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._require_chat(params.get("chat_id"))
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11}

    def _get_chat_member(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._require_chat(params.get("chat_id"))
        user_id = params.get("user_id")
        user = self._users.get(user_id) if isinstance(user_id, int) else None
        if user is None:
            raise ApiError("Bad Request: user not found")
        status = self._members.get((chat["id"], user["id"]), "member")
        member: dict[str, Any] = {"status": status, "user": copy.deepcopy(user)}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member.update({name: False for name in (
                "can_be_edited", "is_anonymous", "can_promote_members", "can_post_stories",
                "can_edit_stories", "can_delete_stories")})
            member.update({name: True for name in (
                "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
                "can_restrict_members", "can_change_info", "can_invite_users")})
        return member

    def _reply_target(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any] | None:
        """Resolve reply_parameters / reply_to_message_id like Telegram."""
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow_missing = bool(reply.get("allow_sending_without_reply"))
            target_chat = reply.get("chat_id", chat_id)
        elif params.get("reply_to_message_id") is not None:
            message_id = params["reply_to_message_id"]
            allow_missing = bool(params.get("allow_sending_without_reply"))
            target_chat = chat_id
        else:
            return None
        embedded = self._reply_copy(target_chat, message_id) if isinstance(target_chat, int) else None
        if embedded is None and not allow_missing:
            raise ApiError("Bad Request: message to be replied not found")
        return embedded

    def _store_bot_message(
        self, chat: dict[str, Any], params: dict[str, Any], content: dict[str, Any]
    ) -> dict[str, Any]:
        reply = self._reply_target(chat["id"], params)
        message: dict[str, Any] = {
            "message_id": self._new_message_id(chat["id"]),
            "from": self.bot_user,
            "chat": copy.deepcopy(chat),
            "date": int(time.time()),
        }
        if reply is not None:
            message["reply_to_message"] = reply
        message.update(content)
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and markup.get("inline_keyboard"):
            message["reply_markup"] = markup  # Telegram echoes only inline keyboards
        self._messages.setdefault(chat["id"], {})[message["message_id"]] = message
        self._bot_messages.append((chat["id"], message["message_id"]))
        return message

    def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._require_chat(params.get("chat_id"))
        text, entities = render_text(params.get("text"), params.get("parse_mode"), params.get("entities"))
        check_reply_markup(params.get("reply_markup"))
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        return self._store_bot_message(chat, params, content)

    def _send_document(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._require_chat(params.get("chat_id"))
        document = params.get("document")
        if isinstance(document, UploadedFile):
            if not document.content:
                raise ApiError("Bad Request: file must be non-empty")
            if len(document.content) > _MAX_UPLOAD_BYTES:
                raise ApiError("Request Entity Too Large", 413)
            stored = None
        elif isinstance(document, str) and document:
            if re.match(r"https?://", document):
                raise ApiError("Bad Request: failed to get HTTP URL content")
            stored = self._files.get(document)
            if stored is None:
                raise ApiError("Bad Request: wrong file identifier/HTTP URL specified")
        else:
            raise ApiError("Bad Request: there is no document in the request")
        caption, entities = render_caption(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities")
        )
        check_reply_markup(params.get("reply_markup"))
        if stored is None:
            assert isinstance(document, UploadedFile)
            stored = self._store_file(document.filename, document.content, document.mime_type)
        content: dict[str, Any] = {"document": _document_payload(stored)}
        if caption:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        message = self._store_bot_message(chat, params, content)
        self._documents.append(
            {
                "chat_id": chat["id"],
                "message_id": message["message_id"],
                "filename": stored.file_name,
                "content": stored.content,
                "mime_type": stored.mime_type,
                "caption": caption or None,
                "file_id": stored.file_id,
            }
        )
        return message

    def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        """An uploaded PNG/JPEG within Telegram's photo limits, with an optional caption."""
        chat = self._require_chat(params.get("chat_id"))
        photo = params.get("photo")
        if not isinstance(photo, UploadedFile):
            raise ApiError("Bad Request: there is no photo in the request")
        width, height = check_photo(photo.content)
        caption, entities = render_caption(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities")
        )
        check_reply_markup(params.get("reply_markup"))
        stored = self._store_file(photo.filename or "photo.png", photo.content, photo.mime_type)
        size = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "width": width, "height": height, "file_size": len(photo.content)}
        content: dict[str, Any] = {"photo": [size]}
        if caption:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        message = self._store_bot_message(chat, params, content)
        self._photos.append({"chat_id": chat["id"], "message_id": message["message_id"],
                             "content": photo.content, "width": width, "height": height,
                             "caption": caption or None})
        return message

    def _send_chat_action(self, params: dict[str, Any]) -> bool:
        self._require_chat(params.get("chat_id"))
        if params.get("action") not in _CHAT_ACTIONS:
            raise ApiError("Bad Request: wrong parameter action in request")
        return True

    def _editable(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._require_chat(params.get("chat_id"))
        message_id = params.get("message_id")
        message = self._messages.get(chat["id"], {}).get(message_id)  # type: ignore[arg-type]
        if message is None or (chat["id"], message_id) in self._deleted:
            raise ApiError("Bad Request: message to edit not found")
        if message["from"]["id"] != self.bot_id:
            raise ApiError("Bad Request: message can't be edited")
        return message

    def _record_edit(self, method: str, params: dict[str, Any], message: dict[str, Any] | None) -> None:
        self._edits.append(
            {
                "method": method,
                "chat_id": message["chat"]["id"] if message else None,
                "message_id": message["message_id"] if message else None,
                "inline_message_id": params.get("inline_message_id"),
                "params": copy.deepcopy(params),
                "message": copy.deepcopy(message),
            }
        )

    def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        text, entities = render_text(params.get("text"), params.get("parse_mode"), params.get("entities"))
        markup = params.get("reply_markup")
        check_reply_markup(markup, inline_only=True)
        if params.get("inline_message_id"):
            self._record_edit("editMessageText", params, None)
            return True  # messages sent via inline mode are not tracked
        message = self._editable(params)
        if "text" not in message:
            raise ApiError("Bad Request: there is no text in the message to edit")
        new_markup = _inline_markup(markup)
        if (
            text == message["text"]
            and entities == message.get("entities", [])
            and new_markup == message.get("reply_markup")
        ):
            raise ApiError(_NOT_MODIFIED)
        message["text"] = text
        _put(message, "entities", entities or None)
        _put(message, "reply_markup", new_markup)
        message["edit_date"] = int(time.time())
        self._record_edit("editMessageText", params, message)
        return message

    def _edit_message_reply_markup(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        markup = params.get("reply_markup")
        check_reply_markup(markup, inline_only=True)
        if params.get("inline_message_id"):
            self._record_edit("editMessageReplyMarkup", params, None)
            return True
        message = self._editable(params)
        new_markup = _inline_markup(markup)
        if new_markup == message.get("reply_markup"):
            raise ApiError(_NOT_MODIFIED)
        _put(message, "reply_markup", new_markup)
        message["edit_date"] = int(time.time())
        self._record_edit("editMessageReplyMarkup", params, message)
        return message

    def _delete_message(self, params: dict[str, Any]) -> bool:
        chat = self._require_chat(params.get("chat_id"))
        key = (chat["id"], params.get("message_id"))
        if key[1] not in self._messages.get(chat["id"], {}) or key in self._deleted:
            raise ApiError("Bad Request: message to delete not found")
        self._deleted.add(key)  # type: ignore[arg-type]
        return True

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = params.get("callback_query_id")
        if self._callbacks.get(query_id) is not False:  # type: ignore[arg-type]
            raise ApiError(_QUERY_TOO_OLD)
        if len(params.get("text") or "") > 200:
            raise ApiError("Bad Request: MESSAGE_TOO_LONG")
        self._callbacks[query_id] = True  # type: ignore[index]
        self._answers_to_callbacks.append(copy.deepcopy(params))
        return True

    def _answer_inline_query(self, params: dict[str, Any]) -> bool:
        query_id = params.get("inline_query_id")
        if self._inline_queries.get(query_id) is not False:  # type: ignore[arg-type]
            raise ApiError(_QUERY_TOO_OLD)
        check_inline_results(params.get("results"))
        if len((params.get("next_offset") or "").encode("utf-8")) > 64:
            raise ApiError("Bad Request: NEXT_OFFSET_INVALID")
        self._inline_queries[query_id] = True  # type: ignore[index]
        self._inline_answers.append(copy.deepcopy(params))
        return True

    def _get_file(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self._files.get(params.get("file_id") or "")
        if stored is None:
            raise ApiError("Bad Request: invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.content),
            "file_path": stored.file_path,
        }


# ---------------------------------------------------------------------- helpers


def _kind(update: dict[str, Any]) -> str:
    return next(key for key in update if key != "update_id")


def _scope_key(scope: dict[str, Any] | None, language_code: str) -> tuple[str, str]:
    return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code


def _inline_markup(markup: Any) -> dict[str, Any] | None:
    """Edits keep only a non-empty inline keyboard; anything else removes the keyboard."""
    if isinstance(markup, dict) and markup.get("inline_keyboard"):
        return markup
    return None


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value


def _callback_datas(message: dict[str, Any]) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


def _document_payload(stored: _StoredFile) -> dict[str, Any]:
    return {
        "file_name": stored.file_name,
        "mime_type": stored.mime_type,
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.content),
    }


def _utf16_slice(text: str, offset: int, length: int) -> str:
    encoded = text.encode("utf-16-le")
    return encoded[offset * 2 : (offset + length) * 2].decode("utf-16-le")


def _set_text(message: dict[str, Any], key: str, text: str) -> None:
    """Set text/caption and the entities a real client's server-side parsing would add."""
    message[key] = text
    found: list[dict[str, Any]] = []
    for pattern, kind in ((_COMMAND, "bot_command"), (_MENTION, "mention"), (_URL, "url")):
        for match in pattern.finditer(text):
            found.append(
                {
                    "offset": utf16_len(text[: match.start()]),
                    "length": utf16_len(match.group(0)),
                    "type": kind,
                }
            )
    if found:
        found.sort(key=lambda e: e["offset"])
        message["entities" if key == "text" else "caption_entities"] = found


def _sent_to(chat_id: int, contains: str | None) -> Predicate:
    """Predicate for a successful send to ``chat_id`` whose text/caption contains a string."""

    def matches(call: Call) -> bool:
        if not call.ok or call.method not in _SEND_METHODS:
            return False
        message = call.result
        if message["chat"]["id"] != chat_id:
            return False
        if contains is None:
            return True
        visible = message.get("text") or message.get("caption") or ""
        raw = str(call.params.get("text") or call.params.get("caption") or "")
        return contains in visible or contains in raw

    return matches


class _Server(ThreadingHTTPServer):
    """A listen backlog as deep as a real server's: socketserver's default of 5 overflows under
    load (one connection per request), and each overflowed connect then waits a 1 s SYN retry."""

    request_queue_size = 1024


def _make_handler(fake: FakeTelegram) -> type[BaseHTTPRequestHandler]:
    """A request handler class bound to one FakeTelegram."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "FakeTelegram/1.0"
        protocol_version = "HTTP/1.0"  # one request per connection: nothing outlives stop()

        def do_GET(self) -> None:
            self._dispatch()

        def do_POST(self) -> None:
            self._dispatch()

        def log_message(self, format: str, *args: Any) -> None:
            """Silence per-request logging (it would also print the token)."""

        def _read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _dispatch(self) -> None:
            url = urlsplit(self.path)
            path = unquote(url.path)
            body = self._read_body()
            if path.startswith("/file/bot"):
                token, _, file_path = path[len("/file/bot") :].partition("/")
                status, data, content_type = fake.serve_file(token, file_path)
                self._respond(status, data, content_type)
                return
            if path.startswith("/bot"):
                token, _, method = path[len("/bot") :].partition("/")
                status, payload = fake.handle_api(
                    token, method, self.headers.get("Content-Type", ""), body, url.query
                )
            else:
                status, payload = 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            self._respond(status, json.dumps(payload).encode("utf-8"), "application/json")

        def _respond(self, status: int, data: bytes, content_type: str) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (e.g. a cancelled long poll)

    return Handler
