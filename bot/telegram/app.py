"""Builds and runs the Telegram bot; ``register_handlers`` is the whole bot on one screen.

Long-lived services live in the typed ``BotData`` (bot.telegram.context): the ``Interop`` (opened
in ``post_init`` through ``bot.startup`` unless one is passed in, closed in ``post_shutdown`` if
we opened it), the ``Settings`` and the per-user ``RateLimiter``; handlers read them as
``context.interop``, ``context.settings``... Updates run concurrently, but in order per user
and chat, and a busy group never holds the slots other chats need (``PerChatOrder``).
``run_bot`` polls by default and uses PTB's built-in webhook server when
``WEBHOOK_URL`` is set; SIGINT/SIGTERM let in-flight updates finish, then it returns 0.
With ``BACKUP_DIR`` set, a daily JobQueue job writes a rotating online backup there.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Coroutine, Hashable
from contextlib import asynccontextmanager
from datetime import UTC, time
from typing import Any
from urllib.parse import urlsplit

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    BaseRateLimiter,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
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
from bot.config import GROUP_SEND_SPACING, Settings
from bot.startup import freeze_loaded_objects, open_interop
from bot.telegram import callbacks, errors, feedback, follow, inline, language, pictures, user, webapp
from bot.telegram.admin import commands, form, pending, stale
from bot.telegram.admin.common import ADMIN_GROUP, IMPORT_CAPTION, AdminCommand, command, ends_update
from bot.telegram.callbacks import EXAMPLE_PATTERN, NOT_ADMIN_PATTERN, PAGER_PATTERN
from bot.telegram.context import CONTEXT_TYPES, BotApp, BotContext
from bot.telegram.menus import set_menus
from bot.telegram.persistence import SQLitePersistence
from bot.telegram.request import JsonRequest

log = logging.getLogger(__name__)

MAX_CONCURRENT_UPDATES = 256
CHAT_ADMISSION = 2
"""Updates of one chat that hold a slot at once (PerChatOrder): the rest wait without one."""
UNBOUNDED = 2**31 - 1  # PTB's own update semaphore only counts; PerChatOrder's slots limit
RATE_LIMIT_RETRIES = 3  # a 429 (RetryAfter) is waited out and retried this often before it is an error
# PTB's limiters are leaky buckets: "20 per 60 s" lets a burst of 20 through and then 20 more
# within the same minute (29 were seen in one 60 s window). A bucket of one that drains in
# ``period`` seconds spaces sends at least that far apart, so any window of w seconds holds at
# most 1 + w / period sends: 1 + 60 / 3.1 < 21 per group a minute, 1 + 1 / (1/29) = 30 a second.
OVERALL_SEND_SPACING = 1 / 29
"""Seconds between two sends overall: Telegram allows 30 a second."""


def rate_limiter(group_spacing: float = GROUP_SEND_SPACING) -> AIORateLimiter:
    """Telegram's flood limits, held in every window (see the spacings above)."""
    return AIORateLimiter(overall_max_rate=1, overall_time_period=OVERALL_SEND_SPACING,
                          group_max_rate=1, group_time_period=group_spacing,
                          max_retries=RATE_LIMIT_RETRIES)
BACKUP_JOB = "daily_backup"
BACKUP_TIME = time(3, 17, tzinfo=UTC)


class _Gates:
    """One FIFO semaphore of ``size`` per key, made on first use and dropped once nobody holds
    or waits for it (so a million chats leave nothing behind)."""

    __slots__ = ("_gates", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self._gates: dict[Hashable, tuple[asyncio.Semaphore, list[int]]] = {}

    def __len__(self) -> int:
        return len(self._gates)

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[bool]:
        """Held in arrival order; yields whether this holder had to wait for it."""
        gate, users = self._gates.setdefault(key, (asyncio.Semaphore(self.size), [0]))
        users[0] += 1
        try:
            waited = gate.locked()
            async with gate:  # waiters are woken in arrival order
                yield waited
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._gates[key]


class PerChatOrder(BaseUpdateProcessor):
    """Concurrent across chats, one at a time (in arrival order) for each user in each chat.

    Plain ``concurrent_updates(True)`` lets a user's next message overtake the previous
    button press; a ConversationHandler (the admin /addfact form) then reads it in the old state.
    An update waits three times, and holds nothing while it waits that the others need:

    1. its turn for its (chat, user), in arrival order: the ordering the handlers rely on;
    2. its chat's admission: at most ``CHAT_ADMISSION`` updates of one chat hold a slot at once.
       The rate limiter spaces a group's replies 3.1 s apart (Telegram's 20 a minute), and an
       update keeps its slot while it waits to send. Without admission, 300 members of one group
       each asking once held every slot and a private /check waited minutes; with it, a busy
       group queues behind itself. Two per chat keep the group's send spacing busy. The slots
       run out only when more than ``slot_limit / CHAT_ADMISSION`` groups are busy at once, more
       than Telegram's 30 messages a second would let the bot answer anyway;
    3. one of the ``slot_limit`` global slots.

    On a stop signal (``close``), an update that had to wait for its chat's admission is not
    started: a busy group's backlog at the production pace (3.1 s a reply) would hold the
    shutdown for minutes, past any supervisor's patience, and those questions are already
    confirmed to Telegram either way. Updates in flight, and those of quiet chats, still finish.

    PTB's own semaphore (taken before ``do_process_update``, in a final method) is sized so it
    never waits; ``_slots`` is the limit.
    """

    __slots__ = ("_admission", "_closing", "_running", "_slots", "_turns", "not_answered",
                 "slot_limit")

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES,
                 chat_admission: int = CHAT_ADMISSION) -> None:
        super().__init__(UNBOUNDED)
        self.slot_limit = max_concurrent_updates
        self._slots = asyncio.BoundedSemaphore(max_concurrent_updates)
        self._running = 0
        self._turns = _Gates(1)
        self._admission = _Gates(chat_admission)
        self._closing = False
        self.not_answered = 0
        """Updates of busy chats dropped after ``close``."""

    def close(self) -> None:
        """Stopping: updates still waiting for their chat's admission will not be started."""
        self._closing = True

    @staticmethod
    def key(update: object) -> tuple[int | None, int | None] | None:
        if not isinstance(update, Update):
            return None
        chat, user = update.effective_chat, update.effective_user
        if chat is None and user is None:
            return None
        return (chat.id if chat else None, user.id if user else None)

    @property
    def current_concurrent_updates(self) -> int:
        """Updates running in a slot now (not those waiting for their turn or their chat's)."""
        return self._running

    @property
    def waiting_keys(self) -> int:
        """(chat, user) pairs and chats with an update in hand: 0 when idle (nothing leaks)."""
        return len(self._turns) + len(self._admission)

    async def _run(self, coroutine: Awaitable[object]) -> None:
        async with self._slots:
            self._running += 1
            try:
                await coroutine
            finally:
                self._running -= 1

    async def do_process_update(self, update: object, coroutine: Awaitable[object]) -> None:
        key = self.key(update)
        if key is None:
            await self._run(coroutine)
            return
        async with self._turns.hold(key):  # updates arrive in order, and the gate is FIFO
            if key[0] is None:  # no chat (an inline query): the user's turn is the whole order
                await self._run(coroutine)
                return
            async with self._admission.hold(key[0]) as waited:
                if waited and self._closing:
                    if isinstance(coroutine, Coroutine):
                        coroutine.close()  # never started: no "never awaited" warning
                    self.not_answered += 1
                    return
                await self._run(coroutine)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        if self.not_answered:
            log.warning("Stopped with %d updates of busy chats not answered", self.not_answered)


SYNC_GROUP = language.LOCALE_GROUP - 1
"""Ahead of the reply language: the first handler group of every update."""


def register_handlers(app: BotApp) -> None:
    """Every handler, in order. Within a group the first matching handler wins.

    Admin handlers come first, in ``ADMIN_GROUP``: each checks rights on its own (every command,
    form step and button press) and ends the update when it takes it (``ends_update``), so
    group 0 never answers it a second time, not even after an error.
    """
    new = filters.UpdateType.MESSAGE  # not edits: an edited question is not asked again
    # First of all: the index takes in company changes made elsewhere, then the reply language
    # of this update (read by every t() call after it).
    app.add_handler(TypeHandler(Update, user.sync_index), group=SYNC_GROUP)
    app.add_handler(TypeHandler(Update, language.choose_locale), group=language.LOCALE_GROUP)

    def admin_command(name: str, body: AdminCommand, need: Access = Access.ADMIN,
                      usage: str | None = None) -> CommandHandler[BotContext, object]:
        return CommandHandler(name, command(name, body, need, usage), filters=new)

    app.add_handlers([
        form.conversation(),  # /addfact: one line saves at once; bare starts the guided form
        admin_command("addsource", commands.addsource, usage="addsource"),
        admin_command("editfact", commands.editfact, usage="editfact"),
        admin_command("retract", commands.retract, usage="retract"),
        admin_command("restore", commands.restore, usage="restore"),
        admin_command("verify", commands.verify, usage="verify"),
        admin_command("history", commands.history, usage="history"),
        admin_command("addcompany", commands.addcompany, usage="addcompany"),
        admin_command("alias", commands.alias, usage="alias"),
        admin_command("unalias", commands.unalias, usage="unalias"),
        admin_command("export", commands.export),
        admin_command("import", commands.import_),
        admin_command("admins", commands.admins),
        admin_command("grant", commands.grant, Access.OWNER, usage="grant"),
        admin_command("revoke", commands.revoke, Access.OWNER, usage="revoke"),
        admin_command("backup", commands.backup, Access.OWNER),
        admin_command("stale", stale.stale, usage="stale"),
        MessageHandler(new & filters.Document.ALL & filters.CaptionRegex(IMPORT_CAPTION),
                       ends_update(commands.import_caption)),
        CallbackQueryHandler(ends_update(pending.name_chosen), pattern=r"^a:(new|pick):[\w-]+(:\d+)?$"),
        CallbackQueryHandler(ends_update(pending.retract_pressed), pattern=r"^a:(ret|keep):\d+:\d+$"),
        CallbackQueryHandler(ends_update(pending.import_pressed), pattern=r"^a:imp:[\w-]+$"),
        CallbackQueryHandler(ends_update(pending.drop_pressed), pattern=r"^a:drop:[\w-]+$"),
        CallbackQueryHandler(ends_update(stale.page_pressed), pattern=stale.PAGE_PATTERN),
        CallbackQueryHandler(ends_update(stale.verify_pressed), pattern=stale.VERIFY_PATTERN),
        CallbackQueryHandler(ends_update(stale.retract_pressed), pattern=stale.RETRACT_PATTERN),
        CallbackQueryHandler(ends_update(pending.stale_pressed), pattern=r"^a:"),  # any other: out of date
        CommandHandler("cancel", ends_update(commands.cancel_outside), filters=new),
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
        CommandHandler("changes", user.changes, filters=new),
        CommandHandler("about", user.about, filters=new),
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


async def backup_job(context: BotContext) -> None:
    """The daily backup: logs (and reports to ERROR_CHAT_ID) a failure, never raises."""
    settings = context.settings
    interop = context.bot_data.interop
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


def schedule_backups(app: BotApp, settings: Settings) -> None:
    """Register the daily backup job when BACKUP_DIR is set (the JobQueue starts with the app)."""
    if settings.backup_dir is None:
        return
    if app.job_queue is None:  # pragma: no cover - the job-queue extra is a dependency
        log.warning("BACKUP_DIR is set but there is no JobQueue; no scheduled backups")
        return
    app.job_queue.run_daily(backup_job, BACKUP_TIME, name=BACKUP_JOB)


async def post_init(app: BotApp) -> None:
    """Open the store and index (unless given one), then set the command menus."""
    data = app.bot_data
    settings = data.settings
    if data.interop is None:
        data.interop = await open_interop(settings.database_path, seed=settings.seed_path)
        data.owns_interop = True
    if isinstance(app.persistence, SQLitePersistence):  # its writes go through the open store
        app.persistence.store = data.interop.store
    await set_menus(app.bot, settings.admin_ids)
    await webapp.start(app)
    log.info("Bot @%s ready", app.bot.username)


async def post_shutdown(app: BotApp) -> None:
    """Close the store if post_init opened it; a passed-in Interop belongs to the caller.

    Persistence writes through the store, so what it holds is written first, whichever of
    PTB's own flush and this hook comes first."""
    data = app.bot_data
    await webapp.stop(app)
    persistence = app.persistence
    if isinstance(persistence, SQLitePersistence) and persistence.store is not None:
        await app.update_persistence()
        await persistence.flush()
        persistence.store = None
    if data.interop is not None and data.owns_interop:
        await data.interop.close()
        data.interop, data.owns_interop = None, False
        log.info("Store closed")


def build_application(settings: Settings, interop: Interop | None = None, *,
                      request: BaseRequest | None = None,
                      get_updates_request: BaseRequest | None = None) -> BotApp:
    """The configured Application; ``request``/``get_updates_request`` let tests record calls."""
    if not settings.token:
        raise ValueError("build_application needs settings.token")
    builder = (
        ApplicationBuilder()
        .context_types(CONTEXT_TYPES)
        .token(settings.token)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=UTC))
        .concurrent_updates(PerChatOrder())
        .persistence(SQLitePersistence(settings.database_path))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    if settings.rate_limiter:  # off for throughput benchmarks and tests (RATE_LIMITER=off)
        limiter: BaseRateLimiter[Any] = rate_limiter(settings.group_send_spacing)
        builder = builder.rate_limiter(limiter)
    if settings.base_url:
        builder = builder.base_url(settings.base_url)
    if settings.base_file_url:
        builder = builder.base_file_url(settings.base_file_url)
    if request is not None:
        builder = builder.request(request).get_updates_request(get_updates_request or request)
    else:  # PTB's own pool sizes (256 for calls, 1 for the long poll), with JSON bodies
        builder = builder.request(JsonRequest(connection_pool_size=256)).get_updates_request(
            JsonRequest(connection_pool_size=1))
    app = builder.build()
    app.bot_data.settings = settings
    app.bot_data.interop = interop
    register_handlers(app)
    schedule_backups(app, settings)
    return app


def hold_jobs(app: BotApp) -> None:
    """Start no new job run; the running ones finish.

    PTB's ``JobQueue.stop`` waits for the runs it sees, then shuts APScheduler down, which
    cancels any run started while it waited (the 1 s delivery job, mid-pass, logged as a
    traceback). Paused first, the scheduler starts none, so the wait covers every run.
    """
    if app.job_queue is not None and app.job_queue.scheduler.running:
        app.job_queue.scheduler.pause()


def _stop_on_first_signal(loop: asyncio.AbstractEventLoop, app: BotApp) -> None:
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
        hold_jobs(app)
        if isinstance(app.update_processor, PerChatOrder):
            app.update_processor.close()
        raise SystemExit

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGABRT):
        loop.add_signal_handler(sig, on_signal)


def run_bot(settings: Settings) -> int:
    """Run until SIGINT/SIGTERM, finishing in-flight updates; returns 0."""
    app = build_application(settings)

    async def started(app: BotApp) -> None:
        # Frozen here, after the index is loaded and before the first update. (A JobQueue job
        # was skipped as "missed" whenever opening outlasted APScheduler's 1 s grace, as it
        # does at 100k companies, and every full collection then walked the whole index.)
        await post_init(app)
        freeze_loaded_objects()

    app.post_init = started
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # run_polling/run_webhook pick this loop up
    _stop_on_first_signal(loop, app)
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
