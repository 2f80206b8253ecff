"""The real seed, sure to have Chinese names for JD.com and Alipay and a known Chinese summary."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from bot.config import SEED_PATH

JD_ALIPAY_LIVE_ZH = "京东在结账时开始支持支付宝付款。"


def write_zh_seed(folder: Path, *, untranslated: Iterable[str] = ()) -> Path:
    """``folder/seed-zh.json``: the seed with those Chinese names and summary, and the facts keyed
    ``untranslated`` without a Chinese summary (to show the fallback)."""
    doc = json.loads(SEED_PATH.read_text(encoding="utf-8"))
    names = {"JD.com": "京东", "Alipay": "支付宝"}
    for company in doc["companies"]:
        if company["name"] in names:
            company["name_zh"] = names[company["name"]]
    bare = set(untranslated)
    for fact in doc["facts"]:
        if fact["key"] == "cn-jd-alipay-2024-live":
            fact["summary_zh"] = JD_ALIPAY_LIVE_ZH
        if fact["key"] in bare:
            fact["summary_zh"] = ""
    path = folder / "seed-zh.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path
