"""What a started bot does not load until it is needed: each costs tens of MB of every process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_bot_starts_without_pypinyin_matplotlib_or_the_traditional_converter() -> None:
    code = ("import json, sys; import bot.__main__, bot.startup, bot.telegram.app, bot.console; "
            "from bot import i18n; "
            "print(json.dumps([sorted({m.split('.')[0] for m in sys.modules} & "
            "{'pypinyin', 'matplotlib', 'networkx'}), i18n._s2t.cache_info().currsize]))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, check=True)
    loaded, converters = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == [] and converters == 0


def test_the_first_traditional_reply_makes_the_converter() -> None:
    from bot import i18n

    assert i18n.to_traditional("支付宝") == "支付寶"
    assert i18n._s2t.cache_info().currsize == 1
