"""Data checks on data/seed.json itself: sources, names, the company tree, duplicates and the new fields.

They read the JSON directly, so they hold whatever the importer does with it; the last test loads
the seed through the real importer to prove the two agree.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot import dataset
from bot.answers import Interop
from bot.config import SEED_PATH
from bot.domain import FeatureAlias, Kind, Region, Relation, Status, Verdict
from bot.store import Store

RESEARCH = Path(__file__).resolve().parents[1] / "data" / "research"
"""The research batches the seed was built from, kept beside it so every clone checks them."""
RESEARCH_FILES = ("interop-facts.json", "interop-facts-2.json")
BATCH_3 = "interop-facts-3.json"

MALFORMED_URLS = {
    "https://rp.liu233w.com:443/https/www.chinadaily.com.cn/a/202409/06/WS66da3b0ca3103711928a65a4.html":
        "https://www.chinadaily.com.cn/a/202409/06/WS66da3b0ca3103711928a65a4.html",
    "https://freewechat.com/a/MzU3MjU1OTQyMA==/2247546680/{{href}}": None,
}
"""Research URLs the seed does not cite as they are (data/NOTES.md): a proxy address is cited as the
address it wraps, an unfilled template is dropped."""
DROPPED_FACTS = {"cn-baidu-taobao-crawler-2008-blocked"}
"""Research facts whose only source was a malformed URL (data/NOTES.md)."""
REDATED = {"cn-jd-cainiao-large-items": "2024-10"}
"""Research facts dated by their announcement rather than the planned start (the audit's fix)."""
_FIND_MY = "dev-findmy-third-party-accessories-2021"
ABSORBED = {f"{_FIND_MY}-chipolo-announced": f"{_FIND_MY}-chipolo",
            f"{_FIND_MY}-belkin-announced": f"{_FIND_MY}-belkin",
            "gl-rcs-e2ee-iphone-android-ios265-2026": "gl-rcs-e2ee-iphone-android-beta-2026",
            "pay-upi-network-international-uae-2024": "cn-pay-networkintl-upi-uae-2024",
            "pay-upi-qnb-qatar-2025": "cn-pay-qnb-upi-2025"}
"""Batch-3 rows that correct a seed fact of the same day, or repeat another row: one fact, sources merged."""
RESCOPED = {"cn-wechat-jd-entry-2025-ended"}
"""Older facts the audit moved to a thread of their own (only WeChat's Discover entry for JD closed)."""

KINDS = {k.value for k in Kind}
STATUSES = {s.value for s in Status}
RELATIONS = {r.value for r in Relation}
REGIONS = {"", *(r.value for r in Region)}
CONFIDENCE = {"high", "medium"}
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def _seed() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(SEED_PATH.read_text(encoding="utf-8"))
    return doc


SEED = _seed()
COMPANIES: list[dict[str, Any]] = SEED["companies"]
FACTS: list[dict[str, Any]] = SEED["facts"]
BY_NAME = {c["name"]: c for c in COMPANIES}


def _names(company: dict[str, Any]) -> list[str]:
    """Every string that names the company: its name, aliases and feature aliases."""
    return [company["name"], *company["aliases"], *(f["alias"] for f in company.get("features", []))]


def _loose(text: str) -> str:
    """Full-width folded, case-folded, with spaces and punctuation gone ("ＪＤ.com" -> "jdcom")."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def _urls(node: Any) -> list[str]:
    """Every http(s) string anywhere in a research document (facts, extra sources, context)."""
    if isinstance(node, dict):
        return [u for v in node.values() for u in _urls(v)]
    if isinstance(node, list):
        return [u for v in node for u in _urls(v)]
    return [node] if isinstance(node, str) and re.match(r"https?://", node) else []


def test_the_seed_is_big_enough() -> None:
    assert SEED["format"] == "interop-bot/1"
    assert len(FACTS) >= 280
    assert len(COMPANIES) >= 180


def test_every_fact_has_an_http_source() -> None:
    for fact in FACTS:
        urls = [s["url"] for s in fact["sources"]]
        assert urls, fact["key"]
        assert all(re.match(r"https?://[^\s/]+\.[^\s]+$", u) for u in urls), fact["key"]
        assert len(set(urls)) == len(urls), fact["key"]


@pytest.mark.parametrize("filename", RESEARCH_FILES)
def test_every_research_url_is_in_the_seed_byte_exact(filename: str) -> None:
    research = json.loads((RESEARCH / filename).read_text(encoding="utf-8"))
    ours = {s["url"] for f in FACTS for s in f["sources"]}
    missing = sorted(set(_urls(research)) - ours)
    assert set(missing) <= set(MALFORMED_URLS), missing
    for url in missing:
        assert MALFORMED_URLS[url] is None or MALFORMED_URLS[url] in ours, url


def test_batch_3_urls_are_kept_and_each_one_left_out_is_explained() -> None:
    research = json.loads((RESEARCH / BATCH_3).read_text(encoding="utf-8"))
    ours = {s["url"] for f in FACTS for s in f["sources"]}
    urls = set(_urls(research["facts"]))
    missing = urls - ours
    assert len(missing) <= 0.05 * len(urls)
    notes = (SEED_PATH.parent / "NOTES.md").read_text(encoding="utf-8")
    assert [u for u in missing if u not in notes] == []


@pytest.mark.parametrize("filename", RESEARCH_FILES)
def test_every_research_fact_keeps_its_date_note_and_confidence(filename: str) -> None:
    """A split fact is keyed <research id>-<party>; a doubtful note may be extended, never dropped."""
    research = json.loads((RESEARCH / filename).read_text(encoding="utf-8"))
    keys = {f["key"] for f in FACTS}
    for fact in research["facts"]:
        rid = fact["id"]
        ours = [f for f in FACTS if (f["key"] == rid or f["key"].startswith(rid + "-"))
                and not _from_batch_3(f["key"])]
        assert ours or rid in DROPPED_FACTS, rid
        for f in ours:
            assert f["date"] == REDATED.get(f["key"], fact["date"]), f["key"]
            assert f["date_note"].startswith(fact.get("date_note", "")), f["key"]
            assert f["confidence"] in {fact["confidence"], "medium"}, f["key"]
            assert {s["url"] for s in f["sources"]} >= {MALFORMED_URLS.get(fact["source_url"],
                                                                           fact["source_url"])}, f["key"]
    assert len(keys) == len(FACTS)  # keys are unique


def _batch_3_ids() -> set[str]:
    return {f["id"] for f in json.loads((RESEARCH / BATCH_3).read_text(encoding="utf-8"))["facts"]}


def _from_batch_3(key: str) -> bool:
    """A batch-3 key (some extend an older key: gl-iphone-wifi-aware-2025-ios26)."""
    return any(key == rid or key.startswith(rid + "-") for rid in _batch_3_ids())


def _batch_3_facts() -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    research = json.loads((RESEARCH / BATCH_3).read_text(encoding="utf-8"))
    by_key = {f["key"]: f for f in FACTS}
    pairs = []
    for fact in research["facts"]:
        rid = fact["id"]
        if rid in ABSORBED:
            ours = [by_key[ABSORBED[rid]]]
        else:
            ours = [f for f in FACTS if f["key"] == rid or f["key"].startswith(rid + "-")]
        pairs.append((fact, ours))
    return pairs


def test_batch_3_facts_keep_their_status_date_note_confidence_and_quote() -> None:
    """A date may only get more precise (a month inferred for ordering is explained in its note)."""
    for fact, ours in _batch_3_facts():
        assert ours, fact["id"]
        for f in ours:
            assert f["status"] == fact["status"], f["key"]
            assert f["date"].startswith(fact["date"]), f["key"]
            assert fact["date_note"] in f["date_note"], f["key"]
            if f["date"] != fact["date"]:
                assert "inferred" in f["date_note"] or "Dated by" in f["date_note"], f["key"]
            assert f["confidence"] in {fact["confidence"], "medium"}, f["key"]
            [cited] = [s for s in f["sources"] if s["url"] == fact["source_url"]]
            assert cited["quote"] == fact["quote"], f["key"]
            assert f["summary"] != fact["summary"] and f["summary_zh"] != fact["summary_zh"], f["key"]


def test_batch_3_follow_ups_join_the_thread_they_follow_and_come_after_it() -> None:
    """Same subject, object, kind, scope and region as the older fact (the store's thread key), and
    a date that sorts after it, so the thread's standing moves and its history keeps both."""
    by_key = {f["key"]: f for f in FACTS}
    made = {fact["id"]: ours for fact, ours in _batch_3_facts()}
    for fact, ours in _batch_3_facts():
        older_key = fact["supersedes"]
        if not older_key or fact["id"] in ABSORBED or older_key in RESCOPED:
            continue
        older = by_key.get(older_key) or made[older_key][0]
        for f in ours:
            if f["subject"] == "Bridgy Fed":  # the bridge, not Bluesky, is the party that links
                continue
            thread = ("subject", "object", "kind", "scope", "region")
            assert [f[k] for k in thread] == [older[k] for k in thread], f["key"]
            assert f["date"] > older["date"], f["key"]


def test_no_two_companies_share_a_normalised_name() -> None:
    """The loose key, as the resolver compares exact names ("PDD" of Pinduoduo may still beat the
    suffix-stripped "PDD Holdings": that tie is the resolver's to break, by design)."""
    owners: dict[str, set[str]] = {}
    for company in COMPANIES:
        for name in _names(company):
            owners.setdefault(_loose(name), set()).add(company["name"])
    assert {k: v for k, v in owners.items() if len(v) > 1} == {}
    assert "" not in owners


def test_the_company_tree_is_sound() -> None:
    seen: set[str] = set()
    for company in COMPANIES:
        parent = company["parent"]
        if parent is None:
            assert company.get("relation") is None, company["name"]
        else:
            assert parent in seen, company["name"]  # exists, and comes first, as import needs
            assert company.get("relation") in RELATIONS, company["name"]
        seen.add(company["name"])
    assert len(seen) == len(COMPANIES)
    for company in COMPANIES:  # walking up always ends at a root
        chain = [company["name"]]
        while BY_NAME[chain[-1]]["parent"] is not None:
            chain.append(BY_NAME[chain[-1]]["parent"])
            assert len(chain) == len(set(chain)), chain


def test_typed_family_links() -> None:
    relation = {c["name"]: (c["parent"], c.get("relation")) for c in COMPANIES}
    assert relation["Ant Group"] == ("Alibaba Group", "affiliate")
    assert relation["WeChat Pay"] == ("WeChat", "product")
    assert relation["Taobao"][1] == "subsidiary"


def test_fact_values_come_from_their_lists() -> None:
    for fact in FACTS:
        assert fact["subject"] in BY_NAME and fact["object"] in BY_NAME, fact["key"]
        assert fact["subject"] != fact["object"], fact["key"]
        assert fact["kind"] in KINDS, fact["key"]
        assert fact["status"] in STATUSES, fact["key"]
        assert fact.get("region", "") in REGIONS, fact["key"]
        assert fact["confidence"] in CONFIDENCE, fact["key"]
        assert fact.get("verified", "") == "", fact["key"]  # only an admin's /verify sets it
        assert re.fullmatch(r"(\d{4}(-\d{2}(-\d{2})?)?)?", fact["date"]), fact["key"]
    for company in COMPANIES:
        for feature in company.get("features", []):
            assert feature["kind"] in KINDS, (company["name"], feature)


def test_no_two_live_facts_are_the_same() -> None:
    rows = Counter((f["subject"], f["object"], f["kind"], f.get("scope", ""), f["status"], f["date"])
                   for f in FACTS if not f.get("retracted", False))
    assert [row for row, n in rows.items() if n > 1] == []


def test_one_pair_and_kind_with_several_features_has_scopes() -> None:
    """JD.com x Cainiao courier delivery and bulky items are two threads, not one."""
    scopes = {(f["subject"], f["object"], f["kind"], f.get("scope", "")) for f in FACTS}
    assert ("JD.com", "Cainiao", "logistics", "courier delivery") in scopes
    assert ("JD.com", "Cainiao", "logistics", "bulky items") in scopes
    wechat_taobao = {s for (a, b, k, s) in scopes if (a, b, k) == ("WeChat", "Taobao", "shopping/links")}
    assert len(wechat_taobao) >= 4 and "" not in wechat_taobao


def test_every_partial_fact_has_a_note_and_every_fact_a_chinese_summary() -> None:
    for fact in FACTS:
        if fact["status"] == "partial":
            assert fact.get("note", "").strip(), fact["key"]
        assert "\n" not in fact.get("note", ""), fact["key"]
        assert _HAN.search(fact.get("summary_zh", "")), fact["key"]
        assert fact["summary_zh"] != fact["summary"], fact["key"]


def test_chinese_display_names_are_aliases() -> None:
    for company in COMPANIES:
        chinese = [a for a in company["aliases"] if _HAN.search(a)]
        name_zh = company.get("name_zh", "")
        if chinese:
            assert name_zh in chinese, company["name"]
        else:
            assert name_zh == "", company["name"]
    assert BY_NAME["Android"]["name_zh"] == "安卓"
    assert BY_NAME["Google"]["name_zh"] == "谷歌"


def test_feature_aliases_name_features_that_have_facts() -> None:
    features = {f["alias"]: (c["name"], f["kind"], f["scope"])
                for c in COMPANIES for f in c.get("features", [])}
    assert features["AirDrop"] == ("iPhone", "content", "file sharing")
    assert features["Quick Share"] == ("Android", "content", "file sharing")
    for alias, (name, kind, scope) in features.items():
        found = [f for f in FACTS if name in (f["subject"], f["object"]) and f["kind"] == kind
                 and (not scope or f.get("scope") == scope)]
        assert found, alias


async def test_the_seed_loads_through_the_real_importer_with_every_field(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "seed.sqlite3")
    try:
        doc = dataset.parse_document("seed.json", SEED_PATH.read_bytes())
        report = await dataset.import_document(store, doc, "seed", dry_run=False)
        assert report.rejected == []
        assert (report.new, report.new_companies) == (len(FACTS), len(COMPANIES))
        exported = await dataset.export_document(store)
        stored = {c["name"]: c for c in exported["companies"]}
        for company in COMPANIES:
            assert stored[company["name"]] == company, company["name"]
        facts = {f["key"]: f for f in exported["facts"]}
        for fact in FACTS:
            assert {k: facts[fact["key"]][k] for k in fact} == fact, fact["key"]
        typed = {c.name: c for c in await store.companies()}
        assert typed["Ant Group"].relation is Relation.AFFILIATE
        assert typed["WeChat Pay"].relation is Relation.PRODUCT and typed["WeChat Pay"].name_zh == "微信支付"
        assert FeatureAlias("AirDrop", Kind.CONTENT, "file sharing") in typed["iPhone"].features
        assert "AirDrop" not in typed["iPhone"].aliases
    finally:
        await store.close()


def test_one_direction_per_kind_of_link() -> None:
    """The subject accepts, hosts or controls: the wallet that scans the other's QR codes, the phone
    that controls a smart-home accessory, the platform that receives a cast."""
    scanners = {(f["subject"], f["object"]) for f in FACTS
                if f["key"].startswith("cn-alipay-cloudquickpass-")}
    assert scanners == {("UnionPay Cloud QuickPass", "Alipay")}
    assert {f["subject"] for f in FACTS if f.get("scope") == "smart home"} == {"iPhone"}
    cast = {(f["subject"], f["object"]) for f in FACTS if f.get("scope") == "Google Cast"}
    assert ("Android", "Apple TV app") in cast and ("Apple TV app", "Android") not in cast


EXPECTED_VERDICTS = [
    ("Taobao", "SF Express", Verdict.LIVE),  # restored two days after the 2017 cut-off
    ("Alipay", "AlipayHK", Verdict.LIVE),  # the 2022 pilot became the 2023 programme
    ("Alipay", "Kakao Pay", Verdict.LIVE),
    ("Alipay", "Touch 'n Go", Verdict.LIVE),
    ("WeChat Pay", "JCB", Verdict.LIVE),  # the 2019 rail-and-Didi pilot opened up in July 2023
    ("WeChat Pay", "Discover", Verdict.LIVE),
    ("Tumblr", "fediverse", Verdict.ENDED),  # the WordPress migration, and with it the plan, paused
    ("iPhone", "Chipolo", Verdict.ANNOUNCED),  # announced in April 2021, not live that day
    ("Bluesky", "fediverse", Verdict.PARTIAL),  # only through the opt-in Bridgy Fed bridge
    ("Samsung TV", "iPhone", Verdict.PARTIAL),  # AirPlay 2 rolled out from May 2019
    ("Meituan", "Alipay", Verdict.LIVE),  # Alipay hosts Meituan's mini-program (its best thread) ...
]
PAYMENTS_VERDICTS = [("Meituan", "Alipay", Verdict.PARTIAL)]  # ... and Alipay left only for some users


async def test_the_audits_wrong_verdicts_are_corrected(interop: Interop) -> None:
    for a, b, verdict in EXPECTED_VERDICTS:
        first, second = interop.resolve(a).company, interop.resolve(b).company
        assert first is not None and second is not None, (a, b)
        assert (await interop.check(first, second)).verdict is verdict, (a, b)
    for a, b, verdict in PAYMENTS_VERDICTS:
        first, second = interop.resolve(a).company, interop.resolve(b).company
        assert first is not None and second is not None, (a, b)
        assert (await interop.check_kind(first, second, Kind.PAYMENTS)).verdict is verdict, (a, b)


async def test_a_follow_up_moves_the_standing_and_the_history_keeps_both(interop: Interop) -> None:
    taobao, sf = interop.resolve("Taobao").company, interop.resolve("SF Express").company
    assert taobao is not None and sf is not None
    (thread,) = (await interop.check(taobao, sf)).threads
    assert [v.fact.key for v in thread.events] == ["cn-taobao-sfexpress-2017-ended",
                                                   "cn-taobao-sfexpress-restored-2017"]
    assert thread.standing.fact.status is Status.LIVE
