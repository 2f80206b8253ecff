"""The end-to-end benchmark's echo bot (``python -m bench.echo_bot``): the bot's own setup, echo handlers.

It is built by the project's ``build_application`` from the same settings (token, base URLs,
HTML defaults, ``RATE_LIMITER``, the per-chat update processor), then its handlers are swapped
for echoes and its store is never opened, so the difference to ``python -m bot`` under the same
load is what answering costs. Each reply carries one button, so a press can be echoed too.
"""

from __future__ import annotations

import html
import logging
import sys

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Update,
)
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.config import ConfigError, load_settings
from bot.logs import setup_logging
from bot.telegram.app import build_application

log = logging.getLogger("bench.echo_bot")
PRESS = "echo:press"
_KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("again", callback_data=PRESS)]])


async def echo_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Any text (commands too), sent back escaped."""
    assert update.message is not None
    await update.message.reply_text(html.escape(update.message.text or ""), reply_markup=_KEYBOARD)


async def echo_inline(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """One article that repeats the query."""
    query = update.inline_query
    assert query is not None
    text = query.query or "…"
    await query.answer([InlineQueryResultArticle("echo", title=text[:64],
                                                 input_message_content=InputTextMessageContent(html.escape(text)))],
                       cache_time=0)


async def echo_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Edit the message the button is on, then answer the press (the order the bot uses)."""
    query = update.callback_query
    assert query is not None
    await query.edit_message_text(html.escape(f"pressed {query.data}"))
    await query.answer()


async def _no_store(app: Application) -> None:  # type: ignore[type-arg]
    """Replaces the bot's post_init: the echo opens no store and sets no menus."""
    log.info("Echo bot @%s ready", app.bot.username)


def build() -> Application:  # type: ignore[type-arg]
    settings = load_settings()
    setup_logging(settings)
    app = build_application(settings)
    app.handlers.clear()
    app.post_init = _no_store
    app.add_handlers([
        MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT, echo_message),
        InlineQueryHandler(echo_inline),
        CallbackQueryHandler(echo_press),
    ])
    return app


def main() -> int:
    try:
        app = build()
    except ConfigError as exc:
        print(f"echo bot: configuration error: {exc}", file=sys.stderr)
        return 2
    app.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
