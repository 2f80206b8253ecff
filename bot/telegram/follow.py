"""Follows in Telegram: /follow, /unfollow, /following, the 🔔 answer button, who may change a
chat's follows, the my_chat_member watcher and the job that drains the outbox to the chats.

Callback data (all far below 64 bytes; ``other`` is 0 for a company)::

    fw:<company>:<other>   follow (the button under an answer)
    fu:<company>:<other>   unfollow (the buttons under /following)

In private chats the user decides; in groups only the group's Telegram admins (checked with
getChatMember on every command and press); an anonymous admin posts as the group, so nobody can
be checked: they are asked to use a private chat.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta

from telegram import (
    Bot,
    ChatMember,
    ChatMemberUpdated,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.answers import Interop
from bot.domain import (
    CheckHint,
    CheckResult,
    Company,
    Decision,
    FactChange,
    InteropError,
    Mode,
    Profile,
    StorageError,
    Unresolved,
)
from bot.feedback import Feedback
from bot.follows import Batch, Follows
from bot.i18n import display_name, using
from bot.render import HTML, pair_label, render_meaning, render_messages, render_preamble
from bot.telegram.context import BotContext, ChatLanguages
from bot.texts import t

log = logging.getLogger(__name__)

FOLLOW_GROUP = -2
"""Before the admin handlers (-1) and the user handlers (0): the catch-all button and command
handlers there would otherwise take these updates. Every handler here stops the update."""
DELIVERY_JOB = "follow_delivery"
DELIVERY_INTERVAL = 1.0
FULL_PASS_SECONDS = 30.0
"""Even with no new commit seen, look at the outbox this often (a retry after a network error)."""
REFUSALS_BEFORE_GIVING_UP = 3
"""A message Telegram refuses as a bad request this many passes in a row will never be taken
(its text, not the network, is at fault): its rows are settled so the chat's later news moves on."""
FOLLOW_PATTERN = re.compile(r"^f[wu]:\d{1,19}:\d{1,19}$")
_ADMINS = {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}
_GONE = {ChatMemberStatus.LEFT, ChatMemberStatus.BANNED}
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
NEW = filters.UpdateType.MESSAGE


def _interop(context: BotContext) -> Interop:
    return context.interop


def follows_of(context: BotContext) -> Follows:
    return Follows(_interop(context).store)


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> Message | None:
    """Answer in the update's chat (quoting in groups); ``text`` is HTML."""
    message = update.effective_message
    if message is None:
        return None
    quote = None
    if message.chat.type != ChatType.PRIVATE:
        quote = ReplyParameters(message_id=message.message_id, allow_sending_without_reply=True)
    return await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup,
                                    reply_parameters=quote, do_quote=None if quote else False,
                                    link_preview_options=NO_PREVIEW)


def _args(message: Message) -> str:
    parts = (message.text or "").split(maxsplit=1)
    return parts[1].strip() if len(parts) == 2 else ""


# -- the answer buttons ---------------------------------------------------------------------------


def answer_buttons(result: object) -> list[InlineKeyboardButton]:
    """🔔 Follow and ⚠️ Report under an answer about a pair or a company; none for anything else."""
    if isinstance(result, CheckResult):
        a, b = result.a.id, result.b.id
    elif isinstance(result, Profile):
        a, b = result.company.id, 0
    else:
        return []
    return [InlineKeyboardButton(t("follows.button.follow"), callback_data=f"fw:{a}:{b}"),
            InlineKeyboardButton(t("feedback.button.report"), callback_data=f"rp:{a}:{b}")]


def with_answer_buttons(markup: InlineKeyboardMarkup | None, result: object) -> InlineKeyboardMarkup | None:
    """The answer's keyboard (paging, did-you-mean) plus the follow/report row."""
    row = answer_buttons(result)
    if not row:
        return markup
    rows = [list(r) for r in markup.inline_keyboard] if markup is not None else []
    return InlineKeyboardMarkup([*rows, row])


# -- rights ---------------------------------------------------------------------------------------


async def refusal(bot: Bot, chat_id: int, chat_type: str, user_id: int | None,
                  sender_chat: object | None = None) -> str | None:
    """Why this sender may not change the chat's follows (a catalogue sentence), or None."""
    if chat_type == ChatType.PRIVATE:
        return None
    if sender_chat is not None or user_id is None:
        return t("follows.anonymous")
    try:
        member: ChatMember = await bot.get_chat_member(chat_id, user_id)
    except TelegramError as exc:
        log.info("getChatMember failed for %s in %s: %s", user_id, chat_id, exc)
        return t("follows.admins_only")
    if member.status in _ADMINS:
        return None
    return t("follows.admins_only")


async def _command_refusal(update: Update, context: BotContext) -> str | None:
    message = update.effective_message
    assert message is not None
    user = update.effective_user
    return await refusal(context.bot, message.chat.id, message.chat.type,
                         user.id if user else None, message.sender_chat)


# -- commands -------------------------------------------------------------------------------------


class _Unclear(Exception):
    """The argument does not name one company or one pair; /check's reading says why."""

    def __init__(self, decision: Decision) -> None:
        super().__init__()
        self.decision = decision


async def parse_target(interop: Interop, text: str) -> tuple[Company, Company | None]:
    """The company or pair the argument names, read as /check reads it (``Interop.decide``):
    "jd alipay" and "jd | alipay" are the pair, "wechat pay" the one company."""
    parts = [p.strip() for p in text.split("|")]
    if not text.strip() or len(parts) > 2 or not all(parts):
        raise InteropError("follows.usage")
    decision = await interop.decide(" | ".join(parts), Mode.CHECK)
    result = decision.result
    if decision.unknown or isinstance(result, Unresolved):
        raise _Unclear(decision)
    if isinstance(result, CheckResult):
        return result.a, result.b
    if isinstance(result, CheckHint) and result.same is not None:
        raise InteropError("follows.same", name=display_name(result.same))
    if isinstance(result, CheckHint) and result.single is not None:
        return result.single, None
    raise InteropError("follows.usage")  # several pairs: one follow names one pair


def _unclear_lines(decision: Decision) -> list[str]:
    """The unknown and unsure names, said as /check says them."""
    result = decision.result
    return render_preamble(decision) + (render_meaning(result) if isinstance(result, Unresolved) else [])


async def _change(update: Update, context: BotContext, on: bool) -> None:
    message = update.effective_message
    assert message is not None
    try:
        refused = await _command_refusal(update, context)
        if refused:
            await reply(update, HTML.text(refused))
            raise ApplicationHandlerStop
        args = _args(message)
        if not args:
            await reply(update, HTML.t("follows.usage" if on else "follows.usage_unfollow"))
            raise ApplicationHandlerStop
        company, other = await parse_target(_interop(context), args)
        follows = follows_of(context)
        other_id = other.id if other else 0
        label = pair_label(company, other)
        if on:
            added = await follows.follow(message.chat.id, company.id, other_id)
            key = "follows.done" if added else "follows.already"
            scope = "follows.scope_pair" if other else "follows.scope_company"
            parts = [HTML.t(key, name=label), *([HTML.t(scope)] if added else [])]
            await reply(update, HTML.join(" ", parts))
        else:
            removed = await follows.unfollow(message.chat.id, company.id, other_id)
            await reply(update, HTML.t("follows.undone" if removed else "follows.not_following",
                                     name=label))
    except InteropError as exc:
        await reply(update, HTML.text(_sentence(str(exc))))
    except _Unclear as exc:
        await reply(update, HTML.join("\n", _unclear_lines(exc.decision)))
    raise ApplicationHandlerStop


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] if text else text


async def follow(update: Update, context: BotContext) -> None:
    """/follow NAME or /follow NAME | NAME: tell this chat when its facts change."""
    await _change(update, context, True)


async def unfollow(update: Update, context: BotContext) -> None:
    """/unfollow NAME or /unfollow NAME | NAME."""
    await _change(update, context, False)


async def following_reply(context: BotContext,
                          chat_id: int) -> tuple[str, InlineKeyboardMarkup | None]:
    interop = _interop(context)
    items = await follows_of(context).following(chat_id)
    if not items:
        return HTML.t("follows.none"), None
    rows = []
    lines = [HTML.t("follows.list_head", n=len(items))]
    for item in items:
        company = interop.company(item.company_id)
        other = interop.company(item.other_id) if item.is_pair else None
        label = pair_label(company, other)
        lines.append(HTML.join("", ["• ", label]))
        rows.append([InlineKeyboardButton(t("follows.button.unfollow", name=label[:40]),
                                          callback_data=f"fu:{item.company_id}:{item.other_id}")])
    return HTML.join("\n", lines), InlineKeyboardMarkup(rows)


async def following(update: Update, context: BotContext) -> None:
    """/following: what this chat follows, each with an unfollow button."""
    message = update.effective_message
    assert message is not None
    text, markup = await following_reply(context, message.chat.id)
    await reply(update, text, markup)
    raise ApplicationHandlerStop


async def button_pressed(update: Update, context: BotContext) -> None:
    """fw:/fu: follow from an answer, or unfollow from /following; rights checked on each press."""
    query = update.callback_query
    assert query is not None and query.data is not None
    message = query.message
    if not isinstance(message, Message):
        await query.answer(t("tg.stale"))
        raise ApplicationHandlerStop
    verb, a, b = query.data.split(":")
    refused = await refusal(context.bot, message.chat.id, message.chat.type, query.from_user.id)
    if refused:
        await query.answer(refused, show_alert=True)
        raise ApplicationHandlerStop
    interop = _interop(context)
    company = interop.resolver.company(int(a))
    other = interop.resolver.company(int(b)) if int(b) else None
    if company is None or (int(b) and other is None):
        await query.answer(t("tg.stale"))
        raise ApplicationHandlerStop
    follows = follows_of(context)
    label = pair_label(company, other)
    try:
        if verb == "fw":
            added = await follows.follow(message.chat.id, company.id, int(b))
            notice = t("follows.done" if added else "follows.already", name=label)
        else:
            removed = await follows.unfollow(message.chat.id, company.id, int(b))
            notice = t("follows.undone" if removed else "follows.not_following", name=label)
            text, markup = await following_reply(context, message.chat.id)
            try:
                await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
            except BadRequest as exc:
                if "not modified" not in exc.message.lower():
                    raise
    except InteropError as exc:
        notice = _sentence(str(exc))
    await query.answer(notice[:200], show_alert=verb == "fw")
    raise ApplicationHandlerStop


async def my_chat_member(update: Update, context: BotContext) -> None:
    """The bot was removed from a group or blocked in private: stop sending there at once."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None:
        return
    if change.new_chat_member.status in _GONE:
        dropped = await follows_of(context).drop_chat(change.chat.id)
        log.info("Removed from chat %s: dropped %d follows", change.chat.id, dropped)


# -- delivery -------------------------------------------------------------------------------------


@dataclass
class DeliveryState:
    """Between ticks: the data_version last drained, a Telegram-imposed pause, and the rows of
    messages Telegram accepted whose settling the database refused (settled before any send)."""

    version: int | None = None
    dirty: bool = True
    not_before: float = 0.0
    last_full: float = 0.0
    accepted: list[int] = field(default_factory=list)
    refusals: dict[int, int] = field(default_factory=dict)
    """Per chat: passes in a row whose first unsent message Telegram refused as a bad request."""


class _Stop(Exception):
    """Telegram asked the whole pass to stop (a pause, or the network)."""


async def deliver(bot: Bot, interop: Interop, state: DeliveryState | None = None,
                  languages: ChatLanguages | None = None) -> int:
    """Expand the outbox and send each chat its pending changes; returns messages sent.

    A digest too long for one message is sent as several (``render_messages``); each message's
    rows are settled right after Telegram accepted it, so a refused message's rows stay pending
    (tried again on a later pass) and are never marked sent. Delivery is at least once: a crash
    between Telegram's acceptance and that one commit sends the message again after a restart.
    """
    state = state or DeliveryState()
    follows = Follows(interop.store)
    if state.accepted:  # sent before, not yet settled: settle first, so nothing is sent twice
        await follows.delivered(state.accepted)
        state.accepted = []
    await follows.expand()
    sent = 0
    state.dirty = False
    for chat_id in await follows.pending_chats():
        batch = await follows.next_batch(chat_id)
        if batch is None:
            continue
        if not batch.changes:  # the facts are gone: nothing left to say
            await follows.delivered(batch.row_ids)
            continue
        try:
            sent += await _send_batch(bot, interop, follows, batch, state, languages)
        except _Stop:
            return sent
    if await follows.pending():
        state.dirty = True
    return sent


async def _send_batch(bot: Bot, interop: Interop, follows: Follows, batch: Batch,
                      state: DeliveryState, languages: ChatLanguages | None) -> int:
    """One chat's messages in order; stops at the first refused one (its rows and the later
    messages' rows stay pending). Raises ``_Stop`` when the whole pass must stop."""
    from bot.telegram.language import chat_locale  # here: language imports callbacks, which imports us

    chat_id = batch.chat_id
    with using(await chat_locale(interop.store, chat_id, languages)):  # i18n: as the chat reads answers
        messages = render_messages([(c, interop.view(c.fact)) for c in batch.changes], batch.total)
    listed = {c.row_id for c in batch.changes}
    counted = tuple(r for r in batch.row_ids if r not in listed)  # "and N more": settled last
    sent = 0
    for number, (text, changes) in enumerate(messages, 1):
        rows = _rows_of(changes) + (counted if number == len(messages) else ())
        try:
            await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML,
                                   link_preview_options=NO_PREVIEW)
        except TelegramError as exc:
            await _refused(follows, chat_id, rows, exc, state)
            return sent
        await _settle(follows, rows, state)  # first thing after the acceptance: no await between
        state.refusals.pop(chat_id, None)
        sent += 1
    return sent


def _rows_of(changes: tuple[FactChange, ...]) -> tuple[int, ...]:
    return tuple(c.row_id for c in changes)


async def _settle(follows: Follows, rows: tuple[int, ...], state: DeliveryState) -> None:
    try:
        await follows.delivered(rows)
    except InteropError:  # a busy database: kept in memory, settled before the next send
        state.accepted.extend(rows)
        state.dirty = True
        raise


async def _refused(follows: Follows, chat_id: int, rows: tuple[int, ...], exc: TelegramError,
                   state: DeliveryState) -> None:
    """What a refused notification means for the chat; raises ``_Stop`` to end the pass."""
    if isinstance(exc, RetryAfter):
        wait = exc.retry_after  # a timedelta with PTB_TIMEDELTA (bot/telegram/__init__.py)
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        state.not_before = time.monotonic() + seconds
        state.dirty = True
        log.info("Telegram asked to wait %.0f s before the next notification", seconds)
        raise _Stop from None
    if isinstance(exc, Forbidden):
        dropped = await follows.drop_chat(chat_id)
        log.info("Chat %s refused notifications (%s): dropped %d follows", chat_id,
                 exc.message, dropped)
    elif isinstance(exc, ChatMigrated):
        await follows.move_chat(chat_id, exc.new_chat_id)
        state.dirty = True
        log.info("Chat %s became %s: follows moved", chat_id, exc.new_chat_id)
    elif isinstance(exc, BadRequest):
        if "chat not found" in exc.message.lower():
            await follows.drop_chat(chat_id)
            return
        tries = state.refusals.get(chat_id, 0) + 1
        if tries < REFUSALS_BEFORE_GIVING_UP:
            # Kept, never marked sent: tried again on a later pass (a commit, or FULL_PASS_SECONDS).
            state.refusals[chat_id] = tries
            log.warning("Notification to %s refused (%s); kept for a later try", chat_id, exc.message)
            return
        state.refusals.pop(chat_id, None)
        await follows.delivered(rows)
        state.dirty = True  # the chat's later messages go on the next pass
        log.error("Notification to %s refused %d times (%s); its %d changes are dropped",
                  chat_id, tries, exc.message, len(rows))
    else:  # network trouble: keep the rows, try again next tick
        log.info("Notification to %s not sent yet: %s", chat_id, exc)
        state.dirty = True
        raise _Stop from None


async def save_misses(interop: Interop) -> None:
    """Write the in-memory miss counts; on failure keep them for the next try."""
    counts = interop.misses.take()
    if not counts:
        return
    try:
        await Feedback(interop.store).save_misses(counts)
    except Exception:
        interop.misses.put_back(counts)
        raise


async def delivery_job(context: BotContext) -> None:
    """Every second: save miss counts; drain the outbox when something was committed."""
    interop = context.bot_data.interop
    if interop is None:
        return
    state = context.bot_data.delivery
    if not isinstance(state, DeliveryState):
        state = context.bot_data.delivery = DeliveryState()
    try:
        await save_misses(interop)
        now = time.monotonic()
        if now < state.not_before:
            return
        version = interop.store.data_version()
        if version == state.version and not state.dirty and now - state.last_full < FULL_PASS_SECONDS:
            return
        state.last_full = now
        # Read before draining: a commit during the pass (ours included) brings one more pass,
        # which finds nothing and writes nothing, so the version then stays put.
        state.version = version
        await deliver(context.bot, interop, state, context.bot_data.languages)
    except StorageError as exc:  # another process holds the database: nothing lost, next tick
        log.warning("Delivering notifications waits: %s", exc)
        state.dirty = True
    except Exception:  # the job must keep running; the rows stay pending
        log.exception("Delivering notifications failed")
        state.dirty = True


def schedule_delivery(app: Application) -> None:  # type: ignore[type-arg]
    """The repeating outbox drain (the JobQueue starts with the application)."""
    if app.job_queue is None:  # pragma: no cover - the job-queue extra is a dependency
        log.warning("No JobQueue: follow notifications will not be sent")
        return
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per tick
    app.job_queue.run_repeating(delivery_job, DELIVERY_INTERVAL, first=DELIVERY_INTERVAL,
                                name=DELIVERY_JOB, job_kwargs={"max_instances": 1, "coalesce": True,
                                                               "misfire_grace_time": None})


async def chat_migrated(update: Update, context: BotContext) -> None:
    """A group became a supergroup (the service message in the old group): its follows move."""
    message = update.effective_message
    if message is not None and message.migrate_to_chat_id:
        await follows_of(context).move_chat(message.chat.id, message.migrate_to_chat_id)
    raise ApplicationHandlerStop


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    return [
        MessageHandler(filters.StatusUpdate.MIGRATE, chat_migrated),
        CommandHandler("follow", follow, filters=NEW),
        CommandHandler("unfollow", unfollow, filters=NEW),
        CommandHandler("following", following, filters=NEW),
        CallbackQueryHandler(button_pressed, pattern=FOLLOW_PATTERN),
        ChatMemberHandler(my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER),
    ]
