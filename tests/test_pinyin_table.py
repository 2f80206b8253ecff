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


def test_taiwan_words_are_opencc_s2twp_for_every_word_the_lists_ask() -> None:
    # a new Chinese word in the word lists shows here: rebuild with python -m tests.taiwan_table
    from tests import taiwan_table

    assert script.TAIWAN_PATH == taiwan_table.TABLE_PATH
    assert script.TAIWAN_PATH.read_text(encoding="utf-8") == taiwan_table.table_text()
    assert script.taiwan_word("卡塔尔") == "卡达" and script.taiwan_word("微信") == "微信"


def test_the_bot_never_loads_opencc_s2twp() -> None:
    """Its dictionaries cost a running bot ~43 MB; the table holds the few words it needs."""
    import subprocess
    import sys

    code = ("import bot.names.words, bot.answers, gc\n"
            "print(sum(1 for o in gc.get_objects() if type(o).__name__ == 'OpenCC'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"  # t2s, which folding needs
