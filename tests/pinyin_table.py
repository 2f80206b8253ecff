"""Builds ``bot/names/pinyin.tsv`` from pypinyin's dictionaries: ``python -m tests.pinyin_table``.

The bot reads only what its romanisation uses (each character's usual toneless reading, and the
toneless readings of phrases of at most ``MAX_PHRASE`` characters). Importing pypinyin itself
parses its whole phrase dictionary into nested lists (and builds a segmenter the bot never uses):
about 55 MB of a running bot, against a few MB for this table.
"""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

TABLE_PATH = Path(__file__).resolve().parent.parent / "bot" / "names" / "pinyin.tsv"
MAX_PHRASE = 4
"""As in bot.names.script (not imported from there: it reads the table this script writes)."""


def _toneless(syllable: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", syllable) if not unicodedata.combining(c))


def table_text() -> str:
    """One ``key<TAB>reading`` line per character and per short phrase, readings space-separated."""
    from pypinyin.constants import PHRASES_DICT, PINYIN_DICT

    lines = []
    for code, readings in sorted(PINYIN_DICT.items()):
        if readings:
            lines.append(f"{chr(code)}\t{_toneless(readings.split(',')[0])}")
    for phrase, readings in sorted(PHRASES_DICT.items()):
        if 2 <= len(phrase) <= MAX_PHRASE:
            lines.append(f"{phrase}\t{' '.join(_toneless(r[0]) for r in readings)}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    TABLE_PATH.write_text(table_text(), encoding="utf-8")
    print(f"wrote {TABLE_PATH}", file=sys.stderr)
