"""Every user-facing sentence, in one catalogue per language.

Handlers and renderers ask for a message by key; adding Chinese replies later means adding a
``"zh"`` catalogue here, with no handler touched. Placeholders use str.format names.
"""

from __future__ import annotations

from typing import Any

EN: dict[str, str] = {
    # verdict headlines
    "verdict.live": "✅ Yes",
    "verdict.partial": "🟡 Partly",
    "verdict.announced": "🕓 Announced",
    "verdict.ended": "⛔ No longer",
    "verdict.no_record": "❔ No record",
    "status.live": "✅ live",
    "status.partial": "🟡 partial",
    "status.announced": "🕓 announced",
    "status.ended": "⛔ ended",
    "check.headline": "{verdict}: {a} × {b}",
    "check.no_record": "❔ No record between {a} and {b}. That is not the same as “ended”: "
                       "nobody has reported a link either way yet.",
    "check.rollup_only": "No direct record between {a} and {b}, but their groups are linked:",
    "check.rollup": "Through group companies and affiliates:",
    "check.via": "(via affiliate: {names})",
    "check.since": "since {date}",
    "kind.payments": "💳 Payments",
    "kind.logistics": "📦 Logistics",
    "kind.shopping/links": "🔗 Shopping & links",
    "kind.messaging": "💬 Messaging",
    "kind.login": "🔑 Login",
    "kind.content": "📰 Content",
    "kind.other": "🧩 Other",
    "verb.payments": "{s} accepts {o}",
    "verb.logistics": "{s} ships with {o}",
    "verb.shopping/links": "{s} links to {o}",
    "verb.messaging": "{s} ↔ {o} messaging",
    "verb.login": "{s} offers {o} login",
    "verb.content": "{s} shares content with {o}",
    "verb.other": "{s} works with {o}",
    "date.unknown": "date unknown",
    "profile.parent": "Part of {parent}",
    "profile.children": "Group companies: {names}",
    "profile.affiliates": "Sister companies: {names}",
    "profile.aliases": "Also known as: {names}",
    "profile.no_facts": "No interoperability facts recorded for {name} yet.",
    "profile.facts": "{n} facts",
    "profile.via": "via {name}",
    "search.none": "Nothing found for “{query}”. Try a company name, e.g. /company alipay.",
    "search.header": "🔎 {n} result(s) for “{query}”",
    "recent.header": "🆕 Latest changes",
    "recent.none": "No facts recorded yet.",
    "unknown.name": "I don't know “{name}”.",
    "unknown.suggest": "Did you mean one of these?",
    "unknown.ambiguous": "“{name}” could mean several companies:",
    "unknown.nothing_close": "Nothing close in my list. Try the English or Chinese name.",
    "page": "Page {page}/{pages}",
    "sources": "Sources",
    "fact.ref": "#{id}",
    "help": (
        "I answer “does X work with Y?” about platforms, with sources.\n\n"
        "Try:\n"
        "{examples}\n\n"
        "Commands:\n"
        "/check A B — does A work with B?\n"
        "/company NAME — everything about one company\n"
        "/search TEXT — search the facts\n"
        "/recent [N] — the latest changes\n\n"
        "You can also just ask: “does JD accept Alipay?” or “京东支持支付宝吗？”"
    ),
    "usage.check": "Tell me two names, e.g. /check jd alipay or /check taobao, jd logistics",
    "usage.company": "Tell me a name, e.g. /company wechat",
    "usage.search": "Tell me what to look for, e.g. /search rcs",
    "usage.recent": "Use /recent or /recent 20 (up to {max}).",
    "same.company": "Both names point to {name}. Name two different companies.",
    "error.generic": "Sorry, something went wrong on my side. Please try again in a moment.",
    "too_long": "That message is too long for me; please ask in under {max} characters.",
    "rate_limited": "You're asking very fast. Please wait {seconds} s and try again.",
    "console.intro": "interop-bot console — same commands as the bot. /help for help, "
                     "Ctrl-D to quit.",
    "console.no_token": "No TELEGRAM_BOT_TOKEN set, so starting the terminal console. To run "
                        "the Telegram bot, put TELEGRAM_BOT_TOKEN=<token from @BotFather> in .env "
                        "(see .env.example).",
    "console.unknown_command": "Unknown command {cmd}. Try /help.",
    # Telegram adapter (bot/telegram/)
    "tg.examples": "Tap an example:",
    "tg.empty": "Ask me about two platforms, e.g. “does JD accept Alipay?”, or send /help.",
    "tg.unknown_command": "I don't know {cmd}. Send /help to see what I can do.",
    "tg.more": "Open all pages in the bot",
    "tg.stale": "This button is out of date. Please ask again.",
    "tg.stale_page": "The answer has changed since; showing the latest version.",
    "tg.not_yours": "Only the person who asked can use these buttons. Ask your own question!",
    "tg.no_results": "Nothing found for “{query}”",
    "tg.no_results_hint": "Try a company name, e.g. jd alipay",
    "tg.slow_inline": "You're asking very fast; please wait a moment.",
    "tg.error_inline": "Something went wrong; please try again.",
    "tg.recent_title": "🆕 {relation}",
    "cmd.check": "Does A work with B? e.g. /check jd alipay",
    "cmd.company": "Everything about one company",
    "cmd.search": "Search the facts",
    "cmd.recent": "The latest changes",
    "cmd.help": "What this bot does, with examples",
}

CATALOGUES: dict[str, dict[str, str]] = {"en": EN}


def t(key: str, lang: str = "en", /, **values: Any) -> str:
    """The message ``key`` in ``lang`` (falling back to English), filled with ``values``."""
    template = CATALOGUES.get(lang, EN).get(key) or EN[key]
    return template.format(**values) if values else template

# Tappable in Telegram's /help, typed in the console's.
EXAMPLES: tuple[str, ...] = (
    "/check jd alipay",
    "/check taobao jd logistics",
    "/company 微信",
    "does whatsapp work with birdychat?",
)
