"""The answering core on the real seed: checks, roll-ups, honest negatives, profiles, search."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.answers import Interop
from bot.config import SEED_PATH
from bot.console import answer_line
from bot.domain import CheckResult, Company, Kind, Profile, SearchResult, Source, Status, Unresolved, Verdict
from bot.startup import open_interop
from bot.store import FactDraft, StorageError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
async def interop(tmp_path: Path) -> Interop:
    service = await open_interop(tmp_path / "t.sqlite3", seed=SEED_PATH)
    yield service
    await service.close()


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
    ended = await interop.check(named(interop, "meituan"), named(interop, "alipay"))
    assert Verdict.ENDED in {Verdict(t.current.fact.status.value) for t in ended.threads}


async def test_best_current_state_leads(interop: Interop) -> None:
    result = await interop.check(named(interop, "iphone"), named(interop, "android"))
    assert result.verdict is Verdict.LIVE
    assert result.threads[0].kind in {Kind.MESSAGING, Kind.OTHER}
    assert len(result.threads) >= 3


async def test_check_text_reports_unknown_and_same_company(interop: Interop) -> None:
    unknown = await interop.check_text("amazon alipay")
    assert isinstance(unknown, Unresolved)
    assert unknown.resolutions[0].company is None and unknown.resolutions[1].company is not None
    assert await interop.check_text("jd jd.com") is None
    assert isinstance(await interop.check_text("taobao jd logistics"), CheckResult)


async def test_profile_groups_family(interop: Interop) -> None:
    profile = await interop.profile(named(interop, "微信"))
    assert profile.company.name == "WeChat" and profile.parent is not None
    assert profile.parent.name == "Tencent"
    assert "WeChat Pay" in {c.name for c in profile.children}
    assert {v.fact.kind for v in profile.facts} >= {Kind.SHOPPING, Kind.LOGIN}
    alibaba = await interop.profile(named(interop, "alibaba"))
    assert alibaba.facts and all(v.via_affiliate for v in alibaba.facts)
    assert "Taobao and Tmall Group" in {c.name for c in alibaba.children}


async def test_search_recent_and_ask(interop: Interop) -> None:
    assert (await interop.search("rcs")).hits[0].object.name == "Android"
    recent = await interop.recent(5)
    assert len(recent) == 5
    assert [v.fact.date for v in recent] == sorted((v.fact.date for v in recent), reverse=True)
    assert isinstance(await interop.ask("does jd accept alipay?"), CheckResult)
    assert isinstance(await interop.ask("京东支持支付宝吗？"), CheckResult)
    assert isinstance(await interop.ask("tell me about cainiao"), Profile)
    assert isinstance(await interop.ask("walled gardens"), SearchResult)


async def test_admin_writes_are_live_in_answers_without_restart(interop: Interop) -> None:
    added = await interop.store.add_company(Company(id=0, name="Zalando", kind="marketplace",
                                                    aliases=("Zalando SE",)), "t")
    await interop.refresh_companies([added.id])
    assert interop.resolve("zalando").company == added
    await interop.store.add_fact(FactDraft(
        added.id, named(interop, "alipay").id, Kind.PAYMENTS, Status.ANNOUNCED, "2025-03",
        "Zalando said it would add Alipay.", (Source("https://example.com/z"),)), "t")
    result = await interop.check_text("zalando, alipay")
    assert isinstance(result, CheckResult) and result.verdict is Verdict.ANNOUNCED


async def test_console_commands(interop: Interop) -> None:
    assert "/check A B" in await answer_line(interop, "/help")
    assert "Tell me two names" in await answer_line(interop, "/check")
    assert (await answer_line(interop, "/check birdychat")).startswith(
        "Check BirdyChat with what? Name a second company, e.g. /check BirdyChat, WhatsApp")
    assert "“amazon”" in await answer_line(interop, "/check amazon alipay")
    assert "Use /recent" in await answer_line(interop, "/recent lots")
    assert "Unknown command /frobnicate" in await answer_line(interop, "/frobnicate")
    assert "too long" in await answer_line(interop, "x" * 5000)


def test_piped_console_answers_like_the_issue_says(tmp_path: Path) -> None:
    """``echo "/check jd alipay" | make run`` without a token: a sourced verdict in the terminal."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEBHOOK_"))}
    env["DATABASE_PATH"] = str(tmp_path / "console.sqlite3")
    result = subprocess.run(
        [sys.executable, "-m", "bot"], input="/check jd alipay\n/check alibaba jd\n/check amazon alipay\n"
        "/company 微信\n", capture_output=True, text=True, timeout=60, env=env, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "TELEGRAM_BOT_TOKEN" in result.stderr  # tells the user how to configure the bot
    assert "🟡 Partly: JD.com × Alipay" in out
    assert "https://mcdn.i-scmp.com/tech/tech-trends/article/3284482/" in out
    assert "(via affiliate: Taobao, JD Logistics)" in out
    assert "I don't know “amazon”" in out
    assert "微信 — 超级应用" in out and "隶属于 " in out  # asked in Chinese: the profile is in Chinese


async def test_open_refuses_a_damaged_database_and_closes_everything(tmp_path: Path) -> None:
    """The integrity check overlaps start-up but still has the last word (issue 7)."""
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
    assert isinstance(await interop.check_text("zalando alipay"), Unresolved)
    added = await interop.store.add_company(Company(id=0, name="Zalando", kind="marketplace"), "t")
    await interop.refresh_companies([added.id])
    result = await interop.check_text("zalando alipay")  # same words, new index: not the old split
    assert isinstance(result, CheckResult) and result.a.name == "Zalando"
