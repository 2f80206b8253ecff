"""Buttons: the callback-data codec, paged answers, did-you-mean keyboards, and button presses.

Callback data is stateless wherever possible, so a button keeps working after a restart:

==========================  ===================================================
``pf:<company>:<page>:<uid>``  a page of a company profile
``ck:<a>:<b>:<page>:<uid>``    a page of the check "a × b"
``rc:<n>:<page>:<uid>``        a page of the latest ``n`` facts
``sr:<token>:<page>:<uid>``    a page of a search; the query sits in ``chat_data``
``ex:<i>``                     run ``EXAMPLES[i]`` (the /help keyboard)
``pg``                         the "Page 2/5" label; does nothing
``a:st:<page>``                a page of the admins' /stale queue (admin handlers)
==========================  ===================================================

``uid`` is the Telegram user who asked: in groups only they may page or choose. A did-you-mean
choice is just a ``pf`` or ``ck`` button for page 1, and pressing any of them EDITS the message.
Everything is far below Telegram's 64-byte limit; ``encode`` asserts it. Admin buttons use the
prefix ``a:``, which nothing here matches.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from itertools import chain

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
)
from telegram.error import BadRequest

from bot.answers import Interop
from bot.domain import (
    CheckResult,
    Company,
    Decision,
    Latest,
    Profile,
    Resolution,
    SearchResult,
    Unresolved,
    rendered,
)
from bot.i18n import current as current_locale
from bot.i18n import display_name
from bot.render import (
    HTML,
    PAGE_BUDGET,
    Pages,
    iter_profile,
    paginate,
    profile_blocks_estimate,
    render_check,
    render_decision,
    render_preamble,
    render_recent,
    render_search,
    render_unresolved,
)
from bot.telegram.context import BotContext, ChatData, ProfilePages
from bot.telegram.follow import with_answer_buttons
from bot.texts import t

log = logging.getLogger(__name__)

MAX_CALLBACK_BYTES = 64
SEARCHES = "searches"  # chat_data key: token -> query text
MAX_SEARCHES = 50  # per chat; the oldest token is forgotten first
SEARCH_LIMIT = 30
MAX_CHOICES = 5
PAGER_PATTERN = re.compile(r"^(pf|ck|rc|sr|pg)(:|$)")
EXAMPLE_PATTERN = re.compile(r"^ex:\d{1,2}$")
NOT_ADMIN_PATTERN = re.compile(r"^(?!a:)")


# -- codec --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProfilePage:
    company_id: int
    page: int
    user_id: int


@dataclass(frozen=True, slots=True)
class CheckPage:
    a_id: int
    b_id: int
    page: int
    user_id: int


@dataclass(frozen=True, slots=True)
class RecentPage:
    n: int
    page: int
    user_id: int


@dataclass(frozen=True, slots=True)
class SearchPage:
    token: str
    page: int
    user_id: int


@dataclass(frozen=True, slots=True)
class QueuePage:
    """A page of the admins' /stale queue (``a:st:<page>``: an admin button, handled with the
    admin handlers; any admin may turn it, so it names no user)."""

    page: int
    user_id: int = 0


@dataclass(frozen=True, slots=True)
class Example:
    index: int


@dataclass(frozen=True, slots=True)
class PageLabel:
    pass


ButtonData = ProfilePage | CheckPage | RecentPage | SearchPage | QueuePage | Example | PageLabel
Pager = ProfilePage | CheckPage | RecentPage | SearchPage | QueuePage

_INT = r"(\d{1,19})"
_FORMS: tuple[tuple[re.Pattern[str], Callable[..., ButtonData]], ...] = (
    (re.compile(rf"pf:{_INT}:{_INT}:{_INT}"), lambda c, p, u: ProfilePage(int(c), int(p), int(u))),
    (re.compile(rf"ck:{_INT}:{_INT}:{_INT}:{_INT}"),
     lambda a, b, p, u: CheckPage(int(a), int(b), int(p), int(u))),
    (re.compile(rf"rc:{_INT}:{_INT}:{_INT}"), lambda n, p, u: RecentPage(int(n), int(p), int(u))),
    (re.compile(rf"sr:([A-Za-z0-9_-]{{1,16}}):{_INT}:{_INT}"),
     lambda k, p, u: SearchPage(k, int(p), int(u))),
    (re.compile(rf"a:st:{_INT}"), lambda p: QueuePage(int(p))),
    (re.compile(r"ex:(\d{1,2})"), lambda i: Example(int(i))),
    (re.compile(r"pg"), lambda: PageLabel()),
)


def encode(data: ButtonData) -> str:
    """The callback_data string for ``data``; never longer than 64 bytes."""
    match data:
        case ProfilePage(company_id, page, uid):
            text = f"pf:{company_id}:{page}:{uid}"
        case CheckPage(a, b, page, uid):
            text = f"ck:{a}:{b}:{page}:{uid}"
        case RecentPage(n, page, uid):
            text = f"rc:{n}:{page}:{uid}"
        case SearchPage(token, page, uid):
            text = f"sr:{token}:{page}:{uid}"
        case QueuePage(page):
            text = f"a:st:{page}"
        case Example(index):
            text = f"ex:{index}"
        case PageLabel():
            text = "pg"
    assert len(text.encode()) <= MAX_CALLBACK_BYTES, text
    return text


def decode(text: str | None) -> ButtonData | None:
    """The button behind ``text``, or None for data this version does not understand."""
    if not text:
        return None
    for pattern, build in _FORMS:
        match = pattern.fullmatch(text)
        if match:
            return build(*match.groups())
    return None


def with_page(pager: Pager, page: int) -> Pager:
    """The same answer at another page."""
    match pager:
        case ProfilePage(c, _, u):
            return ProfilePage(c, page, u)
        case CheckPage(a, b, _, u):
            return CheckPage(a, b, page, u)
        case RecentPage(n, _, u):
            return RecentPage(n, page, u)
        case SearchPage(k, _, u):
            return SearchPage(k, page, u)
        case QueuePage(_, u):
            return QueuePage(page, u)
    raise TypeError(pager)


# -- answers as messages ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to send or to edit into: HTML text (``Html``), its keyboard, and link preview."""

    text: str
    markup: InlineKeyboardMarkup | None = None
    notice: str | None = None  # for a button press: the toast to show

    @property
    def links(self) -> int:
        return self.text.count("<a href=")

    @property
    def link_preview(self) -> LinkPreviewOptions | None:
        """No preview when several sources compete for it; Telegram's default otherwise."""
        return LinkPreviewOptions(is_disabled=True) if self.links > 1 else None


def page_budget(context: BotContext) -> int:
    return context.page_budget


def paged(blocks: Sequence[str] | Pages, pager: Pager | None, budget: int = PAGE_BUDGET,
          notice: str | None = None) -> Reply:
    """The page ``pager.page`` of ``blocks``, with ◀ Page x/y ▶ buttons when there are several.

    ``blocks`` may be ``Pages`` already: a big profile then renders only up to the asked page,
    and its page count is marked as an estimate until the last block is rendered.
    """
    pages = blocks if isinstance(blocks, Pages) else Pages(blocks, budget)
    if pager is None:
        return Reply(pages.page(1), None, notice)
    page = pager.page
    count, exact = pages.count(page)
    if not 1 <= page <= count:  # the answer shrank (a fact was retracted): show its end
        page = min(max(page, 1), count)
        count, exact = pages.count(page)
        notice = notice or t("tg.stale_page")
    if count == 1:
        return Reply(pages.page(1), None, notice)
    return Reply(pages.page(page), InlineKeyboardMarkup([pager_row(pager, page, count, exact)]), notice)


def pager_row(pager: Pager, page: int, count: int, exact: bool = True) -> list[InlineKeyboardButton]:
    """◀ Page x/y ▶ for page ``page`` of ``count``: every paged answer's buttons."""
    row = []
    if page > 1:
        row.append(InlineKeyboardButton("◀", callback_data=encode(with_page(pager, page - 1))))
    row.append(InlineKeyboardButton(t("page" if exact else "page.about", page=page, pages=count),
                                    callback_data=encode(PageLabel())))
    if page < count:
        row.append(InlineKeyboardButton("▶", callback_data=encode(with_page(pager, page + 1))))
    return row


def remember_search(chat_data: ChatData | None, query: str) -> str | None:
    """Keep a search query under a short token for its page buttons; None without a chat."""
    if chat_data is None:
        return None
    searches = chat_data.get(SEARCHES)
    if not isinstance(searches, OrderedDict):
        searches = chat_data[SEARCHES] = OrderedDict()
    token = secrets.token_urlsafe(6)
    searches[token] = query
    while len(searches) > MAX_SEARCHES:  # the oldest forgotten first
        searches.popitem(last=False)
    return token


def choices_keyboard(unresolved: Unresolved, user_id: int) -> InlineKeyboardMarkup | None:
    """Did-you-mean buttons: candidate profiles, or candidate pairs for a check."""
    res = unresolved.resolutions
    rows: list[list[InlineKeyboardButton]] = []
    if len(res) == 1:
        rows = [[InlineKeyboardButton(display_name(c), callback_data=encode(ProfilePage(c.id, 1, user_id)))]
                for c in _options(res[0], MAX_CHOICES)]
    elif len(res) == 2:
        a, b = res
        per_side = MAX_CHOICES if a.company or b.company else 3
        left, right = _options(a, per_side), _options(b, per_side)
        for x in left:
            for y in right:
                if x.id != y.id:
                    label = f"{display_name(x)} × {display_name(y)}"
                    rows.append([InlineKeyboardButton(
                        label, callback_data=encode(CheckPage(x.id, y.id, 1, user_id)))])
    return InlineKeyboardMarkup(rows) if rows else None


def _options(resolution: Resolution, limit: int) -> list[Company]:
    if resolution.company is not None:
        return [resolution.company]
    return [c.company for c in resolution.candidates[:limit]]


def profile_pages(kept: ProfilePages, profile: Profile, budget: int = PAGE_BUDGET) -> Pages:
    """The profile's pages, reused while ``Interop.profile`` hands back the same remembered
    Profile (it does until the store changes): a page press renders nothing again, and a big
    company's pages are rendered only as far as anyone has turned."""
    key = (profile.company.id, current_locale(), budget)
    found = kept.peek(key)
    if found is not None and found[0] is profile and not found[1].failed:
        return found[1]
    pages = Pages(iter_profile(profile), budget, expected=profile_blocks_estimate(profile))
    return kept.put(key, (profile, pages))[1]


def reply_for(result: CheckResult | Profile | SearchResult | Unresolved | Decision, user_id: int,
              context: BotContext, page: int = 1,
              search_token: str | None = None) -> Reply:
    """Any answer as page ``page`` of a message, with its buttons."""
    budget = page_budget(context)
    if isinstance(result, Decision):
        return _decision_reply(result, user_id, context, page)
    if isinstance(result, CheckResult | Profile):  # with the 🔔 Follow and ⚠️ Report row
        reply = (paged(render_check(result), CheckPage(result.a.id, result.b.id, page, user_id), budget)
                 if isinstance(result, CheckResult) else
                 paged(profile_pages(context.bot_data.profile_pages, result, budget),
                       ProfilePage(result.company.id, page, user_id), budget))
        return replace(reply, markup=with_answer_buttons(reply.markup, result))
    if isinstance(result, SearchResult):
        blocks = render_search(result)
        if search_token is None and len(paginate(blocks, budget)) > 1:
            search_token = remember_search(context.chat_data, result.query)
        pager = SearchPage(search_token, page, user_id) if search_token else None
        return paged(blocks, pager, budget)
    lines = render_unresolved(result)
    text = HTML.join("\n", lines) if lines else HTML.t("usage.check")
    return Reply(text, choices_keyboard(result, user_id))


def _decision_reply(decision: Decision, user_id: int, context: BotContext, page: int) -> Reply:
    """A core decision: its blocks (unknown names first), paged like the answer inside it."""
    inner = decision.result
    if decision.suggest is not None:  # a one-page answer also offers the names it may mean
        reply = reply_for(Decision(inner, decision.unknown, decision.notes), user_id, context, page)
        if reply.markup is None:
            return Reply(reply.text, choices_keyboard(decision.suggest, user_id), reply.notice)
        return reply
    if not decision.unknown and not decision.notes and isinstance(
            inner, CheckResult | Profile | SearchResult | Unresolved) and not (
            isinstance(inner, CheckResult) and inner.kind is not None):
        return reply_for(inner, user_id, context, page)
    if isinstance(inner, Unresolved):
        return Reply(HTML.join("\n", render_decision(decision)), choices_keyboard(inner, user_id))
    blocks: Sequence[str] | Pages
    if isinstance(inner, Profile):  # rendered only as far as the asked page, like the plain profile
        preamble = render_preamble(decision)
        blocks = Pages(chain(preamble, iter_profile(inner)), page_budget(context),
                       expected=len(preamble) + profile_blocks_estimate(inner))
    else:
        blocks = render_decision(decision)
    pager: Pager | None = None
    if isinstance(inner, CheckResult):
        pager = CheckPage(inner.a.id, inner.b.id, page, user_id)
    elif isinstance(inner, Profile):
        pager = ProfilePage(inner.company.id, page, user_id)
    elif isinstance(inner, Latest):
        pager = RecentPage(max(1, len(inner.views)), page, user_id)
    reply = paged(blocks, pager, page_budget(context))
    if isinstance(inner, CheckResult | Profile):  # with the 🔔 Follow and ⚠️ Report row
        reply = replace(reply, markup=with_answer_buttons(reply.markup, inner))
    return reply


async def recent_reply(interop: Interop, n: int, page: int, user_id: int,
                       context: BotContext) -> Reply:
    return paged(render_recent(await interop.recent(n)), RecentPage(n, page, user_id),
                 page_budget(context))


# -- presses --------------------------------------------------------------------------------


async def _reply_for_pager(data: Pager, context: BotContext) -> Reply | None:
    """Recompute the answer behind a page button; None when it no longer exists."""
    interop = context.interop
    match data:
        case ProfilePage(company_id, page, uid):
            company = interop.resolver.company(company_id)
            if company is None:
                return None
            return await rendered(partial(reply_for, await interop.profile(company), uid, context, page))
        case CheckPage(a_id, b_id, page, uid):
            a, b = interop.resolver.company(a_id), interop.resolver.company(b_id)
            if a is None or b is None or a.id == b.id:
                return None
            return reply_for(await interop.check(a, b), uid, context, page)
        case RecentPage(n, page, uid):
            return await recent_reply(interop, n, page, uid, context)
        case SearchPage(token, page, uid):
            searches = (context.chat_data or {}).get(SEARCHES)
            query = searches.get(token) if isinstance(searches, dict) else None
            if query is None:
                return None
            result = await interop.search(query, SEARCH_LIMIT)
            return reply_for(result, uid, context, page, search_token=token)
        case QueuePage():  # an admin button: the admin handlers turn its pages
            return None


async def page_pressed(update: Update, context: BotContext) -> None:
    """Show another page (or a did-you-mean choice) by editing the message the button is on."""
    query = update.callback_query
    assert query is not None
    data = decode(query.data)
    notice: str | None = None
    if data is None:
        notice = t("tg.stale")
    elif isinstance(data, PageLabel | Example):
        notice = None  # the label does nothing; examples have their own handler
    elif data.user_id and query.from_user.id != data.user_id:
        notice = t("tg.not_yours")
    else:
        reply = await _reply_for_pager(data, context)
        if reply is None:
            notice = t("tg.stale")
        else:
            notice = reply.notice
            try:
                await query.edit_message_text(str(reply.text), reply_markup=reply.markup,
                                              link_preview_options=reply.link_preview)
            except BadRequest as exc:
                if "not modified" not in exc.message.lower():
                    log.info("Could not edit for %s: %s", query.data, exc.message)
                    notice = t("tg.stale")
    # Answer last and exactly once: if anything above raised, the error handler answers.
    await query.answer(notice)


async def stale_pressed(update: Update, context: BotContext) -> None:
    """A button from an older version of the bot: say so instead of spinning forever."""
    query = update.callback_query
    assert query is not None
    await query.answer(t("tg.stale"))
