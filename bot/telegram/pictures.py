"""/map and /compare in Telegram: a photo with a one-line caption, and the same answer as text.

A map photo carries a button that sends its text answer; a table is followed by its text. When
a picture cannot be drawn (or Telegram refuses it) the text goes alone. Pictures are drawn in
the worker thread of ``bot.pictures`` and are rate-limited per user (admins are not).
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType
from telegram.error import BadRequest

from bot.answers import Interop
from bot.domain import Company, Unresolved
from bot.i18n import display_name
from bot.maps import CompareProblem, CompareResult, MapResult, compare_text, map_of, read_name
from bot.pictures import Picture, Pictures
from bot.ratelimit import RateLimiter
from bot.render import (
    HTML,
    map_caption,
    render_compare,
    render_compare_problem,
    render_map,
    render_suggestions_plain,
    render_unresolved,
)
from bot.telegram.callbacks import MAX_CHOICES, Reply, paged
from bot.telegram.context import BotContext
from bot.telegram.user import say, send
from bot.telegram.webapp import with_table
from bot.texts import t

log = logging.getLogger(__name__)

PICTURE_BURST = 4
PICTURE_RATE = 0.2  # one more picture every 5 s once the burst is spent
MAX_ARGS = 1024
MAP_TEXT_PATTERN = re.compile(r"^mt:\d{1,19}$")  # "open as text" under a map photo
MAP_PATTERN = re.compile(r"^mp:\d{1,19}$")  # a did-you-mean choice for /map


@dataclass(frozen=True, slots=True)
class Target:
    """Where an answer goes: the chat, its forum topic, and the message to quote (groups only)."""

    chat_id: int
    thread_id: int | None = None
    quote: int | None = None


def _interop(context: BotContext) -> Interop:
    return context.interop


def _pictures(context: BotContext) -> Pictures:
    data = context.bot_data
    if data.pictures is None:
        data.pictures = Pictures()
    return data.pictures


def _args(context: BotContext) -> str:
    return " ".join(context.args or ()).strip()


def _target(message: Message) -> Target:
    thread = message.message_thread_id if message.is_topic_message else None
    quote = None if message.chat.type == ChatType.PRIVATE else message.message_id
    return Target(message.chat.id, thread, quote)


def _refusal(update: Update, context: BotContext) -> str | None:
    """Spend one picture token: None when allowed, else the sentence to say (empty: stay quiet).

    A limited user is told once per cooldown, not once per message.
    """
    user = update.effective_user
    if user is None or user.id in context.settings.admin_ids:
        return None
    data = context.bot_data
    if data.picture_limiter is None:
        data.picture_limiter = RateLimiter(PICTURE_BURST, PICTURE_RATE)
    allowance = data.picture_limiter.hit(user.id)
    if allowance.allowed:
        return None
    return t("rate_limited", seconds=max(1, math.ceil(allowance.retry_after))) if allowance.notify else ""


async def picture_allowed(update: Update, context: BotContext) -> bool:
    """For commands: spend a token, or tell the user to wait."""
    refusal = _refusal(update, context)
    if refusal:
        await say(update, refusal)
    return refusal is None


async def _send_text(context: BotContext, target: Target, reply: Reply) -> None:
    quote = ReplyParameters(target.quote, allow_sending_without_reply=True) if target.quote else None
    await context.bot.send_message(target.chat_id, str(reply.text), reply_markup=reply.markup,
                                   link_preview_options=reply.link_preview,
                                   message_thread_id=target.thread_id, reply_parameters=quote)


async def _send_photo(context: BotContext, target: Target, picture: Picture,
                      caption: str, markup: InlineKeyboardMarkup | None, name: str) -> bool:
    """Send the PNG; False when Telegram refuses it, so the caller can send text instead."""
    quote = ReplyParameters(target.quote, allow_sending_without_reply=True) if target.quote else None
    try:
        await context.bot.send_photo(target.chat_id, picture.png, caption=str(caption), reply_markup=markup,
                                     filename=name, message_thread_id=target.thread_id,
                                     reply_parameters=quote)
    except BadRequest as exc:
        log.warning("Telegram refused a %dx%d picture: %s", picture.width, picture.height, exc.message)
        return False
    return True


async def _draw(context: BotContext, result: MapResult | CompareResult) -> Picture | None:
    """The picture from the worker thread (or the cache); None when drawing failed."""
    try:
        if isinstance(result, MapResult):
            return await _pictures(context).map(result)
        return await _pictures(context).compare(result)
    except Exception:  # a picture is a bonus: the text answer still goes out
        log.exception("Drawing a picture failed")
        return None


def map_text_button(company: Company) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t("map.open_text"),
                                                       callback_data=f"mt:{company.id}")]])


async def send_map(context: BotContext, target: Target, company: Company) -> None:
    """The map photo with its caption and text button; text alone without facts or a picture."""
    result = await map_of(_interop(context), company)
    if result.empty:
        await _send_text(context, target, Reply(render_map(result)[0]))
        return
    picture = await _draw(context, result)
    if picture is not None and await _send_photo(context, target, picture, map_caption(result),
                                                 map_text_button(company), f"map-{company.id}.png"):
        return
    blocks = [HTML.t("map.drawing_failed"), *render_map(result)]
    await _send_text(context, target, paged(blocks, None))


async def map_command(update: Update, context: BotContext) -> None:
    """/map NAME: a picture of who the company (or group) works with."""
    message = update.effective_message
    args = _args(context)
    if message is None:
        return
    if not args:
        await say(update, t("usage.map"))
        return
    if len(args) > MAX_ARGS:
        await say(update, t("too_long", max=MAX_ARGS))
        return
    resolution = await read_name(_interop(context), args)
    if resolution.company is None:
        unresolved = Unresolved((resolution,))
        rows = [[InlineKeyboardButton(display_name(c.company), callback_data=f"mp:{c.company.id}")]
                for c in resolution.candidates[:MAX_CHOICES]]
        await send(update, Reply(HTML.join("\n", render_unresolved(unresolved)),
                                 InlineKeyboardMarkup(rows) if rows else None))
        return
    if not await picture_allowed(update, context):
        return
    await send_map(context, _target(message), resolution.company)


async def _pressed_company(query: CallbackQuery, context: BotContext) -> tuple[Company, Message] | None:
    """The company a map button names and the message it sits under; None (said as stale) when
    either is gone. One lookup for the did-you-mean and the "as text" buttons."""
    assert query.data is not None
    company = _interop(context).resolver.company(int(query.data.split(":")[1]))
    if company is None or not isinstance(query.message, Message):
        await query.answer(t("tg.stale"))
        return None
    return company, query.message


async def map_pressed(update: Update, context: BotContext) -> None:
    """A did-you-mean choice under /map: draw that company's map as a new message."""
    query = update.callback_query
    assert query is not None
    pressed = await _pressed_company(query, context)
    if pressed is None:
        return
    company, message = pressed
    refusal = _refusal(update, context)
    if refusal is None:
        await send_map(context, _target(message), company)
    await query.answer(refusal or None)  # last, once: if anything above raised, the error handler answers


async def map_text_pressed(update: Update, context: BotContext) -> None:
    """"Open as text" under a map: the same links and verdicts as a text message."""
    query = update.callback_query
    assert query is not None
    pressed = await _pressed_company(query, context)
    if pressed is None:
        return
    company, message = pressed
    result = await map_of(_interop(context), company)
    await _send_text(context, Target(message.chat.id, _target(message).thread_id),
                     paged(render_map(result), None))
    await query.answer()


async def compare_command(update: Update, context: BotContext) -> None:
    """/compare A, B | X, Y: a table picture of /check verdicts, then the same table as text."""
    message = update.effective_message
    if message is None:
        return
    args = _args(context)
    if len(args) > MAX_ARGS:
        await say(update, t("too_long", max=MAX_ARGS))
        return
    result = await compare_text(_interop(context), args) if args else CompareProblem("usage")
    if isinstance(result, CompareProblem):
        await send(update, Reply(render_compare_problem(result)))
        return
    if isinstance(result, Unresolved):  # names to retype: the close ones listed, no buttons
        lines = [*render_unresolved(result), *render_suggestions_plain(result)]
        await send(update, Reply(HTML.join("\n", lines) if lines else HTML.t("usage.compare")))
        return
    if not await picture_allowed(update, context):
        return
    target = _target(message)
    blocks = render_compare(result)
    picture = await _draw(context, result)
    sent = picture is not None and await _send_photo(context, target, picture, blocks[0], None,
                                                     "compare.png")
    if not sent:
        blocks = [HTML.t("map.drawing_failed"), *blocks]
    await _send_text(context, target, with_table(paged(blocks, None), update, context))
