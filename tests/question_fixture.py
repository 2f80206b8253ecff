"""A small store document with scopes, a typed company tree and feature aliases, for the question table.

The seed may not have these fields yet, so the table runs on this document (imported with
``bot.dataset.import_document``), whose facts are test data written for the table.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

SRC = [{"url": "https://example.com/fixture", "title": "fixture", "publisher": "Fixture"}]


def _company(name: str, *, parent: str | None = None, relation: str | None = None, kind: str = "",
             zh: str = "", aliases: tuple[str, ...] = (),
             features: tuple[tuple[str, str, str], ...] = ()) -> dict[str, Any]:
    return {"name": name, "kind": kind, "parent": parent, "relation": relation if parent else None,
            "name_zh": zh, "description": "", "aliases": [*([zh] if zh else []), *aliases],
            "features": [{"alias": a, "kind": k, "scope": s} for a, k, s in features]}


COMPANIES = [
    _company("Alibaba Group", kind="conglomerate", zh="阿里巴巴", aliases=("Alibaba", "阿里")),
    _company("Taobao", parent="Alibaba Group", relation="subsidiary", kind="marketplace", zh="淘宝"),
    _company("Tmall", parent="Alibaba Group", relation="subsidiary", kind="marketplace", zh="天猫"),
    _company("Cainiao", parent="Alibaba Group", relation="subsidiary", kind="logistics", zh="菜鸟"),
    _company("Ele.me", parent="Alibaba Group", relation="subsidiary", kind="food delivery",
             zh="饿了么", aliases=("Eleme",)),
    _company("Ant Group", parent="Alibaba Group", relation="affiliate", kind="fintech", zh="蚂蚁集团"),
    _company("Alipay", parent="Ant Group", relation="subsidiary", kind="payments", zh="支付宝"),
    _company("JD.com", kind="marketplace", zh="京东", aliases=("JD", "Jingdong", "京东商城")),
    _company("JD Logistics", parent="JD.com", relation="subsidiary", kind="logistics", zh="京东物流"),
    _company("JD Pay", parent="JD.com", relation="product", kind="payments", zh="京东支付"),
    _company("Tencent", kind="conglomerate", zh="腾讯"),
    _company("WeChat", parent="Tencent", relation="subsidiary", kind="super-app", zh="微信",
             aliases=("Weixin",)),
    _company("WeChat Pay", parent="WeChat", relation="product", kind="payments", zh="微信支付",
             aliases=("Tenpay",)),
    _company("Meituan", kind="food delivery", zh="美团"),
    _company("ByteDance", kind="internet company", zh="字节跳动"),
    _company("Douyin", parent="ByteDance", relation="subsidiary", kind="video", zh="抖音"),
    _company("Pinduoduo", kind="marketplace", zh="拼多多", aliases=("PDD",)),
    _company("Xiaohongshu", kind="social", zh="小红书", aliases=("RedNote",)),
    _company("Meta Platforms", kind="internet company", zh="脸书", aliases=("Meta", "Facebook")),
    _company("WhatsApp", parent="Meta Platforms", relation="subsidiary", kind="messaging"),
    _company("Instagram", parent="Meta Platforms", relation="subsidiary", kind="social", aliases=("IG",)),
    _company("Facebook Messenger", parent="Meta Platforms", relation="product", kind="messaging",
             aliases=("Messenger",)),
    _company("BirdyChat", kind="messaging"),
    _company("Apple", kind="tech company", zh="苹果"),
    _company("iPhone", parent="Apple", relation="product", kind="OS", aliases=("iOS",),
             features=(("AirDrop", "content", "file sharing"), ("iMessage", "messaging", "iMessage"),
                       ("Find My", "other", "Find My network"))),
    _company("Google", kind="tech company", zh="谷歌"),
    _company("Android", parent="Google", relation="product", kind="OS", zh="安卓",
             features=(("Quick Share", "content", "file sharing"),)),
    _company("AT&T", kind="telecom"),
    _company("H&M", kind="retail"),
    _company("Procter & Gamble", kind="consumer goods"),
    _company("Ant Group / Alipay HK", kind="payments", aliases=("AlipayHK",)),
    # for reading features, negation, ownership shapes and places
    _company("Youku", parent="Alibaba Group", relation="subsidiary", kind="video", zh="优酷"),
    _company("Kuaishou", kind="video", zh="快手"),
    _company("Beeper Mini", kind="messaging"),
    _company("UPI", kind="payments", aliases=("Unified Payments Interface",)),
    _company("LankaPay", kind="payments"),
    _company("MauCAS", kind="payments", aliases=("Mauritius payment switch",)),
    _company("PayNow", kind="payments", aliases=("PayNow Singapore",)),
    _company("Alipay Plus", parent="Ant Group", relation="product", kind="payments"),
    _company("Apple App Store", parent="Apple", relation="product", kind="app store", zh="苹果应用商店",
             aliases=("App Store",)),
    _company("Third-party web browsers", kind="browsers", zh="第三方浏览器"),
    _company("Third-party navigation apps", kind="navigation", zh="第三方导航应用"),
]


def _fact(key: str, subject: str, obj: str, kind: str, status: str, date: str,
          scope: str = "", note: str = "", region: str = "") -> dict[str, Any]:
    return {"key": key, "subject": subject, "object": obj, "kind": kind, "status": status,
            "date": date, "scope": scope, "note": note or ("fixture caveat" if status == "partial" else ""),
            "region": region,
            "summary": f"Fixture: {subject} / {obj} {kind} {status} {scope}".strip(), "sources": SRC}


FACTS = [
    _fact("jd-alipay-1", "JD.com", "Alipay", "payments", "ended", "2011-05-17"),
    _fact("jd-alipay-2", "JD.com", "Alipay", "payments", "announced", "2024-09-26"),
    _fact("jd-alipay-3", "JD.com", "Alipay", "payments", "live", "2024-10"),
    _fact("jd-alipay-4", "JD.com", "Alipay", "payments", "partial", "2025-01-07"),
    _fact("jd-cainiao-1", "JD.com", "Cainiao", "logistics", "live", "2024-10", "courier delivery"),
    _fact("jd-cainiao-2", "JD.com", "Cainiao", "logistics", "announced", "2024-11", "bulky items"),
    _fact("tb-jdl", "Taobao", "JD Logistics", "logistics", "live", "2024-10-16"),
    _fact("tm-jdl", "Tmall", "JD Logistics", "logistics", "live", "2024-10-16"),
    _fact("tb-wxp-1", "Taobao", "WeChat Pay", "payments", "announced", "2024-09-04"),
    _fact("tb-wxp-2", "Taobao", "WeChat Pay", "payments", "live", "2024-09-27"),
    _fact("tm-wxp", "Tmall", "WeChat Pay", "payments", "live", "2024-09-27"),
    _fact("wx-tb-1", "WeChat", "Taobao", "shopping/links", "live", "2021-09-17", "links in chats"),
    _fact("wx-tb-2", "WeChat", "Taobao", "shopping/links", "live", "2024-10", "in-app checkout"),
    _fact("eleme-wxp", "Ele.me", "WeChat Pay", "payments", "live", "2021-09-28"),
    _fact("mt-alipay", "Meituan", "Alipay", "payments", "ended", "2020-07-29"),
    _fact("alipay-mt", "Alipay", "Meituan", "shopping/links", "live", "2024-09-04", "mini-programs"),
    _fact("dy-wx-login", "Douyin", "WeChat", "login", "ended", "2019-01-22"),
    _fact("wx-dy-links", "WeChat", "Douyin", "shopping/links", "live", "2021-11-30"),
    _fact("jd-wxp", "JD.com", "WeChat Pay", "payments", "live", "2015"),
    _fact("pdd-alipay", "Pinduoduo", "Alipay", "payments", "live", "2020"),
    _fact("iphone-android-rcs", "iPhone", "Android", "messaging", "live", "2024-09", "RCS"),
    _fact("android-iphone-files", "Android", "iPhone", "content", "partial", "2025-11-20", "file sharing"),
    _fact("wa-birdy", "WhatsApp", "BirdyChat", "messaging", "partial", "2025-11-14"),
    _fact("ig-msgr", "Instagram", "Facebook Messenger", "messaging", "ended", "2023-12"),
    _fact("dy-alipay", "Douyin", "Alipay", "payments", "live", "2021-01-19"),
    _fact("iphone-android-trackers", "iPhone", "Android", "other", "live", "2024-05-13", "tracker alerts"),
    _fact("att-iphone", "AT&T", "iPhone", "messaging", "live", "2024-09", "RCS"),
    _fact("hm-alipay", "H&M", "Alipay", "payments", "live", "2019"),
    _fact("pg-tmall", "Procter & Gamble", "Tmall", "shopping/links", "live", "2018"),
    _fact("xhs-tb", "Xiaohongshu", "Taobao", "shopping/links", "partial", "2025-05-07"),
    _fact("alipayhk-wxp", "Ant Group / Alipay HK", "WeChat Pay", "payments", "announced", "2025-03"),
    _fact("iphone-android-e2ee", "iPhone", "Android", "messaging", "partial", "2026-05-11",
          "encrypted RCS"),
    _fact("iphone-beeper-imessage", "iPhone", "Beeper Mini", "messaging", "ended", "2023-12-08",
          "iMessage"),
    _fact("wx-tb-0", "WeChat", "Taobao", "shopping/links", "ended", "2013-11", "links in chats"),
    _fact("paynow-aplus", "PayNow", "Alipay Plus", "payments", "live", "2023-03", region="Singapore"),
    _fact("appstore-wxp", "Apple App Store", "WeChat Pay", "payments", "live", "2017-08-29"),
    _fact("iphone-browsers", "iPhone", "Third-party web browsers", "other", "partial", "2024-12",
          "browser choice screen", region="EU/EEA"),
    _fact("iphone-navigation", "iPhone", "Third-party navigation apps", "other", "partial", "2025-04",
          "default navigation app", region="EU/EEA"),
    _fact("ks-tb-1", "Kuaishou", "Taobao", "shopping/links", "ended", "2022-03-01", "product links"),
    _fact("ks-tb-2", "Kuaishou", "Taobao", "shopping/links", "live", "2022-10-28", "product links"),
    _fact("dy-tb-links", "Douyin", "Taobao", "shopping/links", "ended", "2020-10-09", "livestream links"),
    _fact("lankapay-upi", "LankaPay", "UPI", "payments", "live", "2024-02-12", region="Sri Lanka"),
    _fact("maucas-upi", "MauCAS", "UPI", "payments", "live", "2024-02-12"),
    _fact("paynow-upi", "PayNow", "UPI", "payments", "live", "2023-02-21"),
]

DOCUMENT: dict[str, Any] = {"format": "interop-bot/1", "companies": COMPANIES, "facts": FACTS}


def write(path: Path) -> Path:
    path.write_text(json.dumps(DOCUMENT, ensure_ascii=False), encoding="utf-8")
    return path
