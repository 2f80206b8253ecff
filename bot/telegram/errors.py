"""The error handler: log everything, tell the user something went wrong, report to the operators.

The user always hears ``t("error.generic")`` (a toast for a button, a message otherwise) so a
failure is never silent. When ``ERROR_CHAT_ID`` is set, a short report (exception, message and
a summary of the update, escaped and trimmed to fit one message) goes there. Every configured
secret is redacted from the report; log records are redacted by ``bot.logs.RedactingFilter``.

Two kinds of failure are part of normal life and get neither a traceback nor a report: a Bot API
refusal the bot can do nothing about (``EXPECTED_REFUSALS``: a query too old, an edit that changes
nothing...), logged in one line; and a database another process held past a write's timeout,
where the user is told it was busy and nothing was saved. Reports of any one kind of error are
sent at most once per ``REPORT_INTERVAL`` (``ReportGate``); the next one says how many were held.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
import weakref
from dataclasses import dataclass, field

from telegram import InlineQueryResultsButton, Update
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError

from bot.domain import StorageError
from bot.logs import RedactingFilter
from bot.render import HTML, Html
from bot.telegram.context import BotContext
from bot.texts import t

log = logging.getLogger(__name__)

REPORT_LIMIT = 3800  # visible characters, under Telegram's 4096
REPORT_INTERVAL = 600.0
"""Seconds between two reports of one kind of error; the ones in between are counted."""
EXPECTED_REFUSALS = (
    "query is too old",  # a button or inline query answered after Telegram gave up on it
    "message is not modified",  # an edit to what the message already says
    "message to edit not found",  # the message was deleted meanwhile
    "message can't be edited",
    "result_id_duplicate",
    "bot was blocked by the user",
    "user is deactivated",
)
"""Bot API refusals that are part of normal life (lower case, as Telegram words them): a line in
the log, no traceback and no report."""


@dataclass
class ReportGate:
    """At most one report per kind of error (its type and where it was raised) per interval."""

    interval: float = REPORT_INTERVAL
    last: dict[str, float] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)

    def admit(self, kind: str, now: float | None = None) -> int | None:
        """None: hold this report back (it is counted). Else how many were held since the last."""
        now = time.monotonic() if now is None else now
        last = self.last.get(kind)
        if last is not None and now - last < self.interval:
            self.held[kind] = self.held.get(kind, 0) + 1
            return None
        self.last[kind] = now
        return self.held.pop(kind, 0)


_GATES: weakref.WeakKeyDictionary[object, ReportGate] = weakref.WeakKeyDictionary()


def gate_of(application: object) -> ReportGate:
    """The application's report gate (one per Application, made on first use)."""
    gate = _GATES.get(application)
    if gate is None:
        gate = _GATES[application] = ReportGate()
    return gate


def error_kind(exc: BaseException | None) -> str:
    """What makes two errors "the same" for the gate: the type and the line that raised it."""
    if exc is None:
        return "Error"
    where = ""
    if exc.__traceback__ is not None:
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = f"{frame.filename}:{frame.lineno}"
    return f"{type(exc).__name__}@{where}"


def expected_refusal(exc: BaseException | None) -> bool:
    """A Bot API refusal the bot can do nothing about (see EXPECTED_REFUSALS)."""
    if not isinstance(exc, BadRequest | Forbidden):
        return False
    message = exc.message.lower()
    return any(words in message for words in EXPECTED_REFUSALS)


def busy_store(exc: BaseException | None) -> bool:
    """Another process held the database past a write's timeout: nothing of it was saved."""
    return isinstance(exc, StorageError) and exc.key == "error.db_busy"


def summarize(update: object) -> dict[str, object]:
    """Who, where and what: enough to reproduce, without dumping whole payloads into a chat."""
    if not isinstance(update, Update):
        return {"update": repr(update)[:200]}
    summary: dict[str, object] = {"update_id": update.update_id}
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


def report(exc: BaseException | None, update: object, redact: RedactingFilter, held: int = 0) -> str:
    """The HTML report for the error chat: escaped, redacted, under one message. ``held``: how
    many reports of this kind the gate held back since the last one."""
    name = type(exc).__name__ if exc else "Error"
    if held:
        name = f"{name} (+{held} since the last report)"
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
    error = context.error
    if expected_refusal(error):
        log.info("Telegram refused a call: %s", redact.redact(str(error)))
        query = update.callback_query if isinstance(update, Update) else None
        if query is not None and "too old" not in str(error):
            try:  # button handlers answer last: stop the button's spinner, quietly
                await query.answer()
            except TelegramError as exc:
                log.info("Could not answer the button: %s", exc)
        return
    if busy_store(error):
        log.warning("The database was busy; nothing of this update was saved")
        if isinstance(update, Update):
            await _tell_user(update, str(error))
        return
    payload = update.to_dict() if isinstance(update, Update) else repr(update)
    log.error("Update %s caused an error",
              redact.redact(json.dumps(payload, ensure_ascii=False, default=str)),
              exc_info=error)
    if isinstance(update, Update):
        await _tell_user(update)
    if settings.error_chat_id is None:
        return
    held = gate_of(context.application).admit(error_kind(error))
    if held is not None:
        try:
            await context.bot.send_message(settings.error_chat_id,
                                           str(report(error, update, redact, held)))
        except TelegramError as exc:
            log.warning("Could not send the error report: %s", redact.redact(str(exc)))


async def _tell_user(update: Update, sentence: str | None = None) -> None:
    """Say "something went wrong" (or ``sentence``) in whatever way this kind of update allows."""
    text = t("error.generic") if sentence is None else sentence[:1].upper() + sentence[1:]
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
