"""Builds ``bot/names/taiwan.tsv``: ``python -m tests.taiwan_table``.

The word lists (``bot/names/words.py``) also read Taiwan's words for their Chinese words
(卡塔尔 -> 卡達). OpenCC's s2twp dictionaries cost a running bot ~43 MB, so the bot reads this
table of the words it asks for instead. It is built by importing the word lists with
``taiwan_word`` answered by OpenCC, recording every word asked; a test keeps it current.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

TABLE_PATH = Path(__file__).resolve().parent.parent / "bot" / "names" / "taiwan.tsv"


def table_text() -> str:
    """One ``simplified<TAB>taiwan-word-folded-back`` line per word the word lists ask about,
    computed in a fresh interpreter (the word lists read the table when first imported)."""
    code = ("import opencc, sys, types\n"
            # the bare package: its __init__ would import the word lists before the patch
            f"names = types.ModuleType('bot.names'); names.__path__ = [{str(TABLE_PATH.parent)!r}]\n"
            "sys.modules['bot.names'] = names\n"
            "from bot.names import script\n"
            "conv = opencc.OpenCC('s2twp'); asked = {}\n"
            "def word(text):\n"
            "    asked[text] = script.to_simplified(conv.convert(text)); return asked[text]\n"
            "script.taiwan_word = word\n"
            "import bot.names.words\n"
            "import sys\n"
            "sys.stdout.write(''.join(f'{k}\\t{v}\\n' for k, v in sorted(asked.items()) if k != v))\n")
    root = TABLE_PATH.parent.parent.parent
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=root, encoding="utf-8")
    return done.stdout


if __name__ == "__main__":
    TABLE_PATH.write_text(table_text(), encoding="utf-8")
    print(f"wrote {TABLE_PATH}", file=sys.stderr)
