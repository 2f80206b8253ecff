"""The reply language in Telegram: chosen once per update (before every other handler), and /language.

``choose_locale`` runs in ``LOCALE_GROUP``, ahead of the admin and user handlers. PTB runs all
groups of one update in the same task, so the locale it sets (``bot.i18n.set_locale``) is what
every ``t()`` call of that update reads; concurrent updates run in their own tasks and contexts.
The rules are ``bot.i18n.choose``: the chat's /language setting, the question's script, the
user's ``language_code``, English. A button press has no question: the message it sits on tells
the language it was written in, so page 2 reads like page 1.
"""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError

from bot.domain import InteropError
from bot.i18n import AUTO, EN, choose, message_locale, parse_setting, set_locale
from bot.store import Store
from bot.telegram.context import BotContext, ChatLanguages
from bot.telegram.user import say
from bot.texts import t

log = logging.getLogger(__name__)

LOCALE_GROUP = -3
"""Before everything else, the admin handlers (-1) included."""
_ADMINS = frozenset({ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER})


async def chat_locale(store: Store, chat_id: int, languages: ChatLanguages | None = None) -> str:
    """The locale for a message the bot sends on its own (a notification): the chat's /language
    setting, else the language the chat last read here (``languages``), else English."""
    try:
        setting = await store.chat_language(chat_id)
    except InteropError:
        setting = AUTO
    if setting:
        return choose(setting, None, None)
    last = languages.last_read.peek(chat_id) if languages is not None else None
    return last or EN


async def _setting(context: BotContext, chat_id: int | None) -> str:
    interop = context.bot_data.interop
    if chat_id is None or interop is None:
        return AUTO
    try:
        return await context.bot_data.languages.get(interop.store, chat_id)
    except InteropError as exc:  # a busy or broken store must not cost the answer its language
        log.warning("Could not read the language of chat %s: %s", chat_id, exc)
        return AUTO


def _labels(message: Message) -> tuple[str, ...]:
    markup = message.reply_markup
    if markup is None:
        return ()
    return tuple(button.text for row in markup.inline_keyboard for button in row)


async def choose_locale(update: object, context: BotContext) -> None:
    """Set this update's locale; never answers and never stops the update."""
    if not isinstance(update, Update):
        return
    chat, user = update.effective_chat, update.effective_user
    code = user.language_code if user else None
    setting = await _setting(context, chat.id if chat else None)
    query = update.callback_query
    if query is not None:
        message = query.message if isinstance(query.message, Message) else None
        written = message_locale(message.text or "", _labels(message)) if message else None
        set_locale(choose(setting, None, code) if setting or written is None else written)
        return
    if update.inline_query is not None:
        set_locale(choose(setting, update.inline_query.query, code))
        return
    message = update.effective_message
    text = (message.text or message.caption) if message else None
    locale = choose(setting, text, code)
    set_locale(locale)
    if chat is not None:
        context.bot_data.languages.last_read.put(chat.id, locale)


async def _may_change(update: Update, context: BotContext) -> bool:
    """Private chats: the user. Groups: only the group's Telegram admins (a chat setting, not a fact)."""
    chat, user, message = update.effective_chat, update.effective_user, update.effective_message
    if chat is None or chat.type == ChatType.PRIVATE:
        return True
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id == chat.id  # an anonymous admin posts as the group itself
    if user is None:
        return False
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError as exc:
        log.info("Could not check admin rights of %s in %s: %s", user.id, chat.id, exc)
        return False
    return member.status in _ADMINS


def _name(setting: str) -> str:
    return t(f"language.name.{setting or 'auto'}")


async def language_command(update: Update, context: BotContext) -> None:
    """/language en|zh|auto: the chat's reply language, stored in SQLite; bare shows the current one."""
    chat, user = update.effective_chat, update.effective_user
    interop = context.bot_data.interop
    if chat is None or interop is None:
        return
    args = " ".join(context.args or ()).strip()
    value = parse_setting(args) if args else None
    if value is None:
        await say(update, t("language.usage", current=_name(await _setting(context, chat.id))))
        return
    if not await _may_change(update, context):
        await say(update, t("language.admins_only"))
        return
    actor = f"tg:{user.id}" if user else f"chat:{chat.id}"
    await context.bot_data.languages.set(interop.store, chat.id, value, actor)
    set_locale(choose(value, None, user.language_code if user else None))  # answer in the new one
    await say(update, t("language.auto") if value == AUTO else t("language.set", name=_name(value)))
