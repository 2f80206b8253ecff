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
from bot.config import SEED_PATH
from bot.domain import FeatureAlias, Kind, Region, Relation, Status
from bot.store import Store

RESEARCH = Path(__file__).resolve().parents[1] / "data" / "research"
"""The research batches the seed was built from, kept beside it so every clone checks them."""
RESEARCH_FILES = ("interop-facts.json", "interop-facts-2.json")

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
    assert len(FACTS) >= 120
    assert len(COMPANIES) >= 80


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
    assert missing == []


@pytest.mark.parametrize("filename", RESEARCH_FILES)
def test_every_research_fact_keeps_its_date_note_and_confidence(filename: str) -> None:
    """A split fact is keyed <research id>-<party>; a doubtful note may be extended, never dropped."""
    research = json.loads((RESEARCH / filename).read_text(encoding="utf-8"))
    keys = {f["key"] for f in FACTS}
    for fact in research["facts"]:
        rid = fact["id"]
        ours = [f for f in FACTS if f["key"] == rid or f["key"].startswith(rid + "-")]
        assert ours, rid
        for f in ours:
            assert f["date"] == fact["date"], f["key"]
            assert f["date_note"].startswith(fact.get("date_note", "")), f["key"]
            assert f["confidence"] in {fact["confidence"], "medium"}, f["key"]
            assert {s["url"] for s in f["sources"]} >= {fact["source_url"]}, f["key"]
    assert len(keys) == len(FACTS)  # keys are unique


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
