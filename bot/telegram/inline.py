"""Inline mode: ``@bot jd alipay`` in any chat offers the answer as articles to send.

An empty query lists the latest facts. Unknown or ambiguous names offer the candidates as
results. Every result has a stable id (``ck:<a>:<b>``, ``pf:<id>``, ``f:<fact>``), a plain
title, a one-line description and the first page of the HTML answer; when the answer has more
pages, a button opens the whole thing in the bot through a deep link.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from functools import partial
from itertools import chain

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
from bot.domain import (
    CheckHint,
    CheckResult,
    Checks,
    Decision,
    FactView,
    KindFacts,
    Latest,
    Mode,
    Ownership,
    Profile,
    SearchResult,
    SmallTalk,
    Unresolved,
    rendered,
)
from bot.i18n import display_name, number, summary
from bot.render import (
    HTML,
    PAGE_BUDGET,
    PLAIN,
    Pages,
    iter_profile,
    render_check,
    render_decision,
    render_preamble,
    render_recent,
)
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


def _article(result_id: str, title: str, description: str, blocks: Iterable[str],
             deep_link: str | None, bot_username: str | None) -> InlineQueryResultArticle:
    pages = Pages(blocks, PAGE_BUDGET, lookahead=0)  # only the first page is sent: render no further
    text = pages.page(1)
    markup = None
    if pages.count(1)[0] > 1 and deep_link and bot_username:
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(
            t("tg.more"), url=create_deep_linked_url(bot_username, deep_link))]])
    preview = LinkPreviewOptions(is_disabled=True) if text.count("<a href=") > 1 else None
    return InlineQueryResultArticle(
        id=result_id, title=_one_line(title, 100), description=_one_line(description),
        input_message_content=InputTextMessageContent(str(text), parse_mode=ParseMode.HTML,
                                                      link_preview_options=preview),
        reply_markup=markup)


def check_article(result: CheckResult, bot_username: str | None,
                  prefix: Sequence[str] = ()) -> InlineQueryResultArticle:
    """One pair; ``prefix`` carries the decision's lines that must not be lost (unknown names)."""
    plain_blocks = render_check(result, PLAIN)
    threads = (result.of_kind(result.kind) if result.kind else ()) or result.threads or result.rollup
    description = summary(threads[0].standing.fact) if threads else plain_blocks[0]
    title = plain_blocks[0] if threads else t("check.headline", verdict=t("verdict.no_record"),
                                              a=display_name(result.a), b=display_name(result.b))
    return _article(f"ck:{result.a.id}:{result.b.id}", title, description,
                    [*prefix, *render_check(result)], f"check_{result.a.id}_{result.b.id}", bot_username)


def profile_article(profile: Profile, bot_username: str | None,
                    prefix: Sequence[str] = ()) -> InlineQueryResultArticle:
    c = profile.company
    description = c.description or t("profile.facts", n=number(len(profile.facts)))
    return _article(f"pf:{c.id}", display_name(c), description, chain(prefix, iter_profile(profile)),
                    f"company_{c.id}", bot_username)


def decision_article(result_id: str, decision: Decision) -> InlineQueryResultArticle:
    """Any other decision as one article: its first lines as title and description."""
    plain_blocks = [line for block in render_decision(decision, PLAIN) for line in block.split("\n")]
    title = plain_blocks[0] if plain_blocks else ""
    description = plain_blocks[1] if len(plain_blocks) > 1 else title
    return _article(result_id, title, description, render_decision(decision, HTML), None, None)


def fact_article(view: FactView) -> InlineQueryResultArticle:
    title = t(f"verb.{view.fact.kind.value}", s=display_name(view.subject), o=display_name(view.object))
    title = f"{t('status.' + view.fact.status.value)} · {title}"
    return _article(f"f:{view.fact.id}", title, summary(view.fact), render_recent([view])[1:],
                    None, None)


def distinct(articles: Iterable[InlineQueryResultArticle]) -> list[InlineQueryResultArticle]:
    """Each id once, the first kept, at most 50: Telegram refuses a whole answer for one repeated
    id (RESULT_ID_DUPLICATE). An id names what its article shows (a pair, a company, a fact), so
    a repeat is the same article again ("alert vs alert" offers the same candidate twice)."""
    found: dict[str, InlineQueryResultArticle] = {}
    for article in articles:
        found.setdefault(article.id, article)
        if len(found) == MAX_RESULTS:
            break
    return list(found.values())


async def results_for(interop: Interop, text: str,
                      bot_username: str | None) -> list[InlineQueryResultArticle]:
    """The articles for a non-empty query, best first, at most 50, each id once."""
    decision = await interop.decide(text, Mode.INLINE)
    articles = await _articles(interop, decision, bot_username)
    if decision.unknown and articles and not articles[0].id.startswith("unknown"):
        # As /check says first: the first result names what the bot does not know.
        first = "-".join(str(r.query.casefold().encode().hex())[:16] for r in decision.unknown)
        articles.insert(0, decision_article(f"unknown:{first}"[:64], decision))
    return distinct(articles)


async def _articles(interop: Interop, decision: Decision,
                    bot_username: str | None) -> list[InlineQueryResultArticle]:
    """The core's decision, rendered as articles."""
    result = decision.result
    prefix = render_preamble(decision)  # unknown names are never dropped, inline too
    if isinstance(result, CheckResult):
        return [check_article(result, bot_username, prefix)]
    if isinstance(result, Checks):
        articles = [decision_article(f"cks:{len(result.results)}:{result.results[0].a.id}", decision)]
        return articles + [check_article(r, bot_username, prefix) for r in result.results]
    if isinstance(result, Profile):
        return [await rendered(partial(profile_article, result, bot_username, prefix))]
    if isinstance(result, KindFacts):
        return [decision_article(f"kf:{result.company.id}:{result.kind.name}", decision)]
    if isinstance(result, Ownership):
        parent = result.parent.id if result.parent else 0
        return [decision_article(f"own:{result.child.id}:{parent}", decision)]
    if isinstance(result, SmallTalk | CheckHint):
        return [decision_article("help", decision)]
    if isinstance(result, Latest):
        return [fact_article(v) for v in result.views[:MAX_RESULTS]]
    if isinstance(result, SearchResult):
        return [fact_article(v) for v in result.hits[:MAX_RESULTS]]
    assert isinstance(result, Unresolved)
    options = await interop.options(result)
    if options:
        return [check_article(r, bot_username, prefix) for r in options][:MAX_RESULTS]
    candidates = [c.company for r in result.resolutions if r.company is None for c in r.candidates]
    if candidates:
        unique = list({c.id: c for c in candidates}.values())  # both names may offer one company
        return [await rendered(partial(profile_article, await interop.profile(c), bot_username, prefix))
                for c in unique[:MAX_CHOICES]]
    return [decision_article("unknown", decision)] if decision.unknown or result.resolutions else []


async def inline_query(update: Update, context: BotContext) -> None:
    """Answer ``@bot <question>`` with ready-to-send answers; the latest facts for an empty query."""
    query = update.inline_query
    assert query is not None
    interop = context.interop
    text = query.query.strip()
    if not text:
        views = await interop.recent(MAX_RESULTS)
        await query.answer(distinct(fact_article(v) for v in views),
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

