"""Reader feedback in Telegram: the ⚠️ Report button, /suggest, the admins' /reports queue,
/misses, and /privacy and /forgetme.

Callback data (all far below 64 bytes)::

    rp:<company>:<other>   report a problem with this answer (``other`` 0 for a company)
    q:res:<id> q:dis:<id>  resolve / dismiss report ``id``
    q:acc:<id> q:edt:<id> q:rej:<id>   accept / edit then accept / reject suggestion ``id``

A question the bot asks (what is wrong, the corrected line, the reason) is a ForceReply message;
the answer is recognised as a reply to it (kept per user in ``user_data``), so nothing else the
user types is taken for it. Admin rights are checked again on every press and every answer.
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from dataclasses import dataclass

from telegram import (
    Bot,
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)
from telegram.helpers import create_deep_linked_url, mention_html

from bot.admin import Access, Editor, actor_label, parse_fact_line
from bot.answers import Interop
from bot.domain import Conflict, InteropError, Report
from bot.feedback import MAX_FEEDBACK, Feedback
from bot.render import (
    HTML,
    pair_label,
    render_misses,
    render_queue,
    render_report,
    render_suggestion,
    sentence,
)
from bot.store.settle import AlreadySettled
from bot.telegram.context import BotContext
from bot.telegram.follow import NEW, reply, save_misses
from bot.texts import t

log = logging.getLogger(__name__)

PROMPTS = "feedback_prompts"  # user_data: (chat_id, message_id) -> Prompt
MAX_PROMPTS = 20
QUEUE_SHOWN = 10
REPORT_PATTERN = re.compile(r"^rp:\d{1,19}:\d{1,19}$")
QUEUE_PATTERN = re.compile(r"^q:(res|dis|acc|edt|rej):\d{1,19}$")
SUGGESTED = "suggested by a user"


@dataclass(frozen=True, slots=True)
class Prompt:
    """A question the bot asked this user: what the reply to it means."""

    kind: str  # report, suggest, edit, reject
    a: int = 0
    b: int = 0


def _interop(context: BotContext) -> Interop:
    return context.interop


def _feedback(context: BotContext) -> Feedback:
    return Feedback(_interop(context).store)


def _editor(context: BotContext) -> Editor:
    settings = context.settings
    return Editor(_interop(context), settings.admin_ids)


def _actor(user: User) -> str:
    return actor_label(user.id, f"@{user.username}" if user.username else user.full_name)


def _prompts(context: BotContext) -> OrderedDict[tuple[int, int], Prompt]:
    data = context.user_data
    if data is None:
        return OrderedDict()
    prompts = data.get(PROMPTS)
    if not isinstance(prompts, OrderedDict):
        prompts = data[PROMPTS] = OrderedDict()
    return prompts


async def ask(context: BotContext, chat_id: int, user: User, text: str,
              prompt: Prompt, *, in_group: bool, thread_id: int | None = None) -> None:
    """Send a ForceReply question and remember what its answer will mean."""
    if in_group:
        text = mention_html(user.id, user.first_name) + " " + text
    sent = await context.bot.send_message(
        chat_id, text, parse_mode=ParseMode.HTML, message_thread_id=thread_id,
        reply_markup=ForceReply(selective=True, input_field_placeholder=t("feedback.placeholder")))
    prompts = _prompts(context)
    prompts[(chat_id, sent.message_id)] = prompt
    while len(prompts) > MAX_PROMPTS:
        prompts.popitem(last=False)


def _label(interop: Interop, a: int, b: int) -> str:
    return pair_label(interop.company(a), interop.company(b) if b else None)


def _deep_link(bot: Bot, a: int, b: int) -> str | None:
    if not bot.username:
        return None
    return create_deep_linked_url(bot.username, f"check_{a}_{b}" if b else f"company_{a}")


async def _is_admin(context: BotContext, user_id: int | None) -> bool:
    return await _editor(context).access(user_id) >= Access.ADMIN


async def _tell_admins(context: BotContext, text: str) -> None:
    """A private message to every owner and granted admin; one who never started the bot is skipped."""
    settings = context.settings
    granted = [g[0] for g in await _interop(context).store.granted_admins()]
    for admin_id in sorted(set(settings.admin_ids) | set(granted)):
        try:
            await context.bot.send_message(admin_id, text, parse_mode=ParseMode.HTML)
        except TelegramError as exc:
            log.info("Could not tell admin %s about feedback: %s", admin_id, exc)


# -- reports --------------------------------------------------------------------------------------


async def report_pressed(update: Update, context: BotContext) -> None:
    """rp: ask what is wrong, as a reply the user writes."""
    query = update.callback_query
    assert query is not None and query.data is not None
    message = query.message
    _, a, b = query.data.split(":")
    interop = _interop(context)
    if not isinstance(message, Message) or interop.resolver.company(int(a)) is None or (
            int(b) and interop.resolver.company(int(b)) is None):
        await query.answer(t("tg.stale"))
        raise ApplicationHandlerStop
    label = _label(interop, int(a), int(b))
    await ask(context, message.chat.id, query.from_user,
              HTML.t("feedback.report_prompt", name=label, max=MAX_FEEDBACK),
              Prompt("report", int(a), int(b)), in_group=message.chat.type != ChatType.PRIVATE,
              thread_id=message.message_thread_id if message.is_topic_message else None)
    await query.answer()
    raise ApplicationHandlerStop


async def _save_report(update: Update, context: BotContext, prompt: Prompt,
                       text: str) -> None:
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    report = await _feedback(context).add_report(message.chat.id, user.id, prompt.a, prompt.b, text)
    await reply(update, HTML.t("feedback.thanks_report", id=report.id))
    await _tell_admins(context, report_card(context, report, new=True))


def report_card(context: BotContext, report: Report, *, new: bool = False) -> str:
    """A report as admins read it, with a link that opens the answer it is about."""
    interop = _interop(context)
    subject = interop.company(report.subject_id) if report.subject_id else None
    other = interop.company(report.object_id) if report.subject_id and report.object_id else None
    link = _deep_link(context.bot, report.subject_id, report.object_id) if report.subject_id else None
    return render_report(report, subject, other, link, new=new)


# -- suggestions ----------------------------------------------------------------------------------


def _validate_line(context: BotContext, line: str) -> None:
    """The same checks as /addfact: every field, both names known, the source URL."""
    _editor(context).draft(parse_fact_line(line))


async def suggest(update: Update, context: BotContext) -> None:
    """/suggest S | O | KIND | STATUS | DATE | SUMMARY | URL [| TITLE]; bare asks for the line."""
    message, user = update.effective_message, update.effective_user
    assert message is not None
    if user is None or message.sender_chat is not None:
        await reply(update, HTML.t("follows.anonymous"))
        raise ApplicationHandlerStop
    parts = (message.text or "").split(maxsplit=1)
    line = parts[1].strip() if len(parts) == 2 else ""
    if not line:
        await ask(context, message.chat.id, user, _suggest_usage(), Prompt("suggest"),
                  in_group=message.chat.type != ChatType.PRIVATE)
        raise ApplicationHandlerStop
    await _save_suggestion(update, context, line)
    raise ApplicationHandlerStop


def _suggest_usage() -> str:
    return HTML.t("feedback.suggest_usage", max=MAX_FEEDBACK)


async def _save_suggestion(update: Update, context: BotContext, line: str) -> None:
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    try:
        if len(line) > MAX_FEEDBACK:
            raise InteropError("feedback.too_long", n=len(line), max=MAX_FEEDBACK)
        _validate_line(context, line)
        suggestion = await _feedback(context).add_suggestion(message.chat.id, user.id, line)
    except InteropError as exc:
        await reply(update, HTML.join("\n\n", [sentence(str(exc)), _suggest_usage()]))
        return
    await reply(update, HTML.t("feedback.thanks_suggestion", id=suggestion.id))
    await _tell_admins(context, render_suggestion(suggestion, new=True))


async def _accept(context: BotContext, admin: User, suggestion_id: int,
                  line: str | None = None) -> str:
    """Write the suggested fact and close the suggestion in one compare-and-set transaction,
    then tell the suggester; an admin who settled it first wins, and nothing is written."""
    feedback = _feedback(context)
    suggestion = await feedback.open_suggestion(suggestion_id)
    final = line if line is not None else suggestion.line
    draft = _editor(context).draft(parse_fact_line(final))
    try:
        _, fact = await feedback.accept_suggestion(suggestion_id, draft, final, _actor(admin),
                                                   f"{_actor(admin)} ({SUGGESTED})")
    except Conflict as exc:
        if exc.existing_id is not None:
            raise InteropError("feedback.duplicate", id=exc.existing_id) from None
        raise
    await _tell(context, suggestion.chat_id, t("feedback.accepted_user", id=suggestion_id,
                                               fact=fact.id))
    return t("feedback.accepted", id=suggestion_id, fact=fact.id)


async def _reject(context: BotContext, admin: User, suggestion_id: int,
                  reason: str) -> str:
    suggestion = await _feedback(context).reject_suggestion(suggestion_id, reason, _actor(admin))
    await _tell(context, suggestion.chat_id, t("feedback.rejected_user", id=suggestion_id,
                                               reason=suggestion.reason))
    return t("feedback.rejected", id=suggestion_id)


async def _tell(context: BotContext, chat_id: int, text: str) -> None:
    try:
        await context.bot.send_message(chat_id, HTML.text(text), parse_mode=ParseMode.HTML)
    except TelegramError as exc:
        log.info("Could not tell chat %s about its suggestion: %s", chat_id, exc)


# -- answers to the bot's questions ---------------------------------------------------------------


async def prompt_reply(update: Update, context: BotContext) -> None:
    """A reply to one of this user's open questions; anything else goes on to the other handlers."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or message.reply_to_message is None:
        return
    key = (message.chat.id, message.reply_to_message.message_id)
    prompts = _prompts(context)
    prompt = prompts.get(key)
    if prompt is None:
        return
    text = message.text or ""
    try:
        if prompt.kind == "report":
            if len(text.strip()) > MAX_FEEDBACK:
                raise InteropError("feedback.too_long", n=len(text.strip()), max=MAX_FEEDBACK)
            await _save_report(update, context, prompt, text)
        elif prompt.kind == "suggest":
            await _save_suggestion(update, context, text.strip())
        elif not await _is_admin(context, user.id):
            await reply(update, HTML.t("feedback.admins_only"))
        elif prompt.kind == "edit":
            await reply(update, HTML.text(await _accept(context, user, prompt.a, text.strip())))
        elif prompt.kind == "reject":
            await reply(update, HTML.text(await _reject(context, user, prompt.a, text)))
        prompts.pop(key, None)
    except AlreadySettled as exc:  # another admin was first: nothing left to answer
        prompts.pop(key, None)
        await reply(update, HTML.text(sentence(str(exc))))
    except InteropError as exc:  # the question stays open: a corrected reply is welcome
        await reply(update, HTML.text(sentence(str(exc))))
    raise ApplicationHandlerStop


# -- the admin queue ------------------------------------------------------------------------------


async def _admin_refusal(update: Update, context: BotContext) -> str | None:
    message, user = update.effective_message, update.effective_user
    if message is not None and message.sender_chat is not None:
        return t("follows.anonymous")
    if not await _is_admin(context, user.id if user else None):
        return t("feedback.admins_only")
    return None


async def queue_view(context: BotContext) -> tuple[str, InlineKeyboardMarkup | None]:
    """The open items that fit one message (newest first), each with its buttons."""
    items = await _feedback(context).queue(QUEUE_SHOWN + 1)
    cards = [report_card(context, item) if isinstance(item, Report) else render_suggestion(item)
             for item in items[:QUEUE_SHOWN]]
    text, shown = render_queue(cards, len(items))
    if not shown:
        return text, None
    rows = []
    for item in items[:shown]:
        if isinstance(item, Report):
            rows.append([InlineKeyboardButton(t("feedback.button.resolve", id=item.id),
                                              callback_data=f"q:res:{item.id}"),
                         InlineKeyboardButton(t("feedback.button.dismiss", id=item.id),
                                              callback_data=f"q:dis:{item.id}")])
        else:
            rows.append([InlineKeyboardButton(t("feedback.button.accept", id=item.id),
                                              callback_data=f"q:acc:{item.id}"),
                         InlineKeyboardButton(t("feedback.button.edit", id=item.id),
                                              callback_data=f"q:edt:{item.id}"),
                         InlineKeyboardButton(t("feedback.button.reject", id=item.id),
                                              callback_data=f"q:rej:{item.id}")])
    return text, InlineKeyboardMarkup(rows)


async def reports(update: Update, context: BotContext) -> None:
    """/reports (admins): open reports and suggestions, newest first, with their buttons."""
    refused = await _admin_refusal(update, context)
    if refused:
        await reply(update, HTML.text(refused))
        raise ApplicationHandlerStop
    text, markup = await queue_view(context)
    await reply(update, text, markup)
    raise ApplicationHandlerStop


async def _refresh(query: CallbackQuery, context: BotContext) -> None:
    text, markup = await queue_view(context)
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


async def queue_pressed(update: Update, context: BotContext) -> None:
    """q:…: rights are checked again, then resolve / dismiss / accept, or ask for an edit or reason."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not await _is_admin(context, query.from_user.id):
        await query.answer(t("admin.button_refused"), show_alert=True)
        raise ApplicationHandlerStop
    _, verb, raw_id = query.data.split(":")
    item_id = int(raw_id)
    feedback = _feedback(context)
    message = query.message
    try:
        if verb in {"res", "dis"}:
            status = "resolved" if verb == "res" else "dismissed"
            await feedback.close_report(item_id, status, _actor(query.from_user))
            notice = t(f"feedback.{status}", id=item_id)
        elif verb == "acc":
            notice = await _accept(context, query.from_user, item_id)
        else:
            suggestion = await feedback.open_suggestion(item_id)
            if not isinstance(message, Message):
                raise InteropError("tg.stale")
            text = (HTML.join("\n", [HTML.t("feedback.edit_prompt", id=item_id), HTML.code(suggestion.line)])
                    if verb == "edt" else HTML.t("feedback.reject_prompt", id=item_id))
            await ask(context, message.chat.id, query.from_user, text,
                      Prompt("edit" if verb == "edt" else "reject", item_id),
                      in_group=message.chat.type != ChatType.PRIVATE)
            await query.answer()
            raise ApplicationHandlerStop
    except InteropError as exc:
        await query.answer(sentence(str(exc))[:200], show_alert=True)
        raise ApplicationHandlerStop from None
    await _refresh(query, context)
    await query.answer(notice[:200])
    raise ApplicationHandlerStop


# -- misses and privacy ---------------------------------------------------------------------------


async def misses(update: Update, context: BotContext) -> None:
    """/misses (admins): unknown names and no-record pairs of the last 30 days, most asked first."""
    refused = await _admin_refusal(update, context)
    if refused:
        await reply(update, HTML.text(refused))
        raise ApplicationHandlerStop
    interop = _interop(context)
    await save_misses(interop)
    names, pairs = await _feedback(context).misses()
    await reply(update, render_misses(names, pairs))
    raise ApplicationHandlerStop


async def privacy(update: Update, context: BotContext) -> None:
    """/privacy: what the bot keeps, and how to delete it."""
    await reply(update, HTML.t("feedback.privacy"))
    raise ApplicationHandlerStop


async def forgetme(update: Update, context: BotContext) -> None:
    """/forgetme: delete the user's own follows and their reports and suggestions."""
    user = update.effective_user
    message = update.effective_message
    if user is None or (message is not None and message.sender_chat is not None):
        await reply(update, HTML.t("follows.anonymous"))
        raise ApplicationHandlerStop
    follows, items = await _feedback(context).forget_user(user.id)
    await reply(update, HTML.t("feedback.forgotten", follows=follows, reports=items))
    raise ApplicationHandlerStop


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("suggest", suggest, filters=NEW),
        CommandHandler("reports", reports, filters=NEW),
        CommandHandler("misses", misses, filters=NEW),
        CommandHandler("privacy", privacy, filters=NEW),
        CommandHandler("forgetme", forgetme, filters=NEW),
        MessageHandler(NEW & filters.REPLY & filters.TEXT & ~filters.COMMAND, prompt_reply),
        CallbackQueryHandler(report_pressed, pattern=REPORT_PATTERN),
        CallbackQueryHandler(queue_pressed, pattern=QUEUE_PATTERN),
    ]
