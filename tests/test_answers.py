"""The answering core on the real seed: checks, roll-ups, honest negatives, profiles, search."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.answers import Interop
from bot.config import SEED_PATH
from bot.console import answer_line
from bot.domain import (
    CheckHint,
    CheckResult,
    Company,
    Kind,
    Mode,
    Profile,
    SearchResult,
    Source,
    Status,
    Verdict,
    rendered,
)
from bot.startup import open_interop
from bot.store import FactDraft, StorageError
from tests.core import ask, check_text

ROOT = Path(__file__).resolve().parents[1]


def named(interop: Interop, name: str) -> Company:
    company = interop.resolve(name).company
    assert company is not None, name
    return company


async def test_first_start_seeds_and_second_start_does_not(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    first = await open_interop(path, seed=SEED_PATH)
    counts = await first.store.counts()
    await first.close()
    again = await open_interop(path, seed=SEED_PATH)
    assert await again.store.counts() == counts
    assert counts["facts"] >= 40 and counts["companies"] >= 33
    await again.close()


async def test_check_pair_history_in_both_directions(interop: Interop) -> None:
    for a, b in (("jd", "alipay"), ("alipay", "jd")):
        result = await interop.check(named(interop, a), named(interop, b))
        assert result.verdict is Verdict.PARTIAL
        (thread,) = result.threads
        assert thread.subject.name == "JD.com" and thread.object.name == "Alipay"
        assert [v.fact.status for v in thread.events] == [
            Status.ENDED, Status.ANNOUNCED, Status.LIVE, Status.PARTIAL]
        assert [v.fact.date for v in thread.events] == ["2011-05-17", "2024-09-26", "2024-10", "2025-01-07"]
        assert any("article/3284482" in s.url for v in thread.events for s in v.fact.sources)
        assert result.rollup == ()


async def test_group_rollup_labels_affiliates(interop: Interop) -> None:
    result = await interop.check(named(interop, "alibaba"), named(interop, "jd"))
    assert result.threads == ()
    pairs = {(t.subject.name, t.object.name) for t in result.rollup}
    assert {("JD.com", "Alipay"), ("JD.com", "Cainiao"), ("Taobao", "JD Logistics"),
            ("Tmall", "JD Logistics")} <= pairs
    assert all(t.via_affiliate for t in result.rollup)
    assert result.verdict is Verdict.LIVE


async def test_no_record_is_an_honest_negative(interop: Interop) -> None:
    result = await interop.check(named(interop, "whatsapp"), named(interop, "taobao"))
    assert result.verdict is Verdict.NO_RECORD and result.threads == () and result.rollup == ()
    ended = await interop.check(named(interop, "instagram"), named(interop, "facebook messenger"))
    assert Verdict.ENDED in {Verdict(t.current.fact.status.value) for t in ended.threads}


async def test_best_current_state_leads(interop: Interop) -> None:
    result = await interop.check(named(interop, "iphone"), named(interop, "android"))
    assert result.verdict is Verdict.LIVE
    assert result.threads[0].kind in {Kind.MESSAGING, Kind.OTHER}
    assert len(result.threads) >= 3


async def test_check_text_reports_unknown_and_same_company(interop: Interop) -> None:
    decision = await interop.decide("shein alipay", Mode.CHECK)
    assert [r.query for r in decision.unknown] == ["shein"]  # said first, never dropped
    assert isinstance(decision.result, CheckHint) and decision.result.single is not None
    assert decision.result.single.name == "Alipay"
    same = await check_text(interop, "jd jd.com")
    assert isinstance(same, CheckHint) and same.same is not None and same.same.name == "JD.com"
    assert isinstance(await check_text(interop, "taobao jd logistics"), CheckResult)


async def test_profile_groups_family(interop: Interop) -> None:
    profile = await interop.profile(named(interop, "微信"))
    assert profile.company.name == "WeChat" and profile.parent is not None
    assert profile.parent.name == "Tencent"
    assert "WeChat Pay" in {c.name for c in profile.children}
    assert await rendered(lambda: {v.fact.kind for v in profile.facts}) >= {Kind.SHOPPING, Kind.LOGIN}
    alibaba = await interop.profile(named(interop, "alibaba"))
    assert alibaba.facts and await rendered(lambda: all(v.via_affiliate for v in alibaba.facts))
    assert "Taobao and Tmall Group" in {c.name for c in alibaba.children}


async def test_search_recent_and_ask(interop: Interop) -> None:
    assert (await interop.search("rcs")).hits[0].object.name == "Android"
    recent = await interop.recent(5)
    assert len(recent) == 5
    assert [v.fact.date for v in recent] == sorted((v.fact.date for v in recent), reverse=True)
    assert isinstance(await ask(interop, "does jd accept alipay?"), CheckResult)
    assert isinstance(await ask(interop, "京东支持支付宝吗？"), CheckResult)
    assert isinstance(await ask(interop, "tell me about cainiao"), Profile)
    assert isinstance(await ask(interop, "walled gardens"), SearchResult)


async def test_admin_writes_are_live_in_answers_without_restart(interop: Interop) -> None:
    added = await interop.store.add_company(Company(id=0, name="Zalando", kind="marketplace",
                                                    aliases=("Zalando SE",)), "t")
    await interop.refresh_companies([added.id])
    assert interop.resolve("zalando").company == added
    await interop.store.add_fact(FactDraft(
        added.id, named(interop, "alipay").id, Kind.PAYMENTS, Status.ANNOUNCED, "2025-03",
        "Zalando said it would add Alipay.", (Source("https://example.com/z"),)), "t")
    result = await check_text(interop, "zalando, alipay")
    assert isinstance(result, CheckResult) and result.verdict is Verdict.ANNOUNCED


async def test_console_commands(interop: Interop) -> None:
    assert "/check A B" in await answer_line(interop, "/help")
    assert "Tell me two names" in await answer_line(interop, "/check")
    assert (await answer_line(interop, "/check birdychat")).startswith(
        "Check BirdyChat with what? Name a second company, e.g. /check BirdyChat, WhatsApp")
    assert "“shein”" in await answer_line(interop, "/check shein alipay")
    assert "Use /recent" in await answer_line(interop, "/recent lots")
    assert "Unknown command /frobnicate" in await answer_line(interop, "/frobnicate")
    assert "too long" in await answer_line(interop, "x" * 5000)


def test_piped_console_answers_like_the_issue_says(tmp_path: Path) -> None:
    """``echo "/check jd alipay" | make run`` without a token: a sourced verdict in the terminal."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_"))}
    env["DATABASE_PATH"] = str(tmp_path / "console.sqlite3")
    result = subprocess.run(
        [sys.executable, "-m", "bot"], input="/check jd alipay\n/check alibaba jd\n/check shein alipay\n"
        "/company 微信\n", capture_output=True, text=True, timeout=60, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "TELEGRAM_BOT_TOKEN" in result.stderr  # tells the user how to configure the bot
    assert "🟡 Partly: JD.com × Alipay" in out
    assert "https://mcdn.i-scmp.com/tech/tech-trends/article/3284482/" in out
    assert "via Taobao (owned by Taobao and Tmall Group); JD Logistics (owned by JD.com)" in out
    assert "I don't know “shein”" in out
    assert "微信 — 超级应用" in out and "隶属于 " in out  # asked in Chinese: the profile is in Chinese


async def test_open_refuses_a_damaged_database_and_closes_everything(tmp_path: Path) -> None:
    """The integrity check overlaps start-up but still has the last word."""
    path = tmp_path / "t.sqlite3"
    service = await open_interop(path, seed=SEED_PATH)
    jd, ali = named(service, "jd"), named(service, "alipay")
    for year in range(2000, 2030):
        await service.store.add_fact(FactDraft(
            subject_id=jd.id, object_id=ali.id, kind=Kind.PAYMENTS, status=Status.LIVE,
            date=str(year), summary="x" * 500, sources=(Source("https://example.com/x"),)), "t")
    await service.close()
    # Damage a page in the middle of the file, not the header: the file still opens...
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > page * 8
    data[page * 3: page * 3 + 64] = b"\xff" * 64
    path.write_bytes(bytes(data))
    before = set(threading.enumerate())
    with pytest.raises(StorageError, match="damaged"):  # ...but start-up refuses it
        await open_interop(path)
    for thread in set(threading.enumerate()) - before:  # every connection's thread has ended
        if thread.name.startswith("asyncio_"):
            continue  # the event loop's own default executor: it ends with the loop, not the store
        thread.join(timeout=10)
        assert not thread.is_alive(), thread


async def test_check_cache_never_serves_a_stale_answer(interop: Interop) -> None:
    import sqlite3

    jd, ali = named(interop, "jd"), named(interop, "alipay")
    first = await interop.check(jd, ali)
    assert await interop.check(jd, ali) is first  # the popular pair is served from the cache
    await interop.store.add_fact(FactDraft(
        jd.id, ali.id, Kind.PAYMENTS, Status.LIVE, "2025-06", "Rolled out to every merchant.",
        (Source("https://example.com/rollout"),)), "t")
    second = await interop.check(jd, ali)
    assert second is not first and second.verdict is Verdict.LIVE
    # A write by another process (e.g. `python -m bot import` while the bot runs) also invalidates.
    other = sqlite3.connect(interop.store.path)
    other.execute("UPDATE fact SET retracted = 1 WHERE date = '2025-06'")
    other.commit()
    other.close()
    third = await interop.check(jd, ali)
    assert third.verdict is Verdict.PARTIAL and third is not second


async def test_split_memo_follows_index_changes(interop: Interop) -> None:
    before = await interop.decide("zalando alipay", "check")
    assert [r.query for r in before.unknown] == ["zalando"]
    added = await interop.store.add_company(Company(id=0, name="Zalando", kind="marketplace"), "t")
    await interop.refresh_companies([added.id])
    result = await check_text(interop, "zalando alipay")  # same words, new index: not the old split
    assert isinstance(result, CheckResult) and result.a.name == "Zalando"


# -- one answering policy (Interop.decide) on a fixture with scopes, a typed tree, features ----

from bot.answers import parse_count  # noqa: E402
from bot.dataset import import_document  # noqa: E402
from bot.domain import Checks, Decision, KindFacts, Ownership, SmallTalk  # noqa: E402
from bot.render import PLAIN, plain, render_decision  # noqa: E402
from bot.store import Store  # noqa: E402
from tests import question_fixture  # noqa: E402


@pytest.fixture
async def world(tmp_path: Path) -> Interop:
    service = await open_interop(tmp_path / "w.sqlite3",
                                 seed=question_fixture.write(tmp_path / "fixture.json"))
    yield service
    await service.close()


def said(decision: Decision) -> str:
    return plain(render_decision(decision, PLAIN))


async def test_a_newer_announcement_of_one_scope_never_hides_a_live_other(world: Interop) -> None:
    decision = await world.decide("cainiao jd", "check")
    assert isinstance(decision.result, CheckResult) and decision.result.verdict is Verdict.LIVE
    scopes = {t.scope: t.standing.fact.status for t in decision.result.threads}
    assert scopes == {"courier delivery": Status.LIVE, "bulky items": Status.ANNOUNCED}


async def test_an_announced_extension_in_one_thread_keeps_the_live_standing(world: Interop) -> None:
    jd, cainiao = named(world, "jd"), named(world, "cainiao")
    await world.store.add_fact(FactDraft(subject_id=jd.id, object_id=cainiao.id, kind=Kind.LOGISTICS,
                                         status=Status.ANNOUNCED, date="2025-02", scope="courier delivery",
                                         summary="More couriers announced.",
                                         sources=(Source("https://example.com/x"),)), "test")
    result = await world.check(jd, cainiao)
    assert result.verdict is Verdict.LIVE
    courier = next(t for t in result.threads if t.scope == "courier delivery")
    assert courier.current.fact.status is Status.ANNOUNCED and courier.standing.fact.status is Status.LIVE
    assert "(then 🕓 announced Feb 2025)" in said(Decision(result))


async def test_roll_up_labels_say_what_the_link_is(world: Interop) -> None:
    text = said(await world.decide("饿了么能用微信付款吗"))
    assert text.startswith("✅ Yes: Ele.me × WeChat — 💳 Payments")
    assert "via WeChat Pay, WeChat's payment service" in text
    text = said(await world.decide("alibaba jd", "check"))
    assert "via Ant Group (Alibaba Group affiliate)" in text
    assert "via Cainiao (owned by Alibaba Group)" in text
    assert "affiliate" not in text.split("via Cainiao")[1].split("\n")[0]


async def test_feature_alias_and_kind_word_pick_the_headline(world: Interop) -> None:
    decision = await world.decide("can iphone airdrop to android")
    assert isinstance(decision.result, CheckResult)
    assert decision.result.kind is Kind.CONTENT and decision.result.verdict is Verdict.PARTIAL
    assert decision.result.scope == "file sharing"
    assert "Other links between them:" in said(decision)  # the other kinds follow, briefly
    kind = await world.decide("does rcs work on iPhone?")
    assert isinstance(kind.result, KindFacts) and kind.result.kind is Kind.MESSAGING


async def test_several_names_give_one_line_per_pair_and_say_what_was_left_out(world: Interop) -> None:
    decision = await world.decide("jd alipay wechat pay meituan taobao tmall", "check")
    assert isinstance(decision.result, Checks) and decision.result.more == 15 - 6
    text = said(decision)
    assert len([line for line in text.split("\n") if " × " in line]) == 6
    assert "and 9 more pairs" in text


async def test_unknown_names_are_reported_and_the_rest_answered(world: Interop) -> None:
    for text, mode in (("does shein accept alipay", "ask"), ("shein, jd, alipay", "check"),
                       ("希音能用支付宝付款吗", "inline")):
        decision = await world.decide(text, mode)
        assert decision.unknown, text
        assert said(decision).startswith("I don't know “"), text
        assert "Alipay" in said(decision)


async def test_ownership_from_the_typed_tree(world: Interop) -> None:
    decision = await world.decide("支付宝是阿里巴巴的吗")
    assert isinstance(decision.result, Ownership)
    assert "Alipay is owned by Ant Group" in said(decision)
    assert "Ant Group is an affiliate of Alibaba Group (minority stake)" in said(decision)


async def test_small_talk_gets_short_help(world: Interop) -> None:
    for text in ("hi", "thanks!", "help", "what can you do?", "你好", "谢谢"):
        assert isinstance((await world.decide(text)).result, SmallTalk), text


async def test_counts_take_ascii_digits_only(world: Interop) -> None:
    assert parse_count("", 10, 50) == 10 and parse_count("20", 10, 50) == 20
    assert parse_count("999", 10, 50) == 50 and parse_count("0", 10, 50) == 1
    for bad in ("²", "①", "٣", "x", "-1", "1e3", "9" * 40):
        assert parse_count(bad, 10, 50) is None, bad
        assert (await answer_line(world, f"/recent {bad}")).startswith("Use /recent"), bad


async def test_a_refresh_cannot_leave_a_stale_split_behind(world: Interop,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A /check read while refresh_companies awaits the store must not be
    cached under the new index version."""
    added = await world.store.add_company(Company(id=0, name="Zebra Pay"), "test")
    release = asyncio.Event()
    real_company = world.store.company

    async def slow_company(company_id: int) -> Company | None:
        await release.wait()
        return await real_company(company_id)

    monkeypatch.setattr(world.store, "company", slow_company)
    refresh = asyncio.create_task(world.refresh_companies([added.id]))
    await asyncio.sleep(0)
    assert world._split_pair("zebra pay, alipay") is not None  # read while the refresh waits
    assert world.read("zebra pay, alipay", command=True).companies()[:1] != [added]
    release.set()
    await refresh
    split = world._split_pair("zebra pay, alipay")
    assert split is not None and split[0].company is not None and split[0].company.id == added.id
    assert world.read("zebra pay, alipay", command=True).companies()[0].id == added.id


async def test_writes_from_another_process_reach_the_resolver_and_the_tree(world: Interop,
                                                                          tmp_path: Path) -> None:
    """An import run by another process is seen by names and groups."""
    other = await Store.open(tmp_path / "w.sqlite3")
    try:
        doc = {"format": "interop-bot/1",
               "companies": [{"name": "Zebra Wallet", "kind": "payments", "parent": "Alibaba Group",
                              "relation": "subsidiary", "aliases": ["斑马钱包"]}],
               "facts": [{"subject": "JD.com", "object": "Zebra Wallet", "kind": "payments",
                          "status": "live", "date": "2025-06", "summary": "JD takes Zebra Wallet.",
                          "sources": [{"url": "https://example.com/zebra"}]}]}
        await import_document(other, doc, "cli", dry_run=False)
    finally:
        await other.close()
    decision = await world.decide("jd 斑马钱包", "check")
    assert isinstance(decision.result, CheckResult) and decision.result.verdict is Verdict.LIVE
    rolled = await world.decide("alibaba jd", "check")
    text = said(rolled)
    assert "Zebra Wallet (owned by Alibaba Group)" in text and "company #" not in text


# Everyday questions in both languages, on the real seed, through the core, the console and Telegram.
EVERYDAY_QUESTIONS: list[tuple[str, str]] = [
    ("美团能用支付宝吗", "🟡 Partly: Meituan × Alipay — 💳 Payments"),
    ("can I log in to Douyin with WeChat", "⛔ No longer: Douyin × WeChat — 🔑 Login"),
    ("/check cainiao jd", "✅ Yes: Cainiao × JD.com"),
    ("can iphone airdrop to android", "🟡 Partly: iPhone × Android — 📰 Content"),
    ("Can I use Alipay or WeChat Pay on JD?", "🟡 Partly: Alipay × JD.com — 💳 Payments"),
    ("饿了么能用微信付款吗", "✅ Yes: Ele.me × WeChat — 💳 Payments"),
    ("does shein accept alipay", "I don't know “shein” yet."),
    ("/check 京東 支付寶", "🟡 Partly: JD.com × Alipay"),
    ("/check 京东和支付宝", "🟡 Partly: JD.com × Alipay"),
    ("/check jd x alipay", "🟡 Partly: JD.com × Alipay"),
    ("hi", "Hi! I answer"), ("thanks", "Hi! I answer"), ("help", "Hi! I answer"),
    ("is ant group part of alibaba", "🟡 Partly: Ant Group is connected to Alibaba Group through"),
    ("/recent ²", "Use /recent or /recent 20"),
    ("who owns Taobao", "🏢 Taobao belongs to Alibaba Group."),
    ("does Meta own WhatsApp", "✅ Yes: WhatsApp is part of Meta Platforms."),
    ("支付宝是阿里巴巴的吗", "🟡 Partly: Alipay is connected to Alibaba Group"),
    ("淘宝和天猫能用微信支付吗", "✅ Yes: Taobao × WeChat Pay — 💳 Payments"),
    ("/check wechat pay", "Check WeChat Pay with what?"),
]


async def test_everyday_questions_answer_right_in_the_console(interop: Interop) -> None:
    for question, start in EVERYDAY_QUESTIONS:
        reply = await answer_line(interop, question)
        assert reply.startswith(start), (question, reply[:200])
    cainiao = await answer_line(interop, "/check cainiao jd")
    assert "courier delivery" in cainiao and "bulky items" in cainiao.lower()
    several = await answer_line(interop, "Can I use Alipay or WeChat Pay on JD?")
    assert "✅ Yes: WeChat Pay × JD.com" in several
    assert "via WeChat Pay, WeChat's payment service" in await answer_line(interop, "饿了么能用微信付款吗")


async def test_everyday_questions_answer_right_in_telegram(tmp_path: Path) -> None:
    from tests.tg import USER, make_app, visible
    async with make_app(tmp_path, admin_ids={USER["id"]}) as tg:
        await tg.send("/language en")  # the chat's setting beats the script: same words as the console
        for question, start in EVERYDAY_QUESTIONS:
            [call] = [c for c in await tg.send(question) if c.method == "sendMessage"]
            assert visible(call).startswith(start), (question, visible(call)[:200])


async def test_decisions_escape_every_name_exactly_once(world: Interop) -> None:
    """Names and unknown words with &, < and quotes, through every new result type, as HTML."""
    from bot.render import HTML
    from tests.fakebot.html_check import check_telegram_html, parse_telegram_html
    for question, mode in (("at&t iphone h&m alipay", "check"), ("who owns procter & gamble", "ask"),
                           ("does <b>x</b> & co accept alipay", "ask"), ("at&t messages", "ask"),
                           ("/check h&m", "check"), ("is h&m part of alibaba", "ask")):
        decision = await world.decide(question, mode)
        for block in render_decision(decision, HTML):
            check_telegram_html(str(block))
            shown = parse_telegram_html(str(block))[0]
            assert "&amp;" not in shown and "&lt;" not in shown, (question, shown)
        text = said(decision)
        assert ("&" in question) <= ("&" in text), question


async def test_non_ascii_digits_never_raise_in_telegram(tmp_path: Path) -> None:
    from bot.texts import t
    from tests.tg import USER, make_app, visible
    async with make_app(tmp_path, admin_ids={USER["id"]}) as tg:
        for bad in ("²", "①", "٣", "１"):
            [call] = [c for c in await tg.send(f"/recent {bad}") if c.method == "sendMessage"]
            assert visible(call) == t("usage.recent", max=50), bad
        for payload in ("check_①_②", "check_٣_٤", "company_①", "company_²", "check_1_①"):
            calls = [c for c in await tg.send(f"/start {payload}") if c.method == "sendMessage"]
            assert len(calls) == 1 and "error" not in visible(calls[0]).lower(), payload
