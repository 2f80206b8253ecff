"""The command menus Telegram shows under "/": user commands everywhere, admin ones for admins.

A failure for one scope (typically "chat not found" for an admin who never opened the bot) is
logged and skipped: menus are a convenience and must never stop the bot from starting.
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

from bot.telegram.admin import ADMIN_COMMANDS
from bot.texts import t

log = logging.getLogger(__name__)

USER_COMMANDS: list[tuple[str, str]] = [
    ("check", t("cmd.check")),
    ("company", t("cmd.company")),
    ("search", t("cmd.search")),
    ("map", t("cmd.map")),
    ("compare", t("cmd.compare")),
    ("recent", t("cmd.recent")),
    ("help", t("cmd.help")),
    ("follow", t("cmd.follow")),  # follows
    ("following", t("cmd.following")),
    ("suggest", t("cmd.suggest")),
    ("privacy", t("cmd.privacy")),
]

FEEDBACK_ADMIN_COMMANDS: list[tuple[str, str]] = [("reports", t("cmd.reports")), ("misses", t("cmd.misses"))]


def _commands(pairs: Iterable[tuple[str, str]]) -> list[BotCommand]:
    return [BotCommand(name, description) for name, description in pairs]


async def set_menus(bot: Bot, admin_ids: Iterable[int]) -> int:
    """Set every scope's menu; returns how many scopes failed (each one is logged)."""
    user = _commands(USER_COMMANDS)
    admin = _commands([*USER_COMMANDS, *ADMIN_COMMANDS, *FEEDBACK_ADMIN_COMMANDS])
    scopes: list[tuple[BotCommandScope, list[BotCommand]]] = [
        (BotCommandScopeAllPrivateChats(), user),
        (BotCommandScopeAllGroupChats(), user),
    ]
    scopes += [(BotCommandScopeChat(chat_id=admin_id), admin) for admin_id in sorted(admin_ids)]
    failed = 0
    for scope, commands in scopes:
        try:
            await bot.set_my_commands(commands, scope=scope)
        except TelegramError as exc:
            failed += 1
            target = getattr(scope, "chat_id", scope.type)
            log.warning("Could not set the command menu for %s: %s", target, exc)
    return failed
