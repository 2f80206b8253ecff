"""Chinese scripts and romanisation: Traditional -> Simplified (OpenCC) and pinyin keys (pypinyin).

Names are stored in Simplified Chinese; people also type Traditional (京東, 支付寶) and toneless
pinyin (weixin zhifu). Both are folded here, once, so the name index never needs hand-written
variants.
"""

from __future__ import annotations

import re
from pathlib import Path
from sys import intern

import opencc

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CONVERTER = opencc.OpenCC("t2s")


def has_han(text: str) -> bool:
    return _HAN.search(text) is not None


def _t2s(text: str) -> str:
    converted: str = _CONVERTER.convert(text)
    # OpenCC converts phrase by phrase; a length change would shift every position we report.
    return converted if len(converted) == len(text) else text


def _traditional_chars() -> frozenset[str]:
    """Every character OpenCC would change on its own: text without any is left alone, which
    spares the converter call for the Simplified names that make up nearly the whole index."""
    chars = [chr(c) for r in ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00)) for c in range(*r)]
    converted = _CONVERTER.convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # an unexpected converter: convert everything instead
        return frozenset(chars)
    return frozenset(c for c, s in zip(chars, converted, strict=True) if c != s)


_TRADITIONAL = _traditional_chars()


def to_simplified(text: str) -> str:
    """Traditional characters to Simplified, keeping the length (ASCII passes through untouched)."""
    if text.isascii() or _TRADITIONAL.isdisjoint(text):
        return text
    return _t2s(text)


TAIWAN_PATH = Path(__file__).with_name("taiwan.tsv")
"""OpenCC's s2twp word for each Chinese word the word lists hold, folded back to Simplified;
built by ``python -m tests.taiwan_table`` (loading s2twp's dictionaries costs ~43 MB)."""


def _read_taiwan() -> dict[str, str]:
    with TAIWAN_PATH.open(encoding="utf-8") as lines:
        return dict(line.rstrip("\n").split("\t", 1) for line in lines if "\t" in line)


_TAIWAN_WORDS = _read_taiwan()


def taiwan_word(text: str) -> str:
    """The word Taiwan uses for a Simplified one, folded back to Simplified characters (卡塔尔 ->
    卡達 -> 卡达): a different word, not just other characters, so it needs a key of its own.
    Only for the word lists' own words (the table holds those); any other text is returned."""
    return _TAIWAN_WORDS.get(text, text)


MAX_PHRASE = 4
"""Longest word looked up in pypinyin's phrase dictionary (so 银行 reads yin hang, not yin xing)."""
TABLE_PATH = Path(__file__).with_name("pinyin.tsv")
"""pypinyin's readings, toneless, for single characters and phrases of up to MAX_PHRASE
characters; built by ``python -m tests.pinyin_table`` (importing pypinyin costs ~55 MB)."""


def _read_table() -> dict[str, str]:
    table: dict[str, str] = {}
    with TABLE_PATH.open(encoding="utf-8") as lines:
        for line in lines:
            key, _, reading = line.rstrip("\n").partition("\t")
            table[key] = intern(reading) if len(key) == 1 else reading
    return table


_READINGS = _read_table()


def _char(ch: str) -> str:
    return _READINGS.get(ch, ch)


def pinyin(text: str) -> str:
    """Toneless pinyin of the Han characters, one syllable per word ("微信支付" -> "wei xin zhi fu").

    pypinyin's readings are looked up directly (longest known phrase first, else each character's
    usual reading): its own ``lazy_pinyin`` costs ~200 us a name, too slow for indexing 100k
    names at start-up. Non-Han characters are kept as they are; empty without any Han.
    """
    if not has_han(text):
        return ""
    out: list[str] = []
    i = 0
    while i < len(text):
        for size in range(min(MAX_PHRASE, len(text) - i), 1, -1):
            phrase = _READINGS.get(text[i:i + size])
            if phrase is not None:
                out.append(phrase)
                i += size
                break
        else:
            ch = text[i]
            out.append(_char(ch) if has_han(ch) else ch)
            i += 1
    return " ".join(part for part in (w.strip() for w in out) if part)
