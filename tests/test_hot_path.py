"""The answering hot path stays cheap: exact names never reach the fuzzy pass, fuzzy answers are
remembered only as long as the index they came from, and an answer is rendered once while it
holds. Calls are counted; no timing is asserted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.admin import Editor, actor_label
from bot.answers import Interop
from bot.config import SEED_PATH
from bot.domain import CheckHint, CheckResult, Company
from bot.names.keys import grams as _grams
from bot.names.resolver import Resolver
from bot.startup import open_interop
from tests.resolver_cases import fixture_companies

OWNER = 1001
ACTOR = actor_label(OWNER, "Owner")


@pytest.fixture
async def interop(tmp_path: Path) -> AsyncIterator[Interop]:
    service = await open_interop(tmp_path / "names.sqlite3", seed=SEED_PATH)
    yield service
    await service.close()


def count_lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the key of every fuzzy lookup the resolver really runs (cache misses)."""
    keys: list[str] = []
    original = Resolver._fuzzy_lookup

    def counted(self: Resolver, key: str, *args: Any) -> Any:
        keys.append(key)
        return original(self, key, *args)

    monkeypatch.setattr(Resolver, "_fuzzy_lookup", counted)
    return keys


@pytest.mark.parametrize("text", ["JD.com WeChat Pay", "360buy alipay", "京东 支付宝", "jd wechat pay"])
async def test_a_check_of_two_exact_names_does_no_fuzzy_work(
        interop: Interop, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    lookups = count_lookups(monkeypatch)
    decision = await interop.decide(text, "check")
    assert isinstance(decision.result, CheckResult)
    assert lookups == []


async def test_free_text_with_exact_names_does_no_fuzzy_work(
        interop: Interop, monkeypatch: pytest.MonkeyPatch) -> None:
    lookups = count_lookups(monkeypatch)
    decision = await interop.decide("Does JD.com accept Alipay?", "ask")
    assert isinstance(decision.result, CheckResult)
    assert {decision.result.a.name, decision.result.b.name} == {"JD.com", "Alipay"}
    assert lookups == []


async def test_a_check_of_one_exact_alias_gives_the_hint_without_fuzzy_work(
        interop: Interop, monkeypatch: pytest.MonkeyPatch) -> None:
    lookups = count_lookups(monkeypatch)
    decision = await interop.decide("360buy", "check")
    assert isinstance(decision.result, CheckHint)
    assert decision.result.single is not None and decision.result.single.name == "JD.com"
    assert lookups == []


async def test_a_check_with_a_typo_still_resolves_it(interop: Interop) -> None:
    decision = await interop.decide("jd alipya", "check")
    assert isinstance(decision.result, CheckResult)
    assert {decision.result.a.name, decision.result.b.name} == {"JD.com", "Alipay"}


def test_exact_is_a_unique_exact_name_only() -> None:
    resolver = Resolver(fixture_companies())
    found = resolver.exact("ＪＤ.com Inc")
    assert found is not None and found.name == "JD.com"
    assert resolver.exact("alipya") is None  # a typo is the fuzzy pass's business
    assert resolver.exact("") is None and resolver.exact("?!") is None
    assert resolver.resolve("alipya").company is not None


def test_a_fuzzy_answer_follows_the_index_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    resolver = Resolver(fixture_companies())
    alipay = resolver.resolve("alipya").company
    assert alipay is not None and alipay.name == "Alipay"
    lookups = count_lookups(monkeypatch)
    resolver.upsert_company(Company(id=90_001, name="Alipyo"))
    after = resolver.resolve("alipya")
    assert lookups  # looked up again, against the new index: now a coin toss, so it asks
    assert after.company is None and "Alipyo" in [c.company.name for c in after.candidates]
    resolver.remove_company(90_001)
    assert resolver.resolve("alipya").company == alipay


async def test_refresh_companies_changes_fuzzy_answers(
        interop: Interop, monkeypatch: pytest.MonkeyPatch) -> None:
    assert interop.resolve("alipya").company == interop.resolve("Alipay").company
    await Editor(interop, {OWNER}).add_company("Alipyo", "", "", ACTOR)  # refresh_companies
    lookups = count_lookups(monkeypatch)
    after = interop.resolve("alipya")
    assert lookups and after.company is None
    assert "Alipyo" in [c.company.name for c in after.candidates]


def test_grams_come_in_text_order_whatever_the_hash_seed() -> None:
    # Equally rare grams are counted in this order; a set's order would move with the process's
    # hash seed, and the same typo would get other suggestions after a restart.
    assert list(_grams("banana")) == ["^ba", "ban", "ana", "nan", "na$"]
    assert list(_grams("京东")) == ["^京", "京东", "东$"]
