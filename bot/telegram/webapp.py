"""The web table in Telegram: served by the bot (``WEB_PORT``) and opened as a Mini App
(``WEBAPP_URL``) from a "📊 Table" button under /start, /help and /compare and from the chat's
menu button.

A ``web_app`` inline button works in private chats only (Telegram refuses it in groups), so
group answers go without it; the menu button is private-chat only anyway.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, MenuButtonWebApp, Update, WebAppInfo
from telegram.constants import ChatType
from telegram.error import TelegramError

from bot.telegram.callbacks import Reply
from bot.telegram.context import BotApp, BotContext
from bot.texts import t
from bot.web.server import WebServer
from bot.web.site import Site

log = logging.getLogger(__name__)


def table_button(update: Update, context: BotContext) -> InlineKeyboardButton | None:
    """The "📊 Table" button for this chat, None when there is no Mini App or it is a group."""
    url = context.settings.webapp_url
    chat = update.effective_chat
    if not url or chat is None or chat.type != ChatType.PRIVATE:
        return None
    return InlineKeyboardButton(t("site.table_button"), web_app=WebAppInfo(url))


def with_table(reply: Reply, update: Update, context: BotContext) -> Reply:
    """``reply`` with the table's button in a row of its own under its keyboard."""
    button = table_button(update, context)
    if button is None:
        return reply
    rows = [list(row) for row in reply.markup.inline_keyboard] if reply.markup else []
    return replace(reply, markup=InlineKeyboardMarkup([*rows, [button]]))


async def set_menu_button(bot: Bot, url: str) -> None:
    """Every private chat's menu button opens the table (a failure is logged: the bot still works)."""
    try:
        await bot.set_chat_menu_button(menu_button=MenuButtonWebApp(t("site.table_button", "en"),
                                                                    WebAppInfo(url)))
    except TelegramError as exc:
        log.warning("Could not set the chat menu button to the web table: %s", exc)


async def start(app: BotApp) -> None:
    """After the store is open: serve the table (WEB_PORT) and offer the Mini App (WEBAPP_URL)."""
    data = app.bot_data
    settings = data.settings
    if settings.web_port is not None and data.web is None and data.interop is not None:
        server = WebServer(Site(data.interop, app.bot.username))
        await server.start(settings.web_listen, settings.web_port)
        data.web = server
    if settings.webapp_url:
        await set_menu_button(app.bot, settings.webapp_url)


async def stop(app: BotApp) -> None:
    if app.bot_data.web is not None:
        await app.bot_data.web.stop()
        app.bot_data.web = None
