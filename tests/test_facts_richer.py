"""Richer facts in answers: region in the verdict, the caveat, freshness, "reported", and questions
that name a region ("in Europe", "在中国") preferring that region's facts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from bot.answers import Interop
from bot.config import SEED_PATH
from bot.domain import CheckResult, Company, Kind, KindFacts, Source, Status, Verdict
from bot.i18n import ZH_HANS, using
from bot.render import PLAIN, qualifiers, render_decision
from bot.startup import open_interop
from bot.store import FactDraft

EU_NOTE = "only in the EU app, opt-in"


@pytest.fixture
async def interop(tmp_path: Path) -> AsyncIterator[Interop]:
    """The seed plus one new pair: a global live fact and a later EU/EEA partial one with a note."""
    service = await open_interop(tmp_path / "t.sqlite3", seed=SEED_PATH)
    shop = await service.store.add_company(Company(id=0, name="Wombat Market", kind="marketplace"), "t")
    wallet = await service.store.add_company(Company(id=0, name="Quokka Wallet", kind="payments"), "t")
    await service.refresh_companies([shop.id, wallet.id])
    await service.store.add_fact(FactDraft(
        shop.id, wallet.id, Kind.PAYMENTS, Status.LIVE, "2025-06", "Wombat Market takes Quokka Wallet.",
        (Source("https://example.com/global", publisher="Global News"),)), "t")
    await service.store.add_fact(FactDraft(
        shop.id, wallet.id, Kind.PAYMENTS, Status.PARTIAL, "2026-03", "In the EU only some shops take it.",
        (Source("https://example.com/eu", publisher="EU Wire"),), confidence="medium",
        region="EU/EEA", note=EU_NOTE, verified="2026-11-30"), "t")
    yield service
    await service.close()


def _text(decision_blocks: list[str]) -> str:
    return "\n\n".join(decision_blocks)


async def test_no_region_asked_the_global_live_fact_leads(interop: Interop) -> None:
    decision = await interop.decide("does wombat market accept quokka wallet?")
    result = decision.result
    assert isinstance(result, CheckResult) and result.verdict is Verdict.LIVE
    assert [th.current.fact.region for th in result.threads] == ["", "EU/EEA"]  # two threads, not one


@pytest.mark.parametrize("question", [
    "does wombat market accept quokka wallet in Europe?",
    "can I pay with quokka wallet on wombat market in the EU",
    "在欧洲 wombat market 能用 quokka wallet 吗",
])
async def test_a_question_naming_a_region_prefers_its_facts(interop: Interop, question: str) -> None:
    result = (await interop.decide(question)).result
    assert isinstance(result, CheckResult)
    assert result.verdict is Verdict.PARTIAL
    assert result.of_kind(Kind.PAYMENTS)[0].current.fact.region == "EU/EEA"


@pytest.mark.parametrize("question", [
    "does wombat market accept quokka wallet in the US?",
    "在中国 wombat market 能用 quokka wallet 吗",
])
async def test_another_region_puts_facts_that_hold_everywhere_first(interop: Interop, question: str) -> None:
    result = (await interop.decide(question)).result
    assert isinstance(result, CheckResult) and result.verdict is Verdict.LIVE
    assert result.threads[-1].current.fact.region == "EU/EEA"


@pytest.mark.parametrize(("text", "region"), [
    ("does apple pay work in Europe?", "EU/EEA"),
    ("does nfc work on iphone in the EU", "EU/EEA"),
    ("在中国微信能用visa吗", "China mainland"),
    ("can I pay with visa on alipay in China", "China mainland"),
    ("does apple pay work in the US", "US"),
    ("does whatsapp work for us", ""),  # "us" is not the United States here
    ("does jd accept alipay", ""),
])
async def test_region_words_are_read(interop: Interop, text: str, region: str) -> None:
    reading = interop.read(text)
    assert reading.region == region
    assert all(n.text.casefold() not in {"europe", "eu", "中国", "us"} for n in reading.unknown)


async def test_region_orders_one_companys_kind_facts(interop: Interop) -> None:
    shop = interop.resolve("wombat market").company
    assert shop is not None
    facts = await interop.kind_facts(shop, Kind.PAYMENTS, region="EU/EEA")
    assert isinstance(facts, KindFacts) and facts.threads[0].current.fact.region == "EU/EEA"
    facts = await interop.kind_facts(shop, Kind.PAYMENTS)
    assert facts.threads[0].current.fact.region == ""


async def test_verdict_line_shows_region_note_check_and_reported(interop: Interop) -> None:
    decision = await interop.decide("does wombat market accept quokka wallet in Europe?")
    text = _text(render_decision(decision, PLAIN))
    lines = text.splitlines()
    verdict = next(i for i, line in enumerate(lines) if "🟡 partial (EU/EEA only)" in line)
    assert "checked 30 Nov 2026" in lines[verdict] and "reported by EU Wire" in lines[verdict]
    assert lines[verdict + 1] == f"ℹ️ {EU_NOTE}"  # the caveat, one line under the verdict
    assert text.count(EU_NOTE) == 1  # not repeated in the event line
    global_line = next(line for line in lines if "Wombat Market takes" not in line and "✅ live" in line)
    assert "(" not in global_line.split("✅ live")[1][:3]  # no region: no "(... only)"
    assert "reported" not in global_line


async def test_html_escapes_the_note_once(interop: Interop) -> None:
    fact = next(f for f in await interop.store.facts_involving(
        {interop.resolve("wombat market").company.id}) if f.region)  # type: ignore[union-attr]
    await interop.store.edit_fact(fact.id, {"note": "AT&T <b>users</b> only"}, "t")
    decision = await interop.decide("does wombat market accept quokka wallet in Europe?")
    html_text = _text(render_decision(decision))
    assert "AT&amp;T &lt;b&gt;users&lt;/b&gt; only" in html_text and "&amp;amp;" not in html_text


async def test_chinese_verdict_line(interop: Interop) -> None:
    decision = await interop.decide("在欧洲 wombat market 能用 quokka wallet 吗")
    with using(ZH_HANS):
        text = _text(render_decision(decision, PLAIN))
    assert "🟡 部分（仅限欧盟/欧洲经济区）" in text
    assert "已核实" in text and "据 EU Wire 报道" in text


async def test_freshness_shows_only_where_it_changes_what_to_believe(interop: Interop) -> None:
    live = next(f for f in await interop.store.facts_involving(
        {interop.resolve("wombat market").company.id}) if not f.region)  # type: ignore[union-attr]
    assert live.date == "2025-06" and not live.verified and live.status is Status.LIVE
    assert qualifiers(PLAIN, live, today=date(2027, 7, 2)) == []  # a live fact: its date is enough
    partial = replace(live, status=Status.PARTIAL)
    assert qualifiers(PLAIN, partial, today=date(2026, 6, 30)) == []  # 2025-06-30 + 365 days: not yet
    assert qualifiers(PLAIN, partial, today=date(2026, 7, 2)) == ["not re-checked since Jun 2025"]
    announced = replace(live, status=Status.ANNOUNCED)
    assert qualifiers(PLAIN, announced, today=date(2026, 7, 2)) == ["not re-checked since Jun 2025"]
    checked = replace(partial, verified="2026-12-03")
    assert qualifiers(PLAIN, checked, today=date(2027, 7, 2)) == ["checked 3 Dec 2026"]
    with using(ZH_HANS):
        assert qualifiers(PLAIN, checked, today=date(2027, 7, 2)) == ["2026年12月3日 已核实"]
    text = _text(render_decision(await interop.decide("does wombat market accept quokka wallet?"), PLAIN))
    assert "re-checked" not in text  # the live fact is over a year old, but live


async def announce(interop: Interop, day: str, status: Status = Status.ANNOUNCED) -> None:
    shop, wallet = interop.resolve("wombat market").company, interop.resolve("quokka wallet").company
    assert shop is not None and wallet is not None
    await interop.store.add_fact(FactDraft(
        shop.id, wallet.id, Kind.LOGISTICS, status, day, "Wombat Market will ship with Quokka.",
        (Source("https://example.com/ship", publisher="Ship News"),), note="some" if status is
        Status.PARTIAL else ""), "t")


async def test_an_old_announcement_says_no_launch_was_reported_since(interop: Interop) -> None:
    await announce(interop, "2024-11-20")
    text = _text(render_decision(await interop.decide("does wombat market ship with quokka wallet?"), PLAIN))
    assert text.startswith("🕓 Announced in Nov 2024; no launch reported since: ")
    thread = next(line for line in text.splitlines() if line.startswith("📦"))
    assert thread.endswith("🕓 announced in Nov 2024; no launch reported since")  # not "· not re-checked"
    with using(ZH_HANS):
        text = _text(render_decision(await interop.decide("wombat market 和 quokka wallet 物流"), PLAIN))
    assert "🕓 2024年11月已宣布，此后未见上线报道" in text


async def test_a_recent_or_followed_up_announcement_reads_as_before(interop: Interop) -> None:
    await announce(interop, date.today().isoformat())
    text = _text(render_decision(await interop.decide("does wombat market ship with quokka wallet?"), PLAIN))
    assert "no launch reported" not in text and "announced since" in text
    await announce(interop, "2024-11-20", Status.LIVE)
    await announce(interop, "2025-01", Status.ANNOUNCED)  # an extension after a live fact
    text = _text(render_decision(await interop.decide("does wombat market ship with quokka wallet?"), PLAIN))
    assert "no launch reported" not in text
