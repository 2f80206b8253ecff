"""Markup flavours: Telegram HTML (escaped exactly once, through markupsafe) and plain text.

Each renderer writes through a ``Markup`` (``m.text``, ``m.b``, ``m.i``, ``m.link``, ``m.t`` for
catalogue sentences, ``m.join``). For ``HTML`` every piece is an ``Html`` string: a plain ``str``
that meets one is escaped exactly once, an ``Html`` never again, so stored text can neither break
nor inject markup nor show up as "AT&amp;T". ``PLAIN`` writes links as "title <url>" for the terminal.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import markupsafe

from bot.i18n import is_chinese
from bot.texts import t

_CATALOGUE_TAGS = re.compile(r"&lt;(/?)(b|i|code)&gt;")
_PLAIN_TAGS = re.compile(r"</?(?:b|i|code)>")


class Html(markupsafe.Markup):
    """Telegram HTML that is already safe: markupsafe's string type, escaping as Telegram needs.

    Text is escaped with ``&lt; &gt; &amp;`` only (quotes need no escaping outside attributes);
    link URLs, the one attribute we write, are escaped with quotes as well.
    """

    __slots__ = ()

    @classmethod
    def escape(cls, s: object) -> Html:
        if type(s) is cls:  # already safe: the common case in a rendered answer, kept as is
            return s
        if type(s) is str:  # the next most common: a stored or user string
            return cls(html.escape(s, quote=False))
        if hasattr(s, "__html__"):
            return cls(s.__html__())
        return cls(html.escape(str(s), quote=False))


def _format_value(value: object) -> object:
    """A value for ``str.format`` into a safe template: numbers keep their format specs, the
    rest is escaped (once: an ``Html`` value passes unchanged)."""
    if type(value) is int or type(value) is float:
        return value
    return Html.escape(value)


_CONVERSION = re.compile(r"\{[^{}]*![rsa]")


@functools.lru_cache(maxsize=8192)  # pure: one catalogue string in, one safe template out (never stale)
def _html_template(template: str) -> tuple[Html, bool]:
    """A catalogue sentence as a safe template (its own b/i/code tags are markup), and whether
    ``str.format`` may fill it: one with a ``!r`` conversion goes through markupsafe's
    formatter, which converts before it escapes. Rendering a long answer fills thousands."""
    prepared = Html(_CATALOGUE_TAGS.sub(r"<\1\2>", html.escape(template, quote=False)))
    return prepared, _CONVERSION.search(template) is None


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (an emoji outside the BMP counts 2), as Telegram counts."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True, slots=True)
class Markup:
    """How to write text, emphasis, links and catalogue sentences in one output format."""

    html: bool

    def text(self, value: object) -> str:
        """``value`` as text: escaped once for HTML (an ``Html`` value passes unchanged)."""
        return Html.escape(value) if self.html else str(value)

    def b(self, value: object) -> str:
        return Html(f"<b>{Html.escape(value)}</b>") if self.html else str(value)

    def i(self, value: object) -> str:
        return Html(f"<i>{Html.escape(value)}</i>") if self.html else str(value)

    def code(self, value: object) -> str:
        return Html(f"<code>{Html.escape(value)}</code>") if self.html else str(value)

    def link(self, label: object, url: str) -> str:
        if self.html:
            return Html(f'<a href="{html.escape(url, quote=True)}">{Html.escape(label)}</a>')
        return f"{label} <{url}>"

    def t(self, key: str, /, **values: object) -> str:
        """A catalogue sentence. Its own ``<b>``, ``<i>`` and ``<code>`` are markup (dropped in
        plain text); everything else in it is text, and every value is escaped exactly once."""
        template = t(key)
        if self.html:
            prepared, plain_fields = _html_template(template)
            if plain_fields:
                return Html(str.format(prepared, **{k: _format_value(v) for k, v in values.items()}))
            return prepared.format(**values)
        template = _PLAIN_TAGS.sub("", template)
        return template.format(**values) if values else template

    def join(self, sep: str, items: Iterable[str]) -> str:
        """``sep.join(items)``; for HTML each plain item is escaped, each ``Html`` kept."""
        if self.html:
            return Html(str.join(sep, [Html.escape(item) for item in items]))
        return sep.join(str(item) for item in items)


HTML = Markup(html=True)
PLAIN = Markup(html=False)


_TAG = re.compile(r"<[^>]*>")


def visible_text(text: str) -> str:
    """What Telegram shows of HTML: tags removed, entities decoded."""
    return html.unescape(_TAG.sub("", text))


def visible_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units of the visible text."""
    return utf16_len(visible_text(text))


def sentence(message: str) -> str:
    """Core error messages start lower-case so they can be embedded; as a reply they stand alone."""
    message = message.strip()
    if not message:
        return message
    message = message[0].upper() + message[1:]
    if message.endswith((".", "?", "!", ")", "。", "？", "！", "）")):
        return message
    return message + ("。" if is_chinese() else ".")


def plain(blocks: Sequence[str]) -> str:
    return "\n\n".join(blocks)
