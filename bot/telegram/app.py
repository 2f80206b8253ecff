"""Builds and runs the Telegram bot; ``register_handlers`` is the whole bot on one screen.

Long-lived services live in ``bot_data``: the ``Interop`` (opened in ``post_init`` unless one
is passed in, closed in ``post_shutdown`` if we opened it), the ``Settings`` and the per-user
``RateLimiter``. Updates run concurrently, but in order per user and chat (``PerChatOrder``).
``run_bot`` polls by default and uses PTB's built-in webhook server when
``WEBHOOK_URL`` is set; SIGINT/SIGTERM let in-flight updates finish, then it returns 0.
With ``BACKUP_DIR`` set, a daily JobQueue job writes a rotating online backup there.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Hashable
from datetime import UTC, time
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest

from bot.admin import Access
from bot.answers import Interop
from bot.backups import write_backup
from bot.config import Settings
from bot.ratelimit import RateLimiter
from bot.startup import open_interop
from bot.telegram import callbacks, errors, feedback, follow, inline, language, pictures, user
from bot.telegram.admin import ADMIN_GROUP, IMPORT_CAPTION, AdminBot, AdminCommand, ends_update
from bot.telegram.callbacks import EXAMPLE_PATTERN, INTEROP, NOT_ADMIN_PATTERN, PAGER_PATTERN
from bot.telegram.menus import set_menus
from bot.telegram.user import LIMITER, SETTINGS

log = logging.getLogger(__name__)

OWNS_INTEROP = "owns_interop"
RATE_BURST = 20
RATE_PER_SECOND = 1.0
MAX_CONCURRENT_UPDATES = 256
RATE_LIMIT_RETRIES = 3  # a 429 (RetryAfter) is waited out and retried this often before it is an error
BACKUP_JOB = "daily_backup"
BACKUP_TIME = time(3, 17, tzinfo=UTC)


class PerChatOrder(BaseUpdateProcessor):
    """Concurrent across chats, one at a time (in arrival order) for each user in each chat.

    Plain ``concurrent_updates(True)`` lets a user's next message overtake the previous
    button press; a ConversationHandler (the admin /addfact form) then reads it in the old state.
    An update first waits for its turn in its own chat, and only then takes one of the global
    slots: a busy group (Telegram lets a bot send it 20 messages a minute) queues behind itself
    and never holds the slots a private chat needs.
    """

    __slots__ = ("_queues",)

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._queues: dict[Hashable, tuple[asyncio.Lock, list[int]]] = {}

    @staticmethod
    def key(update: object) -> Hashable | None:
        if not isinstance(update, Update):
            return None
        chat, user = update.effective_chat, update.effective_user
        if chat is None and user is None:
            return None
        return (chat.id if chat else None, user.id if user else None)

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for this chat's turn without a slot, then run in one of the global slots."""
        key = self.key(update)
        if key is None:
            async with self._semaphore:  # the base class's global slots
                await coroutine
            return
        lock, waiting = self._queues.setdefault(key, (asyncio.Lock(), [0]))
        waiting[0] += 1
        try:
            # asyncio.Lock is FIFO and updates arrive in order; the slot is taken only once it is our turn.
            async with lock, self._semaphore:
                await coroutine
        finally:
            waiting[0] -= 1
            if waiting[0] == 0:
                del self._queues[key]

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Unused: ``process_update`` orders and limits by itself."""
        await coroutine

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


def register_handlers(app: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    """Every handler, in order. Within a group the first matching handler wins.

    Admin handlers come first, in ``ADMIN_GROUP``: each checks rights on its own (every command,
    form step and button press) and raises ApplicationHandlerStop when it takes an update, so
    group 0 never answers it a second time.
    """
    new = filters.UpdateType.MESSAGE  # not edits: an edited question is not asked again
    admin = AdminBot(settings)
    # First of all: the reply language of this update (read by every t() call after it).
    app.add_handler(TypeHandler(Update, language.choose_locale), group=language.LOCALE_GROUP)

    def admin_command(name: str, body: AdminCommand, need: Access = Access.ADMIN,
                      usage: str | None = None) -> CommandHandler:  # type: ignore[type-arg]
        return CommandHandler(name, admin.command(name, body, need, usage), filters=new)

    app.add_handlers([
        admin.conversation(),  # /addfact: one line saves at once; bare starts the guided form
        admin_command("addsource", admin.addsource, usage="addsource"),
        admin_command("editfact", admin.editfact, usage="editfact"),
        admin_command("retract", admin.retract, usage="retract"),
        admin_command("restore", admin.restore, usage="restore"),
        admin_command("history", admin.history, usage="history"),
        admin_command("addcompany", admin.addcompany, usage="addcompany"),
        admin_command("alias", admin.alias, usage="alias"),
        admin_command("unalias", admin.unalias, usage="unalias"),
        admin_command("export", admin.export),
        admin_command("import", admin.import_),
        admin_command("admins", admin.admins),
        admin_command("grant", admin.grant, Access.OWNER, usage="grant"),
        admin_command("revoke", admin.revoke, Access.OWNER, usage="revoke"),
        admin_command("backup", admin.backup, Access.OWNER),
        MessageHandler(new & filters.Document.ALL & filters.CaptionRegex(IMPORT_CAPTION),
                       ends_update(admin.import_caption)),
        CallbackQueryHandler(ends_update(admin.name_chosen), pattern=r"^a:(new|pick):[\w-]+(:\d+)?$"),
        CallbackQueryHandler(ends_update(admin.retract_pressed), pattern=r"^a:(ret|keep):\d+:\d+$"),
        CallbackQueryHandler(ends_update(admin.import_pressed), pattern=r"^a:imp:[\w-]+$"),
        CallbackQueryHandler(ends_update(admin.drop_pressed), pattern=r"^a:drop:[\w-]+$"),
        CallbackQueryHandler(ends_update(admin.stale_pressed), pattern=r"^a:"),  # any other: out of date
        CommandHandler("cancel", ends_update(admin.cancel_outside), filters=new),
    ], group=ADMIN_GROUP)

    private, groups = filters.ChatType.PRIVATE, filters.ChatType.GROUPS
    app.add_handlers([
        # Commands; CommandHandler accepts /cmd@ThisBot and ignores /cmd@OtherBot.
        CommandHandler("start", user.start, filters=new),
        CommandHandler("help", user.help_command, filters=new),
        CommandHandler("check", user.check, filters=new),
        CommandHandler("company", user.company, filters=new),
        CommandHandler("search", user.search, filters=new),
        CommandHandler("recent", user.recent, filters=new),
        CommandHandler("map", pictures.map_command, filters=new),
        CommandHandler("compare", pictures.compare_command, filters=new),
        CommandHandler("language", language.language_command, filters=new),
        # Free questions: anything in private; in groups only what is addressed to the bot.
        MessageHandler(new & private & filters.TEXT & ~filters.COMMAND, user.private_text),
        MessageHandler(new & groups & filters.TEXT & ~filters.COMMAND & user.ADDRESSED_TO_BOT,
                       user.group_text),
        MessageHandler(new & private & filters.COMMAND, user.unknown_command),
        MessageHandler(new & private & ~filters.TEXT & ~filters.Document.ALL & ~filters.StatusUpdate.ALL,
                       user.private_other),
        # Inline mode and buttons (admin buttons start with "a:" and are never caught here).
        InlineQueryHandler(inline.inline_query),
        CallbackQueryHandler(user.example_pressed, pattern=EXAMPLE_PATTERN),
        CallbackQueryHandler(callbacks.page_pressed, pattern=PAGER_PATTERN),
        CallbackQueryHandler(pictures.map_text_pressed, pattern=pictures.MAP_TEXT_PATTERN),
        CallbackQueryHandler(pictures.map_pressed, pattern=pictures.MAP_PATTERN),
        CallbackQueryHandler(callbacks.stale_pressed, pattern=NOT_ADMIN_PATTERN),
    ], group=0)
    # Follows, reports, suggestions, misses and privacy: before everything else (see FOLLOW_GROUP).
    app.add_handlers([*follow.handlers(), *feedback.handlers()], group=follow.FOLLOW_GROUP)
    follow.schedule_delivery(app)
    app.add_error_handler(errors.on_error)


async def backup_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The daily backup: logs (and reports to ERROR_CHAT_ID) a failure, never raises."""
    settings: Settings = context.bot_data[SETTINGS]
    interop: Interop | None = context.bot_data.get(INTEROP)
    if settings.backup_dir is None or interop is None:
        return
    try:
        path = await write_backup(interop.store, settings.backup_dir, settings.backup_keep)
    except Exception as exc:  # a failed backup must not take the bot (or the JobQueue) down
        log.exception("Scheduled backup into %s failed", settings.backup_dir)
        if settings.error_chat_id is not None:
            try:
                await context.bot.send_message(
                    settings.error_chat_id, f"⚠️ Scheduled backup failed: {type(exc).__name__}",
                    parse_mode=None)
            except TelegramError as report_exc:
                log.warning("Could not report the failed backup: %s", report_exc)
        return
    log.info("Backup written to %s (keeping the newest %d)", path, settings.backup_keep)


def schedule_backups(app: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    """Register the daily backup job when BACKUP_DIR is set (the JobQueue starts with the app)."""
    if settings.backup_dir is None:
        return
    if app.job_queue is None:  # pragma: no cover - the job-queue extra is a dependency
        log.warning("BACKUP_DIR is set but there is no JobQueue; no scheduled backups")
        return
    app.job_queue.run_daily(backup_job, BACKUP_TIME, name=BACKUP_JOB)


async def post_init(app: Application) -> None:  # type: ignore[type-arg]
    """Open the store and index (unless given one), then set the command menus."""
    settings: Settings = app.bot_data[SETTINGS]
    if app.bot_data.get(INTEROP) is None:
        app.bot_data[INTEROP] = await open_interop(settings.database_path, seed=settings.seed_path)
        app.bot_data[OWNS_INTEROP] = True
    await set_menus(app.bot, settings.admin_ids)
    log.info("Bot @%s ready", app.bot.username)


async def post_shutdown(app: Application) -> None:  # type: ignore[type-arg]
    """Close the store if post_init opened it; a passed-in Interop belongs to the caller."""
    interop = app.bot_data.get(INTEROP)
    if interop is not None and app.bot_data.pop(OWNS_INTEROP, False):
        await interop.close()
        app.bot_data[INTEROP] = None
        log.info("Store closed")


def build_application(settings: Settings, interop: Interop | None = None, *,
                      request: BaseRequest | None = None,
                      get_updates_request: BaseRequest | None = None) -> Application:  # type: ignore[type-arg]
    """The configured Application; ``request``/``get_updates_request`` let tests record calls."""
    if not settings.token:
        raise ValueError("build_application needs settings.token")
    builder = (
        ApplicationBuilder()
        .token(settings.token)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=UTC))
        .concurrent_updates(PerChatOrder())
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if settings.rate_limiter:  # off only for throughput benchmarks (RATE_LIMITER=off)
        builder = builder.rate_limiter(AIORateLimiter(max_retries=RATE_LIMIT_RETRIES))
    if settings.base_url:
        builder = builder.base_url(settings.base_url)
    if settings.base_file_url:
        builder = builder.base_file_url(settings.base_file_url)
    if request is not None:
        builder = builder.request(request).get_updates_request(get_updates_request or request)
    app = builder.build()
    app.bot_data[SETTINGS] = settings
    app.bot_data[INTEROP] = interop
    app.bot_data[LIMITER] = RateLimiter(RATE_BURST, RATE_PER_SECOND)
    register_handlers(app, settings)
    schedule_backups(app, settings)
    return app


def _stop_on_first_signal(loop: asyncio.AbstractEventLoop) -> None:
    """Stop on the first SIGINT/SIGTERM/SIGABRT and ignore repeats.

    PTB's own handler raises SystemExit on every signal, so a second one lands inside its
    shutdown and skips post_shutdown: the store's threads stay alive and the process hangs.
    """
    stopping = False

    def on_signal() -> None:
        nonlocal stopping
        if stopping:  # both signals may already be queued: the flag, not the handler, decides
            log.info("Already shutting down")
            return
        stopping = True
        log.info("Stop signal received; finishing in-flight updates")
        raise SystemExit

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGABRT):
        loop.add_signal_handler(sig, on_signal)


def run_bot(settings: Settings) -> int:
    """Run until SIGINT/SIGTERM, finishing in-flight updates; returns 0."""
    app = build_application(settings)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # run_polling/run_webhook pick this loop up
    _stop_on_first_signal(loop)
    try:
        if settings.webhook_url:
            url_path = urlsplit(settings.webhook_url).path.lstrip("/")
            log.info("Starting webhook on %s:%d", settings.webhook_listen, settings.webhook_port)
            app.run_webhook(
                listen=settings.webhook_listen,
                port=settings.webhook_port,
                url_path=url_path,
                webhook_url=settings.webhook_url,
                secret_token=settings.webhook_secret,
                allowed_updates=Update.ALL_TYPES,
                drop_pending_updates=False,
                stop_signals=None,
            )
        else:
            log.info("Starting long polling")
            app.run_polling(allowed_updates=Update.ALL_TYPES, drop_pending_updates=False, stop_signals=None)
    finally:
        if not loop.is_closed():  # PTB closes it; this is for runs that never got that far
            loop.close()
    return 0
