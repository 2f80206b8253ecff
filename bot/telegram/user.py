"""What people can ask: /start (with deep links), /help, /check, /company, /search, /recent,
/changes, /about, free questions in private chats, and questions addressed to the bot in groups.

Handlers only parse the update, call ``Interop`` and send what ``callbacks.reply_for`` renders.
Expensive queries (free text, /company, /search) go through the per-user rate limiter; /check
stays cheap on purpose. "typing…" is sent only when an answer is slow to compute.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError
from telegram.ext import filters

from bot.answers import MAX_CHANGES, Interop, parse_count
from bot.domain import CheckResult, Decision, InteropError, Mode, Profile, SearchResult, Unresolved, rendered
from bot.render import HTML, paginate, render_about, render_changes, utf16_len
from bot.telegram.admin import ADMIN_COMMANDS
from bot.telegram.callbacks import (
    SEARCH_LIMIT,
    Example,
    Reply,
    decode,
    encode,
    recent_reply,
    reply_for,
)
from bot.telegram.context import BotContext
from bot.telegram.webapp import with_table
from bot.texts import EXAMPLES, t

log = logging.getLogger(__name__)

MAX_TEXT = 4096  # UTF-16 units, as Telegram counts a message
DEFAULT_RECENT = 10
MAX_RECENT = 50
Answer = CheckResult | Profile | SearchResult | Unresolved | Decision


# -- plumbing -------------------------------------------------------------------------------


def _interop(context: BotContext) -> Interop:
    return context.interop


def _user_id(update: Update) -> int:
    return update.effective_user.id if update.effective_user else 0


def _chat_id(update: Update) -> int | None:
    return update.effective_chat.id if update.effective_chat else None


async def send(update: Update, reply: Reply) -> Message | None:
    """Answer the update's message: quoting it in groups, plainly in private chats."""
    message = update.effective_message
    if message is None:
        return None
    if message.chat.type == ChatType.PRIVATE:
        return await message.reply_text(str(reply.text), reply_markup=reply.markup, do_quote=False,
                                        link_preview_options=reply.link_preview)
    quote = ReplyParameters(message_id=message.message_id, allow_sending_without_reply=True)
    return await message.reply_text(str(reply.text), reply_markup=reply.markup, reply_parameters=quote,
                                    link_preview_options=reply.link_preview)


async def say(update: Update, text: str) -> None:
    """A sentence: plain text is escaped once, rendered ``Html`` (a hint naming "AT&T") is kept."""
    await send(update, Reply(HTML.text(text)))


@contextlib.asynccontextmanager
async def typing_if_slow(context: BotContext, chat_id: int | None) -> AsyncIterator[None]:
    """Show "typing…" only if the block takes longer than the delay: fast answers cost no extra call."""
    if chat_id is None:
        yield
        return
    delay = context.typing_delay

    async def typing() -> None:
        with contextlib.suppress(TelegramError):
            await context.bot.send_chat_action(chat_id, ChatAction.TYPING)

    def fire() -> None:
        context.application.create_task(typing(), name="typing")

    handle = asyncio.get_running_loop().call_later(delay, fire)
    try:
        yield
    finally:
        handle.cancel()


async def allowed(update: Update, context: BotContext) -> bool:
    """Spend one of the user's tokens; tell them (once per cooldown) when they have none left."""
    user = update.effective_user
    if user is None or user.id in context.settings.admin_ids:
        return True
    allowance = context.limiter.hit(user.id)
    if allowance.allowed:
        return True
    if allowance.notify and update.effective_message is not None:
        await say(update, t("rate_limited", seconds=max(1, math.ceil(allowance.retry_after))))
    return False


async def _answer(update: Update, context: BotContext, result: Answer) -> None:
    await send(update, await rendered(partial(reply_for, result, _user_id(update), context)))


async def _decided(update: Update, context: BotContext, text: str, mode: Mode) -> None:
    """Decide ``text`` in ``mode`` (``Interop.decide``), then send the rendered answer."""
    async with typing_if_slow(context, _chat_id(update)):
        result = await _interop(context).decide(text, mode)
    await _answer(update, context, result)


def _args(context: BotContext) -> str:
    return " ".join(context.args or ()).strip()


async def sync_index(update: object, context: BotContext) -> None:
    """Before every update, the name index takes in company changes made outside this process
    (``python -m bot import``, another admin tool): questions sync inside ``Interop.decide``, but
    buttons, deep links, /search and admin commands resolve names without it. One indexed read
    when nothing changed; a store that cannot be read leaves the index as is."""
    interop = context.bot_data.interop
    if interop is None:
        return
    try:
        await interop.sync()
    except InteropError as exc:
        log.warning("Could not sync the name index with the store's company changes: %s", exc)


# -- commands -------------------------------------------------------------------------------


def help_reply() -> Reply:
    examples = "\n".join(f"• {e}" for e in EXAMPLES)
    rows = [[InlineKeyboardButton(e, callback_data=encode(Example(i)))] for i, e in enumerate(EXAMPLES)]
    return Reply(HTML.t("help", examples=examples), InlineKeyboardMarkup(rows))


async def start(update: Update, context: BotContext) -> None:
    """Greet with help, or open straight into an answer for a deep link (t.me/bot?start=check_jd_alipay)."""
    payload = _args(context)
    if payload:
        result = await deep_link(_interop(context), payload)
        if result is not None:
            await _answer(update, context, result)
            return
    await send(update, with_table(help_reply(), update, context))


async def help_command(update: Update, context: BotContext) -> None:
    """Explain what the bot does, with tappable examples (and the web table, when there is one)."""
    await send(update, with_table(help_reply(), update, context))


async def deep_link(interop: Interop, payload: str) -> Answer | None:
    """``check_<a>_<b>`` (names or ids) and ``company_<name-or-id>``; None for anything else."""
    kind, _, rest = payload.partition("_")
    words = [w for w in rest.split("_") if w]
    ids = all(w.isascii() and w.isdigit() and len(w) <= 19 for w in words)  # never "²" or "①"
    if kind == "check" and len(words) >= 2:
        if len(words) == 2 and ids:
            a, b = (interop.resolver.company(int(w)) for w in words)
            if a is not None and b is not None and a.id != b.id:
                return await interop.check(a, b)
            return None
        return await interop.decide(" ".join(w.replace("-", " ") for w in words), Mode.CHECK)
    if kind == "company" and words:
        if len(words) == 1 and ids:
            company = interop.resolver.company(int(words[0]))
            return await interop.profile(company) if company else None
        return await interop.decide(" ".join(w.replace("-", " ") for w in words), Mode.COMPANY)
    return None


async def check(update: Update, context: BotContext) -> None:
    """/check A B: the verdict for a pair, or a usage line / did-you-mean when it is not one."""
    args = _args(context)
    if utf16_len(args) > MAX_TEXT:
        await say(update, t("too_long", max=MAX_TEXT))
        return
    await _decided(update, context, args, Mode.CHECK)


async def _lookup(update: Update, context: BotContext, usage: str,
                  answer: Callable[[str], Awaitable[None]]) -> None:
    """The shared shape of the expensive commands: usage, size and rate checks, then the answer."""
    args = _args(context)
    if not args:
        await say(update, t(usage))
        return
    if utf16_len(args) > MAX_TEXT:
        await say(update, t("too_long", max=MAX_TEXT))
        return
    if not await allowed(update, context):
        return
    await answer(args)


async def company(update: Update, context: BotContext) -> None:
    """/company NAME: a company's profile, or did-you-mean choices."""
    await _lookup(update, context, "usage.company",
                  lambda args: _decided(update, context, args, Mode.COMPANY))


async def search(update: Update, context: BotContext) -> None:
    """/search TEXT: full-text search over the facts, paged."""
    async def answer(args: str) -> None:
        async with typing_if_slow(context, _chat_id(update)):
            result = await _interop(context).search(args, SEARCH_LIMIT)
        await _answer(update, context, result)

    await _lookup(update, context, "usage.search", answer)


async def recent(update: Update, context: BotContext) -> None:
    """/recent [N]: the latest changes, newest first."""
    n = parse_count(_args(context), DEFAULT_RECENT, MAX_RECENT)
    if n is None:  # only ASCII digits count: "/recent ²" gets the usage line
        await say(update, t("usage.recent", max=MAX_RECENT))
        return
    await send(update, await recent_reply(_interop(context), n, 1, _user_id(update), context))


async def changes(update: Update, context: BotContext) -> None:
    """/changes [N]: the latest admin edits (added, updated, retracted...), newest first, no names."""
    n = parse_count(_args(context), DEFAULT_RECENT, MAX_CHANGES)
    if n is None:
        await say(update, t("usage.changes", max=MAX_CHANGES))
        return
    for page in paginate(render_changes(await _interop(context).changes(n)), context.page_budget):
        await send(update, Reply(page))


async def about(update: Update, context: BotContext) -> None:
    """/about: what the bot covers, how fresh and how sourced it is, how to report a problem."""
    await send(update, Reply(paginate(render_about(await _interop(context).about(context.today())))[0]))


async def unknown_command(update: Update, context: BotContext) -> None:
    """A command this bot does not have (private chats only): point to /help."""
    message = update.effective_message
    assert message is not None and message.text is not None
    command = message.text.split()[0].split("@", 1)[0]
    if command[1:].lower() in {name for name, _ in ADMIN_COMMANDS}:
        return  # the admin handlers answer these (or refuse non-admins) themselves
    await say(update, t("tg.unknown_command", cmd=command[:64]))


# -- free questions ---------------------------------------------------------------------------


async def ask(update: Update, context: BotContext, text: str) -> None:
    """Any question: the core decides what it means (Interop.decide); this only sends it."""
    text = text.strip()
    if not text:
        await say(update, t("tg.empty"))
        return
    if utf16_len(text) > MAX_TEXT:
        await say(update, t("too_long", max=MAX_TEXT))
        return
    if not await allowed(update, context):
        return
    await _decided(update, context, text, Mode.ASK)


async def private_text(update: Update, context: BotContext) -> None:
    """In a private chat every plain message is a question."""
    message = update.effective_message
    assert message is not None
    await ask(update, context, message.text or "")


async def private_other(update: Update, context: BotContext) -> None:
    """Stickers, photos and the like in a private chat: explain what to send instead."""
    await say(update, t("tg.empty"))


async def group_text(update: Update, context: BotContext) -> None:
    """A group message that mentions or replies to the bot: the rest of the text is the question."""
    message = update.effective_message
    assert message is not None
    await ask(update, context, _without_mentions(message))


def _without_mentions(message: Message) -> str:
    """The text minus @mentions of this bot."""
    text = message.text or ""
    username = message.get_bot().username
    if username:
        text = re.sub(rf"@{re.escape(username)}\b", " ", text, flags=re.IGNORECASE)
    return " ".join(text.split())


class AddressedToBot(filters.MessageFilter):
    """Messages that @mention this bot or reply to one of its messages (what privacy mode lets in)."""

    __slots__ = ()

    def filter(self, message: Message) -> bool:
        bot = message.get_bot()
        reply = message.reply_to_message
        if (reply is not None and reply.from_user is not None and reply.from_user.id == bot.id
                and reply.forum_topic_created is None):
            return True
        username = (bot.username or "").lower()
        for entity, text in message.parse_entities(
                [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items():
            if entity.type == MessageEntity.MENTION and text[1:].lower() == username:
                return True
            if entity.user is not None and entity.user.id == bot.id:
                return True
        return False


ADDRESSED_TO_BOT = AddressedToBot(name="AddressedToBot")


# -- the /help example buttons ----------------------------------------------------------------


async def example_pressed(update: Update, context: BotContext) -> None:
    """Run a /help example and send its answer as a new message."""
    query = update.callback_query
    assert query is not None
    data = decode(query.data)
    chat = query.message.chat if query.message is not None else None
    if not isinstance(data, Example) or not 0 <= data.index < len(EXAMPLES) or chat is None:
        await query.answer(t("tg.stale"))
        return
    result = await run_example(_interop(context), EXAMPLES[data.index])
    reply = await rendered(partial(reply_for, result, query.from_user.id, context))
    await context.bot.send_message(chat.id, str(reply.text), reply_markup=reply.markup,
                                   link_preview_options=reply.link_preview,
                                   message_thread_id=_thread_id(query.message))
    await query.answer()


def _thread_id(message: object) -> int | None:
    """Keep answers in the forum topic the button was pressed in."""
    if isinstance(message, Message) and message.is_topic_message:
        return message.message_thread_id
    return None


async def run_example(interop: Interop, example: str) -> Answer:
    """The same parsing as the commands, for the examples texts.py lists."""
    command, _, args = example.partition(" ")
    if command == "/check":
        return await interop.decide(args, Mode.CHECK)
    if command == "/company":
        return await interop.decide(args, Mode.COMPANY)
    if command == "/search":
        return await interop.search(args, SEARCH_LIMIT)
    return await interop.decide(example, Mode.ASK)
