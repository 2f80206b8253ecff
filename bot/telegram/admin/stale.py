"""/stale in Telegram: the admins' maintenance queue, a page at a time, with a row of buttons per
thread (the queue itself is ``bot.upkeep``; its text is ``bot.render.render_stale``).

=============================  ==================================================
``a:st:<page>``                turn to another page (the bot's ◀ Page x/y ▶ row)
``a:sv:<fact>:<page>``         ✔ Still true: ``/verify`` the thread's newest fact
``a:sf:<fact>``                ➕ Follow-up: the guided /addfact, pre-filled (form.py)
``a:sr:<fact>``                Retract: the /retract confirmation, for the presser
=============================  ==================================================

Every press checks the presser's rights again, as every admin button does; any admin may press.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ApplicationHandlerStop

from bot.admin import Editor, parse_fact_id
from bot.answers import parse_count
from bot.domain import InteropError, ValidationError
from bot.render import HTML, render_error, render_stale, sentence
from bot.telegram.admin.commands import retract_prompt
from bot.telegram.admin.common import actor_of, button, button_allowed, edit_reply, editor_for, send_reply
from bot.telegram.callbacks import QueuePage, pager_row
from bot.telegram.context import BotContext
from bot.texts import t
from bot.upkeep import stale_page

PAGE_PATTERN = r"^a:st:\d{1,9}$"
VERIFY_PATTERN = r"^a:sv:\d{1,19}:\d{1,9}$"
RETRACT_PATTERN = r"^a:sr:\d{1,19}$"


async def queue_page(context: BotContext, page: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """Page ``page`` of the queue as a message: its text, a button row per thread, the pager."""
    found = await stale_page(context.interop, page, context.today())
    rows = [[button(t("stale.button.verify", id=e.newest.fact.id), f"a:sv:{e.newest.fact.id}:{found.page}"),
             button(t("stale.button.follow_up", id=e.newest.fact.id), f"a:sf:{e.newest.fact.id}"),
             button(t("stale.button.retract", id=e.newest.fact.id), f"a:sr:{e.newest.fact.id}")]
            for e in found.entries]
    if found.pages > 1:
        rows.append(pager_row(QueuePage(found.page), found.page, found.pages))
    return HTML.join("\n\n", render_stale(found)), InlineKeyboardMarkup(rows) if rows else None


async def stale(update: Update, context: BotContext, editor: Editor, args: str) -> None:
    """/stale [PAGE] (admins): the threads most in need of a look, oldest first."""
    page = parse_count(args, 1, 999_999)
    if page is None:
        raise ValidationError("error.page_number", value=args)
    text, markup = await queue_page(context, page)
    await send_reply(update, text, markup)


async def page_pressed(update: Update, context: BotContext) -> None:
    """a:st: another page of the queue, in place."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not await button_allowed(query, context):
        raise ApplicationHandlerStop
    text, markup = await queue_page(context, int(query.data.split(":")[2]))
    await query.answer()
    await edit_reply(query, text, markup)
    raise ApplicationHandlerStop


async def verify_pressed(update: Update, context: BotContext) -> None:
    """a:sv: ✔ Still true: the newest fact is checked today (audited), and the page is redrawn
    without the thread."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not await button_allowed(query, context):
        raise ApplicationHandlerStop
    _, _, fact_id, page = query.data.split(":")
    try:
        await editor_for(context).verify(int(fact_id), actor_of(update), today=context.today())
    except InteropError as exc:
        await query.answer(sentence(str(exc))[:200], show_alert=True)
        raise ApplicationHandlerStop from None
    text, markup = await queue_page(context, int(page))
    await query.answer(t("stale.verified", id=int(fact_id)))
    await edit_reply(query, text, markup)
    raise ApplicationHandlerStop


async def retract_pressed(update: Update, context: BotContext) -> None:
    """a:sr: Retract: the usual confirmation (Retract / Keep), for the admin who pressed."""
    query = update.callback_query
    assert query is not None and query.data is not None
    if not await button_allowed(query, context):
        raise ApplicationHandlerStop
    try:
        text, markup = await retract_prompt(editor_for(context), parse_fact_id(query.data.split(":")[2]),
                                            query.from_user.id)
    except InteropError as exc:
        text, markup = render_error(exc), None
    await query.answer()
    await send_reply(update, text, markup)
    raise ApplicationHandlerStop
