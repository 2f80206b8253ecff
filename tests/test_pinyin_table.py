"""The bot's pinyin table is pypinyin's dictionaries, read as the romanisation reads them."""

from __future__ import annotations

from bot.names import script
from tests import pinyin_table


def test_table_is_built_from_the_installed_pypinyin() -> None:
    # a pypinyin upgrade that changes a reading shows here: rebuild with python -m tests.pinyin_table
    assert script.TABLE_PATH == pinyin_table.TABLE_PATH
    assert script.MAX_PHRASE == pinyin_table.MAX_PHRASE
    assert script.TABLE_PATH.read_text(encoding="utf-8") == pinyin_table.table_text()


def test_pinyin_reads_phrases_before_characters() -> None:
    assert script.pinyin("微信支付") == "wei xin zhi fu"
    assert script.pinyin("中国银行") == "zhong guo yin hang"  # 行 alone reads xing
    assert script.pinyin("银") == "yin"
    assert script.pinyin("JD 京东") == "J D jing dong"
    assert script.pinyin("alipay") == ""
