"""A strict parser of Telegram's HTML parse mode, shared by the fake server and rendering tests.

Telegram rejects a whole message when its HTML cannot be parsed, so a bot that forgets to
escape one ``<`` or ``&`` goes silent in production.  This parser accepts exactly the subset
described in the Bot API "HTML style" section and turns it into plain text plus
``MessageEntity`` dicts (offsets in UTF-16 code units, as Telegram counts them).

It is deliberately a little stricter than Telegram itself in two places, because both are
bugs in a bot even when Telegram happens to tolerate them:

* a bare ``&`` or an unknown named entity such as ``&nbsp;`` is an error (Telegram documents
  that they must be escaped but silently keeps some of them literally);
* the documented nesting restrictions (links, code, pre and custom emoji cannot contain each
  other; blockquotes cannot be nested) are errors instead of silently dropped entities.

Error descriptions follow Telegram's wording, e.g.
``Unsupported start tag "script" at byte offset 0``; the server prefixes them with
``Bad Request: can't parse entities: ``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TelegramHTMLError", "check_telegram_html", "parse_telegram_html", "utf16_len"]

# Tag name -> MessageEntity type it produces.
_TAG_KINDS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
# Entity kinds that, per the Bot API docs, "can't contain each other".
_EXCLUSIVE = frozenset({"text_link", "code", "pre", "custom_emoji"})
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_END_TAG = re.compile(r"</([A-Za-z][A-Za-z0-9-]*)\s*>")
_ATTR_NAME = re.compile(r"[A-Za-z0-9_:.-]+")
_ENTITY = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9A-Fa-f]{1,8})|([A-Za-z][A-Za-z0-9]{0,31}));")
_SPACE = " \t\r\n\f"


class TelegramHTMLError(ValueError):
    """Raised for HTML that Telegram would answer with "can't parse entities"."""


@dataclass
class _OpenTag:
    """A start tag waiting for its end tag."""

    name: str
    kind: str
    attrs: dict[str, str]
    start: int  # UTF-16 offset in the visible text
    byte_offset: int
    language: str | None = None  # set on <pre> by an inner <code class="language-x">
    children: list[str] = field(default_factory=list)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of MessageEntity offsets."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def check_telegram_html(text: str) -> None:
    """Raise TelegramHTMLError (a ValueError) if Telegram could not parse ``text`` as HTML."""
    parse_telegram_html(text)


def parse_telegram_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Return the visible text and its entities, or raise TelegramHTMLError."""
    return _Parser(text).run()


class _Parser:
    """Single-pass tokenizer; kept as a class so the position bookkeeping lives in one place."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.out: list[str] = []
        self.utf16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []

    def byte_offset(self, index: int) -> int:
        """Telegram reports error positions in UTF-8 bytes."""
        return len(self.src[:index].encode("utf-8"))

    def fail(self, message: str) -> TelegramHTMLError:
        return TelegramHTMLError(message)

    def emit(self, chars: str) -> None:
        self.out.append(chars)
        self.utf16 += utf16_len(chars)

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        src = self.src
        while self.pos < len(src):
            ch = src[self.pos]
            if ch == "&":
                self.emit(self.read_entity(self.pos))
            elif ch == "<":
                if src.startswith("</", self.pos):
                    self.read_end_tag()
                else:
                    self.read_start_tag()
            else:
                nxt = self.pos + 1
                while nxt < len(src) and src[nxt] not in "&<":
                    nxt += 1
                self.emit(src[self.pos : nxt])
                self.pos = nxt
        if self.stack:
            raise self.fail(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def read_entity(self, index: int) -> str:
        """Decode one character reference starting at ``index`` and advance past it."""
        match = _ENTITY.match(self.src, index)
        if match is None:
            raise self.fail(
                f"Character '&' at byte offset {self.byte_offset(index)} must be escaped "
                "as &amp; (it does not start a valid HTML entity)"
            )
        decimal, hexadecimal, name = match.groups()
        if name is not None:
            if name not in _NAMED_ENTITIES:
                raise self.fail(
                    f'Unsupported HTML entity "&{name};" at byte offset '
                    f"{self.byte_offset(index)}; only &lt; &gt; &amp; &quot; and numeric "
                    "entities are supported"
                )
            char = _NAMED_ENTITIES[name]
        else:
            code = int(decimal, 10) if decimal is not None else int(hexadecimal, 16)
            if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise self.fail(f"Invalid numeric HTML entity at byte offset {self.byte_offset(index)}")
            char = chr(code)
        self.pos = match.end()
        return char

    def read_end_tag(self) -> None:
        start = self.pos
        match = _END_TAG.match(self.src, start)
        if match is None:
            if self.src.find(">", start) == -1:
                raise self.fail(f"Unclosed end tag at byte offset {self.byte_offset(start)}")
            raise self.fail(f"Invalid end tag at byte offset {self.byte_offset(start)}")
        name = match.group(1).lower()
        if not self.stack:
            raise self.fail(f"Unexpected end tag at byte offset {self.byte_offset(start)}")
        top = self.stack[-1]
        if top.name != name:
            raise self.fail(
                f"Unmatched end tag at byte offset {self.byte_offset(start)}, "
                f'expected "</{top.name}>", found "</{name}>"'
            )
        self.stack.pop()
        self.pos = match.end()
        self.close(top)

    def read_start_tag(self) -> None:
        start = self.pos
        match = _TAG_NAME.match(self.src, start + 1)
        name = match.group(0).lower() if match else ""
        if name not in _TAG_KINDS:
            raise self.fail(f'Unsupported start tag "{name}" at byte offset {self.byte_offset(start)}')
        assert match is not None
        self.pos = match.end()
        attrs = self.read_attributes(name, start)
        tag = _OpenTag(
            name=name,
            kind=_TAG_KINDS[name],
            attrs=attrs,
            start=self.utf16,
            byte_offset=self.byte_offset(start),
        )
        self.check_tag(tag)
        if self.stack:
            self.stack[-1].children.append(name)
        self.stack.append(tag)

    def read_attributes(self, tag_name: str, tag_start: int) -> dict[str, str]:
        """Read ``name="value"`` pairs up to the closing ``>`` of a start tag."""
        src = self.src
        attrs: dict[str, str] = {}
        while True:
            while self.pos < len(src) and src[self.pos] in _SPACE:
                self.pos += 1
            if self.pos >= len(src):
                raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(tag_start)}")
            if src[self.pos] == ">":
                self.pos += 1
                return attrs
            match = _ATTR_NAME.match(src, self.pos)
            if match is None:
                raise self.fail(
                    f'Empty attribute name in the tag "{tag_name}" at byte offset '
                    f"{self.byte_offset(tag_start)}"
                )
            attr = match.group(0).lower()
            self.pos = match.end()
            value = ""
            if self.pos < len(src) and src[self.pos] == "=":
                self.pos += 1
                value = self.read_attribute_value(tag_name, tag_start)
            attrs[attr] = value

    def read_attribute_value(self, tag_name: str, tag_start: int) -> str:
        src = self.src
        if self.pos >= len(src):
            raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(tag_start)}")
        quote = src[self.pos]
        chars: list[str] = []
        if quote in "\"'":
            self.pos += 1
            while True:
                if self.pos >= len(src):
                    raise self.fail(
                        f'Unclosed start tag "{tag_name}" at byte offset {self.byte_offset(tag_start)}'
                    )
                ch = src[self.pos]
                if ch == quote:
                    self.pos += 1
                    return "".join(chars)
                if ch == "&":
                    chars.append(self.read_entity(self.pos))
                else:
                    chars.append(ch)
                    self.pos += 1
        while self.pos < len(src) and src[self.pos] not in _SPACE + ">":
            if src[self.pos] == "&":
                chars.append(self.read_entity(self.pos))
            else:
                chars.append(src[self.pos])
                self.pos += 1
        return "".join(chars)

    def check_tag(self, tag: _OpenTag) -> None:
        """Enforce required attributes and the documented nesting restrictions."""
        where = f"at byte offset {tag.byte_offset}"
        if tag.name == "span" and tag.attrs.get("class") != "tg-spoiler":
            raise self.fail(f'Tag "span" must have class "tg-spoiler" {where}')
        if tag.name == "tg-emoji" and not tag.attrs.get("emoji-id", "").isdigit():
            raise self.fail(f'Tag "tg-emoji" must have a numeric attribute "emoji-id" {where}')
        if tag.name == "blockquote" and "expandable" in tag.attrs:
            tag.kind = "expandable_blockquote"
        if not self.stack:
            return
        parent = self.stack[-1]
        if tag.name == "code" and parent.name == "pre" and not parent.children:
            return  # <pre><code class="language-x"> names the language of the block
        for outer in self.stack:
            if outer.kind in ("code", "pre"):
                raise self.fail(
                    f'Tag "{tag.name}" {where} is inside "{outer.name}", which can\'t contain other entities'
                )
            if outer.kind in _EXCLUSIVE and tag.kind in _EXCLUSIVE:
                raise self.fail(f'Tag "{tag.name}" {where} can\'t be nested inside "{outer.name}"')
            if outer.kind.endswith("blockquote") and tag.kind.endswith("blockquote"):
                raise self.fail(f"Blockquotes can't be nested {where}")

    def close(self, tag: _OpenTag) -> None:
        """Turn a finished tag into an entity (empty entities are dropped, as Telegram does)."""
        if tag.name == "code" and self.stack and self.stack[-1].name == "pre":
            language = tag.attrs.get("class", "")
            if language.startswith("language-") and len(language) > len("language-"):
                self.stack[-1].language = language[len("language-") :]
            return
        length = self.utf16 - tag.start
        if length == 0:
            return
        entity: dict[str, Any] = {"type": tag.kind, "offset": tag.start, "length": length}
        if tag.kind == "text_link":
            href = tag.attrs.get("href", "")
            if not href:
                return  # <a> without href is plain text
            entity["url"] = href
        elif tag.kind == "pre" and tag.language:
            entity["language"] = tag.language
        elif tag.kind == "custom_emoji":
            entity["custom_emoji_id"] = tag.attrs["emoji-id"]
        self.entities.append(entity)
