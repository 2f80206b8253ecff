"""The hot paths stay cheap: writes do not reload every company, page presses reuse the profile,
and the rate limiter holds Telegram's per-group and overall limits in every window."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import sync
from bot.admin import Editor, actor_label, parse_fact_line
from bot.answers import Interop
from bot.cache import Cache
from bot.domain import Profile
from bot.i18n import ZH_HANS, using
from bot.startup import open_interop
from bot.telegram import callbacks
from bot.telegram.app import build_application, rate_limiter
from bot.telegram.context import ProfilePages
from tests.tg import settings_for

OWNER = 1001
ACTOR = actor_label(OWNER, "Owner")
LINE = ("JD.com | WeChat Pay | payments | live | 2025-02 | JD.com accepts WeChat Pay at checkout. "
        "| https://example.com/jd-wechat | Example news")


def count_calls(monkeypatch: pytest.MonkeyPatch, target: Any, name: str) -> list[int]:
    """Wrap ``target.name`` so each call appends to the returned list."""
    calls: list[int] = []
    original: Callable[..., Any] = getattr(target, name)

    async def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return await original(*args, **kwargs)

    monkeypatch.setattr(target, name, counted)
    return calls


async def test_a_fact_write_does_not_reload_every_company(
        interop: Interop, monkeypatch: pytest.MonkeyPatch) -> None:
    reloads = count_calls(monkeypatch, interop.store, "companies")
    editor = Editor(interop, {OWNER})
    await editor.add_fact(editor.draft(parse_fact_line(LINE)), ACTOR)
    decision = await interop.decide("does JD.com work with WeChat Pay?")
    assert decision.result is not None
    assert reloads == []


async def test_a_company_added_by_another_process_is_picked_up(
        interop: Interop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reloads = count_calls(monkeypatch, interop.store, "companies")
    one_by_one = count_calls(monkeypatch, interop.store, "company")
    other = await open_interop(interop.store.path)
    try:
        await Editor(other, {OWNER}).add_company("Zyxwv Payments", "", "", ACTOR)
    finally:
        await other.close()
    assert interop.resolve("Zyxwv Payments").company is None  # not seen until the next sync
    await interop.sync()
    assert reloads == [] and len(one_by_one) == 1  # the change log names the one company
    found = interop.resolve("Zyxwv Payments").company
    assert found is not None and found.name == "Zyxwv Payments"


async def test_an_alias_removed_by_another_process_stops_resolving(
        interop: Interop, tmp_path: Path) -> None:
    jd = interop.resolve("JD.com").company
    assert jd is not None and "360buy" in jd.aliases
    other = await open_interop(interop.store.path)
    try:
        await other.store.set_aliases(jd.id, [], ["360buy"], ACTOR)
    finally:
        await other.close()
    await interop.sync()
    found = interop.resolve("360buy").company
    assert found is None or found.id != jd.id


async def test_a_big_change_reloads_every_company_once(
        interop: Interop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync, "RELOAD_ALL_OVER", 3)
    reloads = count_calls(monkeypatch, interop.store, "companies")
    other = await open_interop(interop.store.path)
    try:
        for i in range(5):
            await Editor(other, {OWNER}).add_company(f"Bulkco {i}", "", "", ACTOR)
    finally:
        await other.close()
    await interop.sync()
    await interop.sync()
    assert len(reloads) == 1
    assert all(interop.resolve(f"Bulkco {i}").company is not None for i in range(5))


async def test_a_pruned_change_log_reloads_every_company(
        interop: Interop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that fell behind further than the log reaches (pruned) reloads everything."""
    reloads = count_calls(monkeypatch, interop.store, "companies")
    other = await open_interop(interop.store.path)
    try:
        await Editor(other, {OWNER}).add_company("Earlyco", "", "", ACTOR)
        await Editor(other, {OWNER}).add_company("Lateco", "", "", ACTOR)
        await other.store.write(lambda conn: conn.execute(
            "DELETE FROM company_change WHERE seq < (SELECT max(seq) FROM company_change)"))
    finally:
        await other.close()
    await interop.sync()
    assert len(reloads) == 1
    assert interop.resolve("Earlyco").company is not None and interop.resolve("Lateco").company is not None


async def test_updates_arriving_during_a_reload_share_it(
        interop: Interop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The herd: 50 updates see the log move at once; the index is refreshed once, not 50 times."""
    refreshes = count_calls(monkeypatch, interop.index, "refresh")
    other = await open_interop(interop.store.path)
    try:
        await Editor(other, {OWNER}).add_company("Herdco", "", "", ACTOR)
    finally:
        await other.close()
    await asyncio.gather(*(interop.decide("does Herdco work with Alipay?") for _ in range(50)))
    assert len(refreshes) == 1 and interop.resolve("Herdco").company is not None


async def test_commits_that_change_no_answer_keep_the_answer_cache(
        interop: Interop, monkeypatch: pytest.MonkeyPatch) -> None:
    """The adapter's saved state, a chat's language, a follow: none moves the content version."""
    fetches = count_calls(monkeypatch, interop.store, "facts_between")
    await interop.decide("does JD.com accept Alipay?")
    before = interop.store.content_version()
    await interop.store.write(lambda conn: conn.execute(
        "INSERT INTO chat_setting (chat_id, language) VALUES (5, 'en')"))
    await interop.store.write(lambda conn: conn.execute(
        "INSERT INTO tg_state (kind, key, data) VALUES ('user', '5', x'00')"))
    assert interop.store.content_version() == before
    await interop.decide("does JD.com accept Alipay?")
    assert len(fetches) == 1
    editor = Editor(interop, {OWNER})
    await editor.add_fact(editor.draft(parse_fact_line(
        "JD.com | Alipay | payments | live | 2026-01 | A new note. | https://example.com/n | N")), ACTOR)
    assert interop.store.content_version() != before
    await interop.decide("does JD.com accept Alipay?")
    assert len(fetches) == 2


async def test_a_page_press_reuses_the_profile_until_a_write(
        interop: Interop, monkeypatch: pytest.MonkeyPatch) -> None:
    fetches = count_calls(monkeypatch, interop.store, "profile_facts")
    company = interop.resolve("JD.com").company
    assert company is not None
    first = await interop.profile(company)
    again = await interop.profile(company)
    assert again is first and len(fetches) == 1
    editor = Editor(interop, {OWNER})
    await editor.add_fact(editor.draft(parse_fact_line(LINE)), ACTOR)
    after = await interop.profile(company)
    assert len(fetches) == 2
    assert len(after.facts) == len(first.facts) + 1


def most_sends(max_rate: float, period: float, window: float) -> int:
    """The most sends a leaky bucket of ``max_rate`` per ``period`` lets through in ``window``
    seconds: a full bucket at once, plus what drains meanwhile."""
    return int(max_rate + window * max_rate / period + 1e-9)


def test_the_rate_limiter_holds_telegrams_limits_in_every_window(tmp_path: Path) -> None:
    limiter = rate_limiter()
    overall = limiter._base_limiter  # PTB keeps its settings private
    assert overall is not None
    assert most_sends(limiter._group_max_rate, limiter._group_time_period, 60) <= 20
    assert most_sends(overall.max_rate, overall.time_period, 1) <= 30
    # PTB's defaults would not: 20 at once and 20 more in the same minute.
    assert most_sends(20, 60, 60) > 20
    app = build_application(settings_for(tmp_path))
    used = app.bot.rate_limiter
    assert used is not None
    assert (used._group_max_rate, used._group_time_period) == (
        limiter._group_max_rate, limiter._group_time_period)


async def test_a_page_press_does_not_render_the_profile_again(
        interop: Interop, monkeypatch: pytest.MonkeyPatch) -> None:
    renders: list[int] = []
    original = callbacks.iter_profile

    def counted(profile: Profile) -> Iterator[str]:
        renders.append(1)
        return original(profile)

    monkeypatch.setattr(callbacks, "iter_profile", counted)
    company = interop.resolve("JD.com").company
    assert company is not None
    kept: ProfilePages = Cache(2)
    first = callbacks.profile_pages(kept, await interop.profile(company))
    again = callbacks.profile_pages(kept, await interop.profile(company))
    assert again is first and again.page(2) == first.page(2) and len(renders) == 1
    with using(ZH_HANS):  # another language is another rendering
        callbacks.profile_pages(kept, await interop.profile(company))
    assert len(renders) == 2


async def test_the_company_change_log_keeps_its_newest_rows(interop: Interop) -> None:
    newest = interop.store.company_changes()
    await interop.store.write(lambda conn: conn.executemany(
        "INSERT INTO company_change (company_id) VALUES (?)", [(1,)] * 12_000))
    assert interop.store.company_changes() == newest + 12_000
    kept = interop.store.companies_changed_since(newest + 12_000 - 9_000, 10_000)
    assert kept == (newest + 12_000, [1])
    assert interop.store.companies_changed_since(newest, 20_000) is None  # pruned: reload all


async def test_profile_facts_come_in_the_profiles_order_and_the_rest_are_read_by_id(
        interop: Interop, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SQL order is the profile's: kind by kind, latest first (a year before its months,
    undated last), then id; the ids are read at once (no SQL while a page renders), facts in
    chunks; only the first pages' facts are read with the ids, the rest by id when paged to."""
    from bot.queries import neg_date as _neg
    from bot.store import reads

    jd = interop.resolve("JD.com").company
    assert jd is not None
    editor = Editor(interop, {OWNER})
    for date in ("2019", "2019-05", "2019-05-02", ""):
        line = LINE.replace("| live | 2025-02", f"| ended | {date}")
        line = line.replace("at checkout", f"at checkout ({date or 'undated'})")
        await editor.add_fact(editor.draft(parse_fact_line(line)), ACTOR)
    # Both parties in the profile (JD.com and its JD Pay): the fact is listed once.
    own = LINE.replace("WeChat Pay | payments", "JD Pay | payments").replace("WeChat Pay at", "JD Pay at")
    await editor.add_fact(editor.draft(parse_fact_line(own)), ACTOR)
    ids = {jd.id} | interop.descendants(jd.id)
    eager = sorted(await interop.store.facts_involving(ids), key=lambda f: (f.kind.value, _neg(f.date), f.id))
    monkeypatch.setattr(reads, "PROFILE_CHUNK", 3)  # the seed's JD has ~20: several statements
    order, first = await interop.store.profile_facts(ids, eager=7)
    assert order == [f.id for f in eager] and len(order) > 7
    assert first == eager[:7]  # only the first pages' facts are read whole
    assert await interop.store.facts_by_id(order[7:]) == eager[7:]
    # The ordered ids come from the party indexes alone: no fact row is read, whatever the size.
    plan = await interop.store._all("EXPLAIN QUERY PLAN " + reads._profile_ids_sql(len(ids)), sorted(ids))
    searches = [row[3] for row in plan if row[3].startswith(("SEARCH", "SCAN fact"))]
    assert len(searches) == 2 and all("COVERING INDEX" in s for s in searches), plan


