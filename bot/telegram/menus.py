"""The command menus Telegram shows under "/" and the bot's profile texts, in English and Chinese.

User commands everywhere, admin ones for admins; each scope is set for every language (English
as the default, Chinese for ``language_code="zh"``, which Telegram uses for both scripts), and so
are the description and short description. A failure for one scope (typically "chat not found"
for an admin who never opened the bot) is logged and skipped: menus are a convenience and must
never stop the bot from starting.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import TelegramError

from bot.i18n import EN, ZH_HANS
from bot.telegram.admin import ADMIN_COMMANDS
from bot.texts import t

log = logging.getLogger(__name__)

USER_COMMAND_NAMES: tuple[str, ...] = (
    "check", "company", "search", "map", "compare", "recent", "changes", "about", "language", "help",
    "follow", "following", "suggest", "privacy",  # follows
)
USER_COMMANDS: list[tuple[str, str]] = [(name, t(f"cmd.{name}", EN)) for name in USER_COMMAND_NAMES]
MENU_LANGUAGES: tuple[tuple[str | None, str], ...] = ((None, EN), ("zh", ZH_HANS))
"""(Telegram language_code, our locale): None is the default every other language sees."""

FEEDBACK_ADMIN_COMMANDS: list[tuple[str, str]] = [("reports", t("cmd.reports")), ("misses", t("cmd.misses"))]


def _commands(names: Iterable[str], locale: str) -> list[BotCommand]:
    return [BotCommand(name, t(f"cmd.{name}", locale)) for name in names]


async def set_menus(bot: Bot, admin_ids: Iterable[int]) -> int:
    """Set every scope's menu and the profile in every language; returns how many calls failed."""
    admin_names = [*USER_COMMAND_NAMES, *(name for name, _ in ADMIN_COMMANDS),
                   *(name for name, _ in FEEDBACK_ADMIN_COMMANDS)]
    admins = sorted(admin_ids)
    failed = 0
    for code, locale in MENU_LANGUAGES:
        user = _commands(USER_COMMAND_NAMES, locale)
        admin = _commands(admin_names, locale)
        scopes: list[tuple[BotCommandScope, list[BotCommand]]] = [
            (BotCommandScopeAllPrivateChats(), user),
            (BotCommandScopeAllGroupChats(), user),
        ]
        scopes += [(BotCommandScopeChat(chat_id=admin_id), admin) for admin_id in admins]
        for scope, commands in scopes:
            try:
                await bot.set_my_commands(commands, scope=scope, language_code=code)
            except TelegramError as exc:
                failed += 1
                target = getattr(scope, "chat_id", scope.type)
                log.warning("Could not set the %s command menu for %s: %s", code or "default", target, exc)
    for code, locale in MENU_LANGUAGES:
        try:
            await bot.set_my_description(t("bot.description", locale), language_code=code)
            await bot.set_my_short_description(t("bot.short_description", locale), language_code=code)
        except TelegramError as exc:
            failed += 1
            log.warning("Could not set the %s bot description: %s", code or "default", exc)
    return failed
