"""Chinese scripts and romanisation: Traditional -> Simplified (OpenCC) and pinyin keys (pypinyin).

Names are stored in Simplified Chinese; people also type Traditional (京東, 支付寶) and toneless
pinyin (weixin zhifu). Both are folded here, once, so the name index never needs hand-written
variants.
"""

from __future__ import annotations

import re
from functools import lru_cache

import opencc
from pypinyin import Style, lazy_pinyin

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CONVERTER = opencc.OpenCC("t2s")


def has_han(text: str) -> bool:
    return _HAN.search(text) is not None


@lru_cache(maxsize=65536)
def _t2s(text: str) -> str:
    converted: str = _CONVERTER.convert(text)
    # OpenCC converts phrase by phrase; a length change would shift every position we report.
    return converted if len(converted) == len(text) else text


def to_simplified(text: str) -> str:
    """Traditional characters to Simplified, keeping the length (ASCII passes through untouched)."""
    if text.isascii() or not has_han(text):
        return text
    return _t2s(text)


def pinyin(text: str) -> str:
    """Toneless pinyin of the Han characters, one syllable per word ("微信支付" -> "wei xin zhi fu").

    Non-Han characters are kept as they are, so mixed names ("QQ音乐") stay readable. Empty when
    the text holds no Han character at all.
    """
    if not has_han(text):
        return ""
    return " ".join(part.strip() for part in lazy_pinyin(text, style=Style.NORMAL) if part.strip())
