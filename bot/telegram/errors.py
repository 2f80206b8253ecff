"""The error handler: log everything, tell the user something went wrong, report to the operators.

The user always hears ``t("error.generic")`` (a toast for a button, a message otherwise) so a
failure is never silent. When ``ERROR_CHAT_ID`` is set, a short report (exception, message and
a summary of the update, escaped and trimmed to fit one message) goes there. Every configured
secret is redacted from the report; log records are redacted by ``bot.logs.RedactingFilter``.
"""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any

from telegram import InlineQueryResultsButton, Update
from telegram.error import NetworkError, TelegramError

from bot.logs import RedactingFilter
from bot.render import HTML, Html
from bot.telegram.context import BotContext
from bot.texts import t

log = logging.getLogger(__name__)

REPORT_LIMIT = 3800  # visible characters, under Telegram's 4096


def summarize(update: object) -> dict[str, Any]:
    """Who, where and what: enough to reproduce, without dumping whole payloads into a chat."""
    if not isinstance(update, Update):
        return {"update": repr(update)[:200]}
    summary: dict[str, Any] = {"update_id": update.update_id}
    if update.effective_user:
        summary["user_id"] = update.effective_user.id
    if update.effective_chat:
        summary["chat"] = f"{update.effective_chat.type} {update.effective_chat.id}"
    if update.callback_query:
        summary["callback_data"] = update.callback_query.data
    elif update.inline_query:
        summary["inline_query"] = update.inline_query.query[:200]
    elif update.effective_message and update.effective_message.text:
        summary["text"] = update.effective_message.text[:300]
    return summary


def report(exc: BaseException | None, update: object, redact: RedactingFilter) -> str:
    """The HTML report for the error chat: escaped, redacted, under one message."""
    name = type(exc).__name__ if exc else "Error"
    message = redact.redact(str(exc))[:1000] if exc else ""
    where = ""
    if exc is not None and exc.__traceback__ is not None:
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} in {frame.name}"
    details = redact.redact(json.dumps(summarize(update), ensure_ascii=False, indent=1))
    room = max(200, REPORT_LIMIT - len(name) - len(message) - len(where))
    return HTML.join("\n", [HTML.join(": ", ["⚠️ " + HTML.b(name), message]), HTML.i(where),
                             Html("<pre>{}</pre>").format(details[:room])])


async def on_error(update: object, context: BotContext) -> None:
    """Log the failure with its update, tell the user, and report it to the error chat."""
    settings = context.settings
    redact = RedactingFilter(settings.redactions)
    if update is None and isinstance(context.error, NetworkError):
        # A polling hiccup (502, timeout, reset): PTB retries by itself, so no one needs paging.
        log.warning("Network problem while polling, retrying: %s", redact.redact(str(context.error)))
        return
    payload = update.to_dict() if isinstance(update, Update) else repr(update)
    log.error("Update %s caused an error",
              redact.redact(json.dumps(payload, ensure_ascii=False, default=str)),
              exc_info=context.error)
    if isinstance(update, Update):
        await _tell_user(update)
    if settings.error_chat_id is not None:
        try:
            await context.bot.send_message(settings.error_chat_id,
                                           str(report(context.error, update, redact)))
        except TelegramError as exc:
            log.warning("Could not send the error report: %s", redact.redact(str(exc)))


async def _tell_user(update: Update) -> None:
    """Say "something went wrong" in whatever way this kind of update allows."""
    text = t("error.generic")
    try:
        if update.callback_query is not None:
            # Button handlers answer last, so an error means the query is still unanswered.
            await update.callback_query.answer(text)
            return
        if update.inline_query is not None:
            await update.inline_query.answer([], cache_time=0, button=InlineQueryResultsButton(
                text=t("tg.error_inline"), start_parameter="help"))
            return
        if update.effective_message is not None:
            await update.effective_message.reply_text(str(HTML.text(text)))
        elif update.effective_chat is not None:
            await update.effective_chat.send_message(str(HTML.text(text)))
    except TelegramError as exc:
        log.warning("Could not tell the user about the error: %s", exc)
