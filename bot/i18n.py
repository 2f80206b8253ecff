"""Which language a reply is in (one context variable per update or console line), and locale formatting.

Call sites never pass a language: an adapter decides it once (``choose``) and sets it with
``set_locale``/``using``; ``bot.texts.t``, the renderers and the formatters here read ``current()``.
The rules, in order: the chat's own setting (``/language``), the script of the question
(Chinese text gets Chinese), the user's Telegram ``language_code``, English.

Traditional Chinese is never kept by hand: the Simplified catalogue, Chinese names and summaries
are converted with OpenCC (``s2twp``: Taiwan characters and phrasing), each string once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import date, timedelta
from functools import cache, lru_cache
from typing import TYPE_CHECKING

import opencc
from babel.dates import format_date, format_skeleton, format_timedelta
from babel.numbers import format_decimal

if TYPE_CHECKING:
    from bot.domain import Company, Fact

EN = "en"
ZH_HANS = "zh-Hans"
ZH_HANT = "zh-Hant"
LOCALES: tuple[str, ...] = (EN, ZH_HANS, ZH_HANT)
CHINESE = frozenset({ZH_HANS, ZH_HANT})
ZH = "zh"
"""A chat setting: Chinese in the reader's script (Simplified unless they write or use Traditional)."""
AUTO = ""
"""The stored value (no row) for ``/language auto``: follow the question and the user."""

_locale: ContextVar[str] = ContextVar("locale", default=EN)

_HANS_CODES = frozenset({"zh", "zh-hans", "zh-cn", "zh-sg", "zh-my"})
_HANT_CODES = frozenset({"zh-hant", "zh-tw", "zh-hk", "zh-mo"})
_SETTINGS: dict[str, str] = {
    "en": EN, "english": EN, "英文": EN, "英语": EN, "英語": EN,
    "zh": ZH, "chinese": ZH, "中文": ZH,
    "zh-hans": ZH_HANS, "zh-cn": ZH_HANS, "简体": ZH_HANS, "简体中文": ZH_HANS, "簡體": ZH_HANS,
    "zh-hant": ZH_HANT, "zh-tw": ZH_HANT, "zh-hk": ZH_HANT, "繁体": ZH_HANT, "繁體": ZH_HANT,
    "繁體中文": ZH_HANT, "繁体中文": ZH_HANT,
    "auto": AUTO, "自动": AUTO, "自動": AUTO,
}
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[A-Za-z]+")
_COMMAND = re.compile(r"^/\w+(@\w+)?")
_MENTION = re.compile(r"@\w+")
_SAMPLE = 300  # characters of a question looked at: the script shows in its first words
_T2S = opencc.OpenCC("t2s")


# -- the current locale -------------------------------------------------------------------


def current() -> str:
    """The locale of the reply being built ("en", "zh-Hans" or "zh-Hant")."""
    return _locale.get()


def set_locale(locale: str) -> Token[str]:
    """Make ``locale`` current for the rest of this task (an update, a console line)."""
    return _locale.set(locale if locale in LOCALES else EN)


@contextmanager
def using(locale: str) -> Iterator[None]:
    """``locale`` for the block only."""
    token = set_locale(locale)
    try:
        yield
    finally:
        _locale.reset(token)


def is_chinese(locale: str | None = None) -> bool:
    return (locale or current()) in CHINESE


# -- choosing -----------------------------------------------------------------------------


def parse_setting(text: str) -> str | None:
    """``/language`` argument -> stored value (en, zh, zh-Hans, zh-Hant, or "" for auto); None if unknown."""
    return _SETTINGS.get(text.strip().lower().replace("_", "-"))


def from_language_code(code: str | None) -> str | None:
    """Telegram's IETF ``language_code`` -> a Chinese locale; None for anything else (English follows)."""
    if not code:
        return None
    code = code.strip().lower().replace("_", "-")
    if code in _HANT_CODES:
        return ZH_HANT
    if code in _HANS_CODES or code.startswith("zh-hans"):
        return ZH_HANS
    if code.startswith("zh-hant"):
        return ZH_HANT
    if code.startswith("en"):
        return EN
    return None


def from_posix(lang: str | None) -> str | None:
    """``LANG`` (``zh_CN.UTF-8``, ``zh_TW``, ``en_US``) -> a locale; None when it says nothing we serve."""
    if not lang:
        return None
    return from_language_code(lang.split(".", 1)[0].split("@", 1)[0])


def is_traditional(text: str) -> bool:
    """Does ``text`` use characters that exist only in Traditional script?"""
    han = "".join(_HAN.findall(text[:_SAMPLE]))
    return bool(han) and str(_T2S.convert(han)) != han


def script_of(text: str | None) -> str | None:
    """The locale a question's own script asks for: Chinese when its Han characters outnumber its
    Latin words (``/check jd 支付宝`` is Chinese; "does Alipay (支付宝) work with JD" and
    "京东 JD.com" are not); else None."""
    if not text:
        return None
    sample = _MENTION.sub(" ", _COMMAND.sub(" ", text[:_SAMPLE].strip()))
    han = len(_HAN.findall(sample))
    if not han or han <= len(_WORD.findall(sample)):
        return None
    return ZH_HANT if is_traditional(sample) else ZH_HANS


def choose(setting: str | None, text: str | None, language_code: str | None) -> str:
    """The locale of one reply: chat setting > the question's script > language_code > English."""
    if setting in LOCALES:
        return setting
    script = script_of(text)
    user = from_language_code(language_code)
    if setting == ZH:
        return ZH_HANT if ZH_HANT in (script, user) else ZH_HANS
    if script is not None:
        # Most Chinese text is the same in both scripts: a Traditional reader keeps Traditional.
        return ZH_HANT if user == ZH_HANT else script
    return user or EN


_PAGE_LABEL = re.compile(r"^第 \d+/\d+ ([页頁])$")


def message_locale(text: str, labels: tuple[str, ...] = ()) -> str | None:
    """The locale of a message the bot sent (a button was pressed on it), so its next page matches.

    A paged answer carries its page label ("Page 2/5" or "第 2/5 页"). Otherwise the first or
    the last line decides: one of them is always the bot's own sentence (a headline, "I don't
    know…", a form step), while the lines between may quote English summaries or Chinese names.
    """
    for label in labels:
        found = _PAGE_LABEL.match(label)
        if found:
            return ZH_HANT if found.group(1) == "頁" else ZH_HANS
        if label.startswith("Page ") and label[5:6].isdigit():
            return EN
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return None
    return script_of(lines[0]) or script_of(lines[-1]) or (EN if _WORD.search(text) else None)


# -- converting and formatting --------------------------------------------------------------


@cache
def _s2t() -> opencc.OpenCC:
    """The Simplified -> Traditional converter, made by the first Traditional reply: its phrase
    dictionaries take ~43 MB (0.2 s to load), which a process serving no Traditional reader,
    and every CLI command, never needs."""
    return opencc.OpenCC("s2twp")


@lru_cache(maxsize=8192)
def to_traditional(text: str) -> str:
    """Simplified -> Traditional (Taiwan phrasing), remembered per string."""
    return str(_s2t().convert(text))


def traditional_block(text: str) -> str:
    """``to_traditional`` for a long rendered text, not remembered: each is converted once."""
    return str(_s2t().convert(text))


def localise(text: str, locale: str | None = None) -> str:
    """A Simplified string as the current Chinese reader reads it (unchanged for zh-Hans)."""
    return to_traditional(text) if (locale or current()) == ZH_HANT else text


def display_name(company: Company, locale: str | None = None) -> str:
    """The name to show: the Chinese display name for Chinese readers when there is one."""
    locale = locale or current()
    if locale in CHINESE and company.name_zh:
        return localise(company.name_zh, locale)
    return company.name


def company_kind(company: Company, locale: str | None = None) -> str:
    """The company's kind ("marketplace") in the reader's language when the catalogue knows it."""
    from bot.texts import EN as known
    from bot.texts import t

    key = f"company_kind.{company.kind}"
    return t(key, locale) if key in known else company.kind


def summary(fact: Fact, locale: str | None = None) -> str:
    """The fact's summary in the reader's language; Chinese readers without one get the English, marked."""
    locale = locale or current()
    if locale not in CHINESE:
        return fact.summary
    if fact.summary_zh:
        return localise(fact.summary_zh, locale)
    from bot.texts import t

    return t("fact.summary_en", locale, summary=fact.summary)


_BABEL = {EN: "en", ZH_HANS: "zh_Hans", ZH_HANT: "zh_Hant"}


@lru_cache(maxsize=32768)
def _date(value: str, locale: str) -> str:
    """Babel's formatting, remembered: a day of each of 20 years in four locales still fits."""
    parts = value.split("-")
    try:
        numbers = [int(p) for p in parts]
        day = date(numbers[0], numbers[1] if len(numbers) > 1 else 1, numbers[2] if len(numbers) > 2 else 1)
    except (ValueError, IndexError):
        return value  # stored dates are validated; never fail a reply over one
    where = _BABEL[locale]
    if locale == EN:  # "16 Oct 2024", "Oct 2024", "2024": the bot's English since day one
        pattern = ("y", "MMM y", "d MMM y")[min(len(parts), 3) - 1]
        return format_date(day, pattern, locale=where)
    if len(parts) >= 3:
        return format_date(day, "long", locale=where)  # 2024年10月16日
    return format_skeleton("yMMM" if len(parts) == 2 else "y", day, locale=where)  # 2024年10月, 2024年


def fact_date(value: str, locale: str | None = None) -> str:
    """A stored date (YYYY, YYYY-MM or YYYY-MM-DD) at its own precision, in the reader's locale.

    An empty value gives "" (the caller says "date unknown" through the catalogue).
    """
    return _date(value, locale or current()) if value else ""


def age_text(age: timedelta, locale: str | None = None) -> str:
    """How old something is, in months under a year and a half, else in years ("14 months")."""
    return format_timedelta(age, granularity="month", threshold=1.5,
                            locale=_BABEL.get(locale or current(), "en"))


def number(value: int, locale: str | None = None) -> str:
    """A count with the locale's grouping (1,234)."""
    return format_decimal(value, locale=_BABEL.get(locale or current(), "en"))
