"""Decoding Bot API requests exactly as python-telegram-bot's HTTPXRequest sends them.

PTB posts ``RequestData.json_parameters`` as the ``data=`` of an httpx request: every value is
a string, where strings are sent raw and everything else (ints, bools, dicts, lists) is
JSON-encoded.  Without files that is ``application/x-www-form-urlencoded``; with files it is
``multipart/form-data`` and the file parts carry a filename.  Other clients post a JSON body,
which is accepted too.  Because a raw string and a JSON scalar look the same on the wire, the
parameter name decides how a value is decoded.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

__all__ = ["ApiError", "UploadedFile", "decode_body", "decode_params"]

_JSON_PARAMS = frozenset(
    {
        "allowed_updates",
        "button",
        "caption_entities",
        "commands",
        "entities",
        "link_preview_options",
        "media",
        "menu_button",
        "reply_markup",
        "reply_parameters",
        "results",
        "scope",
    }
)
_INT_PARAMS = frozenset(
    {
        "cache_time",
        "from_chat_id",
        "limit",
        "message_id",
        "message_thread_id",
        "offset",
        "reply_to_message_id",
        "timeout",
        "user_id",
    }
)
_BOOL_PARAMS = frozenset(
    {
        "allow_sending_without_reply",
        "disable_content_type_detection",
        "disable_notification",
        "disable_web_page_preview",
        "drop_pending_updates",
        "is_personal",
        "protect_content",
        "show_alert",
    }
)
# Parameters that may be a number or an @username.
_CHAT_PARAMS = frozenset({"chat_id"})


class ApiError(Exception):
    """A Bot API error response: ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, description: str, error_code: int = 400, retry_after: int | None = None,
                 migrate_to_chat_id: int | None = None):
        super().__init__(description)
        self.description = description
        self.error_code = error_code
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        if self.migrate_to_chat_id is not None:  # a group upgraded to a supergroup
            body["parameters"] = {**body.get("parameters", {}),
                                  "migrate_to_chat_id": self.migrate_to_chat_id}
        return body


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request (what the bot uploaded)."""

    filename: str
    content: bytes
    mime_type: str


def decode_body(content_type: str, body: bytes, query: str) -> dict[str, Any]:
    """Turn the raw request (query string + body) into a dict of still-undecoded parameters."""
    raw: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    media_type = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return raw
    if media_type == "application/json":
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise ApiError("Bad Request: can't parse JSON body") from exc
        if not isinstance(data, dict):
            raise ApiError("Bad Request: JSON body must be an object")
        raw.update(data)
    elif media_type == "multipart/form-data":
        match = re.search(r'boundary="?([^";]+)"?', content_type)
        if match is None:
            raise ApiError("Bad Request: multipart body without boundary")
        raw.update(_parse_multipart(body, match.group(1).encode("latin-1")))
    else:
        raw.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return raw


def _parse_multipart(body: bytes, boundary: bytes) -> dict[str, Any]:
    """Split a multipart/form-data body; binary-safe (no line-ending normalisation)."""
    fields: dict[str, Any] = {}
    for chunk in (b"\r\n" + body).split(b"\r\n--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, content = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode("utf-8").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = _header_param(disposition, "name")
        if name is None:
            continue
        filename = _header_param(disposition, "filename")
        if filename is None:
            fields[name] = content.decode("utf-8")
        else:
            fields[name] = UploadedFile(
                filename=filename,
                content=content,
                mime_type=headers.get("content-type", "application/octet-stream"),
            )
    return fields


def _header_param(header: str, key: str) -> str | None:
    match = re.search(rf"(?:^|;)\s*{key}\*=(?:UTF-8|utf-8)\'\'([^;]+)", header)
    if match:
        return unquote(match.group(1))
    match = re.search(rf'(?:^|;)\s*{key}="((?:[^"\\]|\\.)*)"', header)
    if match:
        return match.group(1).replace('\\"', '"').replace("%22", '"')
    match = re.search(rf"(?:^|;)\s*{key}=([^;\s]+)", header)
    return match.group(1) if match else None


def decode_params(raw: dict[str, Any]) -> dict[str, Any]:
    """Give each parameter its Bot API type, raising 400 like Telegram on malformed values."""
    params: dict[str, Any] = {}
    for name, value in raw.items():
        if not isinstance(value, str):
            params[name] = value
        elif name in _JSON_PARAMS:
            try:
                params[name] = json.loads(value)
            except ValueError as exc:
                if name == "reply_markup":
                    raise ApiError("Bad Request: can't parse reply keyboard markup JSON object") from exc
                raise ApiError(f"Bad Request: can't parse {name} JSON object") from exc
        elif name in _INT_PARAMS:
            try:
                params[name] = int(value)
            except ValueError as exc:
                raise ApiError(f"Bad Request: invalid {name} specified") from exc
        elif name in _BOOL_PARAMS:
            params[name] = value.lower() in ("true", "1")
        elif name in _CHAT_PARAMS:
            try:
                params[name] = int(value)
            except ValueError:
                params[name] = value
        else:
            params[name] = value
    return params
