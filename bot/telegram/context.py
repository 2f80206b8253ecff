"""The bot's typed context: the long-lived services as typed properties, not string keys.

``BotData`` is PTB's ``bot_data`` (one per Application); ``BotContext`` is the ``context`` every
handler gets, with ``context.interop``, ``context.settings``, ``context.limiter``... A service
is named once, here, so two modules can no longer spell its key differently. Built as in PTB's
``examples/contexttypesbot.py``; ``CONTEXT_TYPES`` wires both into the Application.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, TypeAlias

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot

from bot.admin import ParsedUploads
from bot.answers import Interop
from bot.cache import Cache
from bot.config import Settings
from bot.domain import Profile
from bot.ratelimit import RateLimiter
from bot.render import PAGE_BUDGET, Pages, today_utc
from bot.store import Store

if TYPE_CHECKING:
    from bot.pictures import Pictures
    from bot.telegram.follow import DeliveryState
    from bot.web.server import WebServer

ChatData: TypeAlias = dict[str, object]
"""PTB's ``user_data`` and ``chat_data``: what a handler keeps for a user or a chat, by name."""
RATE_BURST = 20
RATE_PER_SECOND = 1.0
PROFILES_RENDERED = 64
"""Profiles whose pages are kept (as many as ``Interop`` keeps profiles)."""
ProfilePages: TypeAlias = Cache[tuple[int, str, int], tuple[Profile, Pages]]
"""Profiles' rendered pages, per company, language and page budget, with the Profile they show."""
MAX_CACHED_CHATS = 50_000
DEFAULT_TYPING_DELAY = 1.0
"""Seconds before "typing…" is shown: a wait people notice. Each is one more Bot API call, and
under load (when every answer is a little late) 0.3 s sent one for a quarter of the answers."""


class ChatLanguages:
    """Each chat's /language setting, read from SQLite once and then remembered, and the
    language each chat last got an answer in (what a notification to it should use).

    Only /language writes the setting, through ``set``, so the memory never goes stale.
    """

    def __init__(self, size: int = MAX_CACHED_CHATS) -> None:
        self.settings: Cache[int, str] = Cache(size)
        self.last_read: Cache[int, str] = Cache(size)

    async def get(self, store: Store, chat_id: int) -> str:
        return await self.settings.aget(chat_id, lambda: store.chat_language(chat_id))

    async def set(self, store: Store, chat_id: int, value: str, actor: str) -> None:
        await store.set_chat_language(chat_id, value, actor)
        self.settings.put(chat_id, value)


@dataclass(slots=True)
class BotData:
    """Everything the handlers share for the life of the Application (PTB makes one, no arguments)."""

    settings: Settings = field(default_factory=Settings)
    interop: Interop | None = None  # opened in post_init unless one is passed in
    owns_interop: bool = False  # post_init opened it, so post_shutdown closes it
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(RATE_BURST, RATE_PER_SECOND))
    typing_delay: float = DEFAULT_TYPING_DELAY  # "typing…" only for answers slower than this
    page_budget: int = PAGE_BUDGET  # visible UTF-16 units per page (tests make it small)
    delivery: DeliveryState | None = None  # the follow outbox's delivery state, from its first tick
    profile_pages: ProfilePages = field(default_factory=lambda: Cache(PROFILES_RENDERED))
    languages: ChatLanguages = field(default_factory=ChatLanguages)  # /language settings, last read
    uploads: ParsedUploads = field(default_factory=ParsedUploads)  # the last previewed /import, parsed
    pictures: Pictures | None = None  # the /map and /compare drawing cache, made on first use
    web: WebServer | None = None  # the web table's server (WEB_PORT), started in post_init
    picture_limiter: RateLimiter | None = None  # pictures cost more: a limiter of their own
    today: Callable[[], date] = today_utc  # the day /stale and /verify go by (tests fix it)


class BotContext(CallbackContext[ExtBot[None], ChatData, ChatData, BotData]):
    """The handler context, with the services as typed properties."""

    @property
    def interop(self) -> Interop:
        interop = self.bot_data.interop
        if interop is None:  # pragma: no cover - post_init opens it before any update
            raise RuntimeError("the Interop is not open yet")
        return interop

    @property
    def settings(self) -> Settings:
        return self.bot_data.settings

    @property
    def limiter(self) -> RateLimiter:
        return self.bot_data.limiter

    @property
    def page_budget(self) -> int:
        return self.bot_data.page_budget

    @property
    def typing_delay(self) -> float:
        return self.bot_data.typing_delay

    def today(self) -> date:
        """Today, as the maintenance queue and /verify count it."""
        return self.bot_data.today()


CONTEXT_TYPES = ContextTypes(context=BotContext, bot_data=BotData)
# The builder's generics do not follow .context_types() or the rate limiter's type, so the bot and
# job-queue parameters stay open; what handlers see is the typed BotContext.
BotApp: TypeAlias = Application[Any, BotContext, ChatData, ChatData, BotData, Any]
