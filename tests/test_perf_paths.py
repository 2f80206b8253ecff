"""The hot paths stay cheap: writes do not reload every company, page presses reuse the profile,
and the rate limiter holds Telegram's per-group and overall limits in every window."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.admin import Editor, actor_label, parse_fact_line
from bot.answers import Interop
from bot.config import SEED_PATH
from bot.domain import Profile
from bot.i18n import ZH_HANS, using
from bot.startup import open_interop
from bot.telegram import callbacks
from bot.telegram.app import build_application, rate_limiter
from tests.tg import settings_for

OWNER = 1001
ACTOR = actor_label(OWNER, "Owner")
LINE = ("JD.com | WeChat Pay | payments | live | 2025-02 | JD.com accepts WeChat Pay at checkout. "
        "| https://example.com/jd-wechat | Example news")


@pytest.fixture
async def interop(tmp_path: Path) -> AsyncIterator[Interop]:
    service = await open_interop(tmp_path / "perf.sqlite3", seed=SEED_PATH)
    yield service
    await service.close()


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
    other = await open_interop(tmp_path / "perf.sqlite3")
    try:
        await Editor(other, {OWNER}).add_company("Zyxwv Payments", "", "", ACTOR)
    finally:
        await other.close()
    assert interop.resolve("Zyxwv Payments").company is None  # not seen until the next sync
    await interop.sync()
    assert len(reloads) == 1
    found = interop.resolve("Zyxwv Payments").company
    assert found is not None and found.name == "Zyxwv Payments"


async def test_a_page_press_reuses_the_profile_until_a_write(
        interop: Interop, monkeypatch: pytest.MonkeyPatch) -> None:
    fetches = count_calls(monkeypatch, interop.store, "facts_involving")
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
    original = callbacks.render_profile  # type: ignore[attr-defined]

    def counted(profile: Profile) -> list[str]:
        renders.append(1)
        return original(profile)

    monkeypatch.setattr(callbacks, "render_profile", counted)
    company = interop.resolve("JD.com").company
    assert company is not None
    first = callbacks.profile_blocks(await interop.profile(company))
    again = callbacks.profile_blocks(await interop.profile(company))
    assert again == first and len(renders) == 1
    with using(ZH_HANS):  # another language is another rendering
        callbacks.profile_blocks(await interop.profile(company))
    assert len(renders) == 2
