"""Inline mode: ``@bot jd alipay`` in any chat offers the answer as articles to send.

An empty query lists the latest facts. Unknown or ambiguous names offer the candidates as
results. Every result has a stable id (``ck:<a>:<b>``, ``pf:<id>``, ``f:<fact>``), a plain
title, a one-line description and the first page of the HTML answer; when the answer has more
pages, a button opens the whole thing in the bot through a deep link.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import InlineQueryLimit, ParseMode
from telegram.helpers import create_deep_linked_url

from bot.answers import Interop
from bot.domain import CheckResult, Company, FactView, Profile, Unresolved
from bot.i18n import display_name, number, summary
from bot.render import PAGE_BUDGET, PLAIN, paginate, render_check, render_profile, render_recent
from bot.telegram.context import BotContext
from bot.telegram.user import allowed
from bot.texts import t

log = logging.getLogger(__name__)

MAX_RESULTS = InlineQueryLimit.RESULTS  # 50
# The README promises every change is live everywhere at once; Telegram may serve an inline answer
# from its cache for this long, so it stays short. Personal: the cache is per user, because a
# rate-limited user's empty answer must not be served to anyone else.
CACHE_TIME = 10
RECENT_CACHE_TIME = 10
MAX_CHOICES = 5
DESCRIPTION_LEN = 120


def _one_line(text: str, limit: int = DESCRIPTION_LEN) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _article(result_id: str, title: str, description: str, blocks: Sequence[str],
             deep_link: str | None, bot_username: str | None) -> InlineQueryResultArticle:
    pages = paginate(blocks, PAGE_BUDGET)
    text = pages[0]
    markup = None
    if len(pages) > 1 and deep_link and bot_username:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(
            t("tg.more"), url=create_deep_linked_url(bot_username, deep_link))]])
    preview = LinkPreviewOptions(is_disabled=True) if text.count("<a href=") > 1 else None
    return InlineQueryResultArticle(
        id=result_id, title=_one_line(title, 100), description=_one_line(description),
        input_message_content=InputTextMessageContent(str(text), parse_mode=ParseMode.HTML,
                                                      link_preview_options=preview),
        reply_markup=markup)


def check_article(result: CheckResult, bot_username: str | None) -> InlineQueryResultArticle:
    plain_blocks = render_check(result, PLAIN)
    threads = result.threads or result.rollup
    description = summary(threads[0].current.fact) if threads else plain_blocks[0]
    title = plain_blocks[0] if threads else t("check.headline", verdict=t("verdict.no_record"),
                                              a=display_name(result.a), b=display_name(result.b))
    return _article(f"ck:{result.a.id}:{result.b.id}", title, description, render_check(result),
                    f"check_{result.a.id}_{result.b.id}", bot_username)


def profile_article(profile: Profile, bot_username: str | None) -> InlineQueryResultArticle:
    c = profile.company
    description = c.description or t("profile.facts", n=number(len(profile.facts)))
    return _article(f"pf:{c.id}", display_name(c), description, render_profile(profile),
                    f"company_{c.id}", bot_username)


def fact_article(view: FactView) -> InlineQueryResultArticle:
    title = t(f"verb.{view.fact.kind.value}", s=display_name(view.subject), o=display_name(view.object))
    title = f"{t('status.' + view.fact.status.value)} · {title}"
    return _article(f"f:{view.fact.id}", title, summary(view.fact), render_recent([view])[1:],
                    None, None)


async def results_for(interop: Interop, text: str,
                      bot_username: str | None) -> list[InlineQueryResultArticle]:
    """The articles for a non-empty query, best first, at most 50."""
    pair = await interop.check_text(text)
    if isinstance(pair, CheckResult):
        return [check_article(pair, bot_username)]
    if isinstance(pair, Unresolved):
        options = await _pair_options(interop, pair)
        if options:
            return [check_article(r, bot_username) for r in options][:MAX_RESULTS]
    answer = await interop.ask(text)
    if isinstance(answer, CheckResult):
        return [check_article(answer, bot_username)]
    if isinstance(answer, Profile):
        return [profile_article(answer, bot_username)]
    if answer.hits:
        return [fact_article(v) for v in answer.hits[:MAX_RESULTS]]
    resolution = interop.resolve(text)
    return [profile_article(await interop.profile(c.company), bot_username)
            for c in resolution.candidates[:MAX_CHOICES]]


async def _pair_options(interop: Interop, unresolved: Unresolved) -> list[CheckResult]:
    """Candidate pairs for a check with one or both names unresolved."""
    sides: list[list[Company]] = []
    for r in unresolved.resolutions:
        sides.append([r.company] if r.company else [c.company for c in r.candidates[:3]])
    if len(sides) != 2:
        return []
    return [await interop.check(a, b) for a in sides[0] for b in sides[1] if a.id != b.id]


async def inline_query(update: Update, context: BotContext) -> None:
    """Answer ``@bot <question>`` with ready-to-send answers; the latest facts for an empty query."""
    query = update.inline_query
    assert query is not None
    interop = context.interop
    text = query.query.strip()
    if not text:
        views = await interop.recent(MAX_RESULTS)
        await query.answer([fact_article(v) for v in views][:MAX_RESULTS],
                           cache_time=RECENT_CACHE_TIME, is_personal=True)
        return
    if not await allowed(update, context):
        await query.answer([], cache_time=0, is_personal=True, button=InlineQueryResultsButton(
            text=t("tg.slow_inline"), start_parameter="help"))
        return
    results = await results_for(interop, text, context.bot.username)
    button = None
    if not results:
        button = InlineQueryResultsButton(text=_one_line(t("tg.no_results", query=text), 60),
                                          start_parameter="help")
    await query.answer(results[:MAX_RESULTS], cache_time=CACHE_TIME, is_personal=True, button=button)

