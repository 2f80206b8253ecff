"""Telegram's input validation, reproduced so end-to-end tests fail where production would.

Each check raises ``ApiError`` with the description Telegram uses, so the bot under test sees
the same ``telegram.error.BadRequest`` it would see against the real Bot API.
"""

from __future__ import annotations

import re
from typing import Any

from .html_check import TelegramHTMLError, parse_telegram_html, utf16_len
from .wire import ApiError

__all__ = [
    "MAX_CAPTION_LENGTH",
    "MAX_TEXT_LENGTH",
    "check_commands",
    "check_inline_results",
    "check_photo",
    "check_reply_markup",
    "render_caption",
    "render_text",
]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_RESULTS = 50
MAX_BUTTONS = 100
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDES = 10_000
MAX_PHOTO_ASPECT = 20

_INLINE_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_INLINE_RESULT_TYPES = frozenset(
    {
        "article",
        "audio",
        "contact",
        "document",
        "game",
        "gif",
        "location",
        "mpeg4_gif",
        "photo",
        "sticker",
        "venue",
        "video",
        "voice",
    }
)
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)


def _formatted(
    text: str, parse_mode: str | None, entities: list[dict[str, Any]] | None
) -> tuple[str, list[dict[str, Any]]]:
    """Apply parse_mode (only HTML is parsed; Markdown is passed through unparsed)."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        try:
            return parse_telegram_html(text)
        except TelegramHTMLError as exc:
            raise ApiError(f"Bad Request: can't parse entities: {exc}") from exc
    if mode in ("markdown", "markdownv2"):
        return text, []
    if mode:
        raise ApiError("Bad Request: unsupported parse_mode")
    if entities is not None and not isinstance(entities, list):
        raise ApiError("Bad Request: can't parse entities JSON object")
    return text, [dict(e) for e in entities or []]


def _strip(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Trim surrounding whitespace like Telegram, shifting and clipping entities to match."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def render_text(
    text: Any, parse_mode: str | None, entities: list[dict[str, Any]] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Validate a message text and return what Telegram would store: visible text + entities."""
    if not isinstance(text, str) or not text:
        raise ApiError("Bad Request: message text is empty")
    visible, found = _strip(*_formatted(text, parse_mode, entities))
    if not visible:
        raise ApiError("Bad Request: message text is empty")
    if utf16_len(visible) > MAX_TEXT_LENGTH:  # Telegram counts UTF-16 code units
        raise ApiError("Bad Request: message is too long")
    return visible, found


def render_caption(
    caption: Any, parse_mode: str | None, entities: list[dict[str, Any]] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Like render_text, but captions may be empty and are limited to 1024 characters."""
    if caption is None or caption == "":
        return "", []
    if not isinstance(caption, str):
        raise ApiError("Bad Request: caption must be a string")
    visible, found = _strip(*_formatted(caption, parse_mode, entities))
    if utf16_len(visible) > MAX_CAPTION_LENGTH:
        raise ApiError("Bad Request: message caption is too long")
    return visible, found


def check_reply_markup(markup: Any, *, inline_only: bool = False) -> None:
    """Reject malformed keyboards and over-long callback_data as Telegram does."""
    if markup is None:
        return
    bad_json = ApiError("Bad Request: can't parse reply keyboard markup JSON object")
    if not isinstance(markup, dict):
        raise bad_json
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"])
        return
    if inline_only:
        raise ApiError("Bad Request: inline keyboard expected")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ApiError('Bad Request: can\'t parse keyboard: field "keyboard" must be an Array')
        for row in rows:
            for button in row:
                label = button.get("text") if isinstance(button, dict) else button
                if not isinstance(label, str) or not label:
                    raise ApiError("Bad Request: keyboard button text must be non-empty")
        return
    if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        return
    raise bad_json


def _check_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError(
            'Bad Request: can\'t parse inline keyboard: field "inline_keyboard" must be an Array of Arrays'
        )
    if sum(len(row) for row in rows) > MAX_BUTTONS:
        raise ApiError("Bad Request: reply markup is too long")
    for row in rows:
        for button in row:
            _check_inline_button(button)


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise ApiError("Bad Request: can't parse inline keyboard button: Object expected")
    text = button.get("text")
    if not isinstance(text, str) or not text:
        raise ApiError(
            'Bad Request: can\'t parse inline keyboard button: Field "text" must be a non-empty String'
        )
    actions = [name for name in _INLINE_BUTTON_ACTIONS if name in button]
    if not actions:
        raise ApiError(
            "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in "
            "the inline keyboard"
        )
    if len(actions) > 1:
        raise ApiError(
            "Bad Request: can't parse inline keyboard button: exactly one of the optional "
            f"fields must be used, got {', '.join(actions)}"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not data or len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            raise ApiError("Bad Request: BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        if not isinstance(url, str) or not re.match(r"(https?|tg)://\S+$", url):
            raise ApiError("Bad Request: BUTTON_URL_INVALID")


def check_inline_results(results: Any) -> None:
    """Validate answerInlineQuery results: count, ids, types and the message each one sends."""
    if not isinstance(results, list):
        raise ApiError("Bad Request: can't parse results JSON object")
    if len(results) > MAX_INLINE_RESULTS:
        raise ApiError("Bad Request: RESULTS_TOO_MUCH")
    seen: set[str] = set()
    for result in results:
        if not isinstance(result, dict):
            raise ApiError("Bad Request: can't parse InlineQueryResult JSON object")
        result_id = result.get("id")
        if not isinstance(result_id, str) or not result_id or len(result_id.encode("utf-8")) > 64:
            raise ApiError("Bad Request: RESULT_ID_INVALID")
        if result_id in seen:
            raise ApiError("Bad Request: RESULT_ID_DUPLICATE")
        seen.add(result_id)
        if result.get("type") not in _INLINE_RESULT_TYPES:
            raise ApiError("Bad Request: RESULT_TYPE_INVALID")
        content = result.get("input_message_content")
        if result["type"] == "article":
            if not isinstance(result.get("title"), str) or not result["title"]:
                raise ApiError("Bad Request: RESULT_TITLE_EMPTY")
            if not isinstance(content, dict):
                raise ApiError("Bad Request: input_message_content is required for articles")
        if isinstance(content, dict) and "message_text" in content:
            render_text(content["message_text"], content.get("parse_mode"), content.get("entities"))
        check_reply_markup(result.get("reply_markup"), inline_only=True)


def check_commands(commands: Any) -> None:
    """Validate setMyCommands: at most 100 commands, lowercase names, 1-256 char descriptions."""
    if not isinstance(commands, list):
        raise ApiError("Bad Request: can't parse commands JSON object")
    if len(commands) > 100:
        raise ApiError("Bad Request: BOT_COMMANDS_TOO_MUCH")
    for command in commands:
        if not isinstance(command, dict):
            raise ApiError("Bad Request: can't parse BotCommand JSON object")
        name = command.get("command")
        if not isinstance(name, str) or not _COMMAND.fullmatch(name):
            raise ApiError("Bad Request: BOT_COMMAND_INVALID")
        description = command.get("description")
        if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
            raise ApiError("Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")


def check_scope(scope: Any) -> dict[str, Any]:
    """Return the command scope (default when absent) or reject an unknown one."""
    if scope is None:
        return {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
        raise ApiError("Bad Request: BOT_COMMAND_SCOPE_INVALID")
    if scope["type"] in ("chat", "chat_administrators", "chat_member") and "chat_id" not in scope:
        raise ApiError("Bad Request: chat_id is empty")
    return scope


def check_photo(content: bytes) -> tuple[int, int]:
    """Telegram's sendPhoto limits for an uploaded PNG or JPEG; returns (width, height)."""
    if not content:
        raise ApiError("Bad Request: file must be non-empty")
    if len(content) > MAX_PHOTO_BYTES:
        raise ApiError("Bad Request: PHOTO_SAVE_FILE_INVALID")
    if content[:8] == b"\x89PNG\r\n\x1a\n" and content[12:16] == b"IHDR":
        width, height = int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
    elif content[:2] == b"\xff\xd8":
        width, height = _jpeg_size(content)
    else:
        raise ApiError("Bad Request: IMAGE_PROCESS_FAILED")
    if width < 1 or height < 1 or width + height > MAX_PHOTO_SIDES:
        raise ApiError("Bad Request: PHOTO_INVALID_DIMENSIONS")
    if max(width, height) / min(width, height) > MAX_PHOTO_ASPECT:
        raise ApiError("Bad Request: PHOTO_INVALID_DIMENSIONS")
    return width, height


def _jpeg_size(content: bytes) -> tuple[int, int]:
    """Width and height from a JPEG's first start-of-frame marker."""
    i = 2
    while i + 9 < len(content):
        if content[i] != 0xFF:
            break
        marker, length = content[i + 1], int.from_bytes(content[i + 2 : i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            height = int.from_bytes(content[i + 5 : i + 7], "big")
            return int.from_bytes(content[i + 7 : i + 9], "big"), height
        i += 2 + length
    raise ApiError("Bad Request: IMAGE_PROCESS_FAILED")
