"""Validation shared by every way facts get in: admin commands, the guided form and imports.

One set of rules means a value refused by /addfact is refused by /import too, with the same words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Hashable
from typing import TypeVar
from urllib.parse import urlsplit

from bot.domain import Region, Source, Status, ValidationError

MAX_SUMMARY = 1000
MAX_NAME = 120
MAX_ALIAS = 120
MAX_URL = 2048
MAX_TITLE = 300
MAX_QUOTE = 600
"""A source's supporting excerpt: about 30 words, with room for Chinese and long words."""
MAX_NOTE = 1000
MAX_SCOPE = 60
MAX_KEY = 120
MAX_KIND_DETAIL = 120
MAX_CONFIDENCE = 40
MAX_COMPANY_KIND = 60
MAX_DESCRIPTION = 500
_INVISIBLE = {"Cc", "Cf"}
_Node = TypeVar("_Node", bound=Hashable)
# http(s)://host.name followed by a path, query, fragment or nothing: plain ASCII, no user, no
# port, no brackets. For such a URL urlsplit can only find that scheme and that host, so it is
# accepted without parsing; anything else (ports, IPv6, IDNs...) takes the full check.
_PLAIN_HTTP_URL = re.compile(r"[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?=[/?#]|\Z)")


def clean_text(field: str, value: str, limit: int, *, required: bool = False) -> str:
    """Trim, drop control characters (keeping newlines out), and enforce a length limit."""
    # isprintable() is False for every Cc/Cf character, so printable text (nearly all of it) skips
    # the per-character scan, which dominated bulk imports; the result is identical.
    if value.isprintable():
        text = value
    else:
        refuse_surrogates(field, value)
        text = "".join(ch for ch in value if unicodedata.category(ch) not in _INVISIBLE or ch == "\u200d")
    text = " ".join(text.split())
    if required and not text:
        raise ValidationError("error.missing", field=field)
    if len(text) > limit:
        raise ValidationError("error.too_long", field=field, n=len(text), limit=limit)
    return text


def refuse_surrogates(field: str, value: str) -> None:
    """A lone UTF-16 surrogate ("\\ud800" in JSON) is not text: SQLite cannot store it and
    Telegram cannot show it, so the row that carries it is refused, by name, without echoing it."""
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValidationError("error.surrogate", field=field)


def clean_summary(value: str) -> str:
    return clean_text("summary", value, MAX_SUMMARY, required=True)


def clean_name(value: str, field: str = "name") -> str:
    name = clean_text(field, value, MAX_NAME, required=True)
    if not any(ch.isalnum() for ch in name):
        raise ValidationError("error.no_letters", field=field, value=value)
    return name


def clean_url(value: str) -> str:
    """Only http(s) links with a host: javascript:, data: and friends never reach a message."""
    url = value.strip()
    if not url:
        raise ValidationError("error.url_missing")
    if len(url) > MAX_URL:
        raise ValidationError("error.url_long", max=MAX_URL)
    if not url.isprintable():
        refuse_surrogates("source URL", url)
    # Printable and no ASCII space means no whitespace and no Cc/Cf at all: skip the scan.
    if (not url.isprintable() or " " in url) and any(
            ch.isspace() or unicodedata.category(ch) in _INVISIBLE for ch in url):
        raise ValidationError("error.url_spaces")
    if _PLAIN_HTTP_URL.match(url):  # bulk imports: most URLs; same verdict as below, 10x cheaper
        return url
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise ValidationError("error.url_malformed", url=url) from None
    if parts.scheme.lower() not in {"http", "https"}:
        raise ValidationError("error.url_scheme")
    if not host or ("." not in host and host != "localhost"):
        raise ValidationError("error.url_host", url=url)
    return url


_TEMPLATE = re.compile(r"\{\{|\}\}|\{%|%\}|\$\{|%7[Bb]%7[Bb]|%7[Dd]%7[Dd]")
# A web proxy puts the real address at the start of its path: https://proxy.example/https/real.host/...
_PROXIED = re.compile(r"/+https?(?::|%3[Aa])?/+[^/?#]*\.[^/?#]*", re.IGNORECASE)


def url_shape_problem(url: str) -> ValidationError | None:
    """What ``clean_url`` lets through but a source must not cite (the data linter's URL rule,
    and what admins' new sources meet): an unfilled template placeholder, a host without a dot,
    a proxy's address wrapped around the real one, spaces around it."""
    if url != url.strip():
        return ValidationError("error.url_spaces")
    if _TEMPLATE.search(url):
        return ValidationError("error.url_template", url=url)
    plain = _PLAIN_HTTP_URL.match(url)  # most URLs: a dotted ASCII host, read without urlsplit
    if plain:
        rest = url[plain.end():]
        proxied = rest.startswith("/") and _PROXIED.match(rest.partition("?")[0].partition("#")[0])
        return ValidationError("error.url_proxy", url=url) if proxied else None
    try:
        parts = urlsplit(url)
        labels = (parts.hostname or "").split(".")
    except ValueError:
        return ValidationError("error.url_malformed", url=url)
    if len(labels) < 2 or not all(labels):
        return ValidationError("error.url_host", url=url)
    if _PROXIED.match(parts.path):
        return ValidationError("error.url_proxy", url=url)
    return None


def clean_source(url: str, title: str = "", publisher: str = "", date: str = "",
                 quote: str = "") -> Source:
    """A new source from an admin: a URL that ``clean_url`` accepts and the linter would too."""
    from bot.domain import parse_fact_date

    problem = url_shape_problem(clean_url(url))
    if problem:
        raise problem
    return Source(
        url=clean_url(url),
        title=clean_text("source title", title, MAX_TITLE),
        publisher=clean_text("source publisher", publisher, MAX_TITLE),
        date=parse_fact_date(date) if date else "",
        quote=clean_text("source quote", quote, MAX_QUOTE),
    )


def clean_region(value: str) -> str:
    """A region from the list (by value or short name), or "" for a fact that holds everywhere."""
    value = value.strip()
    return Region.parse(value).value if value else ""


def clean_verified(value: str) -> str:
    """The day an admin last confirmed a fact: a full YYYY-MM-DD date, or "" for never."""
    from datetime import date

    value = value.strip()
    if not value:
        return ""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValidationError("error.verified_format", value=value) from None
    if len(value) != 10 or day > date.today():
        raise ValidationError("error.verified_past", value=value)
    return value


def name_key(text: str) -> str:
    """The one comparison key of a company name or alias: the schema keeps it unique.

    NFKC (full-width and compatibility forms), casefold, then only letters, digits and marks:
    "JD.com", "jd com" and "ＪＤ．ＣＯＭ" share the key "jdcom"; "AT&T" is "att".
    """
    if text.isascii():
        return "".join(ch for ch in text.lower() if ch.isalnum())
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LNM")


def require_sources(count: int) -> None:
    """Every fact cites at least one source, however it gets in."""
    if count < 1:
        raise ValidationError("error.no_source")


def partial_note_problem(status: str, note: str) -> ValidationError | None:
    """Why a fact's caveat is missing, or None: a partial verdict must say what is partial.

    New facts are refused with this message; facts already stored only get it as a warning.
    """
    if status == Status.PARTIAL.value and not note.strip():
        return ValidationError("error.partial_note")
    return None


def check_new_fact(subject_id: int, object_id: int, status: str, note: str, sources: int,
                   *, require_note: bool = True) -> None:
    """The rules every NEW fact meets, from /addfact and imports alike.

    ``require_note=False`` is only for callers that have no way to ask for a note yet (the
    guided form, fixtures written straight to the store); a stored partial fact without a
    note is then reported as a warning, like an old one.
    """
    require_sources(sources)
    if subject_id == object_id:
        raise ValidationError("error.same_company")
    problem = partial_note_problem(status, note) if require_note else None
    if problem:
        raise problem


def parent_cycle(parent_of: Callable[[_Node], _Node | None], child: _Node,
                 parent: _Node | None) -> list[_Node]:
    """The loop that giving ``child`` the parent ``parent`` would close, or [] when there is none.

    ``parent_of`` answers the current parent of any company (by id in the store, by name key in
    a file). The walk goes up from ``parent``: reaching ``child`` is a cycle, and the chain comes
    back as child, parent, ..., child. A loop elsewhere above (bad data already stored) ends the
    walk without hanging; it is reported where it is, not here.
    """
    chain = [child]
    seen = {child}
    node = parent
    while node is not None:
        chain.append(node)
        if node == child:
            return chain
        if node in seen:
            return []
        seen.add(node)
        node = parent_of(node)
    return []
