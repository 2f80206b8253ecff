"""Shared by the admin handlers: rights on every entry point, replies, buttons, and ending the update."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Coroutine

from telegram import (
    CallbackQuery,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop, filters

from bot.admin import Access, Editor, actor_label
from bot.domain import InteropError
from bot.render import HTML, render_error
from bot.telegram.context import BotContext
from bot.texts import t

log = logging.getLogger(__name__)

ADMIN_GROUP = -1
"""Before the user handlers (group 0), so form answers and admin verbs are never read as questions."""
IMPORT_CAPTION = re.compile(r"^/import(@\w+)?(\s|$)", re.IGNORECASE)
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
NEW = filters.UpdateType.MESSAGE
"""Not edits: editing an old /retract or form answer must not run it again."""

Handler = Callable[[Update, BotContext], Coroutine[object, None, object]]
# A command body: the update, the context, an Editor acting for the sender, and the arguments.
AdminCommand = Callable[[Update, BotContext, Editor, str], Coroutine[object, None, None]]


def editor_for(context: BotContext) -> Editor:
    """The core's editor, with the owners from the settings."""
    return Editor(context.interop, context.settings.admin_ids, context.bot_data.uploads)



def actor_of(update: Update) -> str:
    user = update.effective_user
    assert user is not None
    return actor_label(user.id, f"@{user.username}" if user.username else user.full_name)


def command_args(message: Message) -> str:
    """The text after ``/command``, keeping "|" and spacing as typed (context.args splits on spaces)."""
    text = message.text or message.caption or ""
    parts = text.split(maxsplit=1)
    return parts[1].strip() if len(parts) == 2 else ""


def ends_update(handler: Handler) -> Handler:
    """Whatever happens in an admin handler, the update ends there.

    PTB hands an exception to the error handler and then goes on to the next group, so a failed
    form step would be answered again as a user question. Here the error handler still hears of
    it (and tells the admin), and the update stops; a form stays in the step it was in.
    """

    @functools.wraps(handler)
    async def run(update: Update, context: BotContext) -> object:
        try:
            return await handler(update, context)
        except ApplicationHandlerStop:
            raise
        except Exception as exc:
            await context.application.process_error(update, exc)
            raise ApplicationHandlerStop(None) from exc

    return run


# -- sending --------------------------------------------------------------------------------


async def send_reply(update: Update, text: str, markup: InlineKeyboardMarkup | ForceReply | None = None,
                 ) -> Message | None:
    """Answer in the update's chat: quoting the command in groups, plainly in private chats."""
    message = update.effective_message
    if message is None:
        return None
    quote = None
    if message.chat.type != ChatType.PRIVATE:
        quote = ReplyParameters(message_id=message.message_id, allow_sending_without_reply=True)
    return await message.reply_text(str(text), parse_mode=ParseMode.HTML, reply_markup=markup,
                                    link_preview_options=NO_PREVIEW, reply_parameters=quote,
                                    do_quote=None if quote else False)


async def edit_reply(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Replace the message the button was on; "not modified" is not an error."""
    try:
        await query.edit_message_text(str(text), parse_mode=ParseMode.HTML, reply_markup=markup,
                                      link_preview_options=NO_PREVIEW)
    except BadRequest as exc:
        if "not modified" not in exc.message.lower():
            raise


def button(text: str, data: str) -> InlineKeyboardButton:
    assert len(data.encode()) <= 64, data
    return InlineKeyboardButton(text, callback_data=data)


# -- rights ---------------------------------------------------------------------------------


async def refusal(update: Update, context: BotContext, need: Access,
                  command: str) -> str | None:
    """Why this sender may not run ``command`` (HTML), or None when they may."""
    message = update.effective_message
    if message is not None and message.sender_chat is not None:
        return HTML.t("admin.anonymous")  # posting as the group (or a channel): nobody to check
    user = update.effective_user
    access = await editor_for(context).access(user.id if user else None)
    if access >= need:
        return None
    key = "admin.owners_only" if need is Access.OWNER and access is Access.ADMIN else "admin.refused"
    return HTML.t(key, command=command)


async def button_allowed(query: CallbackQuery, context: BotContext,
                         owner: int | None = None) -> bool:
    """Re-check on every press; a refused press gets a polite toast and writes nothing."""
    if await editor_for(context).access(query.from_user.id) is Access.NONE:
        await query.answer(t("admin.button_refused"), show_alert=True)
        return False
    if owner is not None and owner != query.from_user.id:
        await query.answer(t("admin.button_not_yours"), show_alert=True)
        return False
    return True


def command(name: str, body: AdminCommand,
            need: Access = Access.ADMIN, usage: str | None = None) -> Handler:
    """Wrap a command body: refuse anonymous senders and non-admins, turn errors into replies."""

    async def run(update: Update, context: BotContext) -> None:
        message = update.effective_message
        assert message is not None
        try:
            refused = await refusal(update, context, need, f"/{name}")
            if refused:
                await send_reply(update, refused)
            else:
                await body(update, context, editor_for(context), command_args(message))
        except InteropError as exc:
            await send_reply(update, render_error(exc, usage))
        raise ApplicationHandlerStop

    run.__doc__ = body.__doc__
    return ends_update(run)
